"""The report of ``oerlog check``: a memo an examencommissie reads (terminal text, Markdown, HTML) and JSON
(schema ``oerlog.check/2``).

The memo opens with a one-screen summary (what was compared, how many scenarios, counts by severity, the five
most important findings in one sentence each), then every finding in words grouped by the provision it concerns
(the case as a short story, what each document concludes, the articles quoted), then the proofs and witness
files in an annex. One language throughout (``lang``); quotes stay in the original Dutch. Nothing that varies
between runs (timings, temporary paths) is in it: the same KB and seed give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oerlog.analysis.consistency.accept import verdict_words
from oerlog.analysis.consistency.findings import SEVERITIES, SEVERITY_NL, Finding, Report, Side, kind_title
from oerlog.analysis.consistency.text import shorten
from oerlog.escape import html_text, md_cell, md_code, md_fence, md_quote, md_text
from oerlog.explain.render import node_dict, to_markdown, to_text

SCHEMA_ID = "oerlog.check/2"
TOP = 5

WORDS: dict[str, dict[str, Any]] = {
    "nl": {
        "title": "Consistentiecontrole",
        "summary": "Samenvatting",
        "documents": "Regelingen",
        "pairs": "Vergelijkingen",
        "frame": "kader",
        "against": "op verzoek",
        "across": "tussen instellingen",
        "none": "geen",
        "scenarios": "Scenario's",
        "scen_line": "{n} verschillende, geldige scenario's beoordeeld, uit {seeds} voorbeeldcasussen van {avail}: "
        "{b} grenswaarden, {p} paarsgewijze combinaties, {r} willekeurige mutaties (seed {seed}); {gen} gemaakt, "
        "{dup} dubbel, {inv} in strijd met de integriteitsregels van de wereld{trunc}.",
        "truncated": "; afgebroken bij de limiet van {budget} scenario's",
        "thr_line": "Drempels in de regels: {n}; met scenario's aan beide kanten: {both}; aan één kant: {one}; "
        "niet bereikt: {un} (zie bijlage).",
        "min_line": "Getuigen geminimaliseerd van {a} naar {b} feiten.",
        "findings": "Bevindingen",
        "counts": "{e}, {w}, {i} ter informatie; {acc} geaccepteerd, {open} open.",
        "error": ("fout", "fouten"),
        "warning": ("waarschuwing", "waarschuwingen"),
        "top": "Belangrijkste bevindingen",
        "no_findings": "Geen bevindingen.",
        "by_provision": "Bevindingen per bepaling",
        "no_provision": "Zonder bepaling",
        "case": "De casus",
        "conclusions": "Wat de regelingen concluderen",
        "rules": "regels",
        "accepted": "Geaccepteerd",
        "verdict": "oordeel",
        "witness": "Getuige",
        "rerun": "Opnieuw uitrekenen",
        "annex_proofs": "Bijlage A. Bewijzen",
        "annex_witness": "Bijlage B. Getuigen",
        "annex_thresholds": "Bijlage C. Drempels zonder scenario's aan beide kanten",
        "notes": "Opmerkingen",
        "stale": "geaccepteerde bevinding {id} komt niet meer voor",
        "proof": "Bewijs",
        "witness_dir": "Getuigenbestanden: {dir}",
        "not_reached": "niet bereikt",
        "one_side": "aan één kant",
        "note": "Toelichting",
    },
    "en": {
        "title": "Consistency check",
        "summary": "Summary",
        "documents": "Documents",
        "pairs": "Comparisons",
        "frame": "frame",
        "against": "on request",
        "across": "across institutions",
        "none": "none",
        "scenarios": "Scenarios",
        "scen_line": "{n} distinct, valid scenarios judged, from {seeds} example cases of {avail}: {b} boundary "
        "values, {p} pairwise combinations, {r} random mutations (seed {seed}); {gen} made, {dup} duplicates, "
        "{inv} breaking the integrity constraints of the world{trunc}.",
        "truncated": "; stopped at the limit of {budget} scenarios",
        "thr_line": "Thresholds in the rules: {n}; with scenarios on both sides: {both}; on one side: {one}; "
        "not reached: {un} (see annex).",
        "min_line": "Witnesses minimised from {a} to {b} facts.",
        "findings": "Findings",
        "counts": "{e}, {w}, {i} for information; {acc} accepted, {open} open.",
        "error": ("error", "errors"),
        "warning": ("warning", "warnings"),
        "top": "Most important findings",
        "no_findings": "No findings.",
        "by_provision": "Findings by provision",
        "no_provision": "Without a provision",
        "case": "The case",
        "conclusions": "What the documents conclude",
        "rules": "rules",
        "accepted": "Accepted",
        "verdict": "verdict",
        "witness": "Witness",
        "rerun": "Rerun",
        "annex_proofs": "Annex A. Proofs",
        "annex_witness": "Annex B. Witnesses",
        "annex_thresholds": "Annex C. Thresholds without scenarios on both sides",
        "notes": "Notes",
        "stale": "accepted finding {id} no longer occurs",
        "proof": "Proof",
        "witness_dir": "Witness files: {dir}",
        "not_reached": "not reached",
        "one_side": "one side only",
        "note": "Note",
    },
}


def _w(lang: str) -> dict[str, Any]:
    return WORDS["nl" if lang == "nl" else "en"]


def _count(n: int, sev: str, lang: str) -> str:
    one, many = _w(lang)[sev]
    return f"{n} {one if n == 1 else many}"


def _severity(sev: str, lang: str) -> str:
    return SEVERITY_NL[sev] if lang == "nl" else sev


def _rerun(f: Finding, side: Side) -> str | None:
    if not side.goal or not f.witness_file:
        return None
    cmd = "why" if side.holds else "whynot"
    goal = side.goal.replace("'", "'\\''")
    return f"oerlog {cmd} '{goal}' --case {f.witness_file} --doc {side.document}"


def _pairs(r: Report, lang: str) -> str:
    w = _w(lang)
    return ", ".join(f"{a} ↔ {b} ({w[rel] if rel in w else rel})" for a, b, rel in r.pairs) or w["none"]


def _summary(r: Report, lang: str) -> list[str]:
    """The summary lines (plain text, no markup; callers escape)."""
    w = _w(lang)
    s = r.stats
    trunc = w["truncated"].format(budget=s.budget) if s.truncated else ""
    n = {sev: len([f for f in r.findings if f.severity == sev]) for sev in SEVERITIES}
    lines = [
        f"{w['documents']}: {', '.join(r.documents)}",
        f"{w['pairs']}: {_pairs(r, lang)}",
        w["scen_line"].format(
            n=s.scenarios,
            seeds=s.seeds,
            avail=s.seeds_available,
            b=s.boundary,
            p=s.pairwise,
            r=s.random,
            seed=s.seed,
            gen=s.generated,
            dup=s.duplicates,
            inv=s.invalid,
            trunc=trunc,
        ),
        w["thr_line"].format(n=s.thresholds, both=s.both_sides, one=len(s.one_sided), un=len(s.unreached)),
    ]
    if s.minimised_facts[0]:
        lines.append(w["min_line"].format(a=s.minimised_facts[0], b=s.minimised_facts[1]))
    lines.append(
        f"{w['findings']}: "
        + w["counts"].format(
            e=_count(n["error"], "error", lang),
            w=_count(n["warning"], "warning", lang),
            i=n["info"],
            acc=len([f for f in r.findings if f.accepted is not None]),
            open=len(r.open_findings()),
        )
    )
    return lines


def top_findings(r: Report) -> list[Finding]:
    """The most important findings: open before accepted, then by severity (the report's order)."""
    return sorted(r.findings, key=lambda f: (f.accepted is not None, SEVERITIES.index(f.severity)))[:TOP]


def by_provision(r: Report, lang: str) -> list[tuple[str, list[Finding]]]:
    """Findings grouped by the provision they concern, groups in order of their most severe finding."""
    groups: dict[str, list[Finding]] = {}
    for f in r.findings:
        groups.setdefault(f.provision or _w(lang)["no_provision"], []).append(f)
    return sorted(groups.items(), key=lambda kv: (min(SEVERITIES.index(f.severity) for f in kv[1]), kv[0]))


def _label(f: Finding, lang: str) -> str:
    return f"{_severity(f.severity, lang)} · {kind_title(f.kind, lang)}"


# --- terminal text ---------------------------------------------------------------------------------------------


def _accepted_line(f: Finding, lang: str) -> str:
    """``oordeel: <the verdict in words>. <the reason>`` (plain text), or the reason alone."""
    verdict = verdict_words(f.verdict, lang)
    head = f"{_w(lang)['verdict']}: {verdict}. " if verdict else ""
    return head + (f.accepted or "")


def to_text_report(r: Report, lang: str = "nl", proofs: bool = True, detail: bool = False) -> str:
    """Terminal report: summary, findings by provision with the case and quotes, then proofs (``detail``: with the
    rule ids on each side)."""
    w = _w(lang)
    out = [f"oerlog check — {w['title']}", ""]
    out += _summary(r, lang)
    out.append("")
    if r.findings:
        out.append(w["top"] + ":")
        out += [f"  {i}. [{f.id}] {f.title} ({_label(f, lang)})" for i, f in enumerate(top_findings(r), 1)]
    else:
        out.append(w["no_findings"])
    out.append("")
    for prov, group in by_provision(r, lang):
        out.append(f"== {prov} " + "=" * max(3, 80 - len(prov)))
        for f in group:
            out.append(f"{_label(f, lang).upper()}  {f.id}")
            out.append(f"  {f.title}")
            if f.accepted is not None:
                out.append(f"  {w['accepted']} ({_accepted_line(f, lang)})")
            if f.story:
                out.append(f"  {w['case']}:")
                out += [f"    {line}" for line in f.story]
            for s in f.sides:
                rules = f"  [{w['rules']}: {', '.join(s.rules)}]" if s.rules and detail else ""
                out.append(f"  - {s.document}: {s.statement}{rules}")
                for label, text in s.citations:
                    out.append(f"      “{shorten(text, 300)}” ({label})")
            if f.note:
                out.append(f"  {w['note']}: {f.note}")
            if f.witness_file:
                out.append(f"  {w['witness']}: {f.witness_file}")
                out += [f"    {c}" for c in (_rerun(f, s) for s in f.sides) if c]
            if proofs:
                for s in f.sides:
                    if s.proof is not None:
                        out.append(f"  {w['proof']} ({s.document}):")
                        lines = s.proof_text or to_text(s.proof, lang, quotes=False).splitlines()
                        out.extend(("      " + line).rstrip() for line in lines)
            out.append("")
    out += _tail_lines(r, lang)
    return "\n".join(out).rstrip() + "\n"


def _tail_lines(r: Report, lang: str) -> list[str]:
    w = _w(lang)
    out = [f"{w['notes']}: {n}" for n in r.notes]
    out += [w["stale"].format(id=sid) for sid in r.stale_acceptances]
    return out


# --- Markdown ----------------------------------------------------------------------------------------------------


def to_markdown_report(r: Report, lang: str = "nl", detail: bool = False) -> str:
    """The memo for the examencommissie, in Markdown (``detail``: with the rule ids on each side)."""
    w = _w(lang)
    out = [f"# {w['title']}", "", f"## {w['summary']}", ""]
    out += [f"- {md_text(line)}" for line in _summary(r, lang)]
    out.append("")
    if r.findings:
        out.append(f"**{w['top']}**")
        out.append("")
        for i, f in enumerate(top_findings(r), 1):
            out.append(f"{i}. [{f.id}](#{f.id}) {md_text(f.title)} ({md_text(_label(f, lang))})")
        out.append("")
    else:
        out += [w["no_findings"], ""]
    out += [f"## {w['by_provision']}", ""]
    for prov, group in by_provision(r, lang):
        out += [f"### {md_text(prov)}", ""]
        for f in group:
            out.append(f'<a id="{f.id}"></a>')
            out += [f"#### {md_text(f.title)}", ""]
            out += [f"*{md_text(_label(f, lang))}* · `{f.id}`", ""]
            if f.accepted is not None:
                out += [f"**{w['accepted']}.** {md_text(_accepted_line(f, lang))}", ""]
            if f.story:
                out += [f"**{w['case']}.** " + " ".join(md_text(s) for s in f.story), ""]
            if f.sides:
                out += [f"**{w['conclusions']}:**", ""]
            for s in f.sides:
                rules = f" ({w['rules']} {', '.join(md_code(x) for x in s.rules)})" if s.rules and detail else ""
                out += [f"- **{md_text(s.document)}**: {md_cell(s.statement)}{rules}", ""]
                for label, text in s.citations:
                    out += [md_quote(f"{text} ({label})", "  "), ""]
            if f.note:
                out += [f"_{md_text(f.note)}_", ""]
            if f.witness_file:
                out += [f"{w['witness']}: {md_code(f.witness_file)} ([{w['annex_witness']}](#w-{f.id}))", ""]
    out += [f"## {w['annex_proofs']}", ""]
    for f in r.findings:
        for s in f.sides:
            if s.proof is not None:
                body = "\n".join(s.proof_md) if s.proof_md else to_markdown(s.proof, lang)
                out += [f"### {f.id} — {md_text(s.document)}", "", body, ""]
    out += [f"## {w['annex_witness']}", ""]
    for f in r.findings:
        if f.witness:
            out += [f'<a id="w-{f.id}"></a>', "", f"### {f.id}", "", md_fence(f.witness.rstrip(), "yaml"), ""]
            cmds = [c for c in (_rerun(f, s) for s in f.sides) if c]
            if cmds:
                out += [md_fence("\n".join(cmds), "sh"), ""]
    out += _thresholds_md(r, lang)
    tail = _tail_lines(r, lang)
    if tail:
        out += [f"## {w['notes']}", ""] + [f"- {md_text(t)}" for t in tail] + [""]
    return "\n".join(out).rstrip() + "\n"


def _thresholds_md(r: Report, lang: str) -> list[str]:
    w = _w(lang)
    rows = [(k, w["not_reached"]) for k in r.stats.unreached] + [(k, w["one_side"]) for k in r.stats.one_sided]
    if not rows:
        return []
    out = [f"## {w['annex_thresholds']}", ""]
    out += [f"- {md_code(k)}: {v}" for k, v in rows]
    return out + [""]


# --- HTML --------------------------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
line-height:1.5;color:#1b1b1b}
h1{font-size:1.6rem}h2{font-size:1.3rem;border-bottom:1px solid #ccc;margin-top:2rem}h3{font-size:1.1rem}
h4{font-size:1rem;margin-bottom:.2rem}
.finding{border-left:4px solid #999;padding:.2rem 1rem;margin:1rem 0;background:#fafafa}
.error{border-color:#b00020}.warning{border-color:#c77700}.info{border-color:#3367d6}
.meta{color:#555;font-size:.9rem}
blockquote{margin:.3rem 0 .6rem 1rem;padding-left:.8rem;border-left:3px solid #ddd;color:#333}
pre{background:#f3f3f3;padding:.6rem;overflow-x:auto;font-size:.85rem}
code{font-size:.9em}
.summary li{margin:.2rem 0}
"""


def to_html_report(r: Report, lang: str = "nl", detail: bool = False) -> str:
    """The memo as a standalone HTML page (no script, no external resources; ``detail``: with the rule ids)."""
    w = _w(lang)
    e = html_text
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"nl" if lang == "nl" else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(w['title'])}</title><style>{CSS}</style></head><body>",
        f"<h1>{e(w['title'])}</h1>",
        f"<h2>{e(w['summary'])}</h2><ul class='summary'>",
    ]
    out += [f"<li>{e(line)}</li>" for line in _summary(r, lang)]
    out.append("</ul>")
    if r.findings:
        out.append(f"<p><strong>{e(w['top'])}</strong></p><ol>")
        for f in top_findings(r):
            out.append(
                f'<li><a href="#{e(f.id)}">{e(f.title)}</a> <span class="meta">({e(_label(f, lang))})</span></li>'
            )
        out.append("</ol>")
    else:
        out.append(f"<p>{e(w['no_findings'])}</p>")
    out.append(f"<h2>{e(w['by_provision'])}</h2>")
    for prov, group in by_provision(r, lang):
        out.append(f"<h3>{e(prov)}</h3>")
        for f in group:
            out.append(f'<section class="finding {e(f.severity)}" id="{e(f.id)}">')
            out.append(f"<h4>{e(f.title)}</h4>")
            out.append(f'<p class="meta">{e(_label(f, lang))} · <code>{e(f.id)}</code></p>')
            if f.accepted is not None:
                out.append(f"<p><strong>{e(w['accepted'])}.</strong> {e(_accepted_line(f, lang))}</p>")
            if f.story:
                out.append(f"<p><strong>{e(w['case'])}.</strong> " + " ".join(e(s) for s in f.story) + "</p>")
            if f.sides:
                out.append(f"<p><strong>{e(w['conclusions'])}:</strong></p><ul>")
                for s in f.sides:
                    rules = (
                        f" <span class='meta'>({e(w['rules'])} {e(', '.join(s.rules))})</span>"
                        if s.rules and detail
                        else ""
                    )
                    out.append(f"<li><strong>{e(s.document)}</strong>: {e(s.statement)}{rules}")
                    for label, text in s.citations:
                        out.append(f"<blockquote>{e(text)} <span class='meta'>({e(label)})</span></blockquote>")
                    out.append("</li>")
                out.append("</ul>")
            if f.note:
                out.append(f"<p><em>{e(f.note)}</em></p>")
            if f.witness_file:
                out.append(f'<p>{e(w["witness"])}: <a href="#w-{e(f.id)}"><code>{e(f.witness_file)}</code></a></p>')
            out.append("</section>")
    out.append(f"<h2>{e(w['annex_proofs'])}</h2>")
    for f in r.findings:
        for s in f.sides:
            if s.proof is not None:
                out.append(f"<h3>{e(f.id)} — {e(s.document)}</h3>")
                told = "\n".join(s.proof_text) if s.proof_text else to_text(s.proof, lang, quotes=True)
                out.append(f"<pre>{e(told)}</pre>")
    out.append(f"<h2>{e(w['annex_witness'])}</h2>")
    for f in r.findings:
        if f.witness:
            out.append(f'<h3 id="w-{e(f.id)}">{e(f.id)}</h3><pre>{e(f.witness)}</pre>')
            cmds = [c for c in (_rerun(f, s) for s in f.sides) if c]
            if cmds:
                out.append(f"<pre>{e(chr(10).join(cmds))}</pre>")
    rows = [(k, w["not_reached"]) for k in r.stats.unreached] + [(k, w["one_side"]) for k in r.stats.one_sided]
    if rows:
        out.append(f"<h2>{e(w['annex_thresholds'])}</h2><ul>")
        out += [f"<li><code>{e(k)}</code>: {e(v)}</li>" for k, v in rows]
        out.append("</ul>")
    tail = _tail_lines(r, lang)
    if tail:
        out.append(f"<h2>{e(w['notes'])}</h2><ul>" + "".join(f"<li>{e(t)}</li>" for t in tail) + "</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# --- JSON --------------------------------------------------------------------------------------------------------


def report_dict(r: Report, lang: str = "nl") -> dict[str, Any]:
    """The report as JSON-ready data (schema ``oerlog.check/2``)."""
    s = r.stats
    side: Callable[[Finding, Side], dict[str, Any]] = lambda f, sd: {  # noqa: E731
        "document": sd.document,
        "statement": sd.statement,
        "holds": sd.holds,
        "goal": sd.goal,
        "rules": sd.rules,
        "citations": [{"label": lb, "text": tx} for lb, tx in sd.citations],
        "rerun": _rerun(f, sd),
        "proof": node_dict(sd.proof, lang) if sd.proof is not None else None,
    }
    return {
        "schema": SCHEMA_ID,
        "documents": r.documents,
        "pairs": [{"document": a, "other": b, "relation": rel} for a, b, rel in r.pairs],
        "stats": {
            "scenarios": s.scenarios,
            "seeds": s.seeds,
            "seeds_available": s.seeds_available,
            "boundary": s.boundary,
            "pairwise": s.pairwise,
            "random": s.random,
            "generated": s.generated,
            "duplicates": s.duplicates,
            "invalid": s.invalid,
            "failed": s.failed,
            "evaluations": s.evaluations,
            "thresholds": s.thresholds,
            "thresholds_both_sides": s.both_sides,
            "thresholds_one_side": s.one_sided,
            "thresholds_unreached": s.unreached,
            "witness_facts": {"before": s.minimised_facts[0], "after": s.minimised_facts[1]},
            "seed": s.seed,
            "budget_scenarios": s.budget,
            "truncated": s.truncated,
        },
        "summary": {sev: len([f for f in r.findings if f.severity == sev]) for sev in SEVERITIES}
        | {"open": len(r.open_findings())},
        "findings": [
            {
                "id": f.id,
                "kind": f.kind,
                "severity": f.severity,
                "title": f.title,
                "provision": f.provision or None,
                "documents": f.documents,
                "concept": f.concept,
                "accepted": f.accepted is not None,
                "accept_reason": f.accepted,
                "verdict": f.verdict,
                "verdict_text": verdict_words(f.verdict, lang),
                "note": f.note or None,
                "scenario": f.scenario,
                "story": f.story,
                "sides": [side(f, sd) for sd in f.sides],
                "witness": {"file": f.witness_file, "yaml": f.witness} if f.witness else None,
            }
            for f in r.findings
        ],
        "notes": r.notes,
        "stale_acceptances": r.stale_acceptances,
    }
