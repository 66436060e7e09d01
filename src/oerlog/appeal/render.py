"""Render an appeal dossier: one structure of sections (:func:`sections`) told as Markdown (for a letter), as one
self-contained printable HTML page, and (:mod:`oerlog.appeal.pdf`) as an A4 PDF of that page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from oerlog.appeal.dossier import Dossier
from oerlog.appeal.student import Route as StudentRoute
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
        "undetermined": "Over dit besluit is nog niet beslist: de regels laten het afhangen van wat de casus niet "
        "vastlegt.",
        "waits_for": "Het hangt af van",
        "decided_by": "Wie daarover beslist",
        "argument": "Het argument van de student",
        "argument_intro": "Wat de regeling voor dit argument biedt, en wat de casus daarvoor bevat:",
        "argument_none": "De regeling kent voor dit argument geen uitzondering en geen route naar een orgaan die de "
        "uitkomst van dit besluit kan veranderen; zie de discretionaire bevoegdheden hieronder.",
        "facts": "Feiten",
        "source": "bron",
        "reasoning": "Redenering, stap voor stap",
        "because": "op grond van",
        "interpretation": "gekozen lezing",
        "discretion": "ruimte voor een menselijk oordeel",
        "exceptions": "Uitzonderingen en routes voor de student",
        "routes_intro": "Elke uitzondering die de regels bij dit besluit nagaan en elke beslissing van een orgaan "
        "waarop het wacht, met wat de casus daarvoor bevat en wie het moet aanvoeren of beslissen:",
        "routes_argument": "(De routes die het argument van de student noemt, staan hierboven.)",
        "routes_none_left": "Geen andere.",
        "in_case": "in de casus",
        "needs": "nodig",
        "who": "wie",
        "how": "langs welke weg",
        "none_exc": "Geen uitzondering in de regeling raakt dit besluit.",
        "wanted": "Waarom niet de gewenste uitkomst",
        "cf": "Wat de uitkomst had veranderd",
        "cf_intro": "Kleinste wijzigingen die een student of een orgaan kan aanvoeren (een cijfer, een datum, een "
        "verzoek, een beslissing), elk gecontroleerd door de regels opnieuw toe te passen; geen kleinere wijziging "
        "verandert de uitkomst.",
        "cf_then": "dan geldt het besluit niet meer",
        "cf_open": "dan is over het besluit nog niet beslist: het wacht op een beslissing of een feit dat nog niet "
        "is vastgelegd",
        "cf_wanted": "en geldt de gewenste uitkomst",
        "cf_none": "Geen wijziging die een student of een orgaan kan aanvoeren, laat het besluit vervallen.",
        "cf_stats": "{n} wijziging{s} gevonden; {e} varianten van de casus doorgerekend.",
        "s": "en",
        "appeal": "Beroep: route en termijn",
        "appeal_to": "Beroep staat open bij",
        "via": "via",
        "from_document": "zo bepaalt de regeling zelf",
        "from_frame": "de regeling noemt dit niet zelf; het volgt uit de OER waarbinnen zij geldt ({t})",
        "from_statute": "de regeling en de OER waarbinnen zij geldt noemen dit niet; het volgt uit de wet",
        "term": "Termijn: {weeks} weken{cites}; {src}.",
        "start": "De termijn begint op de dag na de bekendmaking van het besluit{cites}: bekendgemaakt op {known}, "
        "eerste dag van de termijn {first}.",
        "ref_date": "De casus noemt niet de dag waarop het besluit bekend is gemaakt; gerekend is vanaf de "
        "peildatum, {known}.",
        "extended": "De termijn eindigt op {end}, geen werkdag, en loopt door tot en met {deadline}{cites}.",
        "deadline": "Het beroepschrift moet uiterlijk zijn ingediend op",
        "appeal_none": "De kennisbank noemt geen beroepsroute voor deze regeling.",
        "discretionary": "Discretionaire bevoegdheden",
        "disc_intro": "De regels bepalen de uitkomst hierboven; op deze punten kan een menselijk besluit "
        "daarvan afwijken:",
        "no_disc": "De regeling laat op de punten van dit besluit geen ruimte voor een menselijk oordeel.",
        "receipt": "Verantwoording",
        "receipt_intro": "Om de uitkomst later precies opnieuw te berekenen:",
        "annex": "Bijlage: tekst van de toegepaste bepalingen",
        "steps": "Het bewijs in detail",
        "page": "pagina",
        "of": "van",
    },
    "en": {
        "title": "Appeal dossier",
        "decision": "Decision",
        "under": "Taken under",
        "year": "academic year",
        "programme": "programme",
        "student": "student",
        "undetermined": "This decision has not been made yet: the rules make it depend on what the case does not "
        "record.",
        "waits_for": "It depends on",
        "decided_by": "Who decides",
        "argument": "The student's argument",
        "argument_intro": "What the regulation offers for this argument, and what the case contains for it:",
        "argument_none": "The regulation has no exception and no route to a body for this argument that could change "
        "the outcome of this decision; see the discretionary powers below.",
        "facts": "Facts",
        "source": "source",
        "reasoning": "Reasoning, step by step",
        "because": "based on",
        "interpretation": "reading chosen",
        "discretion": "room for human judgement",
        "exceptions": "Exceptions and routes for the student",
        "routes_intro": "Every exception the rules check for this decision and every decision of a body it waits "
        "for, with what the case contains for it and who must bring it forward or decide:",
        "routes_argument": "(The routes the student's argument names are listed above.)",
        "routes_none_left": "No others.",
        "in_case": "in the case",
        "needs": "needed",
        "who": "who",
        "how": "how",
        "none_exc": "No exception in the regulation bears on this decision.",
        "wanted": "Why not the outcome wanted",
        "cf": "What would have changed the outcome",
        "cf_intro": "Smallest changes a student or a body can bring forward (a grade, a date, a request, a "
        "decision), each checked by applying the rules again; no smaller change alters the outcome.",
        "cf_then": "then the decision no longer holds",
        "cf_open": "then the decision is not made yet: it waits for a decision or a fact not yet recorded",
        "cf_wanted": "and the wanted outcome holds",
        "cf_none": "No change a student or a body can bring forward makes the decision fall away.",
        "cf_stats": "{n} change{s} found; {e} variants of the case evaluated.",
        "s": "s",
        "appeal": "Appeal: route and term",
        "appeal_to": "Appeal lies with",
        "via": "through",
        "from_document": "as the regulation itself provides",
        "from_frame": "the regulation does not say; it follows from the OER it works within ({t})",
        "from_statute": "neither the regulation nor the OER it works within says; it follows from the law",
        "term": "Term: {weeks} weeks{cites}; {src}.",
        "start": "The term starts on the day after the decision was made known{cites}: made known on {known}, "
        "first day of the term {first}.",
        "ref_date": "The case does not give the day the decision was made known; counted from the reference date, "
        "{known}.",
        "extended": "The term ends on {end}, not a working day, and runs on until and including {deadline}{cites}.",
        "deadline": "The appeal must be lodged by",
        "appeal_none": "The knowledge base names no appeal route for this regulation.",
        "discretionary": "Discretionary powers",
        "disc_intro": "The rules decide the outcome above; on these points a human decision may depart from it:",
        "no_disc": "The regulation leaves no room for human judgement on the points of this decision.",
        "receipt": "Receipt",
        "receipt_intro": "To recompute the outcome exactly, later:",
        "annex": "Annex: text of the provisions applied",
        "steps": "The proof in detail",
        "page": "page",
        "of": "of",
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
        return PurePath(str(value)).stem
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


# --- the dossier as blocks: one structure, told as Markdown, as an HTML page, as a PDF -------------------------


@dataclass
class Para:
    """A paragraph: runs of text, each plain or bold."""

    runs: list[tuple[str, bool]]


@dataclass
class Bullets:
    """A list; each item a line with the lines under it (a nested list)."""

    items: list[tuple[str, list[str]]]
    numbered: bool = False


@dataclass
class Quote:
    """A provision quoted verbatim: its label, its title, its text."""

    label: str
    title: str
    text: str


Block = Para | Bullets | Quote


@dataclass
class Section:
    """A heading and its blocks."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    key: str = ""  # for the page layout (the receipt keeps to itself on the last page)


def _p(text: str, bold: bool = False) -> Para:
    return Para([(text, bold)])


def _cites(c: list[str]) -> str:
    return f" ({'; '.join(c)})" if c else ""


def sections(d: Dossier) -> list[Section]:
    """The dossier's sections in reading order; the receipt last (the last page of a PDF)."""
    w = T[d.lang]
    out = [_decision(d, w)]
    if d.argument:
        out.append(_argument(d, w))
    out.append(Section(w["facts"], [Bullets([(f"{f} ({w['source']}: {s})" if s else f, []) for f, s in d.facts])]))
    steps: list[tuple[str, list[str]]] = []
    for s in d.steps:
        sub = [f"{w['because']}: " + "; ".join(s.because)] if s.because else []
        sub += [f"{w['interpretation']}: {i}" for i in s.interpretations]
        sub += [f"{w['discretion']}: {s.discretion}"] if s.discretion else []
        steps.append((f"{s.statement}{_cites(s.citations)}", sub))
    out.append(Section(w["reasoning"], [Bullets(steps, numbered=True)], "reasoning"))
    out.append(_routes(d, w))
    if d.wanted:
        why: list[tuple[str, list[str]]] = [(line, []) for line in d.wanted_why_not] or [("-", [])]
        out.append(Section(f"{w['wanted']}: {d.wanted_text or ''}", [Bullets(why)]))
    if d.holds:
        out.append(_counterfactuals(d, w))
    out.append(_appeal(d, w))
    disc: list[Block] = [_p(w["disc_intro"])]
    disc.append(
        Bullets([(f"{x['text']}{_cites([x['citations']] if x['citations'] else [])}", []) for x in d.discretion])
    )
    out.append(Section(w["discretionary"], disc if d.discretion else [_p(w["no_disc"])]))
    out.append(Section(w["annex"], [Quote(p.label, p.title, p.text) for p in d.annex], "annex"))
    labels = RECEIPT[d.lang]
    receipt: list[tuple[str, list[str]]] = [
        (f"{labels.get(k, k)}: {_receipt_value(k, v, d.lang)}", []) for k, v in d.receipt.items()
    ]
    out.append(Section(w["receipt"], [_p(w["receipt_intro"]), Bullets(receipt)], "receipt"))
    return out


def _decision(d: Dossier, w: dict[str, str]) -> Section:
    doc = d.document
    blocks: list[Block] = []
    if d.holds:
        blocks.append(_p(d.decision, bold=True))
    else:
        blocks.append(Para([(w["undetermined"] + " ", True), (d.decision, False)]))
        blocks.append(_p(f"{w['waits_for']}:"))
        blocks.append(Bullets([(x, []) for x in d.waits_for]))
        if d.decided_by:
            blocks.append(_p(f"{w['decided_by']}:"))
            blocks.append(Bullets([(x, []) for x in d.decided_by]))
    who = []
    if d.student:
        who.append(f"{w['student']} {d.student}")
    if d.programme:
        who.append(f"{w['programme']} {d.programme_name or d.programme}")
    inst = doc.get("institution") or ""
    blocks.append(
        _p(
            f"{w['under']}: {doc['title']} ({inst + ', ' if inst else ''}{w['year']} {_ay(doc.get('academic_year'))})"
            f"{'; ' + ', '.join(who) if who else ''}."
        )
    )
    return Section(w["decision"], blocks, "decision")


def _route_item(r: StudentRoute, d: Dossier, w: dict[str, str]) -> tuple[str, list[str]]:
    sub = [f"{w['in_case']}: {d.status_words.get(r.status, r.status)}"]
    if r.status != "present" and r.needs:
        sub.append(f"{w['needs']}: " + "; ".join(r.needs))
    if r.parties:
        sub.append(f"{w['who']}: " + "; ".join(r.parties))
    return f"{r.statement}{_cites(r.citations)}", sub


def _argument(d: Dossier, w: dict[str, str]) -> Section:
    title = f"{w['argument']}: {d.argument}"
    if not d.argument_routes:
        return Section(title, [_p(w["argument_none"])], "argument")
    return Section(title, [_p(w["argument_intro"]), Bullets([_route_item(r, d, w) for r in d.argument_routes])])


def _routes(d: Dossier, w: dict[str, str]) -> Section:
    rest = [r for r in d.routes if r not in d.argument_routes]
    if not d.routes:
        return Section(w["exceptions"], [_p(w["none_exc"])], "routes")
    blocks: list[Block] = [_p(w["routes_intro"])]
    if d.argument_routes:
        blocks.append(_p(w["routes_argument"]))
    blocks.append(Bullets([_route_item(r, d, w) for r in rest] or [(w["routes_none_left"], [])]))
    return Section(w["exceptions"], blocks, "routes")


def _counterfactuals(d: Dossier, w: dict[str, str]) -> Section:
    items: list[tuple[str, list[str]]] = []
    for cf, t in zip(d.counterfactuals, d.counterfactual_texts, strict=True):
        tail = w["cf_open"] if cf.undetermined_after else w["cf_then"]
        tail += f" {w['cf_wanted']} (‘{d.wanted_text or ''}’)" if cf.wanted_after else ""
        items.append((f"{t.text}: {tail}.", [f"{w['how']}: " + "; ".join(t.parties)] if t.parties else []))
    blocks: list[Block] = [_p(w["cf_intro"])]
    blocks.append(Bullets(items) if items else _p(w["cf_none"]))
    n = d.counterfactual_stats.get("found", 0)
    blocks.append(
        _p(w["cf_stats"].format(n=n, e=d.counterfactual_stats.get("variants", 0), s="" if n == 1 else w["s"]))
    )
    return Section(w["cf"], blocks, "counterfactuals")


def _appeal(d: Dossier, w: dict[str, str]) -> Section:
    a = d.appeal
    if a is None:
        return Section(w["appeal"], [_p(w["appeal_none"])])
    via = f" {w['via']} {a.via}" if a.via else ""
    src = {
        "document": w["from_document"],
        "frame": w["from_frame"].format(t=a.frame_title or ""),
        "statute": w["from_statute"],
    }
    lines = [f"{w['appeal_to']} {a.body}{via}{_cites(a.body_cites)}; {src[a.body_from]}."]
    lines.append(w["term"].format(weeks=a.weeks, cites=_cites(a.term_cites), src=src[a.term_from]))
    first = a.known + dt.timedelta(days=1)
    known = format_value(a.known, d.lang)
    lines.append(w["start"].format(known=known, first=format_value(first, d.lang), cites=_cites(a.start_cites)))
    if a.known_is_reference_date:
        lines.append(w["ref_date"].format(known=known))
    if a.deadline != a.end:
        lines.append(
            w["extended"].format(
                end=_day(a.end, d.lang), deadline=_day(a.deadline, d.lang), cites=_cites(a.extension_cites)
            )
        )
    blocks: list[Block] = [Bullets([(x, []) for x in lines])]
    blocks.append(Para([(w["deadline"] + ": ", False), (_day(a.deadline, d.lang), True)]))
    return Section(w["appeal"], blocks, "appeal")


WEEKDAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def _day(day: dt.date, lang: str) -> str:
    return f"{WEEKDAYS[lang][day.weekday()]} {format_value(day, lang)}"


# --- Markdown ------------------------------------------------------------------------------------------------


def to_markdown(d: Dossier) -> str:
    """The dossier as Markdown; every value from the case, the KB or the command line is escaped as text."""
    w = T[d.lang]
    out = [f"# {w['title']}", ""]
    if d.overrides:
        out += [notice(d.overrides, d.lang, markdown=True), ""]
    for sec in sections(d):
        out += [f"## {md_text(sec.title)}", ""]
        for b in sec.blocks:
            out += _md_block(b) + [""]
    return "\n".join(out).rstrip() + "\n"


def _md_block(b: Block) -> list[str]:
    if isinstance(b, Para):
        return [
            "".join(
                f"**{md_text(t.strip())}**{' ' if t.endswith(' ') else ''}" if bold else md_text(t)
                for t, bold in b.runs
            )
        ]
    if isinstance(b, Quote):
        return [f"**{md_text(b.label)}** {md_text(b.title)}", "", md_quote(b.text)]
    out: list[str] = []
    for i, (text, subs) in enumerate(b.items, 1):
        mark = f"{i}. " if b.numbered else "- "
        out.append(mark + md_text(text))
        out += [" " * len(mark) + "- " + md_text(s) for s in subs]  # under "10. " four spaces keep it in the item
    return out


# --- HTML ----------------------------------------------------------------------------------------------------

PRINT_STYLE = """
body{font-family:Georgia,'Times New Roman',serif;max-width:52em;margin:2em auto;padding:0 1em;line-height:1.45;
color:#222;overflow-wrap:anywhere}
h1{border-bottom:2px solid #333;font-size:1.6em} h2{margin-top:1.4em;border-bottom:1px solid #ccc;font-size:1.2em;
break-after:avoid}
ol.steps,ul.list{padding-left:2.2em} ol.steps>li,ul.list>li{margin:.25em 0} ul.sub{padding-left:1.4em;margin:.1em 0}
ul.sub>li{list-style:circle;color:#333}
blockquote{margin:.3em 0 .9em 1em;padding-left:.8em;border-left:3px solid #bbb;color:#333;white-space:pre-line}
.q{margin-top:.6em;break-inside:avoid} .deadline{font-size:1.1em}
.override-notice{border:1px solid #c90;background:#fdf9ef;padding:.4em .8em;font-weight:bold}
details{margin-left:1em} summary{cursor:pointer}
section.receipt{break-before:page}
@page{size:A4;margin:18mm 16mm 20mm 16mm;
 @bottom-center{content:"PAGE " counter(page) " OF " counter(pages);font:9pt Georgia,serif;color:#555}}
@media print{body{max-width:none;margin:0;padding:0;font-size:10.5pt} details{display:block} summary{list-style:none}}
"""


def to_html(d: Dossier) -> str:
    """One printable page, no external resources; numbered steps as one list, the proof as a collapsible tree."""
    w = T[d.lang]
    body: list[str] = [f"<h1>{html_text(w['title'])}</h1>"]
    if d.overrides:
        body.append(f'<p class="override-notice">{html_text(notice(d.overrides, d.lang))}</p>')
    for sec in sections(d):
        body.append(f'<section class="{html_text(sec.key)}"><h2>{html_text(sec.title)}</h2>')
        body += [_html_block(b) for b in sec.blocks]
        body.append("</section>")
        if sec.key == "annex" and d.steps_tree is not None:
            tree = item_html(d.steps_tree, d.lang, Options(), 0)
            body.append(
                f'<section class="proof"><h2>{html_text(w["steps"])}</h2>'
                f'<ul class="steps"><li>{tree}</li></ul></section>'
            )
    title = f"{html_text(w['title'])}: {html_text(d.decision)}"
    style = PRINT_STYLE.replace("PAGE ", w["page"] + " ").replace('" OF "', f'" {w["of"]} "')
    return f"""<!DOCTYPE html>
<html lang="{html_text(d.lang)}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>{title}</title>
<style>{style}{EXPLANATION_STYLE}</style></head><body>
{chr(10).join(body)}
</body></html>
"""


def _html_block(b: Block) -> str:
    if isinstance(b, Para):
        inner = "".join(f"<strong>{html_text(t)}</strong>" if bold else html_text(t) for t, bold in b.runs)
        cls = ' class="deadline"' if any(bold for _, bold in b.runs) and len(b.runs) == 2 else ""
        return f"<p{cls}>{inner}</p>"
    if isinstance(b, Quote):
        return (
            f'<div class="q"><strong>{html_text(b.label)}</strong> {html_text(b.title)}'
            f"<blockquote>{html_text(b.text)}</blockquote></div>"
        )
    tag, cls = ("ol", "steps") if b.numbered else ("ul", "list")
    items = []
    for text, subs in b.items:
        sub = "".join(f"<li>{html_text(s)}</li>" for s in subs)
        items.append(f"<li>{html_text(text)}" + (f'<ul class="sub">{sub}</ul>' if sub else "") + "</li>")
    return f'<{tag} class="{cls}">' + "".join(items) + f"</{tag}>"
