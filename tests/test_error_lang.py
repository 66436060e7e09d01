"""Errors in the reader's language: every error a user of cases, goals, queries, cohorts, parameters and CLI options
meets is given in Dutch and in English, and the CLI and the workbench render it in the language asked for."""

from __future__ import annotations

import ast
import importlib
import textwrap
from pathlib import Path

from conftest import MINI

from oerlog.errors import OerlogError, ValidationError, did_you_mean

SRC = Path(__file__).parent.parent / "src" / "oerlog"
ANNA = str(MINI / "mini-doc/cases/anna.yaml")

# the modules whose errors a user of the toolkit meets (a KB author's errors, kb/loader.py and lang/, may be English)
USER_FACING = [
    "kb/cases.py",
    "kb/yamlpos.py",
    "values.py",
    "evaluation/goals.py",
    "evaluation/judge.py",
    "analysis/queries.py",
    "cohort/inputs.py",
    "cohort/database.py",
    "api.py",
    "outputs.py",
    "appeal/route.py",
    "testing/scenarios.py",
    "analysis/consistency/accept.py",
    "workbench/app.py",
    "workbench/server.py",
    "workbench/caseform.py",
    "lang/grammar.py",
    "lang/parser.py",
    *sorted(str(p.relative_to(SRC)) for p in (SRC / "cli").glob("*.py")),
]


def _error_classes() -> set[str]:
    """The names of every OerlogError class, once the modules that define them are imported."""
    for rel in USER_FACING:
        importlib.import_module("oerlog." + rel.removesuffix(".py").replace("/", "."))
    names: set[str] = set()
    todo: list[type] = [OerlogError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def untranslated(source: str, classes: set[str]) -> list[tuple[int, str]]:
    """(line, what is missing) where ``source`` makes an OerlogError without a Dutch message (``nl=``), or with a
    hint and no Dutch hint (``hint_nl=``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        if name not in classes:
            continue
        kw = {k.arg: k.value for k in node.keywords}
        missing = [] if "nl" in kw else ["nl"]
        if "hint" in kw and not (isinstance(kw["hint"], ast.Constant) and kw["hint"].value is None):
            missing += [] if "hint_nl" in kw else ["hint_nl"]
        if None in kw:  # **kwargs: cannot be told
            missing.append("**")
        if missing:
            found.append((node.lineno, f"{name}(...) without {', '.join(missing)}"))
    return found


def test_every_user_facing_error_has_a_dutch_text():
    classes = _error_classes()
    found = [
        f"{rel}:{line}: {what}"
        for rel in USER_FACING
        for line, what in untranslated((SRC / rel).read_text(encoding="utf-8"), classes)
    ]
    assert not found, "errors without a Dutch text:\n" + "\n".join(found)


def test_the_scan_finds_an_error_without_dutch():
    source = textwrap.dedent(
        """
        raise ValidationError("x", nl="x")
        raise ValidationError("x", hint="y", nl="x")
        raise errors.UsageError("z", hint=None)
        err = UsageError("z", nl="z", hint="h", hint_nl="h")
        raise ValueError("not an oerlog error")
        """
    )
    assert untranslated(source, {"ValidationError", "UsageError"}) == [
        (3, "ValidationError(...) without hint_nl"),
        (4, "UsageError(...) without nl"),
    ]


def test_render_and_to_dict_choose_the_language():
    e = ValidationError(
        "grade must be a number",
        None,
        value="goed",
        hint="write it as 5.5",
        example="grade: 5.5",
        nl="het cijfer moet een getal zijn",
        hint_nl="schrijf het als 5,5",
    )
    assert e.render("nl").splitlines() == [
        "fout: het cijfer moet een getal zijn",
        "  onjuiste waarde: 'goed'",
        "  tip: schrijf het als 5,5",
        "  voorbeeld: grade: 5.5",
    ]
    assert e.render("en").splitlines() == [
        "error: grade must be a number",
        "  bad value: 'goed'",
        "  hint: write it as 5.5",
        "  example: grade: 5.5",
    ]
    assert str(e) == e.render("en")
    d = e.to_dict("nl")
    assert (d["message"], d["message_en"], d["hint"], d["hint_en"]) == (
        "het cijfer moet een getal zijn",
        "grade must be a number",
        "schrijf het als 5,5",
        "write it as 5.5",
    )
    assert e.to_dict()["message"] == e.to_dict()["message_en"] == "grade must be a number"
    # English is the fallback where no Dutch is given
    bare = ValidationError("no Dutch here", hint="nor here")
    assert bare.render("nl").splitlines() == ["fout: no Dutch here", "  tip: nor here"]


def test_did_you_mean_in_dutch():
    assert did_you_mean("grde", ["grade", "course"], lang="nl") == "bedoelt u 'grade'? "
    assert did_you_mean("resit_invite", ["resit_invited", "resit_invites"], quote=False, lang="nl") == (
        "bedoelt u resit_invites of resit_invited? "
    )
    assert did_you_mean("xyz", ["grade"], lang="nl") == ""


# --- through the command line --------------------------------------------------------------------------------------


def _write(tmp_path: Path, body: str) -> str:
    p = tmp_path / "case.yaml"
    p.write_text("reference_date: 2025-11-03\nfacts:\n  result:\n" + body, encoding="utf-8")
    return str(p)


def test_a_bad_grade_in_dutch_and_in_english(cli, tmp_path):
    path = _write(tmp_path, "    - {student: s1, course: bio, grade: goed}\n")
    args = ("--kb", str(MINI), "query", "resit_invited(S, C)", "--case", path)
    nl = cli(*args)  # the default language is Dutch
    assert nl.code == 2 and "Traceback" not in nl.err
    assert nl.err.splitlines() == [
        f"{path}:4:41: fout: result.grade: geen getal",
        "  onjuiste waarde: 'goed'",
        "  |     - {student: s1, course: bio, grade: goed}",
        "  |                                         ^",
        '  tip: grade moet een cijfer van 1,0 tot en met 10,0, bijvoorbeeld 5.45 of "5,45" zijn',
        "  voorbeeld: result: {student: s1001, course: s1001, grade: 5.45}",
    ]
    en = cli(*args, "--lang", "en")
    assert en.code == 2
    assert en.err.splitlines()[0] == f"{path}:4:41: error: result.grade: not a number"
    assert "  bad value: 'goed'" in en.err.splitlines()
    assert '  hint: grade must be a grade from 1.0 to 10.0, e.g. 5.45 or "5,45"' in en.err.splitlines()
    assert "  example: result: {student: s1001, course: s1001, grade: 5.45}" in en.err.splitlines()


def test_a_misspelt_field_and_a_date_that_does_not_exist(cli, tmp_path):
    path = _write(tmp_path, "    - {student: s1, course: bio, grde: 5.5}\n")
    r = cli("--kb", str(MINI), "query", "resit_invited(S, C)", "--case", path)
    assert r.code == 2 and f"{path}:4:34: fout: result heeft geen veld 'grde'" in r.err
    assert "  tip: bedoelt u 'grade'? velden: student, course, grade" in r.err
    path = _write(tmp_path, "    - {student: s1, course: bio, grade: 5.5}\n  registered:\n"
                  "    - {student: s1, course: bio, date: 2025-02-30}\n")  # fmt: skip
    r = cli("--kb", str(MINI), "query", "resit_invited(S, C)", "--case", path)
    assert r.code == 2 and f"{path}:6:" in r.err and "'2025-02-30'" in r.err
    assert "  tip: een datum schrijft u als JJJJ-MM-DD en moet bestaan, bijvoorbeeld 2025-11-20" in r.err
    assert "voorbeeld:" in r.err and "example:" not in r.err


def test_an_unknown_goal_predicate_in_dutch_and_in_english(cli):
    args = ("--kb", str(MINI), "why", "resit_invite(S, C)", "--case", ANNA)
    nl = cli(*args)
    assert nl.code == 2
    assert nl.err.splitlines() == [
        "<goal>:1:1: fout: onbekend predicaat 'resit_invite' in document mini-doc",
        "  onjuiste waarde: 'resit_invite'",
        "  | resit_invite(S, C)",
        "  | ^^^^^^^^^^^^",
        "  tip: bedoelt u resit_invited, resit_only? zie: oerlog docs mini-doc",
        '  voorbeeld: resit_excluded("anna", C)',
    ]
    en = cli(*args, "--lang", "en")
    assert (
        en.code == 2
        and en.err.splitlines()[0] == "<goal>:1:1: error: unknown predicate 'resit_invite' in document mini-doc"
    )
    assert "  hint: did you mean resit_invited, resit_only? see: oerlog docs mini-doc" in en.err


def test_a_goal_s_syntax_arity_and_constant_in_dutch(cli):
    r = cli("--kb", str(MINI), "why", "resit_invited(S,, C)", "--case", ANNA)
    assert r.code == 2 and "<goal>:1:17: fout: onverwacht ','" in r.err and "  tip: verwacht: " in r.err
    r = cli("--kb", str(MINI), "why", "resit_invited(S)", "--case", ANNA)
    assert r.code == 2 and "fout: resit_invited heeft 2 argumenten, het doel geeft er 1" in r.err
    assert "  voorbeeld: resit_invited(X1, X2)" in r.err
    r = cli("--kb", str(MINI), "query", 'result(S, C, "goed")', "--case", ANNA)
    assert r.code == 2 and "fout: argument 3 van result (grade): geen getal" in r.err
    assert "de constanten van een doel worden gelezen als de waarden in een casusbestand" in r.err


def test_a_bad_parameter_in_dutch_and_in_english(cli):
    args = ("--kb", str(MINI), "query", "resit_invited(S, C)", "--case", ANNA)
    r = cli(*args, "--param", "resit_mn=4")
    assert r.code == 2 and "fout: document mini-doc heeft geen parameter 'resit_mn'" in r.err
    assert "  tip: bedoelt u 'resit_min' of 'resit_max'? parameters: faculty_bonus, resit_max, resit_min" in r.err
    r = cli(*args, "--param", "resit_min=veel", "--lang", "en")
    assert r.code == 2 and "error: --param resit_min=veel: resit_min is a decimal; 'veel' is not a number" in r.err


def test_a_command_without_lang_reports_in_dutch(cli, tmp_path):
    out = tmp_path / "folder"
    out.mkdir()
    r = cli("--kb", str(MINI), "query", "resit_invited(S, C)", "--case", str(out))
    assert r.code == 2 and f"{out}: fout: --case noemt een map, geen casusbestand" in r.err
    r = cli("--kb", str(MINI), "docs", "nope-doc")
    assert r.code == 2 and "fout: onbekend document 'nope-doc'" in r.err and "bekende documenten: mini-doc" in r.err
