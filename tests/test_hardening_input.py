"""Hardening of the input readers (issue 12, items 2, 3, 8-12, 14, 16): case, scenario and query files are plain
YAML read without expanding anything, ids cannot carry controls or formulas, a case states its facts once and
consistently, and every refusal is exit 2 with the file, the line and the bad value.

Each probe is a small case file under tests/fixtures/hardening/input/, judged by the CLI on a bundled document."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import time
from pathlib import Path

import pytest
from conftest import BUNDLED, MINI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oerlog.cli.main import main
from oerlog.errors import ValidationError
from oerlog.kb.vocabulary import load_vocabulary
from oerlog.values import EDGE_SPACE_RANGES, char_class, id_problem, text_problem


@pytest.fixture
def cli(cli_en):  # type: ignore[no-untyped-def]
    """These tests read the English error texts: the commands that have --lang run with --lang en."""
    return cli_en


FIXTURES = Path(__file__).parent / "fixtures" / "hardening" / "input"
BASE_CASE = BUNDLED / "uu-gnk-ba-2025" / "cases" / "anna-excluded-low-grade.yaml"
QUERY = "resit_excluded(S, C)"
WHY = 'resit_excluded("anna", C)'


def _query(cli, case: Path | str, *extra: str):  # type: ignore[no-untyped-def]
    return cli("--kb", str(BUNDLED), "query", QUERY, "--case", str(case), *extra)


# --- one probe per defect: exit 2, the place, the bad value -------------------------------------------------------

PROBES = [
    # (fixture, line:column, bad value as printed, words of the message)
    ("alias-bomb.yaml", "3:6", "'&a'", "YAML anchors (&name) are not allowed"),
    ("recursive-anchor.yaml", "3:8", "'&loop'", "YAML anchors (&name) are not allowed"),
    ("deep-nesting.yaml", "4:64", "'nesting level 51'", "nests deeper than 50 levels"),
    ("nul-byte.yaml", "12:20", "'\\x00'", "control character U+0000"),
    ("latin1-id.yaml", "12:21", "b'\\xe9'", "is not UTF-8"),
    ("document-scope.yaml", "11:3", "'document_scope'", "document_scope cannot be stated by data"),
    ("students-key.yaml", "13:1", "'students'", "unknown key 'students' in a case"),
    ("whitespace-id.yaml", "12:17", "'anna '", "an identifier cannot start or end with a space"),
    ("bidi-id.yaml", "12:17", "'anna\\u202egpj.exe'", "control or invisible character U+202E"),
    ("formula-id.yaml", "12:17", "\"=cmd|' /C calc'!A0\"", "cannot start with '='"),
    ("timestamp.yaml", "2:17", "'2025-11-20T10:00:00'", "a date is written YYYY-MM-DD, without a time"),
    ("two-reference-dates.yaml", "12:7", "'2026-02-01'", "exactly one reference date"),
    ("conflicting-grades.yaml", "13:7", '\'test_result("anna", "vf_bloktoets", 6.5)\'', "two facts for student"),
]


@pytest.mark.parametrize("name, where, value, message", PROBES, ids=[p[0] for p in PROBES])
def test_each_probe_is_a_located_refusal(cli, name: str, where: str, value: str, message: str) -> None:  # type: ignore[no-untyped-def]
    path = FIXTURES / name
    for r in (_query(cli, path), cli("--kb", str(BUNDLED), "why", WHY, "--case", str(path))):
        assert r.code == 2, r.err
        assert f"{path}:{where}: error:" in r.err, r.err
        assert message in r.err and f"bad value: {value}" in r.err and "example:" in r.err, r.err
        assert "Traceback" not in r.err and "internal error" not in r.err


def test_the_alias_bomb_fails_at_once(cli) -> None:  # type: ignore[no-untyped-def]
    """Nine levels of nine aliases expand to 9^9 strings: refused from the event stream, before any expansion."""
    start = time.perf_counter()
    r = _query(cli, FIXTURES / "alias-bomb.yaml")
    assert time.perf_counter() - start < 1.0
    assert r.code == 2 and "alias-bomb.yaml:3:6" in r.err


def test_an_alias_without_anchor_in_the_file_is_refused_too(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case = tmp_path / "alias.yaml"
    case.write_text(BASE_CASE.read_text(encoding="utf-8").replace('grade: "3,8"', "grade: *g"), encoding="utf-8")
    r = _query(cli, case)
    assert r.code == 2 and "YAML aliases (*name) are not allowed" in r.err and "bad value: '*g'" in r.err


def test_a_control_character_in_a_yaml_escape_and_an_esc_in_the_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = BASE_CASE.read_text(encoding="utf-8")
    case = tmp_path / "esc.yaml"
    case.write_text(text.replace("{student: anna, test:", '{student: "\\e[31manna", test:'), encoding="utf-8")
    r = _query(cli, case)
    assert r.code == 2 and "U+001B" in r.err and "bad value: '\\x1b[31manna'" in r.err and "\x1b" not in r.err
    case.write_text(text.replace("{student: anna, test:", '{student: "an\x1bna", test:'), encoding="utf-8")
    r = _query(cli, case)  # a raw ESC: YAML itself does not allow it; the echoed line does not carry it either
    assert r.code == 2 and f"{case}:24:" in r.err and "U+001B" in r.err and "\x1b" not in r.err


def test_a_tag_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case = tmp_path / "tag.yaml"
    case.write_text(
        BASE_CASE.read_text(encoding="utf-8").replace("{student: anna, test:", "{student: !!binary YW5uYQ==, test:"),
        encoding="utf-8",
    )
    r = _query(cli, case)
    assert r.code == 2 and f"{case}:24:" in r.err and "YAML tags are not allowed" in r.err


# --- item 9: relations the data may not state ---------------------------------------------------------------------


def test_a_concept_stated_as_a_fact_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case = tmp_path / "concept.yaml"
    case.write_text(
        BASE_CASE.read_text(encoding="utf-8") + "  resit_allowed:\n    - {student: anna, course: vorm_en_functie}\n",
        encoding="utf-8",
    )
    r = _query(cli, case)
    assert r.code == 2 and f"{case}:25:3" in r.err and "resit_allowed is a conclusion the rules derive" in r.err


def test_document_scope_in_a_fact_file_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "scope.dl").write_text('document_scope("rug-ma-oer-2019", "gnk-ba", 2025).\n', encoding="utf-8")
    case = tmp_path / "case.yaml"
    case.write_text(BASE_CASE.read_text(encoding="utf-8") + "facts_files: [scope.dl]\n", encoding="utf-8")
    r = _query(cli, case)
    assert r.code == 2 and f"{tmp_path / 'scope.dl'}:1:1" in r.err and "cannot be stated by data" in r.err


def test_the_vocabulary_marks_engine_relations_and_keys(bundled_kb) -> None:  # type: ignore[no-untyped-def]
    rels = bundled_kb.vocabulary.relations
    assert rels["document_scope"].stated_by == "engine" and rels["test_result"].stated_by == "data"
    assert rels["test_result"].key == ("student", "test") and rels["test_result"].key_positions == (0, 1)
    assert rels["reference_date"].key == () and rels["test_taken"].key is None


# --- item 10: unknown keys, with a suggestion ---------------------------------------------------------------------


def test_a_misspelt_top_level_key_gets_a_suggestion(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case = tmp_path / "fact.yaml"
    case.write_text(BASE_CASE.read_text(encoding="utf-8").replace("\nfacts:", "\nfact:"), encoding="utf-8")
    r = _query(cli, case)
    assert r.code == 2 and f"{case}:8:1" in r.err and "did you mean 'facts'?" in r.err
    assert (
        "keys: decision_date, description, document, facts, facts_files, false, names, reference_date, title" in r.err
    )


def _mini_copy(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    shutil.copytree(MINI, kb)
    return kb


def test_scenario_files_refuse_aliases_and_unknown_keys(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kb = _mini_copy(tmp_path)
    bad = kb / "mini-doc" / "tests" / "bad.yaml"
    bad.write_text(
        "scenarios:\n  - name: a\n    rule: invited\n"
        "    case: &c {facts: {result: [{student: s, course: c, grade: 4.0}]}}\n"
        '    expect: [\'resit_invited("s", "c")\']\n',
        encoding="utf-8",
    )
    r = cli("--kb", str(kb), "test", "mini-doc")
    assert r.code == 2 and f"{bad}:4:11" in r.err and "bad value: '&c'" in r.err
    bad.write_text(
        "scenarios:\n  - name: a\n    rule: invited\n"
        "    case: {facts: {result: [{student: s, course: c, grade: 4.0}]}}\n"
        '    expected: [\'resit_invited("s", "c")\']\n',
        encoding="utf-8",
    )
    r = cli("--kb", str(kb), "test", "mini-doc")
    assert r.code == 2 and f"{bad}:5:5" in r.err and "did you mean 'expect'" in r.err


def test_inline_scenario_cases_are_read_like_case_files(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kb = _mini_copy(tmp_path)
    bad = kb / "mini-doc" / "tests" / "bad.yaml"
    bad.write_text(
        "scenarios:\n  - name: a\n    rule: invited\n"
        "    case: {facts: {result: [{student: ' s', course: c, grade: 4.0}]}}\n"
        '    expect: [\'resit_invited("s", "c")\']\n',
        encoding="utf-8",
    )
    r = cli("--kb", str(kb), "test", "mini-doc")
    assert r.code == 2 and f"{bad}:4:39" in r.err and "cannot start or end with a space" in r.err


def test_query_files_refuse_aliases_and_suggest_keys(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    q = tmp_path / "q.yaml"
    q.write_text("title: &t t\ngoal: resit_invited(S, C)\n", encoding="utf-8")
    r = cli("--kb", str(MINI), "run", str(q), "--case", str(MINI / "mini-doc/cases/anna.yaml"))
    assert r.code == 2 and f"{q}:1:8" in r.err and "bad value: '&t'" in r.err
    q.write_text("title: t\ngoals: resit_invited(S, C)\n", encoding="utf-8")
    r = cli("--kb", str(MINI), "run", str(q), "--case", str(MINI / "mini-doc/cases/anna.yaml"))
    assert r.code == 2 and f"{q}:2:1" in r.err and "did you mean 'goal'" in r.err


# --- item 12: dates are YYYY-MM-DD ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stamp", ["2025-10-31T10:00:00", "2025-10-31 10:00:00", "2025-10-31t10:00:00Z", "2025-10-31T10:00:00+01:00"]
)
def test_an_unquoted_timestamp_in_a_fact_is_refused(cli, tmp_path: Path, stamp: str) -> None:  # type: ignore[no-untyped-def]
    case = tmp_path / "stamp.yaml"
    text = BASE_CASE.read_text(encoding="utf-8")
    case.write_text(text.replace("date: 2025-10-31}", f"date: {stamp}}}"), encoding="utf-8")
    r = _query(cli, case)
    assert r.code == 2 and f"{case}:18:" in r.err and "without a time" in r.err and f"bad value: '{stamp}'" in r.err


# --- items 8 and 14: one reference date, facts stated once and consistently -------------------------------------


def test_two_reference_date_facts_are_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case = tmp_path / "two.yaml"
    text = BASE_CASE.read_text(encoding="utf-8").replace("reference_date: 2025-11-20\n", "")
    case.write_text(text + "  reference_date:\n    - {date: 2025-11-20}\n    - {date: 2025-11-20}\n", encoding="utf-8")
    r = _query(cli, case)
    assert r.code == 2 and f"{case}:26:7" in r.err and f"at {case}:25:7 already states one" in r.err
    case.write_text(text + "  reference_date:\n    - {date: 2025-11-20}\n", encoding="utf-8")
    r = _query(cli, case)  # one fact is the case's reference date
    assert r.code == 0 and "anna" in r.out


def test_a_duplicate_fact_is_a_note_and_counts_once(cli) -> None:  # type: ignore[no-untyped-def]
    path = FIXTURES / "duplicate-fact.yaml"
    r = _query(cli, path)
    assert r.code == 0, r.err
    assert f"note: {path}:13:7: " in r.err and f"(first at {path}:12:7)" in r.err and "3.8" in r.err
    assert r.out.count("anna") == 1


def test_conflicting_grades_name_both_places_the_key_and_both_values(cli) -> None:  # type: ignore[no-untyped-def]
    path = FIXTURES / "conflicting-grades.yaml"
    r = _query(cli, path)
    assert r.code == 2
    assert f'{path}:13:7: error: test_result: two facts for student "anna", test "vf_bloktoets"' in r.err
    assert f"grade 3.8 at {path}:12:7, and grade 6.5 here" in r.err
    assert "one fact per student, test" in r.err


KEY_PROBES = [
    ("key: [student, tset]", "key field 'tset' is not a field of test_result", "did you mean 'test'"),
    ("key: [student, student]", "key field 'student' is listed twice", None),
    ("key: [student, test, grade]", "a key of every field determines nothing", None),
    ("key: student", "'key' must be a list of field names", None),
    ("stated_by: kb", "stated_by must be one of data, engine", None),
]


@pytest.mark.parametrize("line, message, suggestion", KEY_PROBES, ids=[k[0] for k in KEY_PROBES])
def test_vocabulary_keys_are_checked_at_load(tmp_path: Path, line: str, message: str, suggestion: str | None) -> None:
    text = (BUNDLED / "vocabulary.yaml").read_text(encoding="utf-8")
    anchor = '    doc: "The grade the student obtained at one test sitting, unrounded as recorded."\n'
    anchor += "    key: [student, test]\n"
    assert anchor in text
    voc = tmp_path / "vocabulary.yaml"
    voc.write_text(text.replace(anchor, anchor.replace("key: [student, test]", line)), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_vocabulary(voc)
    assert message in err.value.message
    assert err.value.location is not None and err.value.location.line == text[: text.index(anchor)].count("\n") + 2
    if suggestion:
        assert suggestion in str(err.value.hint)


# --- items 3 and 11: the id rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, problem",
    [
        ("s0000001", None),
        ("vorm_en_functie", None),
        ("Vorm en Functie", None),
        ("José", None),
        ("2025-10-31", None),
        ("", "cannot be empty"),
        (" s1", "start or end with a space"),
        ("s1\u00a0", "start or end with a space"),
        ("s1\n", "U+000A"),
        ("s\t1", "U+0009"),
        ("s1\r", "U+000D"),
        ("\x1b[2J", "U+001B"),
        ("s\x7f", "U+007F"),
        ("s\x85", "U+0085"),
        ("s\u200b1", "U+200B"),
        ("s\u202e1", "U+202E"),
        ("s\u2066", "U+2066"),
        ("\ufeffs1", "U+FEFF"),
        ("=1+1", "cannot start with '='"),
        ("+31612345678", "cannot start with '+'"),
        ("-5", "cannot start with '-'"),
        ("@SUM(A1)", "cannot start with '@'"),
    ],
)
def test_the_id_rule(text: str, problem: str | None) -> None:
    found = id_problem(text)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_text_values_get_the_control_rule_only() -> None:
    assert text_problem("=1+1") is None and text_problem(" a b ") is None
    assert text_problem("a\u202eb") is not None and text_problem("a\nb") is not None


def test_the_character_classes_have_an_re2_form_for_sql() -> None:
    assert char_class(EDGE_SPACE_RANGES, "re2").startswith("[\\x{20}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}")
    assert re.fullmatch(char_class(EDGE_SPACE_RANGES), "\u3000") and not re.fullmatch(
        char_class(EDGE_SPACE_RANGES), "x"
    )


def test_a_case_no_regulation_applies_to_is_located_at_its_enrolment(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case = tmp_path / "nowhere.yaml"
    text = BASE_CASE.read_text(encoding="utf-8")
    case.write_text(text.replace("programme: gnk-ba", "programme: xx-ba"), encoding="utf-8")
    r = _query(cli, case)
    assert r.code == 2 and f"{case}:10:7: error: no regulation applies" in r.err
    case.write_text(
        text.replace("reference_date: 2025-11-20\n", "reference_date: 2025-11-20\ndocument: nope\n"), encoding="utf-8"
    )
    r = _query(cli, case)
    assert r.code == 2 and f"{case}:8:11: error: unknown document 'nope'" in r.err


# --- property: any mutation of a good case file is answered or refused with a place, never a crash --------------

MAX_MUTATIONS = 4
PAYLOADS = [
    "&a ", "*a", "\x00", "2025-13-45", '"=1+1"', "2025-01-05T10:00:00", "!!python/object:os.system ", "[" * 60,
    "{", "- ", ": ", "\t", '"\\u202e"', "@", "~", "null", ".inf", "1e400", "9" * 30, "0x1F", "? ", "|\n", '"',
    "'", "#", "\ufeff", "\u2028", "\x85", "é", "\\", "%YAML 1.1\n", "---\n", "...\n",
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    for _ in range(draw(st.integers(1, MAX_MUTATIONS))):
        lines = text.split("\n")
        kind = draw(st.sampled_from(["delete", "insert", "replace", "swap", "duplicate", "payload"]))
        pos = draw(st.integers(0, max(0, len(text) - 1)))
        if kind == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 8)) :]
        elif kind in ("insert", "replace"):
            ch = draw(st.characters(codec="utf-8", exclude_categories=["Cs"]))
            text = text[:pos] + ch + text[pos + (kind == "replace") :]
        elif kind == "payload":
            text = text[:pos] + draw(st.sampled_from(PAYLOADS)) + text[pos:]
        else:
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if kind == "swap":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines.insert(j, lines[i])
            text = "\n".join(lines)
    return text


def _run(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue() + err.getvalue()


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(derandomize=True, max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated(BASE_CASE.read_text(encoding="utf-8")))
def test_mutated_case_files_are_answered_or_refused_with_a_place(fuzz_dir: Path, text: str) -> None:
    case = fuzz_dir / "case.yaml"
    case.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    for args in (["query", QUERY], ["why", WHY]):
        code, output = _run(["--kb", str(BUNDLED), *args, "--case", str(case)])
        assert code in (0, 1, 2, 4), output
        assert "Traceback" not in output and "internal error" not in output, output
        if code == 2:
            assert re.search(re.escape(str(case)) + r":\d+", output), output
