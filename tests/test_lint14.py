"""The lint checks of issue 14: a rule citing a provision marked not computable, a comparison between values of
different types, a variable written once in a rule. Each on a copy of tests/fixtures/lint14/kb (which lints
clean) with one extra ``.dl`` file: where it is found (file:line:column) and what it says, and where it is not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from oerlog.analysis.lint import Finding, lint

FIXTURE = Path(__file__).parent / "fixtures" / "lint14" / "kb"
HEADER = '@id(x) @cite("1", "1") '  # 23 characters before the rule on the line


def _kb(tmp_path: Path, rules: str, scope: str | None = None) -> tuple[Path, Path]:
    kb = tmp_path / "kb"
    shutil.copytree(FIXTURE, kb)
    extra = kb / "lint-doc" / "extra.dl"
    extra.write_text(rules, encoding="utf-8")
    if scope is not None:
        (kb / "scope.dl").write_text(scope, encoding="utf-8")
    return kb, extra


def _found(tmp_path: Path, rules: str, code: str) -> list[tuple[str, int, int, str]]:
    """(file, line, column, message) of the findings with ``code``."""
    kb, _ = _kb(tmp_path, rules)
    _, findings = lint(kb)
    return [_where(f) for f in findings if f.code == code]


def _where(f: Finding) -> tuple[str, int, int, str]:
    assert f.location is not None
    return (f.location.file, f.location.line, f.location.column, f.message)


def test_the_fixture_lints_clean() -> None:
    kb, findings = lint(FIXTURE)
    assert kb is not None and findings == []


# --- a rule citing a provision marked not computable ------------------------------------------------------------


def test_citing_a_not_computable_lid_is_an_error_at_the_citation(tmp_path: Path) -> None:
    rules = '@id(notice_sent)\n@cite("1", "2")\nnotice(S, C) :- result(S, C, _).\n'
    kb, extra = _kb(tmp_path, rules)
    _, findings = lint(kb)
    [f] = [f for f in findings if f.code == "cites_not_computable"]
    assert f.severity == "error" and f.document == "lint-doc"
    assert _where(f) == (
        str(extra),
        2,
        1,
        "rule notice_sent cites art. 1 lid 2, which articles.yaml marks not computable: procedural: no term",
    )
    assert f.hint and f.hint.startswith(f"the mark is at {kb / 'lint-doc' / 'articles.yaml'}:")


def test_citing_a_not_computable_article_even_with_discretion(tmp_path: Path) -> None:
    rules = '@id(hardship)\n@discretion("de examencommissie beslist")\n@cite("2")\nhardship(S) :- result(S, _, _).\n'
    assert _found(tmp_path, rules, "cites_not_computable") == [
        (
            str(tmp_path / "kb" / "lint-doc" / "extra.dl"),
            3,
            1,
            "rule hardship cites art. 2, which articles.yaml marks not computable: discretionary: de examencommissie "
            "beslist",
        )
    ]


def test_a_lid_takes_the_status_of_its_article_unless_it_has_its_own(tmp_path: Path) -> None:
    rules = '@id(periods)\n@cite("3", "1")\n@cite("3", "2")\nperiods(S) :- result(S, _, _).\n'
    found = _found(tmp_path, rules, "cites_not_computable")
    assert [(line, col, msg) for _, line, col, msg in found] == [
        (
            3,
            1,
            "rule periods cites art. 3 lid 2, which articles.yaml marks not computable: external: the periods "
            "are set elsewhere",
        )
    ]  # lid 1 is marked encoded itself: cited without a finding


def test_citing_encoded_provisions_is_no_finding(tmp_path: Path) -> None:
    rules = '@id(invited_too)\n@cite("1", "1")\n@cite("3", "1")\nresit_invited(S, C) :- result(S, C, _).\n'
    assert _found(tmp_path, rules, "cites_not_computable") == []


# --- comparisons between values of different types --------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "column", "message"),
    [
        (  # a grade with a date (written G = D, the test would assign D: a join, refused when loading)
            "result(S, C, G), course_start(C, Start, _), G = add_days(Start, 7).",
            91,
            "rule x: 'G = add_days(Start, 7)' compares a decimal with a date, never equal: the rule never fires",
        ),
        (  # a date with study points, both bound by one atom
            "result(S, C, _), course_start(C, D, E), D = E.",
            87,
            "rule x: 'D = E' compares a date with a decimal, never equal: the rule never fires",
        ),
        (  # an id with a number
            "result(S, C, _), C != 5.",
            64,
            "rule x: 'C != 5' compares a text with a whole number, always different: the test always holds",
        ),
        (  # a date with an integer parameter
            "registered(S, C, D), D != $weeks.",
            68,
            "rule x: 'D != $weeks' compares a date with a whole number, always different: the test always holds",
        ),
        (  # inside an aggregate's body, a grade with the group key's date
            "registered(S, C, D), N = count : { result(S, C, G), G != D }, N > 0.",
            99,
            "rule x: 'G != D' compares a decimal with a date, always different: the test always holds",
        ),
    ],
)
def test_equality_between_types_never_equal_is_an_error(tmp_path: Path, body: str, column: int, message: str) -> None:
    rules = HEADER + "resit_invited(S, C) :- " + body + "\n"
    found = _found(tmp_path, rules, "type_mismatch")
    assert found == [(str(tmp_path / "kb" / "lint-doc" / "extra.dl"), 1, column, message)]


@pytest.mark.parametrize(
    "body",
    [
        "result(S, C, G), G = 5.",  # a grade and a whole number are both numbers
        'result(S, C, _), C != "vorm_en_functie".',  # an id and a string
        "result(S, C, _), registered(S, K, _), C = K.",  # two ids
        "registered(S, C, D), course_start(C, Start, _), D = add_days(Start, 7).",  # two dates
        "registered(S, C, D), Day = D, Day != 2025-09-01.",  # Day = D assigns: no comparison
        "registered(S, C, _), N = count : { result(S, C, G), G = 4.0 }, N > 0.",
    ],
)
def test_equality_between_compatible_types_is_no_finding(tmp_path: Path, body: str) -> None:
    kb, _ = _kb(tmp_path, HEADER + "resit_invited(S, C) :- " + body + "\n")
    loaded, findings = lint(kb)
    assert loaded is not None and not [f for f in findings if f.severity == "error"]


@pytest.mark.parametrize(
    ("body", "column", "message"),
    [
        (  # ordering a date by an integer parameter
            "registered(S, C, D), D > $weeks.",
            68,
            "rule x: 'D > $weeks' compares a date with a whole number",
        ),
        (  # a date with an integer parameter: D = $weeks assigns D, which registered cannot join
            "registered(S, C, D), D = $weeks.",
            64,
            "rule x: D is a whole number elsewhere in the rule but argument 3 of registered is a date: they can never "
            "be equal",
        ),
        (  # a grade plus a date (the caret at the operator)
            "result(S, C, G), registered(S, C, D), X = G + D, X > 1.",
            91,
            "rule x: cannot compute decimal + date in '(G + D)'",
        ),
    ],
)
def test_ordering_and_arithmetic_between_types_stop_the_kb_located(
    tmp_path: Path, body: str, column: int, message: str
) -> None:
    """Refused when the document loads (oerlog.lang.types), so lint reports them as the errors that stop it."""
    kb, extra = _kb(tmp_path, HEADER + "resit_invited(S, C) :- " + body + "\n")
    loaded, findings = lint(kb)
    assert loaded is None
    assert [(f.code, *_where(f)) for f in findings] == [("type_error", str(extra), 1, column, message)]


# --- variables written once -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "name", "column"),
    [
        ("result(S, Course, _), registered(S, C, _).", "Course", 57),  # a misspelt join
        ("registered(S, C, _), not result(S, C, G).", "G", 85),  # inside a negated atom: any value, write _
        ("registered(S, C, _), N = count : { result(S, K, _) }, N > 0.", "K", 92),  # inside an aggregate
        ("registered(S, C, _), N = count : { result(S, _, _) }.", "N", 68),  # an aggregate's result never used
        ("registered(S, C, _), Min = $resit_min.", "Min", 68),  # a value computed and never used
    ],
)
def test_a_variable_written_once_is_a_warning(tmp_path: Path, body: str, name: str, column: int) -> None:
    found = _found(tmp_path, HEADER + "resit_invited(S, C) :- " + body + "\n", "singleton_variable")
    assert found == [
        (
            str(tmp_path / "kb" / "lint-doc" / "extra.dl"),
            1,
            column,
            f"variable {name} occurs only once in rule x: a misspelt variable, or a value never used",
        )
    ]


def test_a_misspelt_join_reports_both_spellings(tmp_path: Path) -> None:
    rules = HEADER + "registered_in_time(S, S) :- result(S, Course, _), registered(S, Cours, _).\n"
    found = _found(tmp_path, rules, "singleton_variable")
    assert [(line, col, msg.split(" occurs")[0]) for _, line, col, msg in found] == [
        (1, 62, "variable Course"),
        (1, 88, "variable Cours"),
    ]


@pytest.mark.parametrize(
    "rule",
    [
        HEADER + "resit_invited(S, C) :- result(S, C, _), registered(S, _Date, _).",  # _Name: any value, on purpose
        HEADER + "resit_invited(S, C) :- registered(S, C, _), not result(S, C, _).",
        HEADER + "resit_invited(S, C) :- registered(S, C, _), N = count : { result(S, C, _) }, N > 0.",  # group key
        HEADER + "resit_invited(S, C) :- result(S, C, G), G >= 4.0, registered(S, C, D), course_start(C, D, _).",
        # shown by the rule's template: used, to tell the reader the value
        '@id(x) @cite("1", "1") @nl("{S}: ingeschreven op {D}") resit_invited(S, C) :- registered(S, C, D).',
        '@id(x) @cite("1", "1") @en("{S} registered on {D}") resit_invited(S, C) :- registered(S, C, D).',
    ],
)
def test_variables_written_twice_or_on_purpose_are_no_finding(tmp_path: Path, rule: str) -> None:
    assert _found(tmp_path, rule + "\n", "singleton_variable") == []


def test_the_scope_rules_are_checked_too(tmp_path: Path) -> None:
    scope = "@id(scope_by_programme)\napplies(Doc, S) :- enrolment(S, P, Y), document_scope(Doc, Prog, Y).\n"
    kb, _ = _kb(tmp_path, "", scope)
    _, findings = lint(kb)
    found = [(f.document, *_where(f)) for f in findings if f.code == "singleton_variable"]
    assert [(doc, line, col, msg.split(" occurs")[0]) for doc, _, line, col, msg in found] == [
        (None, 2, 33, "variable P"),
        (None, 2, 60, "variable Prog"),
    ]


# --- oerlog lint: exit codes ------------------------------------------------------------------------------------


def test_cli_errors_fail_the_run_also_with_errors_only(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kb, extra = _kb(tmp_path, HEADER + "resit_invited(S, C) :- result(S, C, _), C != 5.\n")
    r = cli("--kb", str(kb), "lint")
    assert r.code == 1
    assert r.out.startswith(f"{extra}:1:64: error[type_mismatch]: rule x: 'C != 5' compares a text with a whole number")
    assert cli("--kb", str(kb), "lint", "--errors-only").code == 1


def test_cli_a_variable_written_once_fails_the_run_as_every_warning_does(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kb, extra = _kb(tmp_path, HEADER + "resit_invited(S, C) :- registered(S, C, D).\n")
    r = cli("--kb", str(kb), "lint", "--format", "json")
    assert r.code == 1
    [f] = json.loads(r.out)["findings"]
    assert (f["severity"], f["code"], f["file"], f["line"], f["column"]) == (
        "warning",
        "singleton_variable",
        str(extra),
        1,
        64,
    )
    assert "write _ or _D where any value will do" in f["hint"]
    r = cli("--kb", str(kb), "lint", "--errors-only")
    assert r.code == 0 and "no findings" in r.out
