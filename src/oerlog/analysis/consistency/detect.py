"""What one scenario shows: the findings a scenario's answers under its documents exhibit, as plain data
(:class:`Hit`), without proofs. The checker collects hits over all scenarios, keeps the first witness of each,
minimises it and proves it (:mod:`.checker`); the witness minimiser reruns this to see whether a smaller case
still shows the same finding.

- ``contradiction``: two concepts declared exclusive both certainly hold in one document;
- ``gap``: for a tuple of an outcome set's domain, no concept of the set holds or may hold in the document, nor
  in its frame OER when that judges the case (a document with no rule for the set's concepts leaves them open);
- ``frame_violation`` (R&A/R&R against its frame OER): exclusive conclusions, or different values of a valued
  concept; ``refinement``: one of the two certainly concludes a shared concept, the other certainly does not;
- ``divergence`` (``--against``) and ``institutional_difference`` (``--across``): the same two kinds of
  disagreement between documents compared on request.

Undetermined answers (waiting for a body's decision, an open fact or an unfilled choice) are never a finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from oerlog.analysis.consistency.explore import Judge, domain_pred
from oerlog.analysis.consistency.findings import finding_id
from oerlog.analysis.consistency.text import row_text
from oerlog.explain.thresholds import VALUE_TYPES, value_sort_key
from oerlog.kb.vocabulary import Vocabulary
from oerlog.lang import ir
from oerlog.semantics.model import Model, Row
from oerlog.values import Value

CLASH_KIND = {"frame": "frame_violation", "against": "divergence", "across": "institutional_difference"}


@dataclass(frozen=True)
class Part:
    """One document's side of a hit: ``pred(row)`` holds there (``holds``) or certainly does not."""

    document: str
    pred: str
    row: Row
    holds: bool


@dataclass(frozen=True)
class Hit:
    """A finding shown by one scenario: its kind, the documents and concept, its sides, and what its id hashes."""

    kind: str
    documents: tuple[str, ...]
    concept: str
    parts: tuple[Part, ...]
    key: tuple[str, ...]
    note: str = ""

    @property
    def id(self) -> str:
        """The finding's stable id (:func:`oerlog.analysis.consistency.findings.finding_id`)."""
        return finding_id(self.kind, list(self.documents), self.concept, list(self.key))


def certain(m: Model, pred: str) -> set[Row]:
    """The tuples of ``pred`` that certainly hold."""
    return m.tuples(pred)


def possible(m: Model, pred: str) -> set[Row]:
    """The tuples of ``pred`` that hold or may hold."""
    return m.tuples(pred) | m.tuples(ir.possible_name(pred))


class Detector:
    """Finds the hits of a scenario, given the documents' answers on it."""

    def __init__(self, voc: Vocabulary, judges: Mapping[str, Judge], pairs: Mapping[tuple[str, str], str]) -> None:
        self.voc = voc
        self.judges = judges
        self.pairs = pairs
        self.frames = {a: b for (a, b), rel in pairs.items() if rel == "frame"}
        self.exclusive = sorted(_exclusive_pairs(voc))

    def hits(self, models: Mapping[str, Model]) -> list[Hit]:
        """Every hit of one scenario (``models``: document -> its answers), in a fixed order."""
        out: list[Hit] = []
        for d in sorted(models):
            out.extend(self._inside(d, models))
        for (a, b), rel in sorted(self.pairs.items()):
            if a in models and b in models:
                out.extend(self._between(a, b, rel, models[a], models[b]))
        return out

    # --- inside one document -----------------------------------------------------------------------------

    def _inside(self, d: str, models: Mapping[str, Model]) -> list[Hit]:
        m = models[d]
        judge = self.judges[d]
        out: list[Hit] = []
        for x, y in self.exclusive:
            if x > y or x not in judge.concepts or y not in judge.concepts:
                continue
            both = sorted(certain(m, x) & certain(m, y), key=row_text)
            if both:
                t = both[0]
                out.append(Hit("contradiction", (d,), f"{x}/{y}", (Part(d, x, t, True), Part(d, y, t, True)), (x, y)))
        frame = self.frames.get(d)
        fm = models.get(frame) if frame else None
        for os_ in judge.sets:
            covered: set[Row] = set()
            for c in os_.concepts:
                covered |= possible(m, c)
                if fm is not None:
                    covered |= possible(fm, c)
            missing = sorted(certain(m, domain_pred(os_.name)) - covered, key=row_text)
            if not missing:
                continue
            t = missing[0]
            undefined = [c for c in os_.concepts if c not in judge.concepts]
            note = f"outcome set {os_.name}: {os_.doc}" if os_.doc else f"outcome set {os_.name}"
            if undefined:
                note += f"; {d} has no rule for {', '.join(undefined)}"
            parts = tuple(Part(d, c, t, False) for c in os_.concepts)
            out.append(Hit("gap", (d,), os_.name, parts, tuple(sorted(undefined)), note))
        return out

    # --- between two documents -------------------------------------------------------------------------

    def _between(self, a: str, b: str, rel: str, ma: Model, mb: Model) -> list[Hit]:
        ja, jb = self.judges[a], self.judges[b]
        clash = CLASH_KIND[rel]
        out: list[Hit] = []
        seen: set[str] = set()

        def add(kind: str, concept: str, parts: tuple[Part, ...]) -> None:
            ordered = tuple(sorted(parts, key=lambda p: (p.document, p.pred)))
            key = tuple(f"{p.document}:{p.pred}:{'+' if p.holds else '-'}" for p in ordered)
            docs = tuple(sorted({p.document for p in ordered}))
            hit = Hit(kind, docs, concept, ordered, key)
            if hit.id not in seen:
                seen.add(hit.id)
                out.append(hit)

        for first, second, mf, ms, jf, js in ((a, b, ma, mb, ja, jb), (b, a, mb, ma, jb, ja)):
            for x, y in self.exclusive:
                if x not in jf.concepts or y not in js.concepts:
                    continue
                both = sorted(certain(mf, x) & certain(ms, y), key=row_text)
                if both:
                    concept = "/".join(sorted((x, y)))
                    add(clash, concept, (Part(first, x, both[0], True), Part(second, y, both[0], True)))
        for x in sorted(ja.concepts & jb.concepts):
            fields = self.voc.concepts[x].fields
            if fields and fields[-1].type in VALUE_TYPES and len(fields) > 1:
                va = _valued(certain(ma, x))
                vb = _valued(certain(mb, x))
                for k in sorted(set(va) & set(vb), key=row_text):
                    if va[k] != vb[k]:
                        t1 = k + (sorted(va[k], key=value_sort_key)[0],)
                        t2 = k + (sorted(vb[k], key=value_sort_key)[0],)
                        add(clash, x, (Part(a, x, t1, True), Part(b, x, t2, True)))
                        break
                continue
            if rel == "against":
                continue  # one-sided conclusions between unrelated versions are reported only when they clash
            for first, second, mf, ms in ((a, b, ma, mb), (b, a, mb, ma)):
                one_sided = sorted(certain(mf, x) - possible(ms, x), key=row_text)
                if one_sided:
                    t = one_sided[0]
                    kind = "refinement" if rel == "frame" else clash
                    add(kind, x, (Part(first, x, t, True), Part(second, x, t, False)))
        return out


def _valued(rows: set[Row]) -> dict[Row, set[Value]]:
    out: dict[Row, set[Value]] = {}
    for t in rows:
        out.setdefault(t[:-1], set()).add(t[-1])
    return out


def _exclusive_pairs(voc: Vocabulary) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for name, rel in voc.concepts.items():
        for other in rel.exclusive_with:
            if other in voc.concepts and voc.concepts[other].arity == rel.arity:
                out.add((name, other))
                out.add((other, name))
    return out
