"""A run with overridden parameters says so at the top (issue 17): "Let op: berekend met resit_min_grade = 4,5 (in
de regeling: 4,0)" in the output language, for why, whynot, query, appeal, batch and saved queries; in JSON as the
``overrides`` field (value and declared value, typed by kind). Without overrides nothing is added."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import BUNDLED

from oerlog.cohort.generate import generate
from oerlog.kb.loader import load_kb

ROOT = Path(__file__).parent.parent
CASE = "kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml"
NL = "Let op: berekend met resit_min_grade = 4,5 (in de regeling: 4,0)"
EN = "Note: computed with resit_min_grade = 4.5 (in the regulation: 4.0)"
OVERRIDE = [{"parameter": "resit_min_grade", "value": "4.5", "declared": "4.0"}]


def test_query_opens_with_the_notice_in_its_language(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("query", "resit_excluded(S, C)", "--case", CASE, "--param", "resit_min_grade=4.5", cwd=ROOT)
    assert r.code == 0 and r.out.startswith(NL + "\n\nresit_excluded(S, C)  (uu-gnk-ba-2025)\n")
    assert r.out.rstrip().endswith("1 resultaat")  # and the count in the singular
    en = cli(
        "query", "resit_excluded(S, C)", "--case", CASE, "--param", "resit_min_grade=4.5", "--lang", "en", cwd=ROOT
    )
    assert en.out.startswith(EN + "\n\n")
    plain = cli("query", "resit_excluded(S, C)", "--case", CASE, cwd=ROOT)
    assert plain.out.startswith("resit_excluded(S, C)") and "Let op" not in plain.out


def test_query_json_has_the_overrides_field_and_stays_json(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("query", "resit_excluded(S, C)", "--case", CASE, "--param", "resit_min_grade=4.5", "--format", "json",
            cwd=ROOT)  # fmt: skip
    data = json.loads(r.out)
    assert data["overrides"] == OVERRIDE and data["receipt"]["parameter_overrides"] == {"resit_min_grade": "4.5"}
    plain = json.loads(cli("query", "resit_excluded(S, C)", "--case", CASE, "--format", "json", cwd=ROOT).out)
    assert plain["overrides"] == []


def test_why_and_whynot_open_with_the_notice(cli) -> None:  # type: ignore[no-untyped-def]
    why = cli("why", 'resit_excluded("anna", C)', "--case", CASE, "--param", "resit_min_grade=4.5", "--format", "md",
              cwd=ROOT)  # fmt: skip
    assert why.code == 0
    assert why.out.startswith("**Let op:** berekend met `resit_min_grade` = 4,5 (in de regeling: 4,0)\n\n# Waarom")
    whynot = cli("whynot", 'resit_invited("anna", C)', "--case", CASE, "--param", "resit_min_grade=4.5", "--lang",
                 "en", cwd=ROOT)  # fmt: skip
    assert whynot.out.startswith(EN + "\n\n")
    # a goal that does not hold says so on stderr, after the same notice
    no = cli("why", 'resit_invited("anna", C)', "--case", CASE, "--param", "resit_min_grade=4.5", cwd=ROOT)
    assert no.code == 1 and no.err.startswith(NL + "\n\n")


def test_appeal_dossier_states_the_overrides(cli) -> None:  # type: ignore[no-untyped-def]
    args = ("appeal", "--case", CASE, "--decision", 'resit_excluded("anna", "vorm_en_functie")', "--param",
            "resit_min_grade=4.5")  # fmt: skip
    md = cli(*args, cwd=ROOT)
    assert md.out.startswith(
        "# Dossier bezwaar en beroep\n\n**Let op:** berekend met `resit_min_grade` = 4,5 (in de regeling: 4,0)\n\n"
    )
    data = json.loads(cli(*args, "--format", "json", cwd=ROOT).out)
    assert data["schema"] == "oerlog.dossier/3" and data["overrides"] == OVERRIDE


def test_a_saved_query_with_params_opens_with_the_notice(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    q = tmp_path / "q.yaml"
    q.write_text(
        f"title: Uitgesloten\ngoal: resit_excluded(S, C)\nmode: list\ncase: {ROOT / CASE}\n"
        "params: {resit_min_grade: 4.5}\n",
        encoding="utf-8",
    )
    r = cli("run", str(q), cwd=ROOT)
    assert r.code == 0 and r.out.startswith(NL + "\n\nUitgesloten\n")
    assert r.out.count("Let op") == 1


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("notice") / "cohort"
    generate(load_kb(BUNDLED), folder, 30, seed=2, doc_ids=["uu-gnk-ba-2025"])
    return folder


def test_batch_summary_opens_with_the_notice(cli, cohort: Path) -> None:  # type: ignore[no-untyped-def]
    args = ("batch", "--doc", "uu-gnk-ba-2025", "--data", str(cohort), "--goal", "resit_excluded", "--param",
            "resit_min_grade=4.5")  # fmt: skip
    r = cli(*args, cwd=ROOT)
    assert r.code == 0 and r.out.startswith(NL + "\n\nuu-gnk-ba-2025: ")
    data = json.loads(cli(*args, "--format", "json", cwd=ROOT).out)
    assert data["schema"] == "oerlog.batch/1" and data["overrides"] == OVERRIDE
    assert not cli("batch", "--doc", "uu-gnk-ba-2025", "--data", str(cohort), "--goal", "resit_excluded",
                   cwd=ROOT).out.startswith("Let op")  # fmt: skip
