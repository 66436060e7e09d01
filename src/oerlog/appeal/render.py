"""Render an appeal dossier as Markdown (for a letter) or as one self-contained printable HTML page."""

from __future__ import annotations

from oerlog.appeal.dossier import Dossier
from oerlog.escape import html_text, md_code, md_quote, md_text
from oerlog.evaluation.overrides import notice
from oerlog.explain.explainer import Node, NodeKind
from oerlog.explain.render import statement, to_text
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
        "exc_not": "niet van toepassing; ontbreekt",
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
        "exc_not": "does not apply; missing",
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
    },
}


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
    out += [f"- {md_code(f)} — {w['source']}: {md_text(s)}" if s else f"- {md_code(f)}" for f, s in d.facts] or ["-"]
    out += ["", f"## {w['reasoning']}", ""]
    for s in d.steps:
        out.append(f"{s.number}. **{md_text(s.statement)}** ({md_text('; '.join(s.citations))}, {md_text(s.rule)})")
        if s.because:
            out.append(f"   - {w['because']}: " + "; ".join(md_text(b) for b in s.because))
        for i in s.interpretations:
            out.append(f"   - {w['interpretation']}: {md_text(i)}")
        if s.discretion:
            out.append(f"   - {w['discretion']}: {md_text(s.discretion)}")
    out += ["", f"## {w['exceptions']}", ""]
    for e in d.exceptions:
        out.append(
            f"- {md_text(e['statement'])} ({md_text('; '.join(e['citations']))}) — {w['exc_not']}: "
            + ", ".join(md_code(m) for m in e["missing"])
        )
    if not d.exceptions:
        out.append(w["none_exc"])
    if d.wanted:
        out += ["", f"## {w['wanted']}: {md_code(d.wanted)}", ""]
        out += [f"- {md_text(line)}" for line in d.wanted_why_not] or ["-"]
    if d.holds:
        out += _counterfactuals_md(d, w)
    out += ["", f"## {w['appeal']}", ""]
    out += _appeal_md(d, w)
    out += [n for n in d.notes]
    out += ["", f"## {w['discretionary']}", "", w["disc_intro"], ""]
    out += [
        f"- {md_text(x['text'])} ({md_text(x['citations'] + (', ' + x['rule'] if x['rule'] else ''))})"
        for x in d.discretion
    ] or ["-"]
    out += ["", f"## {w['receipt']}", ""]
    out += [f"- {k}: {md_code(v)}" for k, v in d.receipt.items()]
    out += ["", f"## {w['annex']}", ""]
    for p in d.annex:
        out += [f"**{md_text(p.label)}** {md_text(p.title)}", "", md_quote(p.text), ""]
    return "\n".join(out).rstrip() + "\n"


def _decision_md(d: Dossier, w: dict[str, str]) -> list[str]:
    doc = d.document
    out = [
        f"## {w['decision']}",
        "",
        f"**{md_text(d.decision)}**  \n{md_code(d.decision_atom)}"
        if d.holds
        else f"**{w['undetermined']}** {md_code(d.decision_atom)}"
        if d.waits_for
        else f"**{w['not_holds']}** {md_code(d.decision_atom)}",
        "",
    ]
    if d.waits_for:
        out += [f"{w['waits_for']}:", ""] + [f"- {md_text(x)}" for x in d.waits_for] + [""]
    who = []
    if d.student:
        who.append(f"{w['student']} {md_text(d.student)}")
    if d.programme:
        who.append(f"{w['programme']} {md_text(d.programme)}")
    under = ", ".join(md_text(x) for x in (doc["id"], doc.get("institution") or ""))
    out += [
        f"{w['under']}: *{md_text(doc['title'])}* ({under}, {w['year']} "
        f"{_ay(doc.get('academic_year'))}){'; ' + ', '.join(who) if who else ''}.",
        "",
    ]
    return out


def _counterfactuals_md(d: Dossier, w: dict[str, str]) -> list[str]:
    out = ["", f"## {w['cf']}", "", w["cf_intro"], ""]
    for cf in d.counterfactuals:
        tail = w["cf_open"] if cf.undetermined_after else w["cf_then"]
        tail += f" {w['cf_wanted']} ({md_code(d.wanted)})" if cf.wanted_after else ""
        out.append("- " + " + ".join(md_text(c.describe(d.lang)) for c in cf.changes) + f": {tail}.")
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


def _tree_html(n: Node, lang: str) -> str:
    if n.kind is NodeKind.DERIVED:
        label = html_text(statement(n, lang))
        cite = "; ".join(p.label if p else str(c) for c, p in (n.rule.citations if n.rule else []))
        inner = "".join(_tree_html(c, lang) for c in n.children)
        return (
            f'<details open><summary>✔ {label} <span class="cite">[{html_text(cite)}]</span></summary>'
            f"<div>{inner}</div></details>"
        )
    lines = to_text(Node(n.kind, n.atom, n.pred, n.args, n.rule, n.binding, n.text, n.source), lang, quotes=False)
    inner = "".join(_tree_html(c, lang) for c in n.children)
    return f'<div class="leaf">{html_text(lines.strip())}</div>{inner}'


def to_html(d: Dossier) -> str:
    """One printable page, no external resources; the proof as a collapsible tree."""
    body = _md_to_html(to_markdown(d))
    tree = _tree_html(d.proof, d.lang) if d.proof is not None else ""
    w = T[d.lang]
    title = f"{html_text(w['title'])}: {html_text(d.decision_atom)}"
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
.leaf{{margin-left:2em;font-family:monospace;font-size:.85em;white-space:pre-wrap}}
@media print{{details{{display:block}} summary{{list-style:none}}}}
</style></head><body>
{body}
<h2>{html_text(w["proof"])}</h2>
<div class="proof">{tree}</div>
</body></html>
"""


def _md_to_html(md: str) -> str:
    """Markdown to HTML with markdown-it (CommonMark), raw HTML off: any tag left in the text shows as text."""
    from markdown_it import MarkdownIt  # deferred: markdown-it, needed only for the HTML dossier

    return str(MarkdownIt("commonmark", {"html": False}).render(md))
