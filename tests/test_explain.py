"""Explanations: proof trees, why-not, exceptions, discretion, unfilled choices; renderers (golden files)."""

import json
from importlib import resources

import jsonschema
import pytest
from conftest import MINI, golden

from oerlog.evaluation.judge import judge
from oerlog.explain.explainer import Explainer
from oerlog.kb.cases import load_case
from oerlog.lang.parser import parse_atom

CASE = MINI / "mini-doc/cases/anna.yaml"


@pytest.fixture(scope="module")
def ex(mini_kb):
    case = load_case(CASE, mini_kb.vocabulary)
    j = judge(mini_kb, case)
    return Explainer(j.model, j.document, case.sources)


def test_proof_quotes_provision_and_shows_comparison_and_fact_source(ex):
    node = ex.why("resit_excluded", ("anna", "bio"))
    assert node.kind == "derived" and node.rule.id == "excluded_low" and node.height == 1
    cite, prov = node.rule.citations[0]
    assert prov.text.startswith("Als je lager dan een 4,0 hebt behaald")
    fact, comparison = node.children
    assert fact.kind == "fact" and fact.source.line == 8 and str(fact.source).endswith("anna.yaml:8:7")
    assert comparison.kind == "builtin" and comparison.text == "3,8 < 4,0"


def test_proof_lists_exceptions_considered(ex):
    node = ex.why("resit_excluded", ("dirk", "bio"))
    kinds = [c.kind for c in node.children]
    assert kinds == ["fact", "absent", "exception_checked"]
    assert node.children[2].rule.id == "resit_only_exception"
    assert node.children[2].children[0].kind == "missing_fact"


def test_whynot_reports_first_failing_comparison_with_values(ex):
    node = ex.whynot(parse_atom('resit_invited("anna", "bio")'))
    assert node.kind == "goal"
    (rule,) = node.children
    assert rule.kind == "rule_failed" and rule.failed_literal == "G >= 4.0"
    assert rule.children[0].kind == "builtin_false" and rule.children[0].text == "3,8 >= 4,0"


def test_whynot_five_forty_five_fails_on_upper_bound(ex):
    rule = ex.whynot(parse_atom('resit_invited("bob", "bio")')).children[0]
    assert rule.children[0].text == "5,45 <= 5,4"


def test_whynot_shows_exception_that_fired(ex):
    node = ex.whynot(parse_atom('resit_excluded("eva", "bio")'))
    absent_rule = next(c for c in node.children if c.rule.id == "excluded_absent")
    defeated = absent_rule.children[0]
    assert defeated.kind == "defeated" and defeated.rule.id == "resit_only_exception"
    assert defeated.children[0].kind == "fact" and defeated.children[0].atom == 'resit_only("eva", "bio")'


def test_whynot_unfilled_choice_and_when_goal_holds(ex):
    node = ex.whynot(parse_atom("bonus_applies(X)"))  # an unfilled choice: undetermined, naming the choice
    assert node.kind == "undetermined"
    unfilled = [n for c in node.children for n in c.children if n.kind == "unfilled"]
    assert unfilled and unfilled[0].params == ["faculty_bonus"]
    assert ex.whynot(parse_atom('resit_excluded("anna", C)')).kind == "holds"


def test_whynot_recurses_into_derived_predicates(ex):
    node = ex.whynot(parse_atom('may_ask_exception("carla", "bio")'))
    inner = node.children[0].children[0]
    assert inner.kind == "goal" and {c.rule.id for c in inner.children} == {"excluded_low", "excluded_absent"}


def test_discretion_is_visible(ex):
    node = ex.why("may_ask_exception", ("anna", "bio"))
    assert "examencommissie" in node.rule.discretion


def test_text_renderings_golden(cli):
    r = cli("--kb", str(MINI), "why", 'resit_excluded(S, "bio")', "--case", str(CASE))
    assert r.code == 0
    golden("mini_why_nl.txt", r.out.replace(str(MINI) + "/", ""))
    r = cli("--kb", str(MINI), "whynot", 'resit_excluded("eva", "bio")', "--case", str(CASE), "--lang", "en")
    golden("mini_whynot_en.txt", r.out.replace(str(MINI) + "/", ""))
    r = cli("--kb", str(MINI), "why", 'may_ask_exception("anna", C)', "--case", str(CASE), "--format", "md")
    golden("mini_why_nl.md", r.out.replace(str(MINI) + "/", ""))


def test_json_output_follows_the_published_schema(cli):
    schema = json.loads(resources.files("oerlog").joinpath("schemas/explanation.schema.json").read_text())
    for args in (
        ["why", 'resit_excluded("anna", "bio")'],
        ["whynot", 'resit_excluded("eva", "bio")'],
        ["whynot", "bonus_applies(X)"],
        ["why", "n_results(S, N)"],
    ):
        r = cli("--kb", str(MINI), *args, "--case", str(CASE), "--format", "json")
        assert r.code == 0, r.err
        data = json.loads(r.out)
        for doc in data if isinstance(data, list) else [data]:
            jsonschema.validate(doc, schema)
            assert doc["receipt"]["document"] == "mini-doc"
    data = json.loads(
        cli("--kb", str(MINI), "why", 'resit_excluded("anna", "bio")', "--case", str(CASE), "--format", "json").out
    )
    assert data["tree"]["rule"]["citations"][0]["text"].startswith("Als je lager")
    assert data["tree"]["children"][0]["args"] == ["anna", "bio", "3.8"]


def test_why_of_something_false_exits_1(cli):
    r = cli("--kb", str(MINI), "why", 'resit_invited("anna", "bio")', "--case", str(CASE))
    assert r.code == 1 and "whynot" in r.err


def test_document_chosen_by_scope_rules(mini_kb):
    case = load_case(CASE, mini_kb.vocabulary)
    j = judge(mini_kb, case)
    assert j.document.id == "mini-doc" and j.selection == "scope"
