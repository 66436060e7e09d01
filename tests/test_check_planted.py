"""Planted defects: a copy of a bundled document with one defect of each finding kind injected; `oerlog check`
must find each with the right kind (issue 16). Slow: the check explores every seed of the copied document."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from oerlog.analysis.consistency import Checker, Finding
from oerlog.kb.loader import load_kb

BUNDLED = Path(__file__).parent.parent / "kb"
DOC = "uu-gnk-ba-2025"

PLANTED_RULES = """
% --- planted defects (tests/test_check_planted.py) ---

@id(planted_contradiction)
@cite("A.8", "1")
resit_excluded(S, C) :- resit_invited(S, C).

@id(planted_final_grade)
@cite("A.8", "1")
final_grade(S, C, G) :- test_result(S, T, G), test(T, C, regular, _).
"""

RA_RULES = """
@cite("1")
@unit(grade)
param resit_min_grade : decimal = 3.5.

@id(ra_resit_below_four)
@cite("1")
resit_allowed(S, C) :- test_result(S, T, G), test(T, C, regular, D), academic_year(D) = 2025,
    G >= $resit_min_grade, G < 4.0.
"""

RA_ARTICLES = """articles:
  "1":
    title: "Herkansing"
    status: encoded
    text: "Wie een 3,5 of hoger haalt, mag herkansen."
"""

WORKED = """scenarios:
  - name: planted worked example that the rule decides otherwise
    rule: resit_invited_band
    source_example: "Voorbeeld: met een 4,2 word je niet uitgenodigd voor de herkansing."
    disagrees: "the rule invites 4,2 (between 4,0 and 5,4)"
    case_file: ../cases/anna-excluded-low-grade.yaml
    expect: []
"""


def _copy(dst: Path, doc_id: str) -> Path:
    folder = dst / doc_id
    shutil.copytree(BUNDLED / DOC, folder, ignore=shutil.ignore_patterns("accepted-findings.yaml"))
    meta = yaml.safe_load((folder / "document.yaml").read_text())
    meta["id"] = doc_id
    (folder / "document.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True))
    for p in folder.rglob("*.yaml"):
        text = p.read_text()
        if DOC in text:
            p.write_text(text.replace(DOC, doc_id))
    return folder


@pytest.mark.slow
def test_each_planted_defect_is_found_with_its_kind(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    root.mkdir()
    shutil.copy(BUNDLED / "vocabulary.yaml", root / "vocabulary.yaml")
    shutil.copy(BUNDLED / "scope.dl", root / "scope.dl")
    planted = _copy(root, "planted")
    (planted / "planted.dl").write_text(PLANTED_RULES)
    # a dangling reference in the text of an article
    articles = yaml.safe_load((planted / "articles.yaml").read_text())
    lids = articles["articles"]["A.1"]["lids"]
    lids["1"] = lids["1"] + " Zie ook artikel 99.9 lid 3."
    (planted / "articles.yaml").write_text(yaml.safe_dump(articles, allow_unicode=True, sort_keys=False))
    (planted / "tests" / "planted.yaml").write_text(WORKED)
    # the same document with another resit threshold: a divergence when compared on request
    other = _copy(root, "planted-b")
    params = other / "params.dl"
    params.write_text(
        params.read_text().replace("param resit_min_grade : decimal = 4.0.", "param resit_min_grade : decimal = 3.0.")
    )
    # an R&A within the frame of the planted document that allows a resit the document excludes
    ra = root / "planted-ra"
    (ra / "cases").mkdir(parents=True)
    meta = {
        "id": "planted-ra",
        "title": "R&A",
        "kind": "ra",
        "academic_year": 2025,
        "frame": "planted",
        "programmes": ["gnk-ba"],
        "language": "nl",
    }
    (ra / "document.yaml").write_text(yaml.safe_dump(meta))
    (ra / "articles.yaml").write_text(RA_ARTICLES)
    (ra / "rules.dl").write_text(RA_RULES)
    shutil.copy(planted / "cases" / "anna-excluded-low-grade.yaml", ra / "cases" / "anna.yaml")

    kb = load_kb(root)
    report = Checker(kb, ["planted", "planted-ra"], "planted-b", lang="en").run()

    def kind(k: str) -> list[Finding]:
        return [f for f in report.findings if f.kind == k]

    assert any(
        f.concept in ("resit_excluded/resit_invited", "resit_invited/resit_excluded") and f.documents == ["planted"]
        for f in kind("contradiction")
    ), [f.title for f in report.findings]
    assert any(f.concept == "graded_pass_or_fail" and f.documents == ["planted"] for f in kind("gap"))
    fv = [f for f in kind("frame_violation") if f.documents == ["planted", "planted-ra"]]
    assert fv and any("ra_resit_below_four" in s.rules for f in fv for s in f.sides)
    assert any(f.documents == ["planted", "planted-b"] for f in kind("divergence"))
    pd = [f for f in kind("parameter_difference") if f.concept == "resit_min_grade"]
    assert any(sorted(f.documents) == ["planted", "planted-ra"] for f in pd)
    assert any("99.9" in f.title for f in kind("dangling_reference"))
    assert any(": planted worked example" in (f.scenario or "") for f in kind("worked_example"))
    # every witness can occur and is small
    for f in report.findings:
        if f.witness and f.kind in ("contradiction", "gap", "frame_violation", "divergence"):
            facts = yaml.safe_load(f.witness)["facts"]
            assert sum(len(v) for v in facts.values()) <= 12, f.title


@pytest.mark.slow
def test_bundled_kb_complete_check_every_finding_reviewed(tmp_path: Path) -> None:
    """The complete check of the bundled KB (issue 16 targets): every seed explored, more than 20,000 distinct
    valid scenarios, and every finding carries a verdict from the documents' accepted-findings files."""
    from oerlog.api import KB

    report = KB(load_kb(BUNDLED)).check(witnesses=tmp_path / "w")
    stats = report.report.stats
    assert stats.seeds == stats.seeds_available - len([n for n in report.report.notes if "breaks an integrity" in n])
    assert not stats.truncated and stats.scenarios > 20_000
    unreviewed = [f"{f.id} {f.kind}: {f.title}" for f in report.findings if f.accepted is None or not f.verdict]
    assert not unreviewed, "\n".join(unreviewed)
    assert not report.report.stale_acceptances
