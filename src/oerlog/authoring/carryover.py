"""Carrying the rules of last year's document over to this year's (``oerlog diff OLD NEW --carry-over``).

NEW is a KB document without rules (made by ``oerlog import``). Every ``.dl`` file of OLD is copied into it:

- a citation of a provision whose text is unchanged is kept; one whose text moved to another number is
  renumbered (``@cite("5.5", "2")`` becomes ``@cite("5.6", "2")``);
- a rule or parameter that cites a provision whose text changed is copied and marked ``% TE HERZIEN`` with the
  change (the analyst decides whether the rule still says what the text says);
- a rule or parameter that cites a provision that no longer exists is copied as a comment, marked
  ``% UITGESCHAKELD``: it must be re-encoded or dropped;

the scenario tests and example cases are copied with the document id replaced, the article statuses of unchanged
articles are copied, and ``carry-over.yaml`` lists every renumbering and every rule to review. Then ``lint`` and
the copied scenarios run, and the outcome is reported. The folder is rewritten as a whole or not at all.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from oerlog.analysis.lint import lint
from oerlog.authoring.diff import Change, Diff, Key, cites, label
from oerlog.errors import Location, OerlogError, UsageError, signals_held
from oerlog.kb.loader import Document, open_kb
from oerlog.lang import ir
from oerlog.testing.scenarios import collect, run_batched

_CITE = re.compile(r'@cite\(\s*"([^"]*)"\s*(?:,\s*"([^"]*)"\s*)?\)')


@dataclass(frozen=True)
class Item:
    rule: str
    file: str
    reason: str


@dataclass
class CarryOver:
    """What the carry-over did, and what lint and the copied scenarios say of the result."""

    document: str
    copied: int = 0
    renumbered: list[tuple[str, Key, Key]] = field(default_factory=list)  # (rule, old, new)
    review: list[Item] = field(default_factory=list)
    disabled: list[Item] = field(default_factory=list)
    lint_errors: list[str] = field(default_factory=list)
    scenarios_passed: int = 0
    scenarios_failed: list[str] = field(default_factory=list)


def _decide(diff: Diff, key: Key) -> tuple[str, Key | None, Change | None]:
    """What became of a cited provision: keep | move (to the key) | review (changed) | gone (removed)."""
    moved = diff.moved()
    if key[1] is None:  # a whole article: kept when every provision of it is kept or moved together
        olds = [p.key for p in diff.old.provisions if p.key[0] == key[0]]
        if not olds:
            return "keep", key, None
        changed = [c for c in diff.changes if c.old is not None and c.old[0] == key[0] and c.kind != "renumbered"]
        changed += [c for c in diff.changes if c.old is not None and c.old[0] == key[0] and c.text_changed]
        if changed:
            kind = "gone" if all(c.kind == "removed" for c in changed) and len(changed) == len(olds) else "review"
            return kind, key, changed[0]
        targets = {moved[o][0] for o in olds if o in moved}
        if len(targets) == 1:
            return ("keep" if key[0] in targets else "move"), (targets.pop(), None), None
        return "review", key, None
    if key in moved:
        return ("keep" if moved[key] == key else "move"), moved[key], None
    change = next((c for c in diff.changes if c.old is not None and cites(ir.Citation(key[0], key[1]), c.old)), None)
    if change is None:
        return "keep", key, None
    if change.kind == "removed":
        return "gone", None, change
    return "review", change.new or key, change


def _why(change: Change | None, key: Key) -> str:
    if change is None:
        return f"{label(key)}: its lids moved to different articles"
    if change.kind == "removed":
        return f"{label(key)} is removed in the new text"
    words = _edits(change.words)
    where = label(change.old) if change.kind == "changed" else f"{label(change.old)} → {label(change.new)}"
    return f"{where} changed" + (": " + "; ".join(words[:3]) if words else "")


def _edits(ops: list[tuple[str, str]]) -> list[str]:
    """The edits of a word diff in short: "'4,0' → '4,5'", "+'binnen 15 werkdagen'", "−'onder B.'"."""
    out: list[str] = []
    i = 0
    while i < len(ops):
        op, text = ops[i]
        if op == "delete" and i + 1 < len(ops) and ops[i + 1][0] == "insert":
            out.append(f"'{_short(text)}' → '{_short(ops[i + 1][1])}'")
            i += 2
            continue
        if op == "insert":
            out.append(f"+'{_short(text)}'")
        elif op == "delete":
            out.append(f"−'{_short(text)}'")
        i += 1
    return out


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def carry_over(diff: Diff, kb_root: Path, new_id: str) -> CarryOver:
    """Fill the KB document ``new_id`` with the rules of ``diff.old`` (see the module docstring)."""
    old = diff.old.document
    if old is None:
        raise UsageError(
            "--carry-over needs OLD to be a document of the KB (its rules are what is carried over)",
            value=diff.old.label,
            example="oerlog diff uu-geo-ma-oer-2019 uu-geo-ma-oer-2020 --carry-over",
        )
    kb = open_kb(kb_root)
    folder = kb.folders.get(new_id)
    if folder is None:
        raise UsageError(
            f"--carry-over needs NEW to be a document of the KB: import its text first "
            f"(oerlog import ... --id {new_id})",
            value=new_id,
            example=f"oerlog import oer-2020.pdf --id {new_id} && oerlog diff {old.id} {new_id} --carry-over",
        )
    existing = sorted(folder.glob("*.dl"))
    if existing:
        raise UsageError(
            f"{new_id} already has rules ({', '.join(p.name for p in existing)}): --carry-over only fills a "
            "document without rules",
            Location(str(existing[0])),
            value=new_id,
            hint="carry over into a freshly imported document, or compare without --carry-over",
            example=f"oerlog diff {old.id} {new_id}",
        )
    result = CarryOver(new_id)
    disabled = _disabled(old, diff)
    files: dict[str, str] = {}
    for dl in sorted(old.path.glob("*.dl")):
        files[dl.name] = _carry_file(dl, old, diff, result, disabled)
    for sub in ("tests", "cases"):
        for path in sorted((old.path / sub).glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            files[f"{sub}/{path.name}"] = re.sub(rf"(?<![\w-]){re.escape(old.id)}(?![\w-])", new_id, text)
    files["articles.yaml"] = _statuses(folder / "articles.yaml", old, diff)
    files["carry-over.yaml"] = _report(result, old.id)
    _write(folder, files)
    _check(kb_root, new_id, result)
    return result


def _disabled(old: Document, diff: Diff) -> dict[str, str]:
    """Rule id -> why it is disabled: it cites a provision that is gone, or (in turn) it overrides a disabled rule
    or rests on a relation that only disabled rules derive. A parameter is never disabled (rules use its value):
    one whose provision is gone is marked to review."""
    rules = [r for r in old.program.rules if not r.variant]
    out: dict[str, str] = {}
    for r in rules:
        gone = [
            (c, ch)
            for c in r.ann.cites
            if not c.doc or c.doc == old.id
            for what, _, ch in [_decide(diff, (c.article, c.lid))]
            if what == "gone"
        ]
        if gone:
            out[r.id] = "; ".join(_why(ch, (c.article, c.lid)) for c, ch in gone)
    derived = {r.head.pred for r in rules if not r.defeats}
    changed = True
    while changed:
        changed = False
        live = {r.head.pred for r in rules if not r.defeats and r.id not in out}
        for r in rules:
            if r.id in out:
                continue
            if r.defeats and r.defeats in out:
                out[r.id] = f"it overrides {r.defeats}, which is disabled"
                changed = True
                continue
            dead = sorted(p for p in _body_preds(r.body) if p in derived and p not in live)
            if dead:
                out[r.id] = f"it rests on {', '.join(dead)}, which only disabled rules derive"
                changed = True
    return out


def _body_preds(body: tuple[ir.Literal, ...]) -> set[str]:
    preds: set[str] = set()
    for lit in body:
        if isinstance(lit, (ir.Positive, ir.Negative)):
            preds.add(lit.atom.pred)
        elif isinstance(lit, ir.Aggregate):
            preds |= _body_preds(lit.body)
    return preds


def _carry_file(path: Path, old: Document, diff: Diff, result: CarryOver, disabled: dict[str, str]) -> str:
    lines = path.read_text(encoding="utf-8").split("\n")
    items: list[tuple[str, int, tuple[ir.Citation, ...]]] = []
    for r in old.program.rules:
        if r.loc and Path(r.loc.file).name == path.name and not r.variant:
            items.append((r.id, r.loc.line, r.ann.cites))
    for p in old.program.params:
        if p.loc and Path(p.loc.file).name == path.name:
            items.append((f"${p.name}", p.loc.line, p.ann.cites))
    items.sort(key=lambda x: x[1])
    starts = [_block_start(lines, line) for _, line, _ in items]
    header = [
        f"% Carried over from {old.id} by `oerlog diff {old.id} {result.document} --carry-over`: citations of moved",
        "% text renumbered; '% TE HERZIEN' marks a rule whose cited text changed, '% UITGESCHAKELD' one whose cited",
        "% text is gone (see carry-over.yaml).",
    ]
    out = list(lines)
    # edit from the end, so that earlier line numbers stay valid
    for idx in reversed(range(len(items))):
        rid, _, cite_list = items[idx]
        start = starts[idx]
        end = (starts[idx + 1] - 1) if idx + 1 < len(items) else len(lines)
        while end > start and not out[end - 1].strip():
            end -= 1
        decisions = [(c, *_decide(diff, (c.article, c.lid))) for c in cite_list if not c.doc or c.doc == old.id]
        if not decisions and rid not in disabled:
            result.copied += 1
            continue
        is_param = rid.startswith("$")
        review = [d for d in decisions if d[1] == "review" or (is_param and d[1] == "gone")]
        block = out[start - 1 : end]
        for c, what, new_key, _ in decisions:
            moved = new_key is not None and new_key != (c.article, c.lid)
            if what in ("move", "review") and moved and new_key is not None:
                block = [_recite(ln, c, new_key) for ln in block]
                result.renumbered.append((rid, (c.article, c.lid), new_key))
        if rid in disabled:
            reason = disabled[rid]
            result.disabled.append(Item(rid, path.name, reason))
            block = [f"% UITGESCHAKELD: {reason}"] + ["% " + ln if ln.strip() else ln for ln in block]
        else:
            result.copied += 1
            if review:
                reason = "; ".join(_why(ch, (c.article, c.lid)) for c, _, _, ch in review)
                result.review.append(Item(rid, path.name, reason))
                block = [f"% TE HERZIEN: {reason}", *block]
        out[start - 1 : end] = block
    return "\n".join(header + out)


def _block_start(lines: list[str], line: int) -> int:
    """The first line of a rule's annotations (the lines starting with '@' and their continuations above it)."""
    start = line
    i = line - 1
    while i >= 1:
        text = lines[i - 1]
        if text.lstrip().startswith("@") or (text.startswith((" ", "\t")) and text.strip()):
            start = i
            i -= 1
            continue
        break
    return start


def _recite(line: str, c: ir.Citation, new: Key) -> str:
    def repl(m: re.Match[str]) -> str:
        if m.group(1) != c.article or (m.group(2) or None) != c.lid:
            return m.group(0)
        return f'@cite("{new[0]}", "{new[1]}")' if new[1] is not None else f'@cite("{new[0]}")'

    return _CITE.sub(repl, line)


def _statuses(path: Path, old: Document, diff: Diff) -> str:
    """The new articles.yaml with the status and reason of every article whose text is wholly unchanged or moved."""
    text = path.read_text(encoding="utf-8")
    moved = diff.moved()
    for art in old.articles.values():
        keys: list[Key] = [(art.key, p.lid) for p in art.provisions()]
        targets = {moved[k][0] for k in keys if k in moved}
        if len(targets) != 1 or any(k not in moved for k in keys):
            continue
        new_key = targets.pop()
        reason = yaml.safe_dump(art.reason, allow_unicode=True, width=10_000).strip().removesuffix("\n...")
        pattern = re.compile(
            rf'(\n  "{re.escape(new_key)}":\n(?:    .*\n|      .*\n)*?)    status: not_encoded\n    reason: null\n'
        )
        fill = f"    status: {art.status}\n    reason: {reason}\n"
        text = pattern.sub(_filler(fill), text, count=1)
    return text


def _filler(fill: str) -> Callable[[re.Match[str]], str]:
    def repl(m: re.Match[str]) -> str:
        return m.group(1) + fill

    return repl


def _report(result: CarryOver, old_id: str) -> str:
    data = {
        "carried_over_from": old_id,
        "citations_renumbered": [{"rule": r, "from": label(a), "to": label(b)} for r, a, b in result.renumbered],
        "to_review": [{"rule": i.rule, "file": i.file, "reason": i.reason} for i in result.review],
        "disabled": [{"rule": i.rule, "file": i.file, "reason": i.reason} for i in result.disabled],
    }
    return (
        "# What `oerlog diff --carry-over` could not decide: the analyst's list for the new year.\n"
        + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
    )


def _write(folder: Path, files: dict[str, str]) -> None:
    """Replace ``folder`` by a copy with ``files`` added, as a whole (a copy is built beside it, then swapped)."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=folder.parent))
    backup = folder.parent / f".{folder.name}.old"
    try:
        shutil.copytree(folder, tmp, dirs_exist_ok=True)
        for name, text in files.items():
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        with signals_held():
            folder.rename(backup)
            tmp.rename(folder)
        shutil.rmtree(backup)
    except BaseException:
        with contextlib.suppress(OSError):
            if backup.exists() and not folder.exists():
                backup.rename(folder)
            shutil.rmtree(tmp)
        raise


def _check(kb_root: Path, new_id: str, result: CarryOver) -> None:
    """Run lint on the new document and its copied scenarios; record the outcome."""
    kb, findings = lint(kb_root, [new_id])
    result.lint_errors = [f.render().split("\n")[0] for f in findings if f.severity == "error"]
    if kb is None:
        result.scenarios_failed.append("the scenarios did not run: the knowledge base does not load (see lint)")
        return
    try:
        scenarios = [sc for _, _, scs in collect(kb, [new_id]) for sc in scs]
        outcomes = run_batched(kb, scenarios)
    except OerlogError as exc:
        result.scenarios_failed.append(exc.render().split("\n")[0])
        return
    for o in outcomes:
        if o.passed:
            result.scenarios_passed += 1
        else:
            result.scenarios_failed.append(f"{o.scenario.name}: {o.failures[0].splitlines()[0]}")
