"""Three answers (holds, does not hold, undetermined): the plan rewrite of :mod:`oerlog.semantics.threevalued`,
run on both back ends, on a small program with an open relation, an unfilled parameter, an aggregate, a negation
and an exception."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

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
HERE = Path(__file__).parent
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


# --- template choices with listed options -------------------------------------------------------------------

OPTIONS_PROGRAM = """
@options(6, 5.5)
param pass : decimal = unfilled.
@id(p) passed(S) :- grade(S, G), G >= $pass.
@id(f) failed(S) :- grade(S, _), not passed(S).
@id(x) fine(S) :- grade(S, G), G >= 3.
@id(xx) except x: fine(S) :- grade(S, G), G >= $pass, G < 7.
@id(n) npassed(N) :- N = count : { passed(S) }.
"""
GRADES: dict[str, set[tuple[object, ...]]] = {"grade": {("a", Decimal(7)), ("b", Decimal("5.8")), ("c", Decimal(5))}}
OPTION_EXPECTED = [
    ("passed", ("a",), H),  # 7: sufficient under 6 and under 5,5
    ("passed", ("b",), U),  # 5,8: only under 5,5
    ("passed", ("c",), N),  # 5: under neither
    ("failed", ("c",), H),
    ("failed", ("b",), U),
    ("fine", ("a",), H),  # the exception needs G < 7
    ("fine", ("b",), U),  # the exception applies under 5,5 only
    ("fine", ("c",), H),  # 5 reaches neither option: the exception never applies
    ("npassed", (1,), U),
    ("npassed", (2,), U),
    ("npassed", (0,), N),
]


@pytest.mark.parametrize(("pred", "row", "status"), OPTION_EXPECTED, ids=[f"{p}{r}" for p, r, _ in OPTION_EXPECTED])
def test_a_listed_choice_decides_what_every_option_decides(pred: str, row: tuple[object, ...], status: Status) -> None:
    model = evaluate(build_plan(parse_program(OPTIONS_PROGRAM)), GRADES, isolate=False)  # type: ignore[arg-type]
    assert model.status(pred, row) is status  # type: ignore[arg-type]


def test_the_answer_names_the_option_that_decides() -> None:
    model = evaluate(build_plan(parse_program(OPTIONS_PROGRAM)), GRADES, isolate=False)  # type: ignore[arg-type]
    assert model.options_holding("passed", ("b",)) == [((("pass", 6),), False), ((("pass", Decimal("5.5")),), True)]


def test_listed_options_run_together_on_sql_as_on_pydatalog() -> None:
    model = evaluate(build_plan(parse_program(OPTIONS_PROGRAM)), GRADES, isolate=False)  # type: ignore[arg-type]
    sql = _run_sql(parse_program(OPTIONS_PROGRAM), GRADES, {"grade": ["str", "dec"]})
    for pred in ["passed", "failed", "fine", "npassed"]:
        for name in (pred, ir.possible_name(pred)):
            assert sql.get(name, set()) == model.tuples(name), name


def test_only_the_choices_a_relation_depends_on_are_copied() -> None:
    prog = parse_program(
        OPTIONS_PROGRAM + "@options(4, 6)\nparam weeks : integer = unfilled.\n@id(w) q(S) :- grade(S, _)."
    )
    plan = build_plan(prog)
    assert sorted(plan.option_copies) == ["failed", "fine", "npassed", "passed"]
    assert all(oc.params == ("pass",) for oc in plan.option_copies.values())


# --- the command line: three answers, exit code 4 -----------------------------------------------------------

LOTTE = "kb/rug-ma-oer-2019/cases/lotte-cum-laude.yaml"


def test_why_of_an_undetermined_goal_says_what_it_waits_for_and_exits_4(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("--kb", "kb", "why", 'cum_laude("lotte", P)', "--case", LOTTE)
    assert r.code == 4, r.err
    assert r.out.startswith("Onbepaald: ")  # the answer first
    # what it waits for, in words: the examencommissie's decision, not recorded in the case
    assert "Hangt af van: ‘de examencommissie besliste ten gunste van lotte: het judicium cum laude" in r.out
    assert "niet vastgesteld" in r.out


def test_an_exception_that_waits_for_a_decision_is_what_the_answer_depends_on(cli) -> None:  # type: ignore[no-untyped-def]
    """femke withdrew with the form (force majeure declared): her exclusion from the resit is undetermined because
    the exception of A.8 lid 3 waits for the study adviser. The answer names that decision, and the proof shows
    the exception as one that may apply, not an empty "depends on" (a rule that failed on a settled condition is
    not waited for)."""
    case = "kb/uu-gnk-ba-2025/cases/femke-no-show-overmacht.yaml"
    r = cli("--kb", "kb", "why", 'resit_excluded("femke", C)', "--case", case)
    assert r.code == 4, r.err
    lines = r.out.splitlines()
    assert (
        lines[1] == "Hangt af van: ‘de studieadviseur besliste ten gunste van femke: overmacht (Vorm en functie)’ (niet"
    )
    assert "‘’" not in r.out
    assert "? uitzondering die kan gelden, als wat hieronder openstaat zo uitvalt: ‘de uitsluiting wegens niet" in r.out
    assert "Beslist door: art. A.8 lid 3" in r.out


def test_query_shows_a_status_column_and_exits_4_when_nothing_holds(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("--kb", "kb", "query", "cum_laude(S, P)", "--case", LOTTE)
    assert r.code == 4 and "onbepaald" in r.out and "0 resultaten, 1 onbepaald" in r.out
    j = cli("--kb", "kb", "query", "cum_laude(S, P)", "--case", LOTTE, "--format", "json")
    data = json.loads(j.out)
    assert (
        data["answer"] == "undetermined" and data["rows"] == [] and data["undetermined"] == [["lotte", "rug-ma-model"]]
    )


def test_a_decision_stated_in_the_case_settles_it(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = (HERE.parent / LOTTE).read_text(encoding="utf-8")
    granted = tmp_path / "granted.yaml"
    granted.write_text(
        text + "  discretionary_decision:\n    - {body: examencommissie, matter: cum_laude, student: lotte, "
        "subject: rug-ma-model}\n"
        # one distinction per certificate (the KB's reading): cum laude granted, summa cum laude not
        "false:\n  discretionary_decision:\n    - {body: examencommissie, matter: summa_cum_laude, student: lotte, "
        "subject: rug-ma-model}\n",
        encoding="utf-8",
    )
    assert cli("--kb", "kb", "why", 'cum_laude("lotte", P)', "--case", str(granted)).code == 0
    refused = tmp_path / "refused.yaml"
    refused.write_text(
        text + "false:\n  discretionary_decision:\n    - {body: examencommissie, matter: cum_laude, student: lotte, "
        "subject: rug-ma-model}\n",
        encoding="utf-8",
    )
    assert cli("--kb", "kb", "why", 'cum_laude("lotte", P)', "--case", str(refused)).code == 1


def test_a_closed_relation_cannot_be_stated_false(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case = tmp_path / "bad.yaml"
    case.write_text(
        "reference_date: 2025-11-03\ndocument: uu-gnk-ba-2025\nfalse:\n  test_result:\n"
        "    - {student: s1, test: t1, grade: 5.5}\n",
        encoding="utf-8",
    )
    r = cli("--kb", "kb", "query", "passed(S, C)", "--case", str(case), "--lang", "en")
    assert r.code == 2
    assert f"{case}:5:7" in r.err and "complete (closed world)" in r.err and "world: open" in r.err


def test_a_fact_stated_true_and_false_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rec = "    - {body: examencommissie, matter: cum_laude, student: s1, subject: p}\n"
    case = tmp_path / "both.yaml"
    case.write_text(
        "reference_date: 2025-11-03\ndocument: uu-gnk-ba-2025\nfacts:\n  discretionary_decision:\n"
        + rec
        + "false:\n  discretionary_decision:\n"
        + rec,
        encoding="utf-8",
    )
    r = cli("--kb", "kb", "query", "passed(S, C)", "--case", str(case), "--lang", "en")
    assert r.code == 2 and f"{case}:8:7" in r.err and "stated both true" in r.err


def test_a_value_computed_from_an_unfilled_choice_is_any_value() -> None:
    """`Min = $cap, G >= Min`: the comparison reads the choice through a variable; still undetermined, not "does
    not hold" (a rule that loses the variable's binding used to be dropped)."""
    prog = parse_program(
        "param cap : decimal = unfilled.\n@id(c) capped(S) :- grade(S, _, G), Min = $cap, G >= Min.\n"
        "@id(d) shown(S, M) :- grade(S, _, _), M = $cap."
    )
    model = evaluate(build_plan(prog), {"grade": {("a", "p", Decimal(9))}}, isolate=False)
    assert model.status("capped", ("a",)) is U
