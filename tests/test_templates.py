"""Templates that cannot lie (issue 17): lint rejects a ``{Var}`` the rule does not bind, a ``{$name}`` that names
no parameter and a stray brace, and flags a number that equals a parameter the rule reads; ``{$name}`` is shown with
the run's value (``--param``), Dutch decimal comma in nl. The lint checks run on a copy of tests/fixtures/lint14/kb
(which lints clean) with one extra ``.dl`` file."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

from oerlog.analysis.lint import Finding, lint, template_findings
from oerlog.kb.loader import KnowledgeBase
from oerlog.lang import ir, templates
from oerlog.lang.parser import parse_program
from oerlog.semantics.plan import build_plan

FIXTURE = Path(__file__).parent / "fixtures" / "lint14" / "kb"
ROOT = Path(__file__).parent.parent
BAS = "kb/uu-geo-ma-oer-2019/cases/bas-grade-5-45.yaml"
RULE = "resit_invited(S, C) :- result(S, C, G), G >= $resit_min.\n"


def _lint(tmp_path: Path, rules: str) -> tuple[Path, list[Finding]]:
    kb = tmp_path / "kb"
    shutil.copytree(FIXTURE, kb)
    extra = kb / "lint-doc" / "extra.dl"
    extra.write_text(rules, encoding="utf-8")
    _, findings = lint(kb)
    return extra, [f for f in findings if f.code.startswith("template_")]


def _at(f: Finding) -> tuple[int, int]:
    assert f.location is not None
    return f.location.line, f.location.column


def test_a_variable_only_in_a_negation_is_not_bound_error_at_the_placeholder(tmp_path: Path) -> None:
    rules = (
        "@id(no_grade)\n"
        '@cite("1", "1")\n'
        '@nl("{S} heeft geen cijfer {G} voor {C}")\n'
        "no_grade(S, C) :- registered(S, C, _), not result(S, C, _G).\n"
    )
    extra, [f] = _lint(tmp_path, rules)
    assert (f.severity, f.code) == ("error", "template_unbound_variable")
    assert f.location is not None and f.location.file == str(extra)
    assert _at(f) == (3, 28)  # the "{" of {G}: @nl(" is 5 characters, then 22 of text
    assert "shows {G}, which the rule does not bind (the variables it binds: C, S)" in f.message
    assert f.hint is not None and '@nl("{C} ... {S}")' in f.hint


def test_a_misspelt_variable_and_the_bound_ones(tmp_path: Path) -> None:
    rules = (
        "@id(invited2)\n"
        '@cite("1", "1")\n'
        '@en("{S} is invited for {Course}: grade {G}, at least {Min}")\n'
        "resit_invited(S, C) :- result(S, C, G), Min = $resit_min, G >= Min, N = count : { result(S, _, _) }, N > 0.\n"
    )
    _, found = _lint(tmp_path, rules)
    assert [(f.code, _at(f)) for f in found] == [("template_unbound_variable", (3, 25))]
    assert "(the variables it binds: C, G, Min, N, S)" in found[0].message  # atoms, assignments and aggregates


def test_an_unknown_parameter_gets_a_suggestion(tmp_path: Path) -> None:
    rules = (
        "@id(invited3)\n"
        '@cite("1", "1")\n'
        '@nl("{S} ten minste {$resit_mn}")\n'
        "resit_invited(S, C) :- result(S, C, G), G >= $resit_min.\n"
    )
    _, [f] = _lint(tmp_path, rules)
    assert (f.code, _at(f)) == ("template_unknown_parameter", (3, 21))
    assert "did you mean {$resit_min}?" in f.message


def test_a_stray_brace_is_an_error(tmp_path: Path) -> None:
    rules = '@id(invited4)\n@cite("1", "1")\n@nl("{S} krijgt { C }")\n' + RULE
    _, found = _lint(tmp_path, rules)
    assert [(f.code, _at(f)) for f in found] == [("template_syntax", (3, 17)), ("template_syntax", (3, 21))]


def test_a_number_equal_to_a_parameter_the_rule_reads_is_flagged(tmp_path: Path) -> None:
    rules = (
        "@id(invited5)\n"
        '@cite("1", "1")\n'
        '@nl("{S}: cijfer {G} is ten minste 4,0 (art. 1 lid 4; \\"4.0\\" niet)")\n'
        '@en("{S}: grade {G} is at least {$resit_min}, not 4.5")\n'
        "resit_invited(S, C) :- result(S, C, G), G >= $resit_min.\n"
    )
    _, found = _lint(tmp_path, rules)
    # 4,0 is the value of $resit_min (4.0); "art. 1", "lid 4" are references; the escaped "4.0" is a number too,
    # and its column counts the backslash; the English text shows the parameter itself, and 4.5 is another number
    assert [(f.severity, f.code, _at(f)) for f in found] == [
        ("warning", "template_parameter_value", (3, 36)),
        ("warning", "template_parameter_value", (3, 57)),
    ]
    assert "writes 4,0, the value of $resit_min" in found[0].message
    assert found[0].hint is not None and "{$resit_min}" in found[0].hint


def test_a_clean_template_has_no_findings(tmp_path: Path) -> None:
    rules = '@id(ok)\n@cite("1", "1")\n@nl("{S} ten minste {$resit_min}: {G}")\n' + RULE
    assert _lint(tmp_path, rules)[1] == []


def test_the_bundled_kb_has_no_template_findings(bundled_kb: KnowledgeBase) -> None:
    found = [f.render() for d in bundled_kb.documents.values() for f in template_findings(d.program, d.id)]
    assert found + [f.render() for f in template_findings(bundled_kb.scope, None)] == []


def test_the_numbers_of_a_template_leave_references_and_placeholders_out() -> None:
    text = "art. 5.4 lid 3: {M} ligt in 4,95 t/m 5,49 (5.5 lid 2), {$pass_grade}; 12 maanden"
    assert [n for n, _, _ in templates.numbers(text)] == [Decimal("4.95"), Decimal("5.49"), Decimal("12")]


def test_fill_params_writes_the_value_for_the_language_and_names_an_open_choice() -> None:
    decl = ir.ParamDecl("pass_grade", "decimal", None, ir.Annotations(nl="de cesuur", en="the pass mark"))
    text = "lager dan {$pass_grade} ({M})"
    assert templates.fill_params(text, {"pass_grade": Decimal("6.0")}, [decl], "nl") == "lager dan 6,0 ({M})"
    assert templates.fill_params(text, {"pass_grade": Decimal("6.0")}, [decl], "en") == "lager dan 6.0 ({M})"
    assert (
        templates.fill_params(text, {"pass_grade": None}, [decl], "nl")
        == "lager dan de cesuur (nog niet gekozen) ({M})"
    )
    assert templates.fill_params("{$name}", {"name": "{S}"}, [], "nl") == "(S)"  # never a placeholder


def test_the_plan_puts_each_option_of_an_open_choice_in_its_copy() -> None:
    program = parse_program(
        "@options(6, 5.5)\nparam pass_grade : decimal = unfilled.\n"
        '@id(passed)\n@nl("{S} haalde {G}, ten minste {$pass_grade}")\n'
        "passed(S, C) :- result(S, C, G), G >= $pass_grade.\n",
        "t.dl",
    )
    plan = build_plan(program)
    assert sorted(cr.source.ann.nl for cr in plan.rules if cr.source.ann.nl) == [
        "{S} haalde {G}, ten minste 5,5",
        "{S} haalde {G}, ten minste 6",
    ]
    filled = build_plan(program, {"pass_grade": Decimal("5.5")})
    assert [cr.source.ann.nl for cr in filled.rules if cr.source.ann.nl] == ["{S} haalde {G}, ten minste 5,5"]


def test_why_under_an_override_states_the_band_of_the_run(cli) -> None:  # type: ignore[no-untyped-def]
    goal = 'failed("bas", "geochemistry")'

    def words(out: str) -> str:  # the text as read: the lines wrapped at 100 columns joined again
        return " ".join(out.split())

    plain = words(cli("why", goal, "--case", BAS, cwd=ROOT).out)
    assert "gemiddelde 5,45 ligt in de band van ten minste 4,95 en lager dan 5,5 en is onvoldoende" in plain
    raised = words(cli("why", goal, "--case", BAS, "--param", "pass_grade=6.0", cwd=ROOT).out)
    assert raised.startswith("Let op: berekend met pass_grade = 6,0 (in de regeling: 5,5)")
    assert "gemiddelde 5,45 ligt in de band van ten minste 4,95 en lager dan 6,0 en is onvoldoende" in raised
    assert "5,49" not in raised.split("“")[0]  # the summary and the decisive statement (the provision quotes 5,49)
    en = words(cli("why", goal, "--case", BAS, "--param", "pass_grade=6.0", "--lang", "en", cwd=ROOT).out)
    assert "lies in the band from 4.95 up to but not including 6.0 and is insufficient" in en
