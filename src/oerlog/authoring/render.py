"""The diff of two versions for its readers: Markdown and HTML for the analyst (Dutch by default), JSON for
machines (schema ``oerlog.diff/1``, ``src/oerlog/schemas/diff.schema.json``). Every text from the documents is
escaped (:mod:`oerlog.escape`)."""

from __future__ import annotations

from typing import Any

from oerlog.authoring.carryover import CarryOver
from oerlog.authoring.diff import Change, Diff, label
from oerlog.escape import html_text, md_cell, md_text

_T = {
    "nl": {
        "title": "Wijzigingen van {old} naar {new}",
        "summary": "{changed} gewijzigd, {renumbered} vernummerd, {added} toegevoegd, {removed} vervallen; "
        "{unchanged} ongewijzigd.",
        "todo": "Te herzien (wat in de KB op een gewijzigde of vervallen bepaling rust)",
        "moved": "Vernummerd (zelfde tekst; --carry-over past de citaten aan)",
        "none_todo": "Geen regel, parameter of scenario rust op een gewijzigde of vervallen bepaling.",
        "changes": "Per bepaling",
        "added": "toegevoegd",
        "removed": "vervallen",
        "renumbered": "vernummerd",
        "changed": "gewijzigd",
        "renumbered_changed": "vernummerd en gewijzigd",
        "rules": "regels",
        "parameters": "parameters",
        "interpretations": "interpretaties",
        "interpretation": "interpretatie",
        "scenario": "scenario",
        "scenarios": "scenario's",
        "was": "was",
        "now": "nu",
        "numbers": "getallen",
        "provision": "bepaling",
        "what": "wat",
        "cited_by": "geciteerd door",
        "carry": "Overgenomen in {new}",
        "copied": "regels overgenomen",
        "renum": "citaten vernummerd",
        "review": "te herzien",
        "dropped": "uitgeschakeld (bepaling vervallen)",
        "lint": "lint",
        "scen": "scenario's",
        "passed": "geslaagd",
        "failed": "mislukt",
        "findings": "bevindingen",
    },
    "en": {
        "title": "Changes from {old} to {new}",
        "summary": "{changed} changed, {renumbered} renumbered, {added} added, {removed} removed; "
        "{unchanged} unchanged.",
        "todo": "To review (what in the KB rests on a changed or removed provision)",
        "moved": "Renumbered (same text; --carry-over renumbers the citations)",
        "none_todo": "No rule, parameter or scenario rests on a changed or removed provision.",
        "changes": "Per provision",
        "added": "added",
        "removed": "removed",
        "renumbered": "renumbered",
        "changed": "changed",
        "renumbered_changed": "renumbered and changed",
        "rules": "rules",
        "parameters": "parameters",
        "interpretations": "interpretations",
        "interpretation": "interpretation",
        "scenario": "scenario",
        "scenarios": "scenarios",
        "was": "was",
        "now": "now",
        "numbers": "numbers",
        "provision": "provision",
        "what": "what",
        "cited_by": "cited by",
        "carry": "Carried over into {new}",
        "copied": "rules copied",
        "renum": "citations renumbered",
        "review": "to review",
        "dropped": "disabled (provision removed)",
        "lint": "lint",
        "scen": "scenarios",
        "passed": "passed",
        "failed": "failed",
        "findings": "findings",
    },
}


def _kind(c: Change, t: dict[str, str]) -> str:
    if c.kind == "renumbered" and c.text_changed:
        return t["renumbered_changed"]
    return t[c.kind]


def _where(c: Change) -> str:
    if c.kind == "renumbered":
        return f"{label(c.old)} → {label(c.new)}"
    return label(c.new if c.new is not None else c.old)


def _review(diff: Diff) -> list[Change]:
    """The changes an analyst must look at: a cited provision whose text changed or that is gone."""
    return [c for c in diff.changes if not c.citing.empty() and (c.kind != "renumbered" or c.text_changed)]


def _moved(diff: Diff) -> list[Change]:
    return [c for c in diff.changes if c.kind == "renumbered" and not c.text_changed and not c.citing.empty()]


def to_markdown(diff: Diff, lang: str = "nl", carry: CarryOver | None = None) -> str:
    t = _T[lang]
    counts = diff.counts()
    out = [f"# {md_text(t['title'].format(old=diff.old.label, new=diff.new.label))}", "", t["summary"].format(**counts)]
    out += ["", f"## {t['todo']}", ""]
    todo = _review(diff)
    if not todo:
        out.append(t["none_todo"])
    else:
        out.append(f"| {t['provision']} | {t['what']} | {t['rules']} | {t['parameters']} | {t['scenarios']} |")
        out.append("|---|---|---|---|---:|")
        for c in todo:
            out.append(
                f"| {md_cell(_where(c))} | {md_cell(_kind(c, t))} | {md_cell(', '.join(c.citing.rules))} | "
                f"{md_cell(', '.join(c.citing.parameters))} | {len(c.citing.scenarios)} |"
            )
    moved = _moved(diff)
    if moved:
        out += ["", f"## {t['moved']}", ""]
        out.append(f"| {t['provision']} | {t['rules']} | {t['parameters']} |")
        out.append("|---|---|---|")
        for c in moved:
            out.append(
                f"| {md_cell(_where(c))} | {md_cell(', '.join(c.citing.rules))} | "
                f"{md_cell(', '.join(c.citing.parameters))} |"
            )
    if carry is not None:
        out += ["", *_carry_md(carry, t, diff.new.label)]
    out += ["", f"## {t['changes']}", ""]
    for c in diff.changes:
        out.append(f"### {md_text(_where(c))}: {md_text(_kind(c, t))}")
        out.append("")
        if c.words:
            out.append("> " + " ".join(_md_word(op, text) for op, text in c.words))
        elif c.kind == "removed":
            out.append(f"> ~~{md_text(c.old_text or '')}~~")
        else:
            out.append(f"> {md_text(c.new_text or c.old_text or '')}")
        if not c.citing.empty():
            out.append("")
            if c.citing.rules:
                out.append(f"- {t['rules']}: " + md_text(", ".join(c.citing.rules)))
            if c.citing.parameters:
                out.append(f"- {t['parameters']}: " + md_text(", ".join(c.citing.parameters)))
            for rid, en, nl in c.citing.interpretations:
                out.append(f"- {t['interpretation']} ({md_text(rid)}): {md_text(nl if lang == 'nl' else en)}")
            for file, name in c.citing.scenarios:
                out.append(f"- {t['scenario']} {md_text(file)}: {md_text(name)}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _md_word(op: str, text: str) -> str:
    if op == "delete":
        return f"~~{md_text(text)}~~"
    if op == "insert":
        return f"**{md_text(text)}**"
    return md_text(text)


def _citing_line(c: Change, t: dict[str, str]) -> str:
    parts = []
    if c.citing.rules:
        parts.append(f"{t['rules']} " + ", ".join(c.citing.rules))
    if c.citing.parameters:
        parts.append(f"{t['parameters']} " + ", ".join(c.citing.parameters))
    if c.citing.scenarios:
        parts.append(f"{t['scenarios']} " + ", ".join(f"{f}: {n}" for f, n in c.citing.scenarios))
    return "; ".join(parts)


def _carry_md(carry: CarryOver, t: dict[str, str], new: str) -> list[str]:
    out = [f"## {md_text(t['carry'].format(new=new))}", ""]
    out.append(f"- {t['copied']}: {carry.copied}")
    out.append(f"- {t['renum']}: {len(carry.renumbered)}")
    out.append(f"- {t['review']}: {len(carry.review)}")
    out.append(f"- {t['dropped']}: {len(carry.disabled)}")
    out.append(f"- {t['lint']}: {len(carry.lint_errors)} {t['findings']}")
    out.append(f"- {t['scen']}: {carry.scenarios_passed} {t['passed']}, {len(carry.scenarios_failed)} {t['failed']}")
    for item in carry.review + carry.disabled:
        out.append(f"  - {md_text(item.rule)} ({md_text(item.file)}): {md_text(item.reason)}")
    for line in carry.lint_errors + carry.scenarios_failed:
        out.append(f"  - {md_text(line)}")
    return out


def to_html(diff: Diff, lang: str = "nl", carry: CarryOver | None = None) -> str:
    t = _T[lang]
    counts = diff.counts()
    title = html_text(t["title"].format(old=diff.old.label, new=diff.new.label))
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>',
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.45}"
        "del{background:#fdd;text-decoration:line-through}ins{background:#dfd;text-decoration:none}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;vertical-align:top}"
        "blockquote{border-left:3px solid #ccc;margin:.5em 0;padding-left:1em}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p>{html_text(t['summary'].format(**counts))}</p>",
        f"<h2>{html_text(t['todo'])}</h2>",
    ]
    todo = _review(diff)
    if not todo:
        out.append(f"<p>{html_text(t['none_todo'])}</p>")
    else:
        out.append(
            f"<table><tr><th>{html_text(t['provision'])}</th><th>{html_text(t['what'])}</th>"
            f"<th>{html_text(t['rules'])}</th><th>{html_text(t['parameters'])}</th>"
            f"<th>{html_text(t['scenarios'])}</th></tr>"
        )
        for c in todo:
            out.append(
                f"<tr><td>{html_text(_where(c))}</td><td>{html_text(_kind(c, t))}</td>"
                f"<td>{html_text(', '.join(c.citing.rules))}</td><td>{html_text(', '.join(c.citing.parameters))}</td>"
                f"<td>{len(c.citing.scenarios)}</td></tr>"
            )
        out.append("</table>")
    moved = _moved(diff)
    if moved:
        out.append(f"<h2>{html_text(t['moved'])}</h2><table>")
        for c in moved:
            out.append(
                f"<tr><td>{html_text(_where(c))}</td><td>{html_text(', '.join(c.citing.rules))}</td>"
                f"<td>{html_text(', '.join(c.citing.parameters))}</td></tr>"
            )
        out.append("</table>")
    if carry is not None:
        out.append(f"<h2>{html_text(t['carry'].format(new=diff.new.label))}</h2><ul>")
        for line in _carry_md(carry, t, diff.new.label)[2:]:
            out.append(f"<li>{html_text(line.lstrip(' -'))}</li>")
        out.append("</ul>")
    out.append(f"<h2>{html_text(t['changes'])}</h2>")
    for c in diff.changes:
        out.append(f"<h3>{html_text(_where(c))}: {html_text(_kind(c, t))}</h3>")
        if c.words:
            body = " ".join(_html_word(op, text) for op, text in c.words)
        elif c.kind == "removed":
            body = f"<del>{html_text(c.old_text or '')}</del>"
        else:
            body = html_text(c.new_text or c.old_text or "")
        out.append(f"<blockquote>{body}</blockquote>")
        if not c.citing.empty():
            out.append(f"<p>{html_text(t['cited_by'])}: {html_text(_citing_line(c, t))}</p>")
            if c.citing.interpretations:
                out.append("<ul>")
                for rid, en, nl in c.citing.interpretations:
                    text = nl if lang == "nl" else en
                    out.append(f"<li>{html_text(t['interpretation'])} ({html_text(rid)}): {html_text(text)}</li>")
                out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _html_word(op: str, text: str) -> str:
    if op == "delete":
        return f"<del>{html_text(text)}</del>"
    if op == "insert":
        return f"<ins>{html_text(text)}</ins>"
    return html_text(text)


def _key(key: tuple[str, str | None] | None) -> dict[str, Any] | None:
    return None if key is None else {"article": key[0], "lid": key[1]}


def to_json(diff: Diff, carry: CarryOver | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "schema": "oerlog.diff/1",
        "old": diff.old.label,
        "new": diff.new.label,
        "counts": diff.counts(),
        "changes": [
            {
                "kind": c.kind,
                "old": _key(c.old),
                "new": _key(c.new),
                "text_changed": c.text_changed,
                "old_text": c.old_text,
                "new_text": c.new_text,
                "words": [{"op": op, "text": text} for op, text in c.words],
                "cited_by": {
                    "rules": list(c.citing.rules),
                    "parameters": list(c.citing.parameters),
                    "interpretations": [{"rule": r, "en": en, "nl": nl} for r, en, nl in c.citing.interpretations],
                    "scenarios": [{"file": f, "name": n} for f, n in c.citing.scenarios],
                },
            }
            for c in diff.changes
        ],
    }
    if carry is not None:
        out["carry_over"] = {
            "document": carry.document,
            "rules_copied": carry.copied,
            "citations_renumbered": [{"rule": r, "from": _key(a), "to": _key(b)} for r, a, b in carry.renumbered],
            "review": [{"rule": i.rule, "file": i.file, "reason": i.reason} for i in carry.review],
            "disabled": [{"rule": i.rule, "file": i.file, "reason": i.reason} for i in carry.disabled],
            "lint_errors": carry.lint_errors,
            "scenarios_passed": carry.scenarios_passed,
            "scenarios_failed": carry.scenarios_failed,
        }
    return out
