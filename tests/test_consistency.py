"""`oerlog check`: small two-document KBs that trigger each finding kind, with the witness asserted."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from oerlog.analysis.consistency import (
    Checker,
    Finding,
    Report,
    apply_accepted,
    boundaries,
    load_accepted,
    pairwise_combinations,
    report_dict,
    to_markdown_report,
    to_text_report,
    write_witnesses,
)
from oerlog.backends.pydatalog import evaluate
from oerlog.errors import ValidationError
from oerlog.kb.cases import load_case
from oerlog.kb.loader import load_kb
from oerlog.semantics.plan import build_plan
from oerlog.values import FUNCTIONS

VOCABULARY = """
relations:
  result:
    doc: "An unrounded grade for a course."
    fields:
      - {name: student, type: id}
      - {name: course, type: id}
      - {name: grade, type: grade}
  request:
    doc: "A request made on a date."
    fields:
      - {name: student, type: id}
      - {name: course, type: id}
      - {name: date, type: date}
  exam_date:
    doc: "The date of the course's exam."
    fields:
      - {name: course, type: id}
      - {name: date, type: date}
  reference_date:
    doc: "The date the question is asked."
    fields:
      - {name: date, type: date}
concepts:
  passed:
    doc: "Passed."
    fields: [{name: student, type: id}, {name: course, type: id}]
    exclusive_with: [failed]
  failed:
    doc: "Failed."
    fields: [{name: student, type: id}, {name: course, type: id}]
  resit_allowed:
    doc: "May resit."
    fields: [{name: student, type: id}, {name: course, type: id}]
    exclusive_with: [resit_excluded]
  resit_excluded:
    doc: "Excluded from the resit."
    fields: [{name: student, type: id}, {name: course, type: id}]
  final_grade:
    doc: "Final grade."
    fields: [{name: student, type: id}, {name: course, type: id}, {name: grade, type: decimal}]
  request_timely:
    doc: "The request was in time."
    fields: [{name: student, type: id}, {name: course, type: id}]
parameters:
  pass_grade: {type: decimal, doc: "lowest pass"}
"""

OUTCOMES = """
outcome_sets:
  pass_or_fail:
    doc: "every result is a pass or a fail"
    concepts: [passed, failed]
    over: [S, C]
    when: "result(S, C, _)"
"""

ARTICLES = """articles:
  "1":
    title: "Slagen"
    status: encoded
    lids:
      "1": "Een tentamen is behaald bij een cijfer van tenminste de norm."
      "2": "Wie niet slaagt, mag herkansen, zie ook lid 1."
  "2":
    title: "Herkansing"
    status: encoded
    text: "Het verzoek wordt uiterlijk een week voor het tentamen ingediend."
"""

CASE = """reference_date: 2025-11-03
facts:
  result:
    - {student: s1, course: c1, grade: 5.0}
"""


def make_kb(tmp_path: Path, docs: dict[str, dict[str, Any]], outcome_sets: bool = False) -> Path:
    """A KB folder with one document per entry: {kind, frame, rules, articles, case, tests}."""
    root = tmp_path / "kb"
    root.mkdir()
    (root / "vocabulary.yaml").write_text(VOCABULARY + (OUTCOMES if outcome_sets else ""))
    for doc_id, spec in docs.items():
        folder = root / doc_id
        (folder / "cases").mkdir(parents=True)
        meta = {
            "id": doc_id,
            "title": f"Regeling {doc_id}",
            "kind": spec.get("kind", "oer"),
            "academic_year": 2025,
            "frame": spec.get("frame"),
            "programmes": [doc_id],
        }
        (folder / "document.yaml").write_text(yaml.safe_dump(meta))
        (folder / "articles.yaml").write_text(spec.get("articles", ARTICLES))
        (folder / "rules.dl").write_text(spec["rules"])
        (folder / "cases" / "seed.yaml").write_text(spec.get("case", CASE))
        if "tests" in spec:
            (folder / "tests").mkdir()
            (folder / "tests" / "scenarios.yaml").write_text(spec["tests"])
    return root


PASS_55 = """
@cite("1", "1") param pass_grade : decimal = 5.5.
@id(passed_at_norm) @cite("1", "1") passed(S, C) :- result(S, C, G), G >= $pass_grade.
@id(failed_below_norm) @cite("1", "1") failed(S, C) :- result(S, C, G), G < $pass_grade.
@id(resit_if_failed) @cite("1", "2") resit_allowed(S, C) :- failed(S, C).
"""

PASS_6 = """
@cite("1", "1") param pass_grade : decimal = 6.0.
@id(passed_rounded) @cite("1", "1") passed(S, C) :- result(S, C, G), G >= $pass_grade.
@id(failed_rounded) @cite("1", "1") failed(S, C) :- result(S, C, G), G < $pass_grade.
"""


def run_check(root: Path, *docs: str, against: str | None = None) -> Report:
    kb = load_kb(root)
    return Checker(kb, list(docs) or None, against, seed=1, budget=60).run()


def only(report: Report, kind: str) -> list[Finding]:
    return [f for f in report.findings if f.kind == kind]


def witness_grade(f: Finding) -> Decimal:
    assert f.witness is not None
    data = yaml.safe_load(f.witness)
    return Decimal(str(data["facts"]["result"][0]["grade"]))


# --- scenario generation ------------------------------------------------------------------------------


def test_boundaries_find_both_sides_of_a_rounded_threshold() -> None:
    round_half_up = FUNCTIONS["round_half_up"][1]

    def invited(x: Any) -> bool:
        return bool(round_half_up(x, 1) <= Decimal("5.4"))

    vals = boundaries(invited, Decimal("5.0"), "grade")
    assert Decimal("5.44") in vals and Decimal("5.45") in vals
    assert Decimal("5.4") in vals and Decimal("5.5") in vals


def test_boundaries_of_a_date_deadline() -> None:
    import datetime as dt

    deadline = dt.date(2025, 8, 25)
    vals = boundaries(lambda d: d <= deadline, dt.date(2025, 8, 1), "date")
    assert vals == [dt.date(2025, 8, 25), dt.date(2025, 8, 26)]


def test_pairwise_covers_every_pair() -> None:
    from oerlog.analysis.consistency import Dimension

    dims = [Dimension(((f"r{i}", (), 0),), tuple(range(4)), f"d{i}") for i in range(4)]
    combos = pairwise_combinations(dims, 100)
    assert 16 <= len(combos) < 4**4
    for i, j in [(0, 1), (1, 3), (0, 3)]:
        seen = {(dict((d.label, v) for d, v in c)[f"d{i}"], dict((d.label, v) for d, v in c)[f"d{j}"]) for c in combos}
        assert len(seen) == 16


def test_scenarios_are_deterministic_and_counted(tmp_path: Path) -> None:
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    r1, r2 = run_check(root), run_check(root)
    assert r1.stats.scenarios == r2.stats.scenarios > 3
    assert r1.stats.boundary >= 2 and r1.stats.seconds > 0
    assert [f.id for f in r1.findings] == [f.id for f in r2.findings]


# --- one test per finding kind --------------------------------------------------------------------------


def test_divergence_between_two_oers_with_witness(tmp_path: Path) -> None:
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    report = run_check(root)
    div = [f for f in only(report, "divergence") if f.concept in ("passed/failed", "failed/passed")]
    assert div, [f.title for f in report.findings]
    f = div[0]
    assert f.severity == "warning" and sorted(f.documents) == ["a", "b"]
    assert Decimal("5.5") <= witness_grade(f) < Decimal("6.0")
    holds = {s.document: s for s in f.sides}
    assert holds["a"].holds and holds["b"].holds and holds["a"].proof is not None
    assert any("tenminste de norm" in q for _, q in holds["a"].citations)


def test_divergence_on_exclusive_concepts_only_one_document_has(tmp_path: Path) -> None:
    a = PASS_55 + '@id(resit_band) @cite("1", "2") resit_excluded(S, C) :- result(S, C, G), G < 4.0.\n'
    b = '@id(resit_b) @cite("1", "2") resit_allowed(S, C) :- result(S, C, G), G < 5.5.\n'
    root = make_kb(tmp_path, {"a": {"rules": a}, "b": {"rules": b}})
    report = run_check(root)
    clash = [f for f in only(report, "divergence") if f.concept == "resit_excluded/resit_allowed"]
    assert clash, [f.title for f in report.findings]
    assert witness_grade(clash[0]) < Decimal("4.0")
    # and inside a, resit_allowed (failed) and resit_excluded (below 4,0) contradict each other
    assert any(f.concept == "resit_allowed/resit_excluded" for f in only(report, "contradiction"))


def test_divergence_when_one_document_drops_a_conclusion_it_draws_nearby(tmp_path: Path) -> None:
    a = '@id(band) @cite("1", "2") resit_allowed(S, C) :- result(S, C, G), G >= 4.0, G < 5.5.\n'
    b = '@id(any_fail) @cite("1", "2") resit_allowed(S, C) :- result(S, C, G), G < 5.5.\n'
    root = make_kb(tmp_path, {"a": {"rules": a}, "b": {"rules": b}})
    div = [f for f in only(run_check(root), "divergence") if f.concept == "resit_allowed"]
    assert div and "neighbouring scenario" in div[0].title
    assert witness_grade(div[0]) < Decimal("4.0")
    sides = {s.document: s for s in div[0].sides}
    assert sides["b"].holds and sides["a"].holds is False and sides["a"].proof is not None


def test_value_divergence_on_final_grade(tmp_path: Path) -> None:
    a = '@id(fg_a) @cite("1", "1") final_grade(S, C, R) :- result(S, C, G), R = round_half_up(G, 0).\n'
    b = '@id(fg_b) @cite("1", "1") final_grade(S, C, R) :- result(S, C, G), R = round_half_up(G, 1).\n'
    case = CASE.replace("5.0", "5.46")
    root = make_kb(tmp_path, {"a": {"rules": a, "case": case}, "b": {"rules": b, "case": case}})
    f = only(run_check(root), "divergence")
    assert f and f[0].concept == "final_grade" and "a gives 5, b gives 5,5" in f[0].title


def test_frame_violation_and_refinement(tmp_path: Path) -> None:
    ra = """
@id(ra_excluded_low) @cite("1", "2") resit_excluded(S, C) :- result(S, C, G), G < 4.0.
@id(ra_passed) @cite("1", "1") passed(S, C) :- result(S, C, G), G >= 8.0.
"""
    root = make_kb(tmp_path, {"oer": {"rules": PASS_55}, "ra": {"kind": "ra", "frame": "oer", "rules": ra}})
    report = run_check(root, "ra")
    assert ("ra", "oer", "frame") in report.pairs
    fv = only(report, "frame_violation")
    assert fv and fv[0].severity == "error"
    assert witness_grade(fv[0]) < Decimal("4.0")
    sides = {s.document: s for s in fv[0].sides}
    assert sides["ra"].statement.startswith("resit_excluded") and sides["oer"].statement.startswith("resit_allowed")
    ref = only(report, "refinement")
    assert ref and all(f.severity == "info" for f in ref)
    # the R&A concludes passed only from 8,0: for 5,5 .. 8,0 the OER passes and the R&A says nothing
    assert any(Decimal("5.5") <= witness_grade(f) < Decimal("8.0") for f in ref if f.concept == "passed")


def test_contradiction_inside_one_document(tmp_path: Path) -> None:
    rules = """
@id(p) @cite("1", "1") passed(S, C) :- result(S, C, G), G >= 5.5.
@id(f) @cite("1", "1") failed(S, C) :- result(S, C, G), G < 6.0.
"""
    root = make_kb(tmp_path, {"a": {"rules": rules}})
    c = only(run_check(root), "contradiction")
    assert c and c[0].severity == "error" and c[0].documents == ["a"]
    assert Decimal("5.5") <= witness_grade(c[0]) < Decimal("6.0")
    assert {s.rules[0] for s in c[0].sides} == {"p", "f"}


def test_gap_in_an_exhaustive_outcome_set(tmp_path: Path) -> None:
    rules = """
@id(p) @cite("1", "1") passed(S, C) :- result(S, C, G), G >= 6.0.
@id(f) @cite("1", "1") failed(S, C) :- result(S, C, G), G < 5.5.
"""
    root = make_kb(tmp_path, {"a": {"rules": rules}}, outcome_sets=True)
    g = only(run_check(root), "gap")
    assert g and g[0].concept == "pass_or_fail" and g[0].severity == "error"
    assert Decimal("5.5") <= witness_grade(g[0]) < Decimal("6.0")
    assert all(s.holds is False and s.proof is not None for s in g[0].sides)


def test_outcome_set_with_a_bad_body_is_a_located_error(tmp_path: Path) -> None:
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}})
    voc = root / "vocabulary.yaml"
    voc.write_text(voc.read_text() + OUTCOMES.replace('"result(S, C, _)"', '"result(S, C, _"'))
    with pytest.raises(ValidationError) as exc:
        load_kb(root)
    assert "'when' is not a rule body" in exc.value.message
    assert exc.value.location is not None and exc.value.location.line > 1


def test_parameter_difference(tmp_path: Path) -> None:
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    p = only(run_check(root), "parameter_difference")
    assert len(p) == 1 and p[0].severity == "info"
    assert {s.statement for s in p[0].sides} == {"$pass_grade = 5,5", "$pass_grade = 6,0"}
    assert all(s.citations and s.citations[0][0] == "art. 1 lid 1" for s in p[0].sides)


def test_unfilled_template_choice(tmp_path: Path) -> None:
    rules = """
@cite("2") param request_days : integer = unfilled.
@id(timely) @cite("2") request_timely(S, C) :- request(S, C, D), exam_date(C, E), D <= add_days(E, 0 - $request_days).
"""
    root = make_kb(tmp_path, {"t": {"rules": PASS_55 + rules}})
    u = only(run_check(root), "unfilled_choice")
    assert u and u[0].concept == "request_days" and "request_timely" in u[0].title


def test_worked_example_disagreeing_with_its_rule(tmp_path: Path) -> None:
    tests = """scenarios:
  - name: the text says 5,5 fails
    rule: passed_at_norm
    source_example: "Voorbeeld: met een 5,5 ben je gezakt."
    disagrees: "the rule passes 5,5 (tenminste de norm)"
    case: {facts: {result: [{student: s, course: c, grade: 5.5}]}}
    expect: ['passed("s", "c")']
"""
    root = make_kb(tmp_path, {"a": {"rules": PASS_55, "tests": tests}})
    w = only(run_check(root), "worked_example")
    assert w and w[0].severity == "warning"
    assert "5,5" in w[0].sides[0].statement and w[0].sides[1].proof is not None
    assert w[0].witness and "grade: 5.5" in w[0].witness


def test_dangling_reference(tmp_path: Path) -> None:
    arts = ARTICLES.replace("zie ook lid 1.", "zie ook artikel 9 lid 2 en artikel 7.12 van de WHW.")
    root = make_kb(tmp_path, {"a": {"rules": PASS_55, "articles": arts}})
    d = only(run_check(root), "dangling_reference")
    assert len(d) == 1  # the WHW reference is external
    assert d[0].severity == "error" and "art. 9 lid 2" in d[0].title and "art. 1 lid 2" in d[0].title


# --- ids, acceptance, witnesses, reports, CLI -------------------------------------------------------------


def test_witness_files_rerun_with_oerlog_why(tmp_path: Path, cli: Any) -> None:
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    report = run_check(root)
    write_witnesses(report, tmp_path / "w")
    f = next(f for f in report.findings if f.kind == "divergence")
    assert f.witness_file and Path(f.witness_file).is_file()
    kb = load_kb(root)
    case = load_case(f.witness_file, kb.vocabulary)
    for side in f.sides:
        model = evaluate(build_plan(kb.documents[side.document].program), case.facts, isolate=False)
        pred = side.statement.split("(")[0]
        assert bool(model.tuples(pred)) == bool(side.holds)
        res = cli("--kb", str(root), "why", side.goal or "", "--case", f.witness_file, "--doc", side.document)
        assert res.code == (0 if side.holds else 1)


def test_accept_file_and_exit_codes(tmp_path: Path, cli: Any) -> None:
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    wd = str(tmp_path / "w")
    res = cli("--kb", str(root), "check", "--format", "json", "--witness-dir", wd)
    assert res.code == 1
    data = json.loads(res.out)
    assert data["schema"] == "oerlog.check/1" and data["stats"]["scenarios"] > 0
    open_ids = [f["id"] for f in data["findings"] if f["severity"] != "info"]
    assert open_ids and all(f["witness"] is None or f["witness"]["yaml"] for f in data["findings"])
    accept = tmp_path / "accept.yaml"
    accept.write_text("".join(f'- {{id: {i}, reason: "reviewed: the programmes differ"}}\n' for i in open_ids))
    res = cli("--kb", str(root), "check", "--accept", str(accept), "--witness-dir", wd)
    assert res.code == 0, res.out
    assert "accepted: reviewed: the programmes differ" in res.out
    accept.write_text(f"- {{id: {open_ids[0]}}}\n")
    res = cli("--kb", str(root), "check", "--accept", str(accept), "--witness-dir", wd)
    assert res.code == 2 and "gives no reason" in res.err


def test_stale_acceptance_is_reported(tmp_path: Path) -> None:
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    report = run_check(root)
    acc = tmp_path / "a.yaml"
    acc.write_text('- {id: d-0000000000, reason: "old"}\n')
    apply_accepted(report, load_accepted(acc))
    assert report.stale_acceptances == ["d-0000000000"]
    assert "no longer occurs" in to_text_report(report)


def test_markdown_and_json_reports_cite_both_sides(tmp_path: Path) -> None:
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    report = run_check(root)
    md = to_markdown_report(report)
    assert "# Consistentiecontrole" in md and "```yaml" in md and "> Een tentamen is behaald" in md
    data = report_dict(report)
    div = next(f for f in data["findings"] if f["kind"] == "divergence")
    assert len(div["sides"]) == 2 and all(s["citations"] for s in div["sides"])
    assert div["sides"][0]["proof"]["kind"] == "derived"


def test_compare_query(tmp_path: Path, cli: Any) -> None:
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    q = tmp_path / "q.yaml"
    q.write_text("title: Slagen\nmode: compare\nconcepts: [passed, resit_allowed]\n")
    res = cli("--kb", str(root), "run", str(q))
    assert res.code == 0
    assert "$pass_grade = 5.5" in res.out and "$pass_grade = 6.0" in res.out
    assert "resit_if_failed" in res.out and "b (oer): no rule" in res.out


def test_bundled_compare_query_runs() -> None:
    from oerlog.analysis.compare import compare_rules
    from oerlog.analysis.queries import load_query

    q = load_query(Path(__file__).parent.parent / "queries" / "compare-second-chance-and-cum-laude.yaml")
    assert q.mode == "compare" and "cum_laude" in q.concepts
    kb = load_kb(Path(__file__).parent.parent / "kb")
    data = compare_rules(kb, q.concepts)
    assert len(data) == len(kb.documents)
