"""Minimal witnesses: a finding's scenario reduced to the facts the finding needs.

Batched rounds over all findings at once (one batched run per document per round): first every witness without
each one of its facts (which facts can go alone?), then every witness without all those facts together (they are
usually simply irrelevant to the finding); when together they change the outcome, only the first goes. A
candidate counts when it still shows its finding and breaks no integrity constraint of the world. Rounds repeat
until no single fact can go (the witness is 1-minimal) or for at most :data:`MAX_ROUNDS` rounds. The result does
not depend on timing: the same witnesses give the same minimal cases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oerlog.analysis.consistency.detect import Detector, Hit
from oerlog.analysis.consistency.explore import domain_pred
from oerlog.analysis.consistency.scenarios import Scenario
from oerlog.semantics.model import Model, Row
from oerlog.values import format_literal

if TYPE_CHECKING:
    from oerlog.analysis.consistency.checker import Checker

MAX_ROUNDS = 3
KEEP = frozenset({"reference_date"})  # a case always states its reference date

Facts = dict[str, set[Row]]


def _fact_list(facts: Facts) -> list[tuple[str, Row]]:
    return [
        (p, r)
        for p in sorted(facts)
        if p not in KEEP
        for r in sorted(facts[p], key=lambda row: [format_literal(v) for v in row])
    ]


def _without(facts: Facts, drop: list[tuple[str, Row]]) -> Facts:
    out = {k: set(v) for k, v in facts.items()}
    for pred, row in drop:
        out[pred].discard(row)
        if not out[pred]:
            del out[pred]
    return out


def minimise(
    checker: Checker, detector: Detector, witnesses: dict[str, tuple[Hit, Scenario]]
) -> tuple[dict[str, Facts], dict[str, Hit]]:
    """The minimal facts of every witness (finding id -> facts), and the finding as the minimal facts show it
    (finding id -> hit): a finding keeps its id but may show on other rows of its relations once facts are gone
    (a resit where the scenario showed it on the regular sitting), and its proofs must be of the rows the
    witness shows."""
    current: dict[str, Facts] = {hid: {k: set(v) for k, v in sc.facts.items()} for hid, (_, sc) in witnesses.items()}
    before = sum(len(_fact_list(f)) for f in current.values())
    active = sorted(hid for hid in current if _fact_list(current[hid]))
    for _ in range(MAX_ROUNDS):
        if not active:
            break
        # every fact alone: which can go?
        singles: list[tuple[str, Facts]] = []
        dropped: list[tuple[str, tuple[str, Row]]] = []
        for hid in active:
            for fact in _fact_list(current[hid]):
                singles.append((hid, _without(current[hid], [fact])))
                dropped.append((hid, fact))
        removable: dict[str, list[tuple[str, Row]]] = {}
        for (hid, fact), ok in zip(dropped, _shows(checker, detector, witnesses, singles), strict=True):
            if ok is not None:
                removable.setdefault(hid, []).append(fact)
        active = [hid for hid in active if hid in removable]
        if not active:
            break
        # all of them at once (usually they are simply irrelevant); else the first one only
        together = [(hid, _without(current[hid], removable[hid])) for hid in active]
        for (hid, facts), ok in zip(together, _shows(checker, detector, witnesses, together), strict=True):
            current[hid] = facts if ok is not None else _without(current[hid], removable[hid][:1])
    # the minimal witnesses checked once more against everything the documents conclude; a witness that no longer
    # shows its finding (it was reduced against a smaller program) falls back to the scenario it came from
    final = [(hid, current[hid]) for hid in sorted(current)]
    shown: dict[str, Hit] = {}
    for (hid, _), hit in zip(final, _shows(checker, detector, witnesses, final, full=True), strict=True):
        if hit is None:
            current[hid] = {k: set(v) for k, v in witnesses[hid][1].facts.items()}
        else:
            shown[hid] = hit
    checker.stats.minimised_facts = (before, sum(len(_fact_list(f)) for f in current.values()))
    return current, shown


def _shows(
    checker: Checker,
    detector: Detector,
    witnesses: dict[str, tuple[Hit, Scenario]],
    candidates: list[tuple[str, Facts]],
    *,
    full: bool = False,
) -> list[Hit | None]:
    """The finding as each candidate shows it, None where it does not (or the candidate breaks a constraint);
    ``full``: evaluated for every relation the check reads, not only those of the findings. Where the candidate
    shows the finding on several rows, the rows of the scenario's own hit come first, then the first in order."""
    per_doc: dict[str, list[int]] = {}
    for i, (hid, _) in enumerate(candidates):
        for d in _needed(detector, witnesses[hid][0]):
            per_doc.setdefault(d, []).append(i)
    models: list[dict[str, Model]] = [{} for _ in candidates]
    for d, idx in sorted(per_doc.items()):
        # only the relations the findings speak of: a smaller program to run for a few cases
        judge = checker.judge(d)
        goals = sorted({g for i in idx for g in _goals(witnesses[candidates[i][0]][0])} & set(judge.goals))
        results = judge.run([candidates[i][1] for i in idx], None if full else goals)
        for i, m in zip(idx, results, strict=True):
            if isinstance(m, Model):
                models[i][d] = m
    out: list[Hit | None] = []
    for (hid, facts), ms in zip(candidates, models, strict=True):
        hit, _ = witnesses[hid]
        if any(d not in ms for d in _needed(detector, hit)) or checker.constraints.violated(facts):
            out.append(None)
            continue
        same = [h for h in detector.hits(ms) if h.id == hid]
        out.append(next((h for h in same if h.parts == hit.parts), same[0] if same else None))
    return out


def _goals(hit: Hit) -> set[str]:
    """The relations a finding is read from: the concepts of its sides (and an outcome set's domain)."""
    out = {p.pred for p in hit.parts}
    if hit.kind == "gap":
        out.add(domain_pred(hit.concept))
    return out


def _needed(detector: Detector, hit: Hit) -> list[str]:
    """The documents whose answers show the finding: its own, and for an outcome left open the frame OER too."""
    docs = set(hit.documents)
    if hit.kind == "gap":
        docs |= {detector.frames[d] for d in hit.documents if d in detector.frames}
    return sorted(docs)
