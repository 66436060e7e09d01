"""`oerlog check`: small two-document KBs that trigger each finding kind, with the witness asserted."""

from __future__ import annotations

import json
import re
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


def run_check(root: Path, *docs: str, against: str | None = None, across: bool = False, lang: str = "en") -> Report:
    kb = load_kb(root)
    return Checker(kb, list(docs) or None, against, seed=1, across=across, lang=lang).run()


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
    r1, r2 = run_check(root, against="b"), run_check(root, against="b")
    assert r1.stats.scenarios == r2.stats.scenarios > 3
    assert r1.stats.boundary >= 2 and r1.stats.seconds > 0
    assert [f.id for f in r1.findings] == [f.id for f in r2.findings]
    assert to_markdown_report(r1) == to_markdown_report(r2)


def test_unrelated_documents_are_not_compared_unless_asked(tmp_path: Path) -> None:
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    assert run_check(root).pairs == []
    across = run_check(root, across=True)
    assert across.pairs == [("a", "b", "across")]
    kinds = {f.kind for f in across.findings}
    assert "institutional_difference" in kinds and "divergence" not in kinds
    assert all(f.severity == "info" for f in across.findings if f.kind == "institutional_difference")


# --- one test per finding kind --------------------------------------------------------------------------


def test_divergence_between_two_oers_with_witness(tmp_path: Path) -> None:
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    report = run_check(root, "a", against="b")
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
    report = run_check(root, "a", against="b")
    clash = [f for f in only(report, "divergence") if f.concept == "resit_allowed/resit_excluded"]
    assert clash, [f.title for f in report.findings]
    assert witness_grade(clash[0]) < Decimal("4.0")
    # and inside a, resit_allowed (failed) and resit_excluded (below 4,0) contradict each other
    assert any(f.concept == "resit_allowed/resit_excluded" for f in only(report, "contradiction"))


def test_across_institutions_a_conclusion_one_document_does_not_draw(tmp_path: Path) -> None:
    a = '@id(band) @cite("1", "2") resit_allowed(S, C) :- result(S, C, G), G >= 4.0, G < 5.5.\n'
    b = '@id(any_fail) @cite("1", "2") resit_allowed(S, C) :- result(S, C, G), G < 5.5.\n'
    root = make_kb(tmp_path, {"a": {"rules": a}, "b": {"rules": b}})
    diff = [f for f in only(run_check(root, across=True), "institutional_difference") if f.concept == "resit_allowed"]
    assert diff and diff[0].severity == "info"
    assert witness_grade(diff[0]) < Decimal("4.0")
    sides = {s.document: s for s in diff[0].sides}
    assert sides["b"].holds and sides["a"].holds is False and sides["a"].proof is not None


def test_value_divergence_on_final_grade(tmp_path: Path) -> None:
    a = '@id(fg_a) @cite("1", "1") final_grade(S, C, R) :- result(S, C, G), R = round_half_up(G, 0).\n'
    b = '@id(fg_b) @cite("1", "1") final_grade(S, C, R) :- result(S, C, G), R = round_half_up(G, 1).\n'
    case = CASE.replace("5.0", "5.46")
    root = make_kb(tmp_path, {"a": {"rules": a, "case": case}, "b": {"rules": b, "case": case}})
    f = only(run_check(root, "a", against="b"), "divergence")
    assert f and f[0].concept == "final_grade" and "a gives 5, b gives 5.5" in f[0].title
    nl = only(run_check(root, "a", against="b", lang="nl"), "divergence")
    assert "a geeft 5, b geeft 5,5" in nl[0].title


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
    p = only(run_check(root, "a", against="b"), "parameter_difference")
    assert len(p) == 1 and p[0].severity == "info"
    assert {s.statement for s in p[0].sides} == {"$pass_grade: 5.5", "$pass_grade: 6.0"}
    assert all(s.rules == ["$pass_grade"] for s in p[0].sides)  # the parameter's name: shown under --detail
    assert all(s.citations and s.citations[0][0] == "art. 1 lid 1" for s in p[0].sides)


def test_unfilled_template_choice(tmp_path: Path) -> None:
    rules = """
@cite("2") param request_days : integer = unfilled.
@id(timely) @cite("2") request_timely(S, C) :- request(S, C, D), exam_date(C, E), D <= add_days(E, 0 - $request_days).
"""
    root = make_kb(tmp_path, {"t": {"rules": PASS_55 + rules}})
    u = only(run_check(root), "unfilled_choice")
    assert u and u[0].concept == "request_days"
    # the title says what is left open and which articles hang on it; the conclusions are named under --detail
    assert "request_days" in u[0].title and "1 conclusion depends on it (art. 2)" in u[0].title
    assert "→ request_timely" in u[0].sides[0].rules and "request_timely" not in u[0].title


def test_worked_example_disagreeing_with_its_rule(tmp_path: Path) -> None:
    tests = """scenarios:
  - name: the text says 5,5 fails
    rule: passed_at_norm
    source_example: "Voorbeeld: met een 5,5 ben je gezakt."
    disagrees: {nl: "de regel laat 5,5 slagen (tenminste de norm)", en: "the rule passes 5,5 (tenminste de norm)"}
    case: {facts: {result: [{student: s, course: c, grade: 5.5}]}}
    expect: ['passed("s", "c")']
"""
    root = make_kb(tmp_path, {"a": {"rules": PASS_55, "tests": tests}})
    w = only(run_check(root), "worked_example")
    assert w and w[0].severity == "warning"
    assert "5,5" in w[0].sides[0].statement and w[0].sides[1].proof is not None
    assert w[0].witness and "grade: 5.5" in w[0].witness
    # in the memo's language, the rule by its article; its proof told for a reader like every other proof
    assert w[0].sides[1].statement.endswith("the rule passes 5,5 (tenminste de norm)")
    assert "passed_at_norm" not in w[0].title and w[0].sides[1].proof_md
    nl = only(run_check(root, lang="nl"), "worked_example")[0]
    assert nl.sides[1].statement.endswith(": de regel laat 5,5 slagen (tenminste de norm)")
    assert nl.title.startswith("a: het rekenvoorbeeld in de tekst") and "scenariotest" in nl.note


def test_dangling_reference(tmp_path: Path) -> None:
    arts = ARTICLES.replace("zie ook lid 1.", "zie ook artikel 9 lid 2 en artikel 7.12 van de WHW.")
    root = make_kb(tmp_path, {"a": {"rules": PASS_55, "articles": arts}})
    d = only(run_check(root), "dangling_reference")
    assert len(d) == 1  # the WHW reference is external
    assert d[0].severity == "error" and "art. 9 lid 2" in d[0].title and "art. 1 lid 2" in d[0].title


# --- ids, acceptance, witnesses, reports, CLI -------------------------------------------------------------


def test_witness_files_rerun_with_oerlog_why(tmp_path: Path, cli: Any) -> None:
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    report = run_check(root, "a", against="b")
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
    res = cli("--kb", str(root), "check", "a", "--against", "b", "--format", "json", "--witness-dir", wd)
    assert res.code == 1
    data = json.loads(res.out)
    assert data["schema"] == "oerlog.check/2" and data["stats"]["scenarios"] > 0
    open_ids = [f["id"] for f in data["findings"] if f["severity"] != "info"]
    assert open_ids and all(f["witness"] is None or f["witness"]["yaml"] for f in data["findings"])
    accept = tmp_path / "accept.yaml"
    accept.write_text("".join(f'- {{id: {i}, reason: "reviewed: the programmes differ"}}\n' for i in open_ids))
    res = cli("--kb", str(root), "check", "a", "--against", "b", "--accept", str(accept), "--witness-dir", wd)
    assert res.code == 0, res.out
    assert "Geaccepteerd (reviewed: the programmes differ)" in res.out
    accept.write_text(f"- {{id: {open_ids[0]}}}\n")
    res = cli("--kb", str(root), "check", "a", "--against", "b", "--accept", str(accept), "--witness-dir", wd)
    assert res.code == 2 and "geeft geen toelichting" in res.err  # in the command's language (default nl)


def test_stale_acceptance_is_reported(tmp_path: Path) -> None:
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    report = run_check(root, "a", against="b")
    acc = tmp_path / "a.yaml"
    acc.write_text('- {id: d-0000000000, reason: "old"}\n')
    apply_accepted(report, load_accepted(acc))
    assert report.stale_acceptances == ["d-0000000000"]
    assert "no longer occurs" in to_text_report(report, "en")
    assert "komt niet meer voor" in to_text_report(report, "nl")


def test_markdown_and_json_reports_cite_both_sides(tmp_path: Path) -> None:
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    report = run_check(root, "a", against="b", lang="nl")
    md = to_markdown_report(report, "nl")
    assert md.startswith("# Consistentiecontrole\n\n## Samenvatting")
    assert "```yaml" in md and "> Een tentamen is behaald" in md
    # the order an examencommissie reads: summary, top findings, findings by provision, annexes
    heads = [line for line in md.splitlines() if line.startswith("## ")]
    assert heads[:3] == ["## Samenvatting", "## Bevindingen per bepaling", "## Bijlage A. Bewijzen"]
    assert "**Belangrijkste bevindingen**" in md and "**De casus.** Peildatum: 3 november 2025." in md
    for english in ("Witness", "Proof", "does not hold", "finding(s)", "Summary"):
        assert english not in md
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


# --- issue 16: determinism, realistic witnesses, comparisons, parameters by concept -----------------------


def test_report_is_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    outs = []
    for hs in ("1", "4242"):
        out = tmp_path / f"memo-{hs}.md"
        env = {**os.environ, "PYTHONHASHSEED": hs}
        cmd = [sys.executable, "-m", "oerlog", "--kb", str(root), "check", "a", "--against", "b"]
        res = subprocess.run([*cmd, "--format", "md", "-o", str(out)], env=env, capture_output=True, text=True)
        assert res.returncode == 1, res.stderr
        assert "time: generate" in res.stderr  # timings on stderr, not in the report
        outs.append(out.read_text().replace(str(tmp_path / f"memo-{hs}-witnesses"), "W"))
    assert outs[0] == outs[1]
    assert (tmp_path / "memo-1-witnesses").is_dir()  # witnesses next to the report


def test_witnesses_never_go_to_the_current_directory(tmp_path: Path, cli: Any, monkeypatch: Any) -> None:
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    res = cli("--kb", str(root), "check", "a", "--against", "b")
    assert res.code == 1
    assert list(work.iterdir()) == []
    folder = res.err.split("witnesses in ")[1].split()[0]
    assert Path(folder).is_dir() and any(Path(folder).glob("*.yaml"))


def test_a_scenario_that_cannot_occur_is_never_a_witness(tmp_path: Path) -> None:
    constraint = """
constraints:
  request_before_reference_date:
    doc: "A request is made on or before the reference date."
    violation: "request(S, _C, D), reference_date(R), D > R"
"""
    rules = """
@cite("2") param request_days : integer = 7.
@id(late) @cite("2") resit_excluded(S, C) :- request(S, C, D), exam_date(C, E), D > add_days(E, 0 - $request_days).
@id(ok) @cite("2") resit_allowed(S, C) :- request(S, C, D), exam_date(C, E), D >= add_days(E, -30).
"""
    case = """reference_date: 2025-11-03
facts:
  request: [{student: s1, course: c1, date: 2025-10-01}]
  exam_date: [{course: c1, date: 2025-11-20}]
"""
    root = make_kb(tmp_path, {"a": {"rules": rules, "case": case}})
    voc = root / "vocabulary.yaml"
    voc.write_text(voc.read_text() + constraint)
    report = run_check(root)
    assert report.stats.invalid > 0  # mutations moving the request after the reference date were dropped
    c = only(report, "contradiction")
    assert c, [f.title for f in report.findings]
    for f in c:
        case_ = yaml.safe_load(f.witness or "")
        assert all(r["date"] <= case_["reference_date"] for r in case_["facts"]["request"])
    # a case file that breaks the constraint is a located lint error
    (root / "a" / "cases" / "bad.yaml").write_text(case.replace("2025-10-01", "2025-12-01"))
    from oerlog.analysis.lint import lint

    _, found = lint(root)
    bad = [f for f in found if f.code == "case_cannot_occur"]
    assert bad and bad[0].location is not None and bad[0].location.file.endswith("bad.yaml")
    assert bad[0].location.line == 3


def test_witness_is_minimal(tmp_path: Path) -> None:
    case = """reference_date: 2025-11-03
facts:
  result:
    - {student: s1, course: c1, grade: 5.7}
    - {student: s2, course: c2, grade: 8.0}
  request:
    - {student: s2, course: c2, date: 2025-10-01}
"""
    rules = """
@id(p) @cite("1", "1") passed(S, C) :- result(S, C, G), G >= 5.5.
@id(f) @cite("1", "1") failed(S, C) :- result(S, C, G), G < 6.0.
"""
    root = make_kb(tmp_path, {"a": {"rules": rules, "case": case}})
    c = only(run_check(root), "contradiction")
    assert c
    facts = yaml.safe_load(c[0].witness or "")["facts"]
    assert facts == {"result": [{"student": "s1", "course": "c1", "grade": facts["result"][0]["grade"]}]}
    assert c[0].story[0].startswith("Reference date") and "s1" in c[0].story[1]


def test_parameters_are_compared_by_concept_across_names_and_units(tmp_path: Path) -> None:
    oer = PASS_55 + '@cite("2") @unit(weeks) @kind(request_term) param request_weeks : integer = 6.\n'
    ra_same = '@cite("2") @unit(days) @kind(request_term) param aanvraag_dagen : integer = 42.\n'
    ra_diff = '@cite("2") @unit(months) @kind(request_term) param aanvraag_maanden : integer = 3.\n'
    for ra, expected in ((ra_same, 0), (ra_diff, 1)):
        (tmp_path / str(expected)).mkdir()
        root = make_kb(
            tmp_path / str(expected),
            {"oer": {"rules": oer}, "ra": {"kind": "ra", "frame": "oer", "rules": PASS_55 + ra}},
        )
        voc = root / "vocabulary.yaml"
        voc.write_text(voc.read_text() + "  request_term: {type: integer, unit: weeks, doc: term for a request}\n")
        diffs = [f for f in only(run_check(root, "ra"), "parameter_difference") if f.concept == "request_term"]
        assert len(diffs) == expected, [f.title for f in diffs]
        if diffs:
            assert "ra 3 months, oer 6 weeks" in diffs[0].title
            assert {r for s in diffs[0].sides for r in s.rules} == {"$request_weeks", "$aanvraag_maanden"}


def test_kb_accept_files_need_a_verdict_and_an_article(tmp_path: Path) -> None:
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    report = run_check(root, "a", against="b")
    fid = only(report, "divergence")[0].id
    path = root / "a" / "accepted-findings.yaml"
    path.write_text(f'- {{id: {fid}, reason: "the two documents differ on purpose"}}\n')
    from oerlog.analysis.consistency import load_kb_accepted

    with pytest.raises(ValidationError) as err:
        load_kb_accepted(load_kb(root))
    assert "needs a verdict and the article" in err.value.message and err.value.location.line == 1
    path.write_text(f'- {{id: {fid}, verdict: institutional_difference, article: "1 lid 1", reason: "on purpose"}}\n')
    from oerlog.api import KB

    checked = KB(load_kb(root)).check(["a"], "b")
    f = next(x for x in checked.findings if x.id == fid)
    assert f.accepted == "on purpose" and f.verdict == "institutional_difference"


def test_a_reviewed_finding_is_told_in_the_readers_language_with_its_verdict_in_words(tmp_path: Path, cli: Any) -> None:
    """An accept entry gives its reason in nl and en: the memo shows the one of its language, the verdict in words;
    the rule ids of each side appear only with --detail; lint asks for the language an entry leaves out."""
    root = make_kb(tmp_path, {"a": {"rules": PASS_55}, "b": {"rules": PASS_6}})
    fid = only(run_check(root, "a", against="b"), "divergence")[0].id
    path = root / "a" / "accepted-findings.yaml"
    path.write_text(
        f'- id: {fid}\n  verdict: institutional_difference\n  article: "1 lid 1"\n  reason:\n'
        '    nl: "de opleidingen verschillen met opzet"\n    en: "the programmes differ on purpose"\n'
    )
    wd = str(tmp_path / "w")
    args = ("--kb", str(root), "check", "a", "--against", "b", "--format", "md", "--witness-dir", wd)
    nl = cli(*args)
    assert nl.code == 0, nl.out
    line = next(x for x in nl.out.splitlines() if x.startswith("**Geaccepteerd.**"))
    assert line == (
        "**Geaccepteerd.** oordeel: een bewust verschil tussen instellingen of opleidingen. "
        "de opleidingen verschillen met opzet"
    )
    assert "programmes differ" not in nl.out and "institutional_difference" not in nl.out
    assert "(regels `" not in nl.out
    en = cli(*args, "--lang", "en", "--detail")
    assert "**Accepted.** verdict: a deliberate difference between institutions or programmes. the programmes" in en.out
    assert "(rules `" in en.out
    data = json.loads(cli(*args[:-4], "--format", "json", "--witness-dir", wd).out)
    f = next(x for x in data["findings"] if x["id"] == fid)
    assert f["verdict_text"] == "een bewust verschil tussen instellingen of opleidingen"
    assert f["accept_reason"] == "de opleidingen verschillen met opzet"
    path.write_text(f'- {{id: {fid}, verdict: institutional_difference, article: "1 lid 1", reason: {{en: "x"}}}}\n')
    lint = cli("--kb", str(root), "lint", "a")
    assert "warning[reason_language]" in lint.out and f"{fid} is not written in nl" in lint.out
    path.write_text(f'- {{id: {fid}, verdict: institutional_difference, article: "1 lid 1", reason: {{fr: "x"}}}}\n')
    res = cli(*args)
    assert res.code == 2 and "onbekende taal 'fr'" in res.err and "accepted-findings.yaml:1" in res.err


_TEXTS = {
    '    doc: "An unrounded grade for a course."\n': '{nl: "{student} behaalde een {grade} voor {course}", '
    'en: "{student} obtained a {grade} for {course}"}',
    '    doc: "Passed."\n': '{nl: "{student} heeft {course} behaald", en: "{student} has passed {course}"}',
    '    doc: "Failed."\n': '{nl: "{student} is gezakt voor {course}", en: "{student} has failed {course}"}',
    '    doc: "Final grade."\n': '{nl: "het eindcijfer van {student} voor {course} is {grade}", '
    'en: "the final grade of {student} for {course} is {grade}"}',
}
_worded = VOCABULARY
for _doc, _text in _TEXTS.items():
    _worded = _worded.replace(_doc, f"{_doc}    text: {_text}\n")
WORDED = _worded + 'names:\n  c1: {nl: "Celbiologie", en: "Cell biology"}\n'


def test_titles_sides_and_story_in_the_vocabularys_words_with_the_same_ids(tmp_path: Path) -> None:
    """Where a concept has a `text`, the memo's title and the sides say it as a sentence (ids by their display
    names) and the witness story says each fact as an explanation does; the JSON goal keeps the atom, and the
    finding ids are those of the same check on a vocabulary without texts."""
    rules = """
@id(p) @cite("1", "1") passed(S, C) :- result(S, C, G), G >= 5.5.
@id(f) @cite("1", "1") failed(S, C) :- result(S, C, G), G < 6.0.
"""
    (tmp_path / "plain").mkdir()
    (tmp_path / "worded").mkdir()
    atoms = only(run_check(make_kb(tmp_path / "plain", {"a": {"rules": rules}}), lang="nl"), "contradiction")
    worded_root = make_kb(tmp_path / "worded", {"a": {"rules": rules}})
    (worded_root / "vocabulary.yaml").write_text(WORDED)
    nl = only(run_check(worded_root, lang="nl"), "contradiction")
    assert atoms and nl and [f.id for f in nl] == [f.id for f in atoms]
    assert atoms[0].title == 'a: failed en passed gelden allebei voor "s1", "c1"'
    assert nl[0].title == "a: ‘s1 is gezakt voor Celbiologie’ en ‘s1 heeft Celbiologie behaald’ gelden allebei"
    sides = {s.goal: s for s in nl[0].sides}
    assert sides['passed("s1", "c1")'].statement == "s1 heeft Celbiologie behaald"
    assert sides['failed("s1", "c1")'].statement == "s1 is gezakt voor Celbiologie"
    assert nl[0].story[0] == "Peildatum: 3 november 2025."
    assert re.fullmatch(r"s1 behaalde een \d,\d+ voor Celbiologie\.", nl[0].story[1]), nl[0].story
    en = only(run_check(worded_root, lang="en"), "contradiction")
    assert en[0].title == "a: ‘s1 has failed Cell biology’ and ‘s1 has passed Cell biology’ both hold"
    assert en[0].story[0] == "Reference date: 3 November 2025."


def test_divergence_title_leaves_the_value_the_documents_differ_on_open(tmp_path: Path) -> None:
    a = '@id(fg_a) @cite("1", "1") final_grade(S, C, R) :- result(S, C, G), R = round_half_up(G, 0).\n'
    b = '@id(fg_b) @cite("1", "1") final_grade(S, C, R) :- result(S, C, G), R = round_half_up(G, 1).\n'
    case = CASE.replace("5.0", "5.46")
    root = make_kb(tmp_path, {"a": {"rules": a, "case": case}, "b": {"rules": b, "case": case}})
    (root / "vocabulary.yaml").write_text(WORDED)
    f = only(run_check(root, "a", against="b", lang="nl"), "divergence")
    assert f[0].title == "‘het eindcijfer van s1 voor Celbiologie is …’: a geeft 5, b geeft 5,5"
