"""Saved queries (``queries/*.yaml``): a goal, a mode (list / why / whynot), an optional document and case.

Analysts keep the questions they ask often as files and run them with ``oerlog run FILE``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from oerlog.errors import KBSyntaxError, Location, ValidationError
from oerlog.kb import yamlpos
from oerlog.lang import ir
from oerlog.lang.parser import parse_atom

MODES = ("list", "why", "whynot", "compare")  # compare: the rules of every document for `concepts`
EXAMPLE = """title: Waarom is een student uitgesloten van de herkansing?
goal: resit_excluded(S, C)
mode: why
case: ../kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml"""
QUERY_KEYS = ("title", "title_en", "description", "goal", "mode", "document", "case", "params", "concepts", "documents")


@dataclass
class SavedQuery:
    """A parsed query file."""

    path: Path
    title: str
    goal: ir.Atom
    goal_text: str
    mode: str = "list"
    document: str | None = None
    case: Path | None = None
    params: dict[str, str] = field(default_factory=dict)
    description: str = ""
    title_en: str = ""
    concepts: list[str] = field(default_factory=list)  # mode compare
    documents: list[str] = field(default_factory=list)  # mode compare (default: every document)


def load_query(path: Path) -> SavedQuery:
    """Read and validate a query file."""
    data = yamlpos.load(path)
    if not isinstance(data, yamlpos.YDict):
        raise ValidationError(
            "a query file must be a mapping",
            Location(str(path), 1, 1),
            example=EXAMPLE,
            nl="een vraagbestand moet een mapping zijn",
        )
    yamlpos.check_keys(data, QUERY_KEYS, "a query file", EXAMPLE, "een vraagbestand")
    if data.get("mode") == "compare":
        return _compare_query(path, data)
    if "goal" not in data:
        raise ValidationError(
            "a query file needs a 'goal'", data.loc, example=EXAMPLE, nl="een vraagbestand heeft een 'goal' nodig"
        )
    gl = data.locs["goal"]
    try:
        goal = _relocate(parse_atom(str(data["goal"]), str(path)), gl)
    except KBSyntaxError as exc:
        col = exc.location.column if exc.location else 1
        exc.location = Location(str(path), gl.line, gl.column + max(0, col - 1))
        raise

    mode = str(data.get("mode") or "list")
    if mode not in MODES:
        raise ValidationError(
            f"unknown mode {mode!r}",
            data.locs["mode"],
            value=mode,
            hint="mode is one of " + ", ".join(MODES),
            example="mode: why",
            nl=f"onbekende mode {mode!r}",
            hint_nl="mode is een van " + ", ".join(MODES),
        )
    case = (path.parent / str(data["case"])).resolve() if data.get("case") else None
    params = data.get("params") or {}
    if not isinstance(params, dict):
        raise ValidationError(
            "'params' must be a mapping NAME: VALUE",
            data.locs["params"],
            example="params: {x: 4.5}",
            nl="het veld 'params' moet een mapping NAAM: WAARDE zijn",
        )
    return SavedQuery(
        path,
        str(data.get("title") or path.stem),
        goal,
        str(data["goal"]),
        mode,
        str(data["document"]) if data.get("document") else None,
        case,
        {str(k): str(v) for k, v in params.items()},
        str(data.get("description") or ""),
        str(data.get("title_en") or ""),
    )


def _compare_query(path: Path, data: yamlpos.YDict) -> SavedQuery:
    """A ``mode: compare`` query: ``concepts`` (a list of concept names), optional ``documents``."""
    concepts = data.get("concepts")
    if not isinstance(concepts, list) or not concepts:
        raise ValidationError(
            "a compare query needs a non-empty list 'concepts'",
            data.locs.get("concepts", data.loc),
            value=concepts,
            example="mode: compare\nconcepts: [resit_allowed, cum_laude]",
            nl="een vergelijkende vraag (mode: compare) heeft een niet-lege lijst 'concepts' nodig",
        )
    names = [str(c) for c in concepts]
    docs = data.get("documents") or []
    return SavedQuery(
        path,
        str(data.get("title") or path.stem),
        ir.Atom(names[0], ()),
        "",
        "compare",
        description=str(data.get("description") or ""),
        title_en=str(data.get("title_en") or ""),
        concepts=names,
        documents=[str(d) for d in docs],
    )


def _relocate(goal: ir.Atom, loc: Location) -> ir.Atom:
    """Point the goal's location at the YAML line it came from."""
    return ir.Atom(goal.pred, goal.args, loc)
