"""The scenarios ``oerlog check`` evaluates: seeds and their mutations.

The seeds are the documents' own case files and scenario tests. The boundary values of every document that
judges a seed (see :mod:`oerlog.explain.thresholds`) are pooled, applied one at a time, combined pairwise, and
completed with seeded random mutations.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from oerlog.errors import OerlogError
from oerlog.explain.thresholds import Dimension
from oerlog.kb.cases import Case, load_case
from oerlog.kb.loader import KnowledgeBase
from oerlog.semantics.model import Row
from oerlog.testing.scenarios import Scenario as ScenarioTest
from oerlog.testing.scenarios import load_scenarios, scenario_files
from oerlog.values import Value, format_literal


@dataclass
class Scenario:
    """A case to evaluate: a seed's facts, possibly mutated."""

    name: str
    family: str
    kind: str  # seed | boundary | pairwise | random
    facts: dict[str, set[Row]]
    reference_date: dt.date | None
    docs: list[str]
    changes: list[str] = field(default_factory=list)


def facts_key(facts: dict[str, set[Row]]) -> str:
    """A hash of a set of facts (the same facts give the same key, whatever their order): the canonical form of a
    scenario."""
    h = hashlib.sha256()
    for pred in sorted(facts):
        rows = sorted(_row_key(r) for r in facts[pred])
        h.update((pred + "".join(rows) + "\n").encode())
    return h.hexdigest()


@lru_cache(maxsize=200_000)
def _row_key(r: Row) -> str:
    return "(" + ", ".join(format_literal(v) for v in r) + ")"


def apply_sets(facts: dict[str, set[Row]], sets: list[tuple[str, Row, int, Value]]) -> dict[str, set[Row]]:
    """A copy of ``facts`` with fields set: ``(relation, fact, field index, new value)``; several changes to one
    fact are applied together."""
    out = {k: set(v) for k, v in facts.items()}
    grouped: dict[tuple[str, Row], dict[int, Value]] = {}
    for pred, row, i, v in sets:
        grouped.setdefault((pred, row), {})[i] = v
    for (pred, row), changes in grouped.items():
        rows = out.setdefault(pred, set())
        if row not in rows:
            continue
        rows.discard(row)
        rows.add(tuple(changes.get(i, x) for i, x in enumerate(row)))
    return out


def pairwise_combinations(dims: list[Dimension], cap: int) -> list[list[tuple[Dimension, Value]]]:
    """Combinations of boundary values covering every pair of values of two different dimensions (greedy), or
    the full product when it is small; at most ``cap``."""
    dims = [d for d in dims if d.values]
    if len(dims) < 2:
        return []
    size = 1
    for d in dims:
        size *= len(d.values)
    if size <= cap:
        return [list(zip(dims, combo, strict=True)) for combo in itertools.product(*(d.values for d in dims))]
    uncovered = {
        (i, a, j, b)
        for i, j in itertools.combinations(range(len(dims)), 2)
        for a in range(len(dims[i].values))
        for b in range(len(dims[j].values))
    }
    out: list[list[tuple[Dimension, Value]]] = []
    while uncovered and len(out) < cap:
        i, a, j, b = min(uncovered)
        choice = {i: a, j: b}
        for k in range(len(dims)):
            if k in choice:
                continue

            def gain(v: int, k: int = k, choice: dict[int, int] = choice) -> int:
                return sum(
                    1
                    for m, w in choice.items()
                    if (min(m, k), w if m < k else v, max(m, k), v if m < k else w) in uncovered
                )

            choice[k] = max(range(len(dims[k].values)), key=gain)
        for m, n in itertools.combinations(sorted(choice), 2):
            uncovered.discard((m, choice[m], n, choice[n]))
        out.append([(dims[k], dims[k].values[choice[k]]) for k in sorted(choice)])
    return out


@dataclass
class Seed:
    """A case taken from a document's own case files or scenario tests."""

    document: str
    label: str
    case: Case
    priority: int


def collect_seeds(
    kb: KnowledgeBase,
    doc_ids: list[str],
    notes: list[str],
    loaded: dict[str, list[tuple[Path, ScenarioTest]]] | None = None,
) -> list[Seed]:
    """The documents' case files and scenario cases (duplicates removed), best seeds first per document.
    ``loaded`` receives each document's scenario tests with their file (for the worked-example check)."""
    concepts = set(kb.vocabulary.concepts)
    out: list[Seed] = []
    seen: set[str] = set()
    for doc_id in doc_ids:
        doc = kb.document(doc_id)
        found: list[Seed] = []
        for p in sorted((doc.path / "cases").glob("*.yaml")):
            try:
                case = load_case(p, kb.vocabulary)
            except OerlogError as exc:
                notes.append(f"seed {p} skipped: {exc.message}")
                continue
            found.append(
                Seed(doc_id, str(p.relative_to(kb.root.parent) if kb.root.parent in p.parents else p), case, 0)
            )
        for p in scenario_files(doc):
            try:
                scs = load_scenarios(kb, doc, p)
            except OerlogError as exc:
                notes.append(f"seeds of {p} skipped: {exc.message}")
                continue
            if loaded is not None:
                loaded.setdefault(doc_id, []).extend((p, sc) for sc in scs)
            for sc in scs:
                preds = {t.split("(")[0].strip() for t, _ in sc.expect + sc.expect_not}
                prio = 1 if preds & concepts and sc.expect else 2 if preds & concepts else 3
                found.append(Seed(doc_id, f"{p.name}::{sc.name}", sc.case, prio))
        found.sort(key=lambda s: s.priority)
        for s in found:
            key = facts_key(s.case.facts)
            if key in seen:
                continue
            seen.add(key)
            out.append(s)
    return out


def reference_date_of(facts: dict[str, set[Row]], ref: dt.date | None) -> dt.date | None:
    """The reference date the facts state, else ``ref``."""
    rows = facts.get("reference_date")
    if rows:
        v = next(iter(rows))[0]
        if isinstance(v, dt.date):
            return v
    return ref
