"""The report of ``oerlog check`` rendered for the terminal, as a Markdown memo for the examencommissie, and as
JSON (schema ``oerlog.check/1``)."""

from __future__ import annotations

from typing import Any

from oerlog.analysis.consistency.findings import KIND_ORDER, KIND_TITLE, SEVERITIES, Finding, Report, Side
from oerlog.analysis.consistency.text import shorten
from oerlog.escape import html_text, md_cell, md_code, md_fence, md_quote, md_text
from oerlog.explain.render import node_dict, to_markdown, to_text

SCHEMA_ID = "oerlog.check/1"


def _summary_line(r: Report) -> str:
    s = r.stats
    return (
        f"{s.scenarios} scenarios ({s.seeds} seeds of {s.seeds_available}, {s.boundary} boundary, {s.pairwise} "
        f"pairwise, {s.random} random; {s.thresholds} threshold fields), {s.evaluations} evaluations, "
        f"{s.seconds:.1f} s (seed {s.seed}, budget {s.budget:g} s{', truncated' if s.truncated else ''})"
    )


def _counts(r: Report) -> str:
    parts = []
    for sev in SEVERITIES:
        n = len([f for f in r.findings if f.severity == sev])
        acc = len([f for f in r.findings if f.severity == sev and f.accepted is not None])
        parts.append(f"{n} {sev}{'s' if n != 1 else ''}" + (f" ({acc} accepted)" if acc else ""))
    return ", ".join(parts)


def _rerun(f: Finding, side: Side) -> str | None:
    if not side.goal or not f.witness_file:
        return None
    cmd = "why" if side.holds else "whynot"
    return f"oerlog {cmd} '{side.goal}' --case {f.witness_file} --doc {side.document}"


def to_text_report(r: Report, lang: str = "nl", proofs: bool = True) -> str:
    """Terminal report: findings grouped by severity and kind, sides with quotes, witness and proofs."""
    out = [
        f"oerlog check: {', '.join(r.documents)}",
        "pairs: " + (", ".join(f"{a} ↔ {b}{' (frame)' if rel == 'frame' else ''}" for a, b, rel in r.pairs) or "none"),
        _summary_line(r),
        "",
    ]
    for sev in SEVERITIES:
        group = [f for f in r.findings if f.severity == sev]
        if not group:
            continue
        out.append(f"== {sev.upper()} ({len(group)}) " + "=" * 60)
        for f in group:
            acc = f"  [accepted: {f.accepted}]" if f.accepted is not None else ""
            out.append(f"{sev.upper():<7} {f.kind}  {f.id}{acc}")
            out.append(f"  {f.title}")
            for s in f.sides:
                out.append(f"  - {s.document}: {s.statement}" + (f"  [rules: {', '.join(s.rules)}]" if s.rules else ""))
                for label, text in s.citations:
                    out.append(f"      “{shorten(text, 300)}” ({label})")
            if f.note:
                out.append(f"  note: {f.note}")
            if f.scenario:
                out.append(f"  scenario: {f.scenario}")
            if f.witness_file:
                out.append(f"  witness: {f.witness_file}")
                for s in f.sides:
                    cmd = _rerun(f, s)
                    if cmd:
                        out.append(f"    {cmd}")
            if proofs:
                for s in f.sides:
                    if s.proof is not None:
                        out.append(f"  proof ({s.document}):")
                        out.extend("      " + line for line in to_text(s.proof, lang, quotes=False).splitlines())
            out.append("")
    out.append(_counts(r) + f"; {len(r.open_findings())} open")
    for n in r.notes:
        out.append(f"note: {n}")
    for sid in r.stale_acceptances:
        out.append(f"note: accepted finding {sid} no longer occurs")
    return "\n".join(out)


def to_markdown_report(r: Report, lang: str = "nl") -> str:
    """Markdown memo for the examencommissie."""
    out = [
        "# Consistentiecontrole" if lang == "nl" else "# Consistency check",
        "",
        f"Documents: {', '.join(md_code(d) for d in r.documents)}  ",
        "Pairs: "
        + (
            ", ".join(f"{md_code(a)} ↔ {md_code(b)}{' (frame)' if rel == 'frame' else ''}" for a, b, rel in r.pairs)
            or "none"
        )
        + "  ",
        _summary_line(r),
        "",
        "| severity | kind | id | finding | accepted |",
        "|---|---|---|---|---|",
    ]
    for f in r.findings:
        out.append(
            f"| {f.severity} | {f.kind} | [{f.id}](#{f.id}) | {md_cell(f.title)} | {md_cell(f.accepted or '')} |"
        )
    out.append("")
    for sev in SEVERITIES:
        for kind in KIND_ORDER:
            group = [f for f in r.findings if f.severity == sev and f.kind == kind]
            if not group:
                continue
            out.append(f"## {sev}: {KIND_TITLE[kind]} ({len(group)})")
            out.append("")
            for f in group:
                out.append(f'<a id="{f.id}"></a>')
                out.append(f"### {f.id}: {md_cell(f.title)}")
                out.append("")
                if f.accepted is not None:
                    out.append(f"**Accepted:** {md_text(f.accepted)}")
                    out.append("")
                for s in f.sides:
                    rules = f" (rules {', '.join(md_code(x) for x in s.rules)})" if s.rules else ""
                    out.append(f"**{md_text(s.document)}**: {md_cell(s.statement)}{rules}")
                    out.append("")
                    for label, text in s.citations:
                        out.append(md_quote(f"{text} ({label})"))
                        out.append("")
                if f.note:
                    out.append(f"_{md_text(f.note)}_")
                    out.append("")
                if f.witness:
                    where = " " + md_code(f.witness_file) if f.witness_file else ""
                    out.append(f"Witness{where} ({md_text(f.scenario or '')}):")
                    out.append("")
                    out.append(md_fence(f.witness.rstrip(), "yaml"))
                    out.append("")
                    cmds = [c for c in (_rerun(f, s) for s in f.sides) if c]
                    if cmds:
                        out.append(md_fence("\n".join(cmds), "sh"))
                        out.append("")
                for s in f.sides:
                    if s.proof is not None:
                        out.append(f"<details><summary>Proof ({html_text(s.document)})</summary>")
                        out.append("")
                        out.append(to_markdown(s.proof, lang))
                        out.append("</details>")
                        out.append("")
    out.append(_counts(r) + f"; {len(r.open_findings())} open.")
    out.append("")
    for n in r.notes:
        out.append(f"- note: {md_text(n)}")
    for sid in r.stale_acceptances:
        out.append(f"- note: accepted finding {md_code(sid)} no longer occurs")
    return "\n".join(out) + "\n"


def report_dict(r: Report, lang: str = "nl") -> dict[str, Any]:
    """The report as JSON-ready data (schema ``oerlog.check/1``)."""
    s = r.stats
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
            "threshold_fields": s.thresholds,
            "evaluations": s.evaluations,
            "seconds": round(s.seconds, 2),
            "seed": s.seed,
            "budget_seconds": s.budget,
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
                "documents": f.documents,
                "concept": f.concept,
                "accepted": f.accepted is not None,
                "accept_reason": f.accepted,
                "note": f.note or None,
                "scenario": f.scenario,
                "sides": [
                    {
                        "document": sd.document,
                        "statement": sd.statement,
                        "holds": sd.holds,
                        "goal": sd.goal,
                        "rules": sd.rules,
                        "citations": [{"label": lb, "text": tx} for lb, tx in sd.citations],
                        "rerun": _rerun(f, sd),
                        "proof": node_dict(sd.proof, lang) if sd.proof is not None else None,
                    }
                    for sd in f.sides
                ],
                "witness": {"file": f.witness_file, "yaml": f.witness} if f.witness else None,
            }
            for f in r.findings
        ],
        "notes": r.notes,
        "stale_acceptances": r.stale_acceptances,
    }
