"""Appeal dossiers: golden renderings, verified counterfactuals, JSON, and the HTML page in headless Chromium."""

import json
import re
import subprocess

import pytest
from conftest import BUNDLED, MINI, chromium_flags, golden
from test_graph_lint import need

from oerlog.appeal.dossier import build
from oerlog.backends.pydatalog import evaluate
from oerlog.evaluation.judge import judge
from oerlog.explain.counterfactual import _apply
from oerlog.kb.cases import load_case
from oerlog.lang.parser import parse_atom

ROOT = BUNDLED.parent
ANNA = BUNDLED / "uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml"
MINI_CASE = MINI / "mini-doc/cases/anna.yaml"


def stable(text: str) -> str:
    """Hashes change with every KB edit: keep them out of the golden comparison."""
    return re.sub(r"[0-9a-f]{64}", "<sha256>", text).replace(str(ROOT) + "/", "")


def dossier(kb, case_path, decision, lang="nl", want=None):
    case = load_case(case_path, kb.vocabulary)
    j = judge(kb, case)
    return j, build(j, parse_atom(decision), lang, parse_atom(want) if want else None)


DECISIONS = [  # one decision per encoded document
    ("uu-gnk-ba-2025", "anna-excluded-low-grade.yaml", 'resit_excluded("anna", "vorm_en_functie")'),
    ("rug-ma-oer-2019", "milan-resit-refused.yaml", 'resit_excluded("milan", "c1")'),
    ("rug-tg-ra-2018", "daan-resit-refused.yaml", 'resit_excluded("daan", "celbiologie")'),
    ("vumc-gnk-ma-rr-2018", "carmen-late-for-vgt.yaml", 'late_admission_refused("carmen", "vgt_0123")'),
    ("uu-geo-ma-oer-2019", "bas-grade-5-45.yaml", 'failed("bas", "geochemistry")'),
]


@pytest.mark.parametrize("doc, case, decision", DECISIONS, ids=[d[0] for d in DECISIONS])
def test_dossier_golden_per_document_in_dutch_and_english(cli, doc, case, decision):
    for lang in ("nl", "en"):
        r = cli(
            "appeal", "--case", str(BUNDLED / doc / "cases" / case), "--decision", decision, "--lang", lang, cwd=ROOT
        )
        assert r.code == 0, r.err
        assert "## " in r.out and decision not in r.out  # the decision in words, not as an atom
        golden(f"dossier_{doc}_{lang}.md", stable(r.out))


def test_dossier_sections(bundled_kb):
    _, d = dossier(bundled_kb, ANNA, 'resit_excluded("anna", "vorm_en_functie")')
    assert d.holds and d.student == "anna" and d.programme == "gnk-ba"
    assert any(b.startswith("cijfer 3,8 is lager dan 4,0") for s in d.steps for b in s.because)
    assert any(
        "anna behaalde een 3,8 voor de toets vf_bloktoets (casus anna-excluded-low-grade, regel 24)" == b
        for s in d.steps
        for b in s.because
    )
    assert d.steps[-1].citations == ["art. A.8 lid 2"]
    assert d.wanted == 'resit_allowed("anna", "vorm_en_functie")'
    assert d.wanted_text == "anna mag deelnemen aan de herkansing van Vorm en functie"
    assert any("nodig: cijfer ten minste 4,0" in line for line in d.wanted_why_not)
    assert any(x["rule"] == "overmacht_refer_to_study_adviser" for x in d.discretion)
    assert any(p.label == "art. A.8 lid 2" and p.text.startswith("Als je lager") for p in d.annex)
    assert d.receipt["document"] == "uu-gnk-ba-2025" and len(d.receipt["kb_sha256"]) == 64


def test_counterfactuals_are_verified_by_reevaluation(bundled_kb, mini_kb):
    for kb, path, decision in (
        (bundled_kb, ANNA, 'resit_excluded("anna", "vorm_en_functie")'),
        (mini_kb, MINI_CASE, 'resit_excluded("dirk", "bio")'),
    ):
        j, d = dossier(kb, path, decision)
        assert d.counterfactuals, decision
        atom = parse_atom(decision)
        for cf in d.counterfactuals:
            after = evaluate(j.model.plan, _apply(j.case.facts, cf.changes))
            assert not after.match(atom), cf.changes  # the decision really falls away
            assert evaluate(j.model.plan, j.case.facts).match(atom)  # and holds without the change
    _, d = dossier(bundled_kb, ANNA, 'resit_excluded("anna", "vorm_en_functie")')
    best = d.counterfactuals[0].changes[0]
    assert (best.kind, best.field, str(best.old), str(best.new)) == ("set", "grade", "3.8", "4.0")
    assert d.counterfactuals[0].wanted_after


def test_exception_considered_and_added_fact_counterfactual(mini_kb):
    _, d = dossier(mini_kb, MINI_CASE, 'resit_excluded("dirk", "bio")')
    assert d.exceptions and d.exceptions[0]["rule"] == "resit_only_exception"
    assert d.exceptions[0]["missing"] == [
        "nodig: alleen herkansen (met student dirk, course bio); de casus vermeldt dit niet"
    ]
    kinds = {(c.kind, c.pred) for cf in d.counterfactuals for c in cf.changes}
    assert ("add", "resit_only") in kinds  # "had dirk asked to take only the resit"


def test_json_form(cli):
    r = cli(
        "appeal",
        "--case",
        str(ANNA),
        "--decision",
        'resit_excluded("anna", "vorm_en_functie")',
        "--format",
        "json",
        cwd=ROOT,
    )
    data = json.loads(r.out)
    assert data["schema"] == "oerlog.dossier/2" and data["holds"]
    assert data["counterfactuals"][0]["changes"][0].startswith("grade 4,0 in plaats van 3,8")
    assert data["proof"]["rule"]["id"] == "resit_excluded_low_grade"


def test_appeal_route_and_deadline_from_document_metadata(mini_kb, tmp_path):
    import shutil

    from oerlog.kb.loader import load_kb

    kb_dir = tmp_path / "kb"
    shutil.copytree(MINI, kb_dir)
    meta = kb_dir / "mini-doc/document.yaml"
    meta.write_text(
        meta.read_text() + "appeal:\n  body: College van Beroep voor de Examens\n  via: CLRS\n"
        '  term: {weeks: 6}\n  cite: {article: "4"}\n'
    )
    case = kb_dir / "mini-doc/cases/anna.yaml"
    case.write_text(
        case.read_text().replace("reference_date: 2025-11-03", "reference_date: 2025-11-03\ndecision_date: 2025-11-10")
    )
    kb = load_kb(kb_dir)
    _, d = dossier(kb, case, 'resit_excluded("anna", "bio")')
    assert d.appeal["weeks"] == 6 and str(d.appeal["deadline"]) == "2025-12-22"
    assert not d.appeal["from_is_reference_date"]


def test_dossier_for_a_decision_that_does_not_hold(mini_kb):
    _, d = dossier(mini_kb, MINI_CASE, 'resit_excluded("eva", "bio")')
    assert not d.holds and not d.counterfactuals


def test_html_dossier_in_headless_chromium(cli, tmp_path):
    chromium = need("chromium")
    page = tmp_path / "d.html"
    r = cli(
        "appeal",
        "--case",
        str(ANNA),
        "--decision",
        'resit_excluded("anna", "vorm_en_functie")',
        "--format",
        "html",
        "-o",
        str(page),
        cwd=ROOT,
    )
    assert r.code == 0, r.err
    text = page.read_text()
    assert "<link" not in text and "<script" not in text and "://" not in text  # self-contained, no script
    flags = chromium_flags(tmp_path)
    shot = tmp_path / "d.png"
    subprocess.run(
        [chromium, *flags, f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", page.as_uri()], capture_output=True, timeout=120, check=True, text=True
    ).stdout
    assert "<h1>Dossier bezwaar en beroep</h1>" in dom
    assert "<details open=" in dom  # the collapsible proof tree
    assert "Als je lager dan een 4,0 hebt behaald" in dom


def test_unknown_decision_is_bad_input(cli):
    r = cli("appeal", "--case", str(ANNA), "--decision", "resit_exclud(S, C)", cwd=ROOT)
    assert r.code == 2 and "did you mean resit_excluded" in r.err
