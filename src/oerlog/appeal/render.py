"""Render an appeal dossier as Markdown (for a letter) or as one self-contained printable HTML page."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from oerlog.appeal.dossier import Dossier
from oerlog.escape import html_text, md_quote, md_text
from oerlog.evaluation.overrides import notice
from oerlog.explain.html import STYLE as EXPLANATION_STYLE
from oerlog.explain.html import item_html
from oerlog.explain.items import Options
from oerlog.values import format_value

T = {
    "nl": {
        "title": "Dossier bezwaar en beroep",
        "decision": "Besluit",
        "under": "Genomen onder",
        "year": "studiejaar",
        "programme": "opleiding",
        "student": "student",
        "not_holds": "Dit besluit volgt niet uit de regels voor deze casus.",
        "undetermined": "Dit besluit is onbepaald: de regels laten het afhangen van wat de casus niet vastlegt.",
        "waits_for": "Het wacht op",
        "facts": "Feiten waarop het besluit rust",
        "source": "bron",
        "reasoning": "Redenering, stap voor stap",
        "because": "op grond van",
        "interpretation": "gekozen lezing",
        "discretion": "ruimte voor een menselijk oordeel",
        "exceptions": "Uitzonderingen die zijn overwogen",
        "exc_not": "niet van toepassing",
        "none_exc": "Geen uitzondering in de regeling raakt dit besluit.",
        "wanted": "Waarom niet de gewenste uitkomst",
        "cf": "Wat de uitkomst had veranderd",
        "cf_intro": "Kleinste wijzigingen van de feiten die het besluit laten vervallen; elke wijziging is "
        "gecontroleerd door de regels opnieuw toe te passen.",
        "cf_then": "dan geldt het besluit niet meer",
        "cf_open": "dan is het besluit onbepaald: het wacht op een beslissing of een feit dat nog niet is vastgelegd",
        "cf_wanted": "en geldt de gewenste uitkomst",
        "cf_none": "Geen enkele wijziging van één of twee feiten uit het bewijs laat het besluit vervallen.",
        "cf_stats": "{c} kandidaat-wijzigingen, {e} herberekeningen",
        "appeal": "Beroep: route en termijn",
        "appeal_text": "Beroep bij {body}{via}, binnen {weeks} weken na {start}: uiterlijk {deadline}",
        "appeal_no_term": "Beroep bij {body}{via}; deze regeling noemt zelf geen beroepstermijn (die volgt uit de "
        "WHW en de Awb)",
        "appeal_ref": " (de peildatum van de casus; de casus noemt geen datum van bekendmaking van het besluit)",
        "discretionary": "Discretionaire bevoegdheden",
        "disc_intro": "De regels bepalen de uitkomst hierboven; op deze punten kan een menselijk besluit "
        "daarvan afwijken:",
        "receipt": "Verantwoording (om de uitkomst later opnieuw te berekenen)",
        "annex": "Bijlage: tekst van de toegepaste bepalingen",
        "proof": "Volledig bewijs",
        "steps": "De redenering in detail",
    },
    "en": {
        "title": "Appeal dossier",
        "decision": "Decision",
        "under": "Taken under",
        "year": "academic year",
        "programme": "programme",
        "student": "student",
        "not_holds": "This decision does not follow from the rules for this case.",
        "undetermined": "This decision is undetermined: the rules make it depend on what the case does not record.",
        "waits_for": "It waits for",
        "facts": "Facts the decision rests on",
        "source": "source",
        "reasoning": "Reasoning, step by step",
        "because": "based on",
        "interpretation": "reading chosen",
        "discretion": "room for human judgement",
        "exceptions": "Exceptions considered",
        "exc_not": "does not apply",
        "none_exc": "No exception in the regulation bears on this decision.",
        "wanted": "Why not the outcome wanted",
        "cf": "What would have changed the outcome",
        "cf_intro": "Smallest changes to the facts that make the decision fall away; each was checked by "
        "applying the rules again.",
        "cf_then": "then the decision no longer holds",
        "cf_open": "then the decision is undetermined: it waits for a decision or a fact not yet recorded",
        "cf_wanted": "and the wanted outcome holds",
        "cf_none": "No change of one or two facts of the proof makes the decision fall away.",
        "cf_stats": "{c} candidate changes, {e} re-evaluations",
        "appeal": "Appeal: route and term",
        "appeal_text": "Appeal to {body}{via}, within {weeks} weeks of {start}: by {deadline}",
        "appeal_no_term": "Appeal to {body}{via}; this regulation states no term itself (it follows from the WHW "
        "and the Awb)",
        "appeal_ref": " (the case's reference date; the case gives no date on which the decision was made known)",
        "discretionary": "Discretionary powers",
        "disc_intro": "The rules decide the outcome above; on these points a human decision may depart from it:",
        "receipt": "Receipt (to recompute the outcome later)",
        "annex": "Annex: text of the provisions applied",
        "proof": "Full proof",
        "steps": "The reasoning in detail",
    },
}

RECEIPT = {
    "nl": {
        "oerlog_version": "oerlog-versie",
        "document": "regeling",
        "document_version": "versie van de codering",
        "kb_sha256": "SHA-256 van de kennisbank",
        "case_sha256": "SHA-256 van de feiten van de casus",
        "case_file": "casusbestand",
        "reference_date": "peildatum",
        "parameter_overrides": "gewijzigde parameters",
        "document_selection": "keuze van de regeling",
    },
    "en": {
        "oerlog_version": "oerlog version",
        "document": "regulation",
        "document_version": "version of the encoding",
        "kb_sha256": "SHA-256 of the knowledge base",
        "case_sha256": "SHA-256 of the case's facts",
        "case_file": "case file",
        "reference_date": "reference date",
        "parameter_overrides": "parameters changed",
        "document_selection": "how the regulation was chosen",
    },
}
SELECTION = {
    "nl": {"chosen": "gekozen met --doc", "case": "genoemd in de casus", "scope": "op grond van de inschrijving"},
    "en": {"chosen": "chosen with --doc", "case": "named in the case", "scope": "from the enrolment"},
}


def _receipt_value(key: str, value: Any, lang: str) -> str:
    """A receipt's value for a reader: the case file by its name (no folders), no parameters as "geen"."""
    if key == "case_file" and value:
        return PurePath(str(value)).name
    if key == "parameter_overrides":
        return ", ".join(f"{k} = {v}" for k, v in dict(value or {}).items()) or ("geen" if lang == "nl" else "none")
    if key == "document_selection":
        return SELECTION[lang].get(str(value), str(value))
    return "-" if value is None else str(value)


# the page needs no script, no network and no external resource: forbid them all (a second line of defence
# behind the escaping of every value)
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _ay(year: object) -> str:
    return f"{year}-{int(year) + 1}" if isinstance(year, int) else "?"


def to_markdown(d: Dossier) -> str:
    """The dossier as Markdown; every value from the case, the KB or the command line is escaped as text."""
    w = T[d.lang]
    out = [f"# {w['title']}", ""]
    if d.overrides:
        out += [notice(d.overrides, d.lang, markdown=True), ""]
    out += _decision_md(d, w)
    out += [f"## {w['facts']}", ""]
    out += [f"- {md_text(f)} ({w['source']}: {md_text(s)})" if s else f"- {md_text(f)}" for f, s in d.facts] or ["-"]
    out += ["", f"## {w['reasoning']}", ""]
    for s in d.steps:
        number = f"{s.number}. "
        sub = " " * len(number) + "- "  # under "10. " a sub-list needs four spaces to stay in the item
        out.append(f"{number}**{md_text(s.statement)}** ({md_text('; '.join(s.citations))})")
        if s.because:
            out.append(f"{sub}{w['because']}: " + "; ".join(md_text(b) for b in s.because))
        for i in s.interpretations:
            out.append(f"{sub}{w['interpretation']}: {md_text(i)}")
        if s.discretion:
            out.append(f"{sub}{w['discretion']}: {md_text(s.discretion)}")
    out += ["", f"## {w['exceptions']}", ""]
    for e in d.exceptions:
        missing = "; ".join(md_text(m) for m in e["missing"])
        out.append(
            f"- ‘{md_text(e['statement'])}’ ({md_text('; '.join(e['citations']))}) — {w['exc_not']}"
            + (f": {missing}" if missing else "")
        )
    if not d.exceptions:
        out.append(w["none_exc"])
    if d.wanted:
        out += ["", f"## {w['wanted']}: {md_text(d.wanted_text or '')}", ""]
        out += [f"- {md_text(line)}" for line in d.wanted_why_not] or ["-"]
    if d.holds:
        out += _counterfactuals_md(d, w)
    out += ["", f"## {w['appeal']}", ""]
    out += _appeal_md(d, w)
    out += [n for n in d.notes]
    out += ["", f"## {w['discretionary']}", "", w["disc_intro"], ""]
    out += [f"- {md_text(x['text'])} ({md_text(x['citations'])})" for x in d.discretion] or ["-"]
    out += ["", f"## {w['receipt']}", ""]
    labels = RECEIPT[d.lang]
    out += [f"- {md_text(labels.get(k, k))}: {md_text(_receipt_value(k, v, d.lang))}" for k, v in d.receipt.items()]
    out += ["", f"## {w['annex']}", ""]
    for p in d.annex:
        out += [f"**{md_text(p.label)}** {md_text(p.title)}", "", md_quote(p.text), ""]
    return "\n".join(out).rstrip() + "\n"


def _decision_md(d: Dossier, w: dict[str, str]) -> list[str]:
    doc = d.document
    out = [
        f"## {w['decision']}",
        "",
        f"**{md_text(d.decision)}**"
        if d.holds
        else f"**{w['undetermined']}** {md_text(d.decision)}"
        if d.waits_for
        else f"**{w['not_holds']}** {md_text(d.decision)}",
        "",
    ]
    if d.waits_for:
        out += [f"{w['waits_for']}:", ""] + [f"- {md_text(x)}" for x in d.waits_for] + [""]
    who = []
    if d.student:
        who.append(f"{w['student']} {md_text(d.student)}")
    if d.programme:
        who.append(f"{w['programme']} {md_text(d.programme_name or d.programme)}")
    under = ", ".join(md_text(x) for x in (doc["id"], doc.get("institution") or ""))
    out += [
        f"{w['under']}: *{md_text(doc['title'])}* ({under}, {w['year']} "
        f"{_ay(doc.get('academic_year'))}){'; ' + ', '.join(who) if who else ''}.",
        "",
    ]
    return out


def _counterfactuals_md(d: Dossier, w: dict[str, str]) -> list[str]:
    out = ["", f"## {w['cf']}", "", w["cf_intro"], ""]
    for cf, text in zip(d.counterfactuals, d.counterfactual_texts, strict=False):
        tail = w["cf_open"] if cf.undetermined_after else w["cf_then"]
        tail += f" {w['cf_wanted']} (‘{md_text(d.wanted_text or '')}’)" if cf.wanted_after else ""
        out.append("- " + md_text(text) + f": {tail}.")
    if not d.counterfactuals:
        out.append(w["cf_none"])
    stats = w["cf_stats"].format(c=d.counterfactual_stats["candidates"], e=d.counterfactual_stats["evaluations"])
    return out + ["", f"_{stats}_"]


def _appeal_md(d: Dossier, w: dict[str, str]) -> list[str]:
    if not d.appeal:
        return []
    a = d.appeal
    body = md_text(a.get("body"))
    via = f" via {md_text(a['via'])}" if a.get("via") else ""
    where = f" ({md_text(a['provision'])})" if a.get("provision") else ""
    if not a.get("weeks"):
        return [w["appeal_no_term"].format(body=body, via=via) + where + "."]
    start = format_value(a["from"], d.lang) if a.get("from") else "?"
    text = w["appeal_text"].format(
        body=body,
        via=via,
        weeks=md_text(a.get("weeks")),
        start=md_text(start),
        deadline=md_text(a.get("deadline_text") or "?"),
    )
    return [text + (w["appeal_ref"] if a.get("from_is_reference_date") else "") + where + "."]


def to_html(d: Dossier) -> str:
    """One printable page, no external resources; the proof as a collapsible tree."""
    body = _md_to_html(to_markdown(d))
    tree = item_html(d.steps_tree, d.lang, Options(), 0) if d.steps_tree is not None else ""
    w = T[d.lang]
    title = f"{html_text(w['title'])}: {html_text(d.decision)}"
    return f"""<!DOCTYPE html>
<html lang="{html_text(d.lang)}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>{title}</title>
<style>
body{{font-family:Georgia,serif;max-width:52em;margin:2em auto;padding:0 1em;line-height:1.45;color:#222}}
h1{{border-bottom:2px solid #333}} h2{{margin-top:1.6em;border-bottom:1px solid #ccc}}
blockquote{{margin:.4em 0 1em 1em;padding-left:.8em;border-left:3px solid #bbb;color:#333}}
code{{font-size:.9em;background:#f3f3f3;padding:0 .2em}}
details{{margin-left:1em}} summary{{cursor:pointer}} .cite{{color:#666;font-size:.9em}}
@media print{{details{{display:block}} summary{{list-style:none}}}}
{EXPLANATION_STYLE}
</style></head><body>
{body}
<h2>{html_text(w["steps"])}</h2>
<ul class="steps"><li>{tree}</li></ul>
</body></html>
"""


def _md_to_html(md: str) -> str:
    """Markdown to HTML with markdown-it (CommonMark), raw HTML off: any tag left in the text shows as text."""
    from markdown_it import MarkdownIt  # deferred: markdown-it, needed only for the HTML dossier

    return str(MarkdownIt("commonmark", {"html": False}).render(md))
