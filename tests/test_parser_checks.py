"""The rule language: parsing into the IR, and the located errors of every static check."""

from decimal import Decimal
from pathlib import Path

import pytest

from oerlog.errors import (
    ArityError,
    DefinitionError,
    KBSyntaxError,
    SafetyError,
    StratificationError,
    UnknownPredicateError,
)
from oerlog.lang import checks, ir
from oerlog.lang.parser import parse_atom, parse_program


def test_parses_rules_annotations_exceptions_params_aggregates():
    src = """
    @cite("5.1", "2")
    param lo : decimal = 4.0.
    param choice : string = unfilled.
    @id(r1) @cite("5.1", "2") @cite(doc="other", "3") @nl("NL {S}") @en("EN {S}")
    @interpretation("reading one") @interpretation("reading two")
    p(S, "x", 5.45, 2025-09-01) :- q(S, G), not r(S, _), G >= $lo, D = add_days(2025-09-01, -7),
        N = count : { q(S, _) }, M = wmean(G, E) : { w(S, G, E) }.
    @id(ex) except r1: p(S, A, B, C) :- z(S).
    """
    prog = parse_program(src, "t.dl")
    assert [p.name for p in prog.params] == ["lo", "choice"]
    assert prog.params[0].value == Decimal("4.0") and prog.params[1].value is None
    r1, ex = prog.rules
    assert r1.id == "r1" and r1.ann.nl == "NL {S}" and r1.ann.interpretations == ("reading one", "reading two")
    assert r1.ann.cites[1] == ir.Citation("3", None, "other")
    assert r1.head.args[2] == ir.Const(Decimal("5.45"))  # exact, not a float
    kinds = [type(lit).__name__ for lit in r1.body]
    assert kinds == ["Positive", "Negative", "Compare", "Compare", "Aggregate", "Aggregate"]
    assert r1.loc is not None and r1.loc.line == 7
    assert ex.defeats == "r1"


def test_anonymous_variables_are_renamed_apart():
    r = parse_program("p(X) :- q(X, _), r(_, X).").rules[0]
    a1 = r.body[0].atom.args[1]
    a2 = r.body[1].atom.args[0]
    assert a1 != a2 and a1.anonymous and a2.anonymous


def test_souffle_mode_reads_bare_identifiers_as_variables():
    r = parse_program("path(x, y) :- edge(x, y).", souffle_vars=True).rules[0]
    assert all(isinstance(a, ir.Var) for a in r.head.args)
    r = parse_program("path(x, y) :- edge(x, y).").rules[0]
    assert all(isinstance(a, ir.Const) for a in r.head.args)


@pytest.mark.parametrize(
    "src, line, col, hint_part",
    [
        ("p(X) :- q(X)", 1, 12, "'.' missing"),
        ("p(X) :- q(X), G >= 4,0.", 1, 22, "decimals use a dot"),
        ("p(X) :- q(X).\nr(X) :- s(X) t(X).", 2, 14, "expected"),
        ("p(X) :- q(X), D = add_dayz(X, 1).", 1, 19, "built-in functions"),
        ('@idd(x) p("a").', 1, 2, "annotations"),
        ("p(2025-02-30).", 1, 3, "YYYY-MM-DD"),
    ],
)
def test_syntax_errors_are_located(src, line, col, hint_part):
    with pytest.raises(KBSyntaxError) as e:
        parse_program(src, "bad.dl")
    err = e.value
    assert (err.location.line, err.location.column) == (line, col)
    assert hint_part in (err.hint or "")
    assert err.example  # a valid example is always offered


def test_goal_syntax_error_shows_caret_under_the_goal():
    with pytest.raises(KBSyntaxError) as e:
        parse_atom("resit(S,, C)")
    text = e.value.render()
    assert "<goal>:1:9" in text and "| resit(S,, C)" in text and "^" in text


def _errors(src, inputs=None):
    prog = parse_program(src, "t.dl")
    return checks.check_program(prog, inputs or {"q": 1, "e": 2})


def test_arity_mismatch_is_reported_with_the_other_use():
    errs = _errors("p(X) :- q(X).\nr(X) :- p(X, X).")
    assert isinstance(errs[0], ArityError) and errs[0].location.line == 2
    assert "p is used with 2 argument(s) here but has 1" in errs[0].message


def test_arity_against_the_vocabulary():
    errs = _errors("p(X) :- q(X, Y).")
    assert isinstance(errs[0], ArityError) and "declared in the vocabulary" in errs[0].message


def test_unknown_predicate_suggests_close_names():
    errs = _errors("pp(X) :- q(X).\nr(X) :- ppp(X).")
    assert isinstance(errs[0], UnknownPredicateError)
    assert errs[0].location.line == 2 and "pp" in (errs[0].hint or "")


@pytest.mark.parametrize(
    "src, var",
    [
        ("p(X, Y) :- q(X).", "Y"),
        ("p(X) :- q(X), Y > 3.", "Y"),
        ("p(X) :- q(X), not e(X, Y), not e(Y, X).", "Y"),
        ("p(X, N) :- N = count : { q(X) }.", "X"),
        ("p(X).", "X"),
    ],
)
def test_unsafe_variables(src, var):
    errs = _errors(src)
    assert errs and all(isinstance(e, SafetyError) for e in errs)
    assert any(e.value == var for e in errs)


def test_variable_only_under_negation_is_existential_and_safe():
    assert _errors("p(X) :- q(X), not e(X, Y).") == []


def test_negation_through_recursion_is_rejected():
    errs = _errors("p(X) :- q(X), not r(X).\nr(X) :- q(X), not p(X).")
    assert errs and isinstance(errs[0], StratificationError)
    assert errs[0].code == "cyclic_negation"


def test_aggregate_through_recursion_is_rejected():
    errs = _errors("p(X, N) :- q(X), N = count : { p(X, _) }.")
    assert any(isinstance(e, StratificationError) for e in errs)


def test_definition_errors():
    errs = _errors(
        "param a : decimal = 1.\nparam a : decimal = 2.\n@id(r) p(X) :- q(X), X > $b.\n@id(r) p(X) :- q(X).\n"
        "@id(e) except nope: p(X) :- q(X).\n@id(f) except r: z(X) :- q(X)."
    )
    msgs = [e.message for e in errs if isinstance(e, DefinitionError)]
    assert any("declared twice" in m for m in msgs)
    assert any("$b is not declared" in m for m in msgs)
    assert any("rule id r is used twice" in m for m in msgs)
    assert any("unknown rule nope" in m for m in msgs)
    assert any("does not match the head" in m for m in msgs)


def test_strata():
    prog = parse_program("a(X) :- q(X).\nb(X) :- q(X), not a(X).\nc(X) :- b(X), not a(X).")
    strata, errs = checks.stratify(prog.rules)
    assert not errs
    assert strata["a"] == 0 and strata["b"] == 1 and strata["c"] == 1


def test_parsed_rules_are_cached_privately(tmp_path, monkeypatch):
    """An unchanged .dl file is read from the user's cache by the next command; a cache file others could have
    written (it is a pickle) is ignored, and a file with an error is never cached."""
    import os

    from oerlog.lang import parser

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    dl = tmp_path / "r.dl"
    dl.write_text("p(X) :- q(X).\n", encoding="utf-8")
    first = parser.parse_file(dl)
    files = list((tmp_path / "cache" / "oerlog" / "rules").glob("*.pickle"))
    assert len(files) == 1 and files[0].stat().st_mode & 0o077 == 0

    def fail(*a, **k):  # the second parse must come from the cache
        raise AssertionError("parsed again")

    monkeypatch.setattr(parser, "parse_program", fail)
    assert parser.parse_file(dl).rules == first.rules
    os.chmod(files[0], 0o666)  # writable by others: not trusted
    with pytest.raises(AssertionError, match="parsed again"):
        parser.parse_file(dl)
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache2"))
    bad = tmp_path / "bad.dl"
    bad.write_text("p(X :- q(X).\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(KBSyntaxError):
            parser.parse_file(bad)
    assert not list((tmp_path / "cache2").rglob("*.pickle"))


def test_the_checked_vocabulary_is_cached_and_an_edit_is_read_again(tmp_path, monkeypatch):
    import shutil

    from oerlog.kb import vocabulary

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    voc_file = tmp_path / "vocabulary.yaml"
    shutil.copy(Path(__file__).parent.parent / "kb" / "vocabulary.yaml", voc_file)
    first = vocabulary.load_vocabulary(voc_file)
    real = vocabulary._read_vocabulary

    def fail(path):  # the second load must come from the cache
        raise AssertionError("read again")

    monkeypatch.setattr(vocabulary, "_read_vocabulary", fail)
    assert vocabulary.load_vocabulary(voc_file).relations.keys() == first.relations.keys()
    voc_file.write_text(voc_file.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="read again"):
        vocabulary.load_vocabulary(voc_file)
    monkeypatch.setattr(vocabulary, "_read_vocabulary", real)
    assert vocabulary.load_vocabulary(voc_file).relations.keys() == first.relations.keys()
