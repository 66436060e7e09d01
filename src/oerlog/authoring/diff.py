"""What a new version of a regulation changes, provision by provision, and what in the KB cites each change.

Two versions (a KB document, or a text imported on the fly) are compared per article and lid:

- *unchanged*: same number, same text (normalised: whitespace collapsed, Unicode NFC);
- *renumbered*: the same text under a new number (an article or lid moved); when the text also changed a little
  (at least :data:`SIMILAR` alike by words) it is renumbered *and* changed, with the word-level diff;
- *changed*: same number, different text, with a word-level diff;
- *removed* / *added*: the rest.

For each provision of the old version that is not unchanged, the rules, parameters, interpretations and scenarios
of the old KB document that cite it: the analyst's to-do list for the new year.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from oerlog.authoring.measure import normalise
from oerlog.authoring.structure import Structure
from oerlog.kb.loader import Document
from oerlog.lang import ir

Key = tuple[str, str | None]
SIMILAR = 0.75
KINDS = ("added", "removed", "renumbered", "changed")


@dataclass(frozen=True)
class Prov:
    """A provision of one version: key, verbatim text, article title, source line (0: unknown)."""

    key: Key
    text: str
    title: str = ""
    line: int = 0


@dataclass
class Version:
    """One side of a comparison: a label for readers, its provisions, and the KB document when it is one."""

    label: str
    provisions: list[Prov]
    document: Document | None = None
    path: Path | None = None


def version_of_document(doc: Document) -> Version:
    provs = [Prov((p.article, p.lid), p.text, p.title) for a in doc.articles.values() for p in a.provisions()]
    return Version(doc.id, provs, doc)


def version_of_structure(label: str, structure: Structure, path: Path | None = None) -> Version:
    titles = {a.key: a.title for a in structure.articles}
    provs = [
        Prov((a, lid), text, titles.get(a, ""), lines[0] if lines else 0)
        for a, lid, text, lines in structure.provisions()
    ]
    return Version(label, provs, None, path)


@dataclass(frozen=True)
class Citing:
    """Everything in the old KB document that rests on one provision."""

    rules: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    interpretations: tuple[tuple[str, str, str], ...] = ()  # (rule id, the interpretation in English, in Dutch)
    scenarios: tuple[tuple[str, str], ...] = ()  # (scenario file name, scenario name)

    def empty(self) -> bool:
        return not (self.rules or self.parameters or self.interpretations or self.scenarios)


@dataclass
class Change:
    """One provision that is not unchanged."""

    kind: str  # added | removed | renumbered | changed
    old: Key | None
    new: Key | None
    old_text: str | None
    new_text: str | None
    words: list[tuple[str, str]] = field(default_factory=list)  # (equal|delete|insert, text)
    citing: Citing = field(default_factory=Citing)
    old_line: int = 0
    new_line: int = 0

    @property
    def text_changed(self) -> bool:
        return (
            self.old_text is not None
            and self.new_text is not None
            and normalise(self.old_text) != normalise(self.new_text)
        )


@dataclass
class Diff:
    old: Version
    new: Version
    changes: list[Change]
    unchanged: list[tuple[Key, Key]]  # (old key, new key) with the same text and number

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in KINDS}
        for c in self.changes:
            out[c.kind] += 1
        out["unchanged"] = len(self.unchanged)
        return out

    def moved(self) -> dict[Key, Key]:
        """Old key -> new key for every old provision whose text is in the new version unchanged."""
        out = {o: n for o, n in self.unchanged}
        out.update(
            {c.old: c.new for c in self.changes if c.kind == "renumbered" and c.old and c.new and not c.text_changed}
        )
        return out


def label(key: Key | None) -> str:
    if key is None:
        return "-"
    return f"art. {key[0]}" + (f" lid {key[1]}" if key[1] is not None else "")


def words_diff(old: str, new: str) -> list[tuple[str, str]]:
    """A word-level diff: runs of equal, deleted and inserted words (a word is what lies between spaces)."""
    a, b = old.split(), new.split()
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("equal", " ".join(a[i1:i2])))
        else:
            if i2 > i1:
                out.append(("delete", " ".join(a[i1:i2])))
            if j2 > j1:
                out.append(("insert", " ".join(b[j1:j2])))
    return out


def _similarity(a: str, b: str) -> float:
    wa, wb = a.split(), b.split()
    if not wa or not wb:
        return 0.0
    return difflib.SequenceMatcher(None, wa, wb, autojunk=False).ratio()


def compare(old: Version, new: Version) -> Diff:
    """Compare two versions provision by provision (see the module docstring)."""
    old_by = {p.key: p for p in old.provisions}
    new_by = {p.key: p for p in new.provisions}
    norm_old = {k: normalise(p.text) for k, p in old_by.items()}
    norm_new = {k: normalise(p.text) for k, p in new_by.items()}
    unchanged = [(k, k) for k in old_by if k in new_by and norm_old[k] == norm_new[k]]
    left_old = [k for k in old_by if (k, k) not in set(unchanged)]
    done = {k for k, _ in unchanged}
    left_new = [k for k in new_by if k not in done]
    changes: list[Change] = []
    # the same text under another number: renumbered (in document order, first come first served)
    free_new: dict[str, list[Key]] = {}
    for k in left_new:
        free_new.setdefault(norm_new[k], []).append(k)
    matched_new: set[Key] = set()
    rest_old: list[Key] = []
    for k in left_old:
        cands = [c for c in free_new.get(norm_old[k], []) if c not in matched_new]
        if cands and norm_old[k]:
            n = cands[0]
            matched_new.add(n)
            changes.append(_change("renumbered", old_by[k], new_by[n]))
        else:
            rest_old.append(k)
    rest_new = [k for k in left_new if k not in matched_new]
    # the same number, another text: changed -- unless the text moved, edited a little, to another number while
    # a new text took its number (a lid inserted before it)
    still_old: list[Key] = []
    for k in rest_old:
        if k in new_by and k not in matched_new and k in rest_new:
            same = _similarity(old_by[k].text, new_by[k].text)
            other = max(
                (n for n in rest_new if n != k), key=lambda n: _similarity(old_by[k].text, new_by[n].text), default=None
            )
            if same < SIMILAR and other is not None and _similarity(old_by[k].text, new_by[other].text) >= SIMILAR:
                rest_new.remove(other)
                changes.append(_change("renumbered", old_by[k], new_by[other]))
                continue
            rest_new.remove(k)
            changes.append(_change("changed", old_by[k], new_by[k]))
        else:
            still_old.append(k)
    # a text moved and edited a little: renumbered and changed
    final_old: list[Key] = []
    for k in still_old:
        best = max(rest_new, key=lambda n: _similarity(old_by[k].text, new_by[n].text), default=None)
        if best is not None and _similarity(old_by[k].text, new_by[best].text) >= SIMILAR:
            rest_new.remove(best)
            changes.append(_change("renumbered", old_by[k], new_by[best]))
            continue
        # a text that is now part of another provision (two lids joined into one): moved there, with that text
        host = _containing(norm_old[k], new.provisions, norm_new)
        if host is not None:
            changes.append(_change("renumbered", old_by[k], new_by[host]))
        else:
            final_old.append(k)
    changes.extend(_change("removed", old_by[k], None) for k in final_old)
    changes.extend(_change("added", None, new_by[k]) for k in rest_new)
    order_new = {p.key: i for i, p in enumerate(new.provisions)}

    def position(c: Change) -> tuple[float, float]:
        if c.new is not None:
            return (order_new[c.new], 0)
        # a removed provision goes after the new provision that follows its predecessor
        return (_after(c.old, old, order_new, unchanged, changes), 1)

    changes.sort(key=position)
    if old.document is not None:
        citing = citations(old.document)
        for c in changes:
            if c.old is not None:
                c.citing = citing_of(citing, c.old)
    return Diff(old, new, changes, unchanged)


def _containing(text: str, provisions: list[Prov], norm: dict[Key, str]) -> Key | None:
    """The first provision whose text contains ``text`` (of at least four words), if any."""
    if len(text.split()) < 4:
        return None
    return next((p.key for p in provisions if text in norm[p.key] and text != norm[p.key]), None)


def _after(
    key: Key | None, old: Version, order_new: dict[Key, int], unchanged: list[tuple[Key, Key]], changes: list[Change]
) -> float:
    to_new = dict(unchanged)
    to_new.update({c.old: c.new for c in changes if c.old and c.new})
    prev = -1.0
    for p in old.provisions:
        if p.key == key:
            return prev + 0.5
        n = to_new.get(p.key)
        if n is not None:
            prev = float(order_new[n])
    return prev + 0.5


def _change(kind: str, old: Prov | None, new: Prov | None) -> Change:
    words = words_diff(old.text, new.text) if old and new and normalise(old.text) != normalise(new.text) else []
    return Change(
        kind,
        old.key if old else None,
        new.key if new else None,
        old.text if old else None,
        new.text if new else None,
        words,
        old_line=old.line if old else 0,
        new_line=new.line if new else 0,
    )


# ------------------------------------------------------------------------------------------------- citations


@dataclass
class _Citations:
    rules: list[tuple[ir.Rule, tuple[ir.Citation, ...]]]
    params: list[tuple[ir.ParamDecl, tuple[ir.Citation, ...]]]
    scenarios: dict[str, list[tuple[str, str]]]  # rule id -> (file, scenario name)


def citations(doc: Document) -> _Citations:
    """The citations of a KB document's rules and parameters, and its scenarios by the rule they exercise."""
    own = [(r, tuple(c for c in r.ann.cites if not c.doc or c.doc == doc.id)) for r in doc.program.rules]
    params = [(p, tuple(c for c in p.ann.cites if not c.doc or c.doc == doc.id)) for p in doc.program.params]
    scenarios: dict[str, list[tuple[str, str]]] = {}
    for path in sorted((doc.path / "tests").glob("*.yaml")):
        for name, rule in _scenario_rules(path):
            scenarios.setdefault(rule, []).append((path.name, name))
    return _Citations(own, params, scenarios)


def _scenario_rules(path: Path) -> list[tuple[str, str]]:
    """(scenario name, rule id) of a scenario file, read without evaluating its cases."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    items = data.get("scenarios") if isinstance(data, dict) else None
    out: list[tuple[str, str]] = []
    for sc in items if isinstance(items, list) else []:
        if isinstance(sc, dict) and sc.get("rule"):
            out.append((str(sc.get("name", "")), str(sc["rule"])))
    return out


def cites(c: ir.Citation, key: Key) -> bool:
    """Whether a citation covers a provision (a citation of a whole article covers its lids, and the reverse)."""
    return c.article == key[0] and (c.lid is None or key[1] is None or c.lid == key[1])


def citing_of(cit: _Citations, key: Key) -> Citing:
    rules = [r for r, cs in cit.rules if any(cites(c, key) for c in cs)]
    ids = tuple(dict.fromkeys(r.id for r in rules))
    interp = tuple(
        (r.id, en, nl or en)
        for r in rules
        for en, nl in zip(
            r.ann.interpretations,
            [*r.ann.interpretations_nl, *[""] * (len(r.ann.interpretations) - len(r.ann.interpretations_nl))],
            strict=False,
        )
    )
    params = tuple(dict.fromkeys(p.name for p, cs in cit.params if any(cites(c, key) for c in cs)))
    scen = tuple(s for rid in ids for s in cit.scenarios.get(rid, []))
    return Citing(ids, params, interp, scen)


def numbers_changed(change: Change) -> list[tuple[str, str]]:
    """The numbers (thresholds, terms) of a changed text: (old, new) pairs of the words diff that are numbers."""
    out: list[tuple[str, str]] = []
    ops = change.words
    for i, (op, text) in enumerate(ops[:-1]):
        nxt = ops[i + 1]
        if op == "delete" and nxt[0] == "insert":
            a = re.findall(r"\d+(?:[.,]\d+)?", text)
            b = re.findall(r"\d+(?:[.,]\d+)?", nxt[1])
            if a and b and a != b:
                out.append((text, nxt[1]))
    return out
