"""The public Python API (oerlog.api, docs/api.md): the page's examples run, judging from a path and a mapping,
why / whynot / query as the CLI answers them, escaping in the notebook views, errors as OerlogError."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

import oerlog
from oerlog.errors import OerlogError, UsageError, ValidationError

ROOT = Path(__file__).parent.parent
API_DOC = ROOT / "docs" / "api.md"
ANNA = "kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml"
GOAL = 'resit_excluded("anna", C)'


def _blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run from the repository root (as docs/api.md says), with the bundled KB found as the CLI finds it and
    temporary files under ``tmp_path``."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("OERLOG_KB", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def kb() -> oerlog.KB:
    return oerlog.load_kb(ROOT / "kb")


@pytest.fixture(scope="module")
def anna(kb: oerlog.KB) -> oerlog.Judgement:
    return kb.judge(ROOT / ANNA)


def _anna_facts(student: str = "anna") -> dict[str, Any]:
    """Anna's case file as a Python mapping (another student id if given)."""
    return {
        "reference_date": "2025-11-20",
        "facts": {
            "enrolment": [{"student": student, "programme": "gnk-ba", "academic_year": 2025, "study_year": 1}],
            "course": [
                {"course": "vorm_en_functie", "study_year": 1, "kind": "block"},
                {"course": "circulatie", "study_year": 1, "kind": "block"},
            ],
            "course_start": [
                {"course": "vorm_en_functie", "academic_year": 2025, "date": "2025-09-01"},
                {"course": "circulatie", "academic_year": 2025, "date": "2025-11-10"},
            ],
            "test": [
                {"test": "vf_bloktoets", "course": "vorm_en_functie", "sitting": "regular", "date": "2025-10-31"},
                {"test": "vf_herkansing", "course": "vorm_en_functie", "sitting": "resit", "date": "2026-01-09"},
                {"test": "circ_bloktoets", "course": "circulatie", "sitting": "regular", "date": "2026-01-16"},
            ],
            "course_registration": [
                {"student": student, "course": "circulatie", "academic_year": 2025, "date": "2025-10-15"}
            ],
            "test_result": [{"student": student, "test": "vf_bloktoets", "grade": "3,8"}],
        },
    }


# --- docs/api.md ------------------------------------------------------------------------------------------


def test_api_doc_examples_run_in_order(at_root: Path) -> None:
    """Every ```python block of docs/api.md runs, in order, in one namespace; the first prints a proof that
    cites an article."""
    blocks = _blocks(API_DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 5
    assert len(blocks[0].strip().splitlines()) <= 6, "the first example is about five lines"
    namespace: dict[str, Any] = {"__name__": "docs_api"}
    outputs = []
    for i, block in enumerate(blocks):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, f"{API_DOC}:python block {i + 1}", "exec"), namespace)
        outputs.append(out.getvalue())
    first = outputs[0]
    assert first.startswith("Why: anna is excluded from the resit of Vorm en functie")  # the answer first
    assert "Decisive: art. A.8 lid 2 — grade 3.8 is below 4.0" in first  # the rule, its article, the values
    assert "“Als je lager dan een 4,0 hebt behaald" in first  # ... and the provision quoted
    assert "(case anna-excluded-low-grade, line 24)" in " ".join(first.split())  # the fact, where the case states it


def test_first_example_runs_as_a_script(at_root: Path) -> None:
    """The first example as a user runs it: ``python -c`` from the repository root."""
    code = _blocks(API_DOC.read_text(encoding="utf-8"))[0]
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "art. A.8 lid 2" in done.stdout


# --- judging ----------------------------------------------------------------------------------------------


def test_judge_from_a_path(anna: oerlog.Judgement) -> None:
    assert anna.document.id == "uu-gnk-ba-2025"
    assert anna.selection == "scope"
    assert anna.query("resit_excluded(S, C)") == [("anna", "vorm_en_functie")]
    assert anna.holds(GOAL)
    assert not anna.holds('resit_invited("anna", C)')
    assert anna.receipt()["document"] == "uu-gnk-ba-2025"


def test_judge_from_a_mapping(kb: oerlog.KB, anna: oerlog.Judgement) -> None:
    j = kb.judge(_anna_facts())
    assert j.document.id == "uu-gnk-ba-2025"
    assert j.query("resit_excluded(S, C)") == anna.query("resit_excluded(S, C)")
    assert j.case.digest == anna.case.digest  # the same facts as the case file
    assert "art. A.8 lid 2" in j.why(GOAL).text()
    facts_only = kb.judge(_anna_facts()["facts"], doc="uu-gnk-ba-2025")  # the facts alone, the document named
    assert facts_only.selection == "chosen"
    assert facts_only.query("resit_excluded(S, C)") == [("anna", "vorm_en_functie")]


def test_judge_with_parameters(kb: oerlog.KB) -> None:
    assert kb.judge(ROOT / ANNA, params={"resit_min_grade": 3.5}).query(GOAL) == []
    assert kb.judge(ROOT / ANNA, params=["resit_min_grade=3.5"]).overrides == {"resit_min_grade": pytest.approx(3.5)}


def test_goal_is_checked_before_the_evaluation(kb: oerlog.KB) -> None:
    j = kb.judge(ROOT / ANNA)
    with pytest.raises(UsageError):
        j.query("resit_excluded(S)")
    assert j._evaluation is None  # the mistyped goal was reported without evaluating the rules


@pytest.mark.parametrize("fmt", ["text", "md", "json"])
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_why_and_whynot_as_the_cli_prints_them(cli: Any, anna: oerlog.Judgement, fmt: str, lang: str) -> None:
    """Explanation.render(fmt) is byte for byte what ``oerlog why|whynot --format FMT`` prints."""
    case = str(ROOT / ANNA)
    whynot_goal = 'resit_invited("anna", C)'
    for kind, goal, explanation in (
        ("why", "resit_excluded(S, C)", lambda: anna.why("resit_excluded(S, C)", lang)),
        ("whynot", whynot_goal, lambda: anna.whynot(whynot_goal, lang)),
    ):
        r = cli(kind, goal, "--case", case, "--lang", lang, "--format", fmt)
        assert r.code == 0, r.err
        assert explanation().render(fmt) == r.out


def test_explanation_forms(anna: oerlog.Judgement) -> None:
    e = anna.why(GOAL, lang="en")
    assert str(e) == e.text() == e.render("text")
    assert e.markdown() == e._repr_markdown_()
    data = e.to_dict()
    assert isinstance(data, dict)
    assert data["schema"] == "oerlog.explanation/2" and data["kind"] == "why"
    assert data["summary"]["answer"] == "holds" and data["summary"]["rule"]["citations"] == ["art. A.8 lid 2"]
    assert data["tree"]["rule"]["citations"][0]["article"] == "A.8"
    assert json.loads(e.json()) == data
    assert "art. A.8 lid 2" in e.html()
    n = anna.whynot('resit_invited("anna", C)')
    assert n.kind == "whynot" and len(n.trees) == 1
    assert n.text().startswith("Waarom niet: anna wordt uitgenodigd voor de herkansing van een cursus — geldt niet")


def test_notebook_views_escape_a_payload_id(kb: oerlog.KB) -> None:
    """A student id that is markup shows as text in the Markdown and HTML a notebook renders."""
    payload = "<img src=x onerror=alert(1)>"
    j = kb.judge(_anna_facts(payload))
    e = j.why(f'resit_excluded("{payload}", C)')
    assert payload in e.text()  # the terminal text is the value itself
    md = e._repr_markdown_()
    rendered = MarkdownIt("commonmark").render(md)  # raw HTML on, as a notebook renders Markdown
    assert "<img" not in rendered
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered
    html = e._repr_html_()
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    w = j.whynot(f'resit_invited("{payload}", C)')
    assert "<img" not in MarkdownIt("commonmark").render(w._repr_markdown_())
    assert "<img" not in w._repr_html_()


def test_appeal_dossier(anna: oerlog.Judgement) -> None:
    d = anna.appeal('resit_excluded("anna", "vorm_en_functie")', lang="en")
    assert d.data.holds
    assert "A.8" in d.markdown() and d.markdown() == str(d) == d._repr_markdown_()
    assert d.to_dict()["schema"] == "oerlog.dossier/3"
    assert json.loads(d.json())["decision_atom"] == d.data.decision_atom


def test_check_and_lint(kb: oerlog.KB, tmp_path: Path) -> None:
    report = kb.check(["uu-gnk-ba-2025"], budget=1, witnesses=tmp_path / "witnesses")
    assert isinstance(report, oerlog.CheckReport)
    assert report.text().startswith("oerlog check — Consistentiecontrole\n\nRegelingen: uu-gnk-ba-2025\n")
    assert report.markdown() == report._repr_markdown_()
    assert report.html().startswith("<!DOCTYPE html>") and "<h1>Consistentiecontrole</h1>" in report.html()
    assert json.loads(report.json())["documents"] == ["uu-gnk-ba-2025"]
    accepted = kb.check(["uu-gnk-ba-2025"], budget=1, accept={f.id: "reviewed" for f in report.findings})
    assert not accepted.open_findings(strict=True)
    assert all(f.severity in ("error", "warning", "info") for f in kb.lint(["uu-gnk-ba-2025"]))
    assert not kb.lint(["uu-gnk-ba-2025"], errors_only=True)


# --- errors -----------------------------------------------------------------------------------------------


def test_why_of_what_does_not_hold(anna: oerlog.Judgement) -> None:
    with pytest.raises(oerlog.DoesNotHold) as info:
        anna.why('resit_invited("anna", C)')
    assert isinstance(info.value, OerlogError)
    assert info.value.exit_code == 1


@pytest.mark.parametrize(
    "ask",
    [
        lambda kb, j: j.why('resit_excluded("anna", C, X)'),  # arity
        lambda kb, j: j.query("no_such_conclusion(S)"),  # unknown predicate
        lambda kb, j: j.query('final_result(S, C, "abc")'),  # a constant that is not a grade
        lambda kb, j: j.why(GOAL, lang="fr"),
        lambda kb, j: kb.judge(ROOT / ANNA, doc="no-such-document"),
        lambda kb, j: kb.judge(ROOT / ANNA, params={"no_such_parameter": 1}),
        lambda kb, j: kb.judge(ROOT / ANNA, params={"resit_min_grade": "high"}),
        lambda kb, j: kb.judge(ROOT / "kb" / "no-such-case.yaml"),
        lambda kb, j: kb.judge(ROOT / "kb"),  # a folder
        lambda kb, j: kb.judge(42),
        lambda kb, j: kb.judge({"facts": {"test_result": [{"student": "a", "test": "t", "grade": "abc"}]}}),
        lambda kb, j: kb.judge({"facts": {"no_such_relation": []}}),
        lambda kb, j: kb.judge({"reference_date": "2025-02-30", "facts": {}}),
        lambda kb, j: kb.judge({"refrence_date": "2025-11-20", "facts": {}}),
        lambda kb, j: kb.judge({"facts": {}}),  # no enrolment: no regulation applies
        lambda kb, j: oerlog.load_kb(ROOT / "docs"),
    ],
)
def test_errors_are_oerlog_errors(kb: oerlog.KB, anna: oerlog.Judgement, ask: Any) -> None:
    with pytest.raises(OerlogError) as info:
        ask(kb, anna)
    assert info.value.message
    assert str(info.value)  # renders as the CLI prints it


def test_a_bad_value_in_a_mapping_is_a_validation_error(kb: oerlog.KB) -> None:
    facts = _anna_facts()
    facts["facts"]["test_result"][0]["grade"] = "11"
    with pytest.raises(ValidationError, match="grade"):
        kb.judge(facts)


# --- the package ------------------------------------------------------------------------------------------


def test_import_oerlog_stays_cheap() -> None:
    """``import oerlog`` loads no engine, parser, graph or database library; asking one question loads no
    graph or database library either (the single-case path)."""
    heavy = ("pyDatalog", "lark", "networkx", "duckdb", "oerlog.api")
    code = (
        "import sys, oerlog\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
        f"j = oerlog.load_kb('kb').judge({ANNA!r})\n"
        f"j.why({GOAL!r}); j.whynot('resit_invited(\"anna\", C)')\n"
        "print(sorted(m for m in ('networkx', 'duckdb', 'markdown_it') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "[]"]


def test_package_names() -> None:
    for name in ("load_kb", "KB", "Judgement", "Explanation", "Dossier", "CheckReport", "DoesNotHold", "OerlogError"):
        assert getattr(oerlog, name) is not None
        assert name in dir(oerlog)
    assert oerlog.OerlogError is OerlogError
    assert isinstance(oerlog.__version__, str)
    with pytest.raises(AttributeError):
        oerlog.no_such_name  # noqa: B018
