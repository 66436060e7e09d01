"""Parameters by the concept they govern (issue 16): ``@kind`` names the shared parameter a document's parameter
answers under a name of its own; lint checks the name, the type and the unit; ``oerlog check`` compares the
parameters of one kind across names and duration units; and the bundled documents declare the kinds they share."""

from __future__ import annotations

import shutil
from pathlib import Path

from oerlog.analysis.consistency.findings import Side
from oerlog.analysis.consistency.static import parameter_differences
from oerlog.analysis.lint import lint, parameter_kind_errors
from oerlog.kb.loader import KnowledgeBase, load_kb

FIXTURE = Path(__file__).parent / "fixtures" / "lint14" / "kb"

SHARED = """
parameters:
  appeal_weeks: {type: integer, unit: weeks, doc: "weeks within which an appeal must be lodged"}
  retention_years: {type: integer, unit: years, doc: "years the thesis is kept"}
  request_weeks: {type: integer, unit: weeks, doc: "weeks before the start by which a request is made"}
  pass_grade: {type: decimal, doc: "lowest pass"}
"""


def _kb(tmp_path: Path, params: dict[str, str]) -> Path:
    """The lint14 fixture with shared parameters in the vocabulary and one document per entry of ``params``
    (document id -> its parameter declarations)."""
    kb = tmp_path / "kb"
    shutil.copytree(FIXTURE, kb)
    voc = kb / "vocabulary.yaml"
    voc.write_text(voc.read_text(encoding="utf-8") + SHARED, encoding="utf-8")
    for i, (doc_id, decls) in enumerate(params.items()):
        folder = kb / doc_id
        if not folder.exists():
            shutil.copytree(kb / "lint-doc", folder)
            meta = (folder / "document.yaml").read_text(encoding="utf-8")
            meta = meta.replace("id: lint-doc", f"id: {doc_id}").replace("programmes: [lint]", f"programmes: [p{i}]")
            (folder / "document.yaml").write_text(meta, encoding="utf-8")
        (folder / "params.dl").write_text(decls, encoding="utf-8")
    return kb


def _codes(kb: Path, prefix: str = "") -> list[tuple[str, int, str]]:
    """(file name, line, code) of the lint findings whose code starts with ``prefix``."""
    _, findings = lint(kb)
    out = []
    for f in findings:
        if f.code.startswith(prefix) and f.location is not None:
            out.append((Path(f.location.file).name, f.location.line, f.code))
    return sorted(out)


# --- lint --------------------------------------------------------------------------------------------------------


def test_a_kind_must_be_a_shared_parameter_of_the_same_type(tmp_path: Path) -> None:
    decls = (
        '@cite("1", "1") @kind(apeal_weeks) @unit(weeks) param beroep : integer = 6.\n'
        '@cite("1", "1") @kind(pass_grade) param norm : integer = 6.\n'
        '@cite("1", "1") @kind(pass_grade) @unit(grade) param voldoende : decimal = 5.5.\n'
    )
    kb = _kb(tmp_path, {"lint-doc": decls})
    assert _codes(kb, "unknown_parameter_kind") + _codes(kb, "parameter_kind_type") == [
        ("params.dl", 1, "unknown_parameter_kind"),
        ("params.dl", 2, "parameter_kind_type"),
    ]


def test_a_parameter_of_a_shared_duration_counts_in_a_duration(tmp_path: Path) -> None:
    decls = (
        '@cite("1", "1") @kind(appeal_weeks) param beroep_zonder_eenheid : integer = 6.\n'  # no unit: not comparable
        '@cite("1", "1") @kind(appeal_weeks) @unit(ec) param beroep_ec : integer = 6.\n'  # not a duration
        '@cite("1", "1") param retention_years : integer = 7.\n'  # the shared name itself, without its unit
        '@cite("1", "1") @kind(appeal_weeks) @unit(working_days) param beroep_werkdagen : integer = 30.\n'
        '@cite("1", "1") @kind(retention_years) @unit(months) param bewaar_maanden : integer = 84.\n'
        '@cite("1", "1") @unit(weeks) param request_weeks : integer = 6.\n'
        '@cite("1", "1") param pass_grade : decimal = 5.5.\n'  # the shared parameter gives no unit: any will do
    )
    kb = _kb(tmp_path, {"lint-doc": decls})
    assert _codes(kb, "parameter_kind") == [
        ("params.dl", 1, "parameter_kind_unit"),
        ("params.dl", 2, "parameter_kind_unit"),
        ("params.dl", 3, "parameter_kind_unit"),
    ]
    _, findings = lint(kb)
    [first] = [f for f in findings if f.code == "parameter_kind_unit" and "beroep_zonder_eenheid" in f.message]
    assert "counts in no unit, but the shared parameter appeal_weeks counts in weeks" in first.message
    assert first.hint is not None and "@unit(weeks)" in first.hint


# --- the comparison --------------------------------------------------------------------------------------------


def _differences(kb: KnowledgeBase, rel: str = "frame") -> dict[str, set[str]]:
    """Shared parameter -> the two sides' statements, for every difference between doc-a and doc-b."""
    found = parameter_differences(kb, {("doc-a", "doc-b"): rel}, "en")
    assert all(f.kind == ("institutional_difference" if rel == "across" else "parameter_difference") for f in found)
    return {str(f.concept): {_named(s) for s in f.sides} for f in found}


def _named(side: Side) -> str:
    """A side of a parameter difference as ``$name = value``: the memo says what the parameter is (its @en text)
    and its value; the name is the side's rule (shown under --detail)."""
    assert len(side.rules) == 1 and side.rules[0].startswith("$")
    return f"{side.rules[0]} = {side.statement.rsplit(': ', 1)[1]}"


def test_parameters_of_one_kind_are_compared_across_names_and_units(tmp_path: Path) -> None:
    a = (
        '@cite("1", "1") @unit(weeks) param appeal_weeks : integer = 6.\n'
        '@cite("1", "1") @kind(retention_years) @unit(months) param archive_months : integer = 84.\n'
        '@cite("1", "1") @unit(weeks) param request_weeks : integer = 6.\n'
    )
    b = (
        '@cite("1", "1") @kind(appeal_weeks) @unit(working_days) param beroep_werkdagen : integer = 30.\n'
        '@cite("1", "1") @kind(retention_years) @unit(years) param bewaar_jaren : integer = 7.\n'
        '@cite("1", "1") @kind(request_weeks) @unit(weeks) param verzoek_termijn : integer = 12.\n'
    )
    kb = load_kb(_kb(tmp_path, {"doc-a": a, "doc-b": b}))
    # six weeks and thirty working days are both 42 days, 84 months and seven years the same term: no difference;
    # a request six weeks before the start against twelve weeks under another name is one
    assert _differences(kb) == {"request_weeks": {"$request_weeks = 6 weeks", "$verzoek_termijn = 12 weeks"}}
    assert _differences(kb, "across") == {"request_weeks": {"$request_weeks = 6 weeks", "$verzoek_termijn = 12 weeks"}}


def test_a_term_in_another_unit_that_differs_is_reported(tmp_path: Path) -> None:
    a = '@cite("1", "1") @unit(weeks) param appeal_weeks : integer = 6.\n'
    b = '@cite("1", "1") @kind(appeal_weeks) @unit(working_days) param beroep_werkdagen : integer = 20.\n'
    kb = load_kb(_kb(tmp_path, {"doc-a": a, "doc-b": b}))
    assert _differences(kb) == {"appeal_weeks": {"$appeal_weeks = 6 weeks", "$beroep_werkdagen = 20 working days"}}


# --- the bundled knowledge base ------------------------------------------------------------------------------------


def _kind(kb: KnowledgeBase, doc: str, name: str) -> str | None:
    decl = kb.document(doc).param_decl(name)
    assert decl is not None, f"{doc} declares no parameter {name}"
    return decl.concept(kb.vocabulary.parameters)


def test_bundled_documents_declare_the_kinds_they_share(bundled_kb: KnowledgeBase) -> None:
    kb = bundled_kb
    # the exemption request term: six weeks (RUG R&A art. 9 lid 2), twelve weeks (VUmc R&R art. 25 lid 3)
    assert _kind(kb, "rug-tg-ra-2018", "exemption_request_weeks_before_start") == "exemption_request_weeks_before_start"
    assert _kind(kb, "vumc-gnk-ma-rr-2018", "exemption_request_lead_weeks") == "exemption_request_weeks_before_start"
    # ... which is not the decision term (RUG R&A art. 9 lid 4), nor the VUmc attendance exemption (art. 24)
    assert _kind(kb, "rug-tg-ra-2018", "exemption_decision_weeks") == "exemption_decision_weeks"
    assert _kind(kb, "vumc-gnk-ma-rr-2018", "attendance_exemption_lead_weeks") is None
    expected = {
        ("uu-geo-ma-oer-2019", "inzage_working_days"): "inzage_days",
        ("rug-tg-ra-2018", "oral_results_publication_days"): "oral_result_days",
        ("uu-geo-ma-oer-2019", "postponement_max_months"): "exam_postponement_max_days",
        ("uu-geo-ma-oer-2019", "min_uu_share"): "own_share_min",
        ("rug-ma-oer-2019", "archive_min_months"): "final_work_retention_years",
        ("uu-geo-ma-oer-2019", "retention_years_thesis"): "final_work_retention_years",
        ("rug-tg-ra-2018", "fraud_report_direct_working_days"): "fraud_report_weeks",
        ("vumc-gnk-ma-rr-2018", "toilet_after_minutes"): "no_toilet_first_minutes",
        ("rug-tg-ra-2018", "test_grade_decimals"): "final_grade_decimals",
        ("rug-ma-oer-2019", "ielts_min_score"): "ielts_min_overall",
        ("rug-ma-oer-2019", "toefl_internet_min_score"): "toefl_ibt_min",
    }
    assert {k: _kind(kb, *k) for k in expected} == expected
    # two fraud decision terms of the same name answer different questions (after the report / after the hearing)
    assert _kind(kb, "rug-tg-ra-2018", "fraud_decision_weeks") is None
    assert [f.render() for d in sorted(kb.documents) for f in parameter_kind_errors(kb, kb.document(d))] == []


def test_bundled_terms_are_compared_whatever_their_names_and_units(bundled_kb: KnowledgeBase) -> None:
    pairs = {
        ("rug-tg-ra-2018", "vumc-gnk-ma-rr-2018"): "across",
        ("rug-ma-oer-2019", "uu-geo-ma-oer-2019"): "across",
        ("rug-ma-oer-2019", "vumc-gnk-ma-rr-2018"): "across",
        ("rug-ma-oer-2019", "rug-tg-ra-2018"): "frame",
    }
    found = {(tuple(f.documents), f.concept): f for f in parameter_differences(bundled_kb, pairs, "en")}
    six_twelve = found[(("rug-tg-ra-2018", "vumc-gnk-ma-rr-2018"), "exemption_request_weeks_before_start")]
    assert six_twelve.kind == "institutional_difference"
    assert {_named(s) for s in six_twelve.sides} == {
        "$exemption_request_weeks_before_start = 6 weeks",
        "$exemption_request_lead_weeks = 12 weeks",
    }
    assert all(s.citations for s in six_twelve.sides)  # both provisions quoted
    inzage = found[(("rug-ma-oer-2019", "uu-geo-ma-oer-2019"), "inzage_days")]  # six weeks against 20 working days
    assert {_named(s) for s in inzage.sides} == {"$inzage_days = 42 days", "$inzage_working_days = 20 working days"}
    # each side says what the parameter is, in the document's own words
    assert all(not s.statement.startswith("$") for s in inzage.sides)
    # the R&A's 24 hours for an oral result against the OER's 'terstond' (its frame): a parameter difference
    assert found[(("rug-ma-oer-2019", "rug-tg-ra-2018"), "oral_result_days")].kind == "parameter_difference"
    # the thesis is kept seven years everywhere (84 months, 7 years): the same term, not a difference
    assert not [k for k in found if k[1] == "final_work_retention_years"]
