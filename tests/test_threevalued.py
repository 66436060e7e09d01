"""Three answers (holds, does not hold, undetermined): the plan rewrite of :mod:`oerlog.semantics.threevalued`,
run on both back ends, on a small program with an open relation, an unfilled parameter, an aggregate, a negation
and an exception."""

from __future__ import annotations

import pytest

from oerlog.evaluation.engine import evaluate
from oerlog.lang import ir
from oerlog.lang.checks import check_open_atoms
from oerlog.lang.parser import parse_program
from oerlog.semantics.model import Status
from oerlog.semantics.plan import build_plan
from tests.test_cohort import _run_sql

PROGRAM = """
param cap : decimal = unfilled.
@id(c) conditions(S, P) :- grade(S, P, G), G >= 8.
@id(a) award(S, P) :- conditions(S, P), decided(S, P).
@id(na) no_award(S, P) :- conditions(S, P), not award(S, P).
@id(n) n(P, N) :- prog(P), N = count : { award(S, P) }.
@id(cap) capped(S, P) :- grade(S, P, G), G >= $cap.
@id(refused) refused(S, P) :- conditions(S, P), not decided(S, P).
@id(fine) fine(S, P) :- grade(S, P, G), G >= 5.
@id(fine_x) except fine: fine(S, P) :- capped(S, P).
"""
FACTS: dict[str, set[tuple[object, ...]]] = {
    "grade": {("a", "p", 9), ("b", "p", 9), ("c", "p", 9), ("d", "p", 5), ("e", "p", 3)},
    "decided": {("a", "p")},
    ir.false_name("decided"): {("b", "p")},
    "prog": {("p",)},
}
TYPES = {"grade": ["str", "str", "dec"], "decided": ["str", "str"], "prog": ["str"]}
TYPES[ir.false_name("decided")] = TYPES["decided"]
H, N, U = Status.HOLDS, Status.NOT, Status.UNDETERMINED
EXPECTED = [
    ("award", ("a", "p"), H),  # decided in favour
    ("award", ("b", "p"), N),  # decided against
    ("award", ("c", "p"), U),  # not decided yet
    ("award", ("d", "p"), N),  # conditions not met: no decision needed
    ("no_award", ("b", "p"), H),
    ("no_award", ("c", "p"), U),  # negation of an undetermined atom
    ("no_award", ("a", "p"), N),
    ("refused", ("b", "p"), H),  # `not open`: stated false
    ("refused", ("c", "p"), U),
    ("refused", ("a", "p"), N),
    ("n", ("p", 1), U),  # one award certain, one undetermined: the count is 1 or 2
    ("n", ("p", 2), U),
    ("capped", ("e", "p"), U),  # an unfilled threshold: any grade may reach it
    ("fine", ("d", "p"), U),  # the exception may apply (capped is undetermined)
    ("fine", ("e", "p"), N),  # the rule itself does not apply
]


def _program() -> ir.Program:
    prog = parse_program(PROGRAM)
    prog.open_relations = frozenset({"decided"})
    return prog


@pytest.mark.parametrize(("pred", "row", "status"), EXPECTED, ids=[f"{p}{r}" for p, r, _ in EXPECTED])
def test_three_answers(pred: str, row: tuple[object, ...], status: Status) -> None:
    model = evaluate(build_plan(_program()), FACTS, isolate=False)  # type: ignore[arg-type]
    assert model.status(pred, row) is status  # type: ignore[arg-type]


def test_open_relation_status() -> None:
    model = evaluate(build_plan(_program()), FACTS, isolate=False)  # type: ignore[arg-type]
    assert [model.status("decided", (s, "p")) for s in "abc"] == [H, N, U]


def test_sql_back_end_derives_the_same_certain_and_possible_tuples() -> None:
    plan = build_plan(_program())
    model = evaluate(plan, FACTS, isolate=False)  # type: ignore[arg-type]
    sql = _run_sql(_program(), FACTS, TYPES)
    for pred in ["award", "no_award", "n", "refused", "fine", "capped"]:
        for name in (pred, ir.possible_name(pred)):
            assert sql.get(name, set()) == model.tuples(name), name


def test_a_program_without_open_relations_or_unfilled_choices_is_unchanged() -> None:
    prog = parse_program("@id(a) a(X) :- b(X), not c(X).")
    plan = build_plan(prog)
    assert not plan.uncertain and not any(r.possible for r in plan.rules)


def test_an_open_atom_must_name_its_fact() -> None:
    prog = parse_program("@id(r) r(S) :- s(S), decided(S, _).\n@id(q) q(S) :- decided(S, P).")
    prog.open_relations = frozenset({"decided"})
    errors = check_open_atoms(prog)
    assert [e.location.line for e in errors] == [1, 2, 2]  # type: ignore[union-attr]
    assert "decided is open" in errors[0].message and "variable _" in errors[0].message
