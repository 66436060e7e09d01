"""One JSON type per kind of value (issue 17), stated in the schemas of src/oerlog/schemas/ and tested against them:
every JSON output (docs, docs DOC, docs --vocabulary, docs --stats, coverage, impact, lint, query, a saved query's
list and comparison, appeal, batch, whatif, check) names its schema and validates against it; a decimal is a string in
plain notation ("4.3", "6.0": never the number 6), an integer a number, a date an ISO string; no output holds a
fractional JSON number."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import BUNDLED

from oerlog.cohort.generate import generate
from oerlog.kb.loader import load_kb
from oerlog.values import decimal_text, json_row, json_value, plain_text

ROOT = Path(__file__).parent.parent
ANNA = "kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml"
BAS = "kb/uu-geo-ma-oer-2019/cases/bas-grade-5-45.yaml"


def _schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files("oerlog.schemas").joinpath(f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def _numbers(data: object, path: str = "") -> list[tuple[str, object]]:
    """Every JSON number in ``data`` that is not an integer (a float), with where it is."""
    if isinstance(data, dict):
        return [x for k, v in data.items() for x in _numbers(v, f"{path}.{k}")]
    if isinstance(data, list):
        return [x for i, v in enumerate(data) for x in _numbers(v, f"{path}[{i}]")]
    return [(path, data)] if isinstance(data, float) else []


def _check(out: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(out)
    schema = _schema(name)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5]]
    assert data["schema"] == schema["$id"]
    assert _numbers(data) == []
    return data


OUTPUTS = [
    ("documents", ("docs",)),
    ("document", ("docs", "uu-geo-ma-oer-2019")),
    ("vocabulary", ("docs", "--vocabulary")),
    ("stats", ("docs", "--stats")),
    ("coverage", ("coverage", "uu-gnk-ba-2025")),
    ("impact", ("impact", "$resit_min_grade")),
    ("impact", ("impact", "--on", "resit_excluded", "--doc", "uu-gnk-ba-2025")),
    ("lint", ("lint", "uu-gnk-ba-2025")),
    ("query", ("query", "final_grade(S, C, G)", "--case", BAS)),
    ("query", ("run", "queries/joker-allowed.yaml")),
    ("compare", ("run", "queries/compare-second-chance-and-cum-laude.yaml")),
    ("dossier", ("appeal", "--case", ANNA, "--decision", 'resit_excluded("anna", "vorm_en_functie")')),
    ("diff", ("diff", "uu-gnk-ba-2025", "tests/fixtures/sources/uu-gnk-ba-2026.txt")),
]


@pytest.mark.parametrize(("name", "args"), OUTPUTS, ids=[" ".join(a) for _, a in OUTPUTS])
def test_every_json_output_validates_against_its_schema(cli, name: str, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    r = cli(*args, "--format", "json", cwd=ROOT)
    assert r.code == 0, r.err
    _check(r.out, name)


def test_values_are_typed_by_their_kind_not_by_how_python_holds_them(cli) -> None:  # type: ignore[no-untyped-def]
    q = _check(cli("query", "final_grade(S, C, G)", "--case", BAS, "--format", "json", cwd=ROOT).out, "query")
    # the final grades 5 and 6 come from parameters and rules as whole numbers: a grade is still a decimal
    assert q["rows"] == [["bas", "geochemistry", "5.0"], ["bas", "tectonics", "6.0"]]
    doc = _check(cli("docs", "uu-geo-ma-oer-2019", "--format", "json", cwd=ROOT).out, "document")
    params = {p["name"]: p["value"] for p in doc["parameters"]}
    assert params["pass_grade"] == "5.5" and params["sufficient_final_grade"] == "6.0"  # decimals, one notation
    assert params["final_grade_decimals"] == 1 and params["academic_year"] == 2019  # integers
    assert params["programme_start_date"] == "2019-09-01" and doc["meta"]["valid_from"] == "2019-09-01"
    voc = _check(cli("docs", "--vocabulary", "--format", "json", cwd=ROOT).out, "vocabulary")
    grade = next(f for f in voc["relations"]["test_result"]["fields"] if f["name"] == "grade")
    assert grade["examples"] and all(isinstance(v, str) and "." in v for v in grade["examples"])
    kind = next(f for f in voc["relations"]["course"]["fields"] if f["name"] == "kind")
    assert "block" in kind["values"] and set(kind["examples"]) <= set(kind["values"])


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("schemas") / "cohort"
    generate(load_kb(BUNDLED), folder, 40, seed=5, doc_ids=["uu-geo-ma-oer-2019"])
    return folder


def test_batch_and_whatif_validate(cli, cohort: Path) -> None:  # type: ignore[no-untyped-def]
    base = ("--doc", "uu-geo-ma-oer-2019", "--data", str(cohort))
    b = cli("batch", *base, "--goal", "final_grade", "--format", "json", cwd=ROOT)
    assert b.code == 0, b.err
    data = _check(b.out, "batch")
    assert data["conclusions"][0]["first_column"] == "student"
    w = cli("whatif", *base, "--set", "pass_grade=6.0", "--goal", "final_grade", "--format", "json",
            "--examples", "1", cwd=ROOT)  # fmt: skip
    assert w.code == 0, w.err
    changes = _check(w.out, "whatif")["changes"]
    assert changes and {type(ch["args"]["grade"]) for ch in changes} == {str}


def test_the_value_encoder() -> None:
    assert [decimal_text(Decimal(x)) for x in ("5.50", "6", "5.45", "1E+1", "-0.5")] == [
        "5.5",
        "6.0",
        "5.45",
        "10.0",
        "-0.5",
    ]
    assert json_value(6, "grade") == "6.0" and json_value(6, "dec") == "6.0" and json_value(6) == 6
    assert json_value(Decimal("2019"), "integer") == 2019 and json_value(Decimal("4.30")) == "4.3"
    assert json_value(dt.date(2025, 9, 1)) == "2025-09-01" and json_value(True, "integer") is True
    assert json_value(None, "grade") is None and json_value("s1", "id") == "s1"
    assert json_row(("s1", 5, 2019), ["str", "dec", "int"]) == ["s1", "5.0", 2019]
    assert [plain_text(v) for v in (Decimal("6"), True, dt.date(2025, 1, 2), "x")] == ["6.0", "true", "2025-01-02", "x"]


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for c in node["children"] for n in _nodes(c))]


def test_explanation_validates_with_values_by_their_kind_and_the_overrides(cli) -> None:  # type: ignore[no-untyped-def]
    """why --format json (oerlog.explanation/2): the weight 1 of a component and the final grade 5 are whole
    numbers in Python and decimals by their kind, so "1.0" and "5.0" in args and bindings; a year stays a number;
    the parameters overridden for the run are listed with the document's value."""
    goal = 'final_grade("bas", "geochemistry", G)'
    r = cli("why", goal, "--case", BAS, "--param", "pass_grade=6.0", "--format", "json", cwd=ROOT)
    assert r.code == 0, r.err
    data = _check(r.out, "explanation")
    assert data["overrides"] == [{"parameter": "pass_grade", "value": "6.0", "declared": "5.5"}]
    nodes = _nodes(data["tree"])
    assert data["tree"]["args"] == ["bas", "geochemistry", "5.0"] and data["tree"]["bindings"]["G"] == "5.0"
    weights = [n for n in nodes if n["predicate"] == "course_component"]
    assert weights and all(n["args"][1] == 2019 and n["args"][3] == "1.0" for n in weights)
    assert all(n["bindings"]["W"] == "1.0" and n["bindings"]["Y"] == 2019 for n in weights)
    assert data["summary"]["values"][0]["bindings"] == {"M": "5.45", "Pass": "6.0"}
    plain = _check(cli("why", goal, "--case", BAS, "--format", "json", cwd=ROOT).out, "explanation")
    assert plain["overrides"] == []


def test_the_check_report_validates_against_its_schema(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``oerlog check --format json`` (a small KB: two documents with different pass marks, compared on request):
    findings with their sides, proofs and witness, as the schema states them."""
    from tests.test_consistency import PASS_6, PASS_55, make_kb

    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    r = cli("--kb", str(root), "check", "a", "--against", "b", "--format", "json", "--witness-dir", str(tmp_path / "w"))
    assert r.code == 1, r.err  # an open divergence
    data = _check(r.out, "check")
    divergence = next(f for f in data["findings"] if f["kind"] == "divergence")
    assert divergence["witness"]["yaml"] and any(s["proof"] for s in divergence["sides"])
    assert data["pairs"] == [{"document": "a", "other": "b", "relation": "against"}]
