"""Bad input in every file kind gives a located message (file:line:column, bad value, example) and exit 2."""

import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import MINI


@pytest.fixture
def cli(cli_en):  # type: ignore[no-untyped-def]
    """These tests read the English error texts: the commands that have --lang run with --lang en."""
    return cli_en


CASE_OK = """reference_date: 2025-11-03
facts:
  result:
    - {student: s1, course: bio, grade: 5.5}
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(p)


@pytest.mark.parametrize(
    "body, where, value, message",
    [
        ("    - {student: s1, course: bio, grade: 11}\n", ":4:41", "11", "between 1.0 and 10.0"),
        ("    - {student: s1, course: bio, grade: 0.5}\n", ":4:41", "0.5", "between 1.0 and 10.0"),
        ("    - {student: s1, course: bio, grade: goed}\n", ":4:41", "goed", "not a number"),
        ("    - {student: s1, course: bio, grde: 5.5}\n", ":4:34", "grde", "did you mean 'grade'"),
        ("    - {student: s1, course: bio}\n", ":4:7", None, "lacks field 'grade'"),
        ("    - [s1, bio]\n", ":4:7", None, "has 3 fields"),
    ],
)
def test_bad_records_in_a_case_file(cli, tmp_path, body, where, value, message):
    path = write(tmp_path, "case.yaml", "reference_date: 2025-11-03\nfacts:\n  result:\n" + body)
    r = cli("--kb", str(MINI), "query", "resit_invited(S, C)", "--case", path)
    assert r.code == 2
    assert f"{path}{where}: error" in r.err
    assert message in r.err
    if value:
        assert f"bad value: '{value}'" in r.err
    assert "example: result: {student: s1001, course: s1001, grade: 5.45}" in r.err
    assert "Traceback" not in r.err


def test_a_date_that_does_not_exist(cli, tmp_path):
    path = write(tmp_path, "case.yaml", CASE_OK + "  registered:\n    - {student: s1, course: bio, date: 2025-02-30}\n")
    r = cli("--kb", str(MINI), "query", "resit_invited(S, C)", "--case", path)
    assert r.code == 2 and f"{path}:6:" in r.err and "2025-02-30" in r.err and "example:" in r.err


def test_unknown_relation_and_enum_value(cli, tmp_path):
    path = write(tmp_path, "c1.yaml", CASE_OK + "  results:\n    - {student: s1}\n")
    r = cli("--kb", str(MINI), "query", "resit_invited(S, C)", "--case", path)
    assert r.code == 2 and f"{path}:5:3" in r.err and "did you mean 'result'" in r.err
    path = write(tmp_path, "c2.yaml", CASE_OK + "  sitting:\n    - {course: bio, kind: herkansing}\n")
    r = cli("--kb", str(MINI), "query", "resit_invited(S, C)", "--case", path)
    assert r.code == 2 and "one of regular, resit" in r.err and "'herkansing'" in r.err


def test_yaml_syntax_error_and_missing_file(cli, tmp_path):
    path = write(tmp_path, "c.yaml", "facts:\n  result:\n    - {student: s1, grade: 5.5\n")
    r = cli("--kb", str(MINI), "query", "resit_invited(S, C)", "--case", path)
    assert r.code == 2 and f"{path}:4:" in r.err and "YAML syntax error" in r.err
    r = cli("--kb", str(MINI), "query", "resit_invited(S, C)", "--case", str(tmp_path / "nope.yaml"))
    assert r.code == 2 and "file not found" in r.err


def test_unknown_goal_predicate_and_bad_goal(cli):
    case = str(MINI / "mini-doc/cases/anna.yaml")
    r = cli("--kb", str(MINI), "why", "resit_invite(S, C)", "--case", case)
    assert r.code == 2 and "unknown predicate 'resit_invite'" in r.err and "did you mean resit_invited" in r.err
    r = cli("--kb", str(MINI), "why", "resit_invited(S,, C)", "--case", case)
    assert r.code == 2 and "<goal>:1:" in r.err and "^" in r.err
    r = cli("--kb", str(MINI), "why", "resit_invited(S)", "--case", case)
    assert r.code == 2 and "takes 2 argument(s)" in r.err


def test_bad_parameter_override(cli):
    case = str(MINI / "mini-doc/cases/anna.yaml")
    r = cli("--kb", str(MINI), "query", "resit_invited(S, C)", "--case", case, "--param", "resit_min=vier")
    assert r.code == 2 and "resit_min is a decimal" in r.err and "--param resit_min=4.5" in r.err
    r = cli("--kb", str(MINI), "query", "resit_invited(S, C)", "--case", case, "--param", "nope=1")
    assert r.code == 2 and "no parameter 'nope'" in r.err


def _broken_kb(tmp_path: Path, rules: str) -> Path:
    kb = tmp_path / "kb"
    shutil.copytree(MINI, kb)
    (kb / "mini-doc" / "extra.dl").write_text(rules, encoding="utf-8")
    return kb


@pytest.mark.parametrize(
    "rules, where, message",
    [
        ("@id(x) broken(S) :- result(S, C, G) G > 4.0.\n", "extra.dl:1:37", "fout: onverwacht"),  # docs: no --lang
        ("@id(x) broken(S) :- reslt(S, C, G).\n", "extra.dl:1:21", "unknown predicate reslt/3"),
        ("@id(x) broken(S, Q) :- result(S, C, G).\n", "extra.dl:1:18", "variable Q is not bound"),
        ("@id(x) broken(S) :- result(S, C).\n", "extra.dl:1:21", "result is used with 2 argument(s)"),
        (
            '@id(x) @cite("9") broken(S) :- result(S, _, _).\n',
            "extra.dl:1:8",
            "citation art. 9 does not resolve",
        ),
        ('@id(x) @cite("1", "7") broken(S) :- result(S, _, _).\n', "extra.dl:1:8", "lids of art. 1: 1, 2, 3"),
        (
            "@id(x) a(S) :- result(S, _, _), not b(S).\n@id(y) b(S) :- result(S, _, _), not a(S).\n",
            "extra.dl:1:37",
            "no stratification",
        ),
        ("@id(invited) dup(S) :- result(S, _, _).\n", "extra.dl:1:", "rule id invited is used twice"),
    ],
)
def test_kb_errors_are_located(cli, tmp_path, rules, where, message):
    kb = _broken_kb(tmp_path, rules)
    r = cli("--kb", str(kb), "docs")
    assert r.code == 2, r.err
    assert where in r.err and message in r.err, r.err
    assert "Traceback" not in r.err


def test_bad_query_files(cli, tmp_path):
    q = write(tmp_path, "q.yaml", "title: t\ngoal: resit_invited(S,, C)\nmode: why\n")
    r = cli("--kb", str(MINI), "run", q, "--case", str(MINI / "mini-doc/cases/anna.yaml"))
    assert r.code == 2 and f"{q}:2:" in r.err
    q = write(tmp_path, "q2.yaml", "title: t\ngoal: resit_invited(S, C)\nmode: explain\n")
    r = cli("--kb", str(MINI), "run", q, "--case", str(MINI / "mini-doc/cases/anna.yaml"))
    assert r.code == 2 and f"{q}:3:7" in r.err and "mode is one of list, why, whynot" in r.err
    q = write(tmp_path, "q3.yaml", "title: t\ngoal: resit_invited(S, C)\ncolour: red\n")
    r = cli("--kb", str(MINI), "run", q, "--case", str(MINI / "mini-doc/cases/anna.yaml"))
    assert r.code == 2 and "unknown key 'colour'" in r.err


def test_not_a_kb(cli, tmp_path):
    r = cli("--kb", str(tmp_path), "docs")
    assert r.code == 2 and "vocabulary.yaml is missing" in r.err
