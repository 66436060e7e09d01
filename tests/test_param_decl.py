"""Parameter declarations: type, @unit and @options, validated with located errors; the parser's table cache."""

import os
import subprocess
import sys
from decimal import Decimal

import pytest

from oerlog.errors import DefinitionError, KBSyntaxError
from oerlog.lang.parser import parse_program


def _param(text: str):  # type: ignore[no-untyped-def]
    [p] = parse_program(text, "p.dl").params
    return p


def test_unit_and_options_are_read():
    p = _param('@cite("2.1", "3")\n@unit(weeks)\n@options(4, 6)\nparam w : integer = unfilled.')
    assert (p.unit, p.options, p.value) == ("weeks", (4, 6), None)
    assert p.admits(6) and not p.admits(5)
    p = _param("@unit(grade) @options(6, 5.5) param pass_grade : decimal = 5.5.")
    assert p.value == Decimal("5.5") and p.options == (6, Decimal("5.5"))
    p = _param('@options(institution, faculty, "programme") param lvl : string = unfilled.')
    assert p.options == ("institution", "faculty", "programme") and p.unit is None
    p = _param("@options(true, false) param b : boolean = true.")
    assert p.options == (True, False) and not p.admits(1)
    assert _param("param x : integer = 3.").options == ()
    assert _param("@unit(years) param validity : integer = 8.").unit == "years"


@pytest.mark.parametrize(
    "text, error, where, message",
    [
        ("@unit(fortnights) param a : integer = 4.", DefinitionError, "p.dl:1:7", "unknown unit 'fortnights'"),
        ("@unit(weeks) param a : decimal = 4.", DefinitionError, "p.dl:1:7", "is an integer, not a decimal"),
        ("@unit(years) param a : decimal = 8.", DefinitionError, "p.dl:1:7", "is an integer, not a decimal"),
        ("@unit(grade) param a : date = 2019-01-01.", DefinitionError, "p.dl:1:7", "not a date"),
        ("@options(4, 5.5) param a : integer = unfilled.", DefinitionError, "p.dl:1:13", "option 5.5 is not"),
        ("@options(4, 4.0) param a : decimal = unfilled.", DefinitionError, "p.dl:1:13", "listed twice"),
        ("@options(4, 6)\nparam a : integer = 5.", DefinitionError, "p.dl:2:21", "5 is not one of the options"),
        ("@options(X) param a : integer = unfilled.", KBSyntaxError, "p.dl:1:10", "an option is a constant"),
        ("@unit(weeks) @unit(days) param a : integer = 4.", KBSyntaxError, "p.dl:1:15", "@unit given twice"),
        ("@unit(weeks) p(X) :- q(X).", KBSyntaxError, "p.dl:1:2", "belongs to a parameter declaration"),
    ],
)
def test_bad_declarations_are_located(text, error, where, message):
    with pytest.raises(error) as exc:
        parse_program(text, "p.dl")
    assert str(exc.value.location).startswith(where) and message in exc.value.message


def test_bundled_template_choices_list_the_texts_options(bundled_kb):
    doc = bundled_kb.document("rug-ma-oer-2019")
    decl = doc.param_decl("admission_decision_weeks")
    assert decl is not None and (decl.unit, decl.options) == ("weeks", (4, 6))


_PARSE = "from oerlog.lang.parser import parse_program; print(len(parse_program('p(X) :- q(X).').rules))"


def test_parser_tables_are_cached_and_an_unwritable_cache_is_harmless(tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    for _ in range(2):  # the second run loads the tables the first saved
        r = subprocess.run([sys.executable, "-c", _PARSE], env=env, capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout.strip() == "1", r.stderr
    [saved] = (tmp_path / "cache" / "oerlog").iterdir()
    assert saved.stat().st_mode & 0o077 == 0
    saved.write_bytes(b"not a parser")  # a damaged cache file is rebuilt
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache directory would be")
    for home in (str(tmp_path / "cache"), str(blocked)):
        env = dict(os.environ, XDG_CACHE_HOME=home)
        r = subprocess.run([sys.executable, "-c", _PARSE], env=env, capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout.strip() == "1", r.stderr


def test_docs_show_units_options_keys_and_engine_relations(cli):  # type: ignore[no-untyped-def]
    """`oerlog docs DOC` shows each parameter's unit and the options the text lists; `docs --vocabulary` shows the
    keys the vocabulary declares and which relations only the engine states."""
    r = cli("--kb", "kb", "docs", "rug-ma-oer-2019")
    assert r.code == 0
    assert "$admission_decision_weeks : integer = unfilled (weeks)  options: 4; 6" in r.out
    assert "$pass_grade : decimal = unfilled (grade)  options: 6; 5,5" in r.out
    r = cli("--kb", "kb", "docs", "--vocabulary")
    assert r.code == 0
    assert "key: student, programme, academic_year" in r.out
    assert "stated by the engine" in r.out.split("document_scope(", 1)[1].split("reference_date(", 1)[0]
