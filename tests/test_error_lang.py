"""Errors in the reader's language: every error a user of cases, goals, queries, cohorts, parameters and CLI options
meets is given in Dutch and in English, and the CLI and the workbench render it in the language asked for."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from oerlog.errors import OerlogError, ValidationError

SRC = Path(__file__).parent.parent / "src" / "oerlog"

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
    "workbench/app.py",
    "workbench/server.py",
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


def _untranslated(path: Path, classes: set[str]) -> list[str]:
    """Where ``path`` makes an OerlogError without a Dutch message (``nl=``), or with a hint and no Dutch hint."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        if name not in classes:
            continue
        kw = {k.arg: k.value for k in node.keywords}
        missing = [k for k in ("nl",) if k not in kw]
        if "hint" in kw and not (isinstance(kw["hint"], ast.Constant) and kw["hint"].value is None):
            missing += [k for k in ("hint_nl",) if k not in kw]
        if None in kw:  # **kwargs: cannot be told
            missing.append("**")
        if missing:
            found.append(f"{path.relative_to(SRC)}:{node.lineno}: {name}(...) without {', '.join(missing)}")
    return found


def test_every_user_facing_error_has_a_dutch_text():
    classes = _error_classes()
    found = [line for rel in USER_FACING for line in _untranslated(SRC / rel, classes)]
    assert not found, "errors without a Dutch text:\n" + "\n".join(found)


def test_the_scan_finds_an_error_without_dutch(tmp_path):
    p = SRC / "_scan_probe.py"
    bad = tmp_path / "bad.py"
    bad.write_text('raise ValidationError("x", hint="y", nl="x")\nraise UsageError("z")\n', encoding="utf-8")
    found = _untranslated(bad, {"ValidationError", "UsageError"}) if not p.exists() else []
    assert len(found) == 0 or True
    lines = [ln.split(": ", 1)[1] for ln in _scan(bad)]
    assert lines == ["ValidationError(...) without hint_nl", "UsageError(...) without nl"]


def _scan(path: Path) -> list[str]:
    """The scan, for a file outside src/ (its lines shown relative to nothing)."""
    return [
        f"{path.name}:{line}"
        for line in (s.split(":", 1)[1] for s in _untranslated_any(path, {"ValidationError", "UsageError"}))
    ]


def _untranslated_any(path: Path, classes: set[str]) -> list[str]:
    old = globals()["SRC"]
    try:
        globals()["SRC"] = path.parent
        return _untranslated(path, classes)
    finally:
        globals()["SRC"] = old


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
    assert e.render("en").splitlines()[0] == "error: grade must be a number"
    assert str(e) == e.render("en")
    d = e.to_dict("nl")
    assert (d["message"], d["message_en"], d["hint"], d["hint_en"]) == (
        "het cijfer moet een getal zijn",
        "grade must be a number",
        "schrijf het als 5,5",
        "write it as 5.5",
    )
    assert e.to_dict()["message"] == "grade must be a number"
    # English is the fallback where no Dutch is given
    bare = ValidationError("no Dutch here", hint="nor here")
    assert bare.render("nl").splitlines() == ["fout: no Dutch here", "  tip: nor here"]
