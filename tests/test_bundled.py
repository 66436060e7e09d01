"""The bundled KB end to end: the README's main command, `oerlog test`, saved queries, the document's own
worked examples."""

import re
from pathlib import Path

import pytest
from conftest import BUNDLED

ROOT = BUNDLED.parent
CASES = BUNDLED / "uu-gnk-ba-2025" / "cases"


def readme_main_command() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"Install and answer a real question.*?```sh\n(.*?)\n```", text, re.S)
    assert block, "README lost its first set-up command"
    return block.group(1)


def test_readme_main_command_prints_a_proof_quoting_the_article(cli):
    cmd = readme_main_command()
    oerlog_part = cmd.split("&& oerlog ", 1)[1]
    import shlex

    args = shlex.split(oerlog_part)
    r = cli(*args, cwd=ROOT)
    assert r.code == 0, r.err
    assert r.out.startswith("Waarom: anna is uitgesloten van de herkansing van Vorm en functie")  # the answer first
    assert "\nBeslissend: art. A.8 lid 2 — cijfer 3,8 is lager dan 4,0\n" in r.out  # rule, article, values
    assert "“Als je lager dan een 4,0 hebt behaald" in r.out  # verbatim quote of art. A.8 lid 2
    assert "(casus anna-excluded-low-grade, regel 24)" in " ".join(r.out.split())  # the fact's source, for a reader


def test_whynot_names_the_failing_condition_for_a_student_not_invited(cli):
    r = cli(
        "whynot", 'resit_invited("bram", "vorm_en_functie")', "--case", str(CASES / "bram-grade-5-45.yaml"), cwd=ROOT
    )
    assert r.code == 0, r.err
    # the rounded grade 5,5 is above the band's top 5,4: what the case would need, in words
    assert "nodig: ten hoogste 5,4" in r.out and "het is 5,5 (5,45 afgerond op één decimaal)" in r.out
    r = cli(
        "whynot",
        'resit_invited("anna", "vorm_en_functie")',
        "--case",
        str(CASES / "anna-excluded-low-grade.yaml"),
        "--lang",
        "en",
        cwd=ROOT,
    )
    assert "needed: grade at least 4.0 (lower bound (unrounded) for an invitation to the resit); it is 3.8" in r.out


def test_oerlog_test_passes_and_reports_the_disagreeing_worked_example(cli):
    r = cli("test", "uu-gnk-ba-2025", "-v", cwd=ROOT)
    assert r.code == 0, r.out + r.err
    assert re.search(r"\d+ passed, 0 failed", r.out)
    assert "GAP" not in r.out  # every rule has a positive and a negative scenario
    assert "disagrees with its rule" in r.out and "22 augustus" in r.out


@pytest.mark.parametrize("query", sorted(p.name for p in (ROOT / "queries").glob("*.yaml")))
def test_saved_queries_run(cli, query):
    r = cli("run", str(ROOT / "queries" / query), cwd=ROOT)
    assert r.code == 0, r.err
    assert re.search(r"resulta(at|ten)", r.out) or "✔" in r.out or "✘" in r.out  # 1 resultaat, 2 resultaten


@pytest.mark.slow  # the whole bundled KB linted: 8 s
def test_lint_is_clean_and_docs_list_the_document(cli):
    r = cli("lint", cwd=ROOT)
    assert r.code == 0 and "no findings" in r.out
    r = cli("docs", cwd=ROOT)
    assert "uu-gnk-ba-2025" in r.out
    r = cli("docs", "--vocabulary", cwd=ROOT)
    assert "test_result(" in r.out


def test_every_article_has_a_coverage_status(bundled_kb):
    doc = bundled_kb.documents["uu-gnk-ba-2025"]
    cited = {c.article for r in doc.program.rules for c in r.ann.cites}
    for key, art in doc.articles.items():
        assert art.status in ("encoded", "not_computable", "not_encoded")
        if art.status == "encoded":
            assert key in cited, f"article {key} is marked encoded but no rule cites it"
        if art.status == "not_computable":
            assert art.reason


def test_parameter_override_is_a_what_if(cli):
    case = str(CASES / "bram-grade-5-45.yaml")
    base = cli("query", "resit_invited(S, C)", "--case", case, "--format", "json", cwd=ROOT)
    moved = cli(
        "query", "resit_invited(S, C)", "--case", case, "--format", "json", "--param", "resit_max_grade=5.5", cwd=ROOT
    )
    assert base.code == moved.code == 0
    import json

    assert len(json.loads(moved.out)["rows"]) > len(json.loads(base.out)["rows"])
    assert json.loads(moved.out)["receipt"]["parameter_overrides"] == {"resit_max_grade": "5.5"}


def test_sources_are_quoted_verbatim(bundled_kb):
    """Every lid of articles.yaml occurs in the source text (modulo line wraps)."""
    src = Path(ROOT.parent / "shared" / "sources" / "000_c7721552d17f1bae.txt")
    if not src.exists():
        pytest.skip("shared/sources not beside the checkout")
    flat = " ".join(src.read_text(encoding="utf-8").split())
    doc = bundled_kb.documents["uu-gnk-ba-2025"]
    missing = [p.label for a in doc.articles.values() for p in a.provisions() if p.text and p.text not in flat]
    assert not missing, missing
