"""The ``oerlog`` command group, its per-invocation state, and what its commands share: the options of a judged
case, the ``--format`` option, reading the case file and judging it, printing JSON.

The commands register themselves on :data:`cli` when their modules are imported (:mod:`oerlog.cli.main` imports
them all).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

import click

from oerlog.errors import LANGS, Location, UsageError
from oerlog.evaluation.goals import parse_goal
from oerlog.evaluation.judge import Judgement, judge, parse_overrides, select_document
from oerlog.evaluation.overrides import notice, overridden
from oerlog.kb.cases import Case, load_case
from oerlog.kb.loader import Document, KnowledgeBase, open_kb
from oerlog.kb.locate import default_kb_path
from oerlog.lang import ir
from oerlog.values import Value
from oerlog.version import __version__

F = TypeVar("F", bound=Callable[..., Any])

EXIT_UNDETERMINED = 4  # a single goal is undetermined (see oerlog.cli.main)
CASE_EXAMPLE = "--case kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml"


class Ctx:
    """Shared state of one CLI invocation: the KB path and the loaded KB (loaded once, on first use)."""

    def __init__(self, kb_path: str) -> None:
        self.kb_path = kb_path
        self._kb: KnowledgeBase | None = None

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base, loaded and checked."""
        if self._kb is None:
            self._kb = open_kb(self.kb_path)
        return self._kb


def _default_kb() -> str:
    return str(default_kb_path())


DEFAULT_LANG = "nl"
_error_lang: ContextVar[str] = ContextVar("oerlog_error_lang", default=DEFAULT_LANG)


def error_lang() -> str:
    """The language an error of this invocation is reported in: the command's ``--lang`` once its options are
    read, else Dutch (the default of every ``--lang``)."""
    return _error_lang.get()


class Command(click.Command):
    """A command of ``oerlog``: its errors are reported in its ``--lang`` (see :func:`error_lang`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        lang = ctx.params.get("lang")
        _error_lang.set(lang if lang in LANGS else DEFAULT_LANG)
        return rest


class Group(click.Group):
    """The ``oerlog`` group: its commands are :class:`Command` s."""

    command_class = Command


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="oerlog")
@click.option("--kb", "kb_path", default=_default_kb, show_default="./kb or $OERLOG_KB", help="Knowledge-base folder.")
@click.pass_context
def cli(ctx: click.Context, kb_path: str) -> None:
    """oerlog: Dutch examination regulations as Datalog, with proofs that quote the articles.

    \b
    Example:
      oerlog why 'resit_excluded("anna", C)' --case kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml
    """
    ctx.obj = Ctx(kb_path)
    _error_lang.set(DEFAULT_LANG)  # until the command's --lang is read (a CLI run in-process starts afresh)


def case_options(f: F) -> F:
    """--case, --doc, --param, --lang shared by the commands that judge a case."""
    f = click.option(
        "--lang",
        type=click.Choice(["nl", "en"]),
        default="nl",
        show_default=True,
        help="Language of the explanation (quotes stay in the original).",
    )(f)
    f = click.option(
        "--param",
        "params",
        multiple=True,
        metavar="NAME=VALUE",
        help="Override a parameter for this run (repeatable).",
    )(f)
    f = click.option(
        "--doc",
        "doc_id",
        default=None,
        help="Document to judge under (default: the case's, or decided by kb/scope.dl).",
    )(f)
    f = click.option(
        "--case",
        "case_path",
        required=True,
        type=click.Path(),
        help="YAML case file with the facts.",
    )(f)
    return f


FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "md", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)


def load_case_file(kb: KnowledgeBase, case_path: str) -> Case:
    """The case file of --case, its notes (a fact stated twice) on stderr; a located error for a folder (a missing
    or unreadable file is the reader's)."""
    if Path(case_path).is_dir():
        raise UsageError(
            "--case names a folder, not a case file",
            Location(case_path),
            value=case_path,
            example=CASE_EXAMPLE,
            nl="--case noemt een map, geen casusbestand",
        )
    case = load_case(Path(case_path), kb.vocabulary)
    for note in case.notes:
        click.echo(f"note: {note}", err=True)
    return case


def judge_case(
    kb: KnowledgeBase,
    case_path: str,
    doc_id: str | None,
    params: dict[str, str] | list[str],
    goals: list[str],
    origin: Location | None = None,
) -> tuple[Judgement, list[ir.Atom]]:
    """Judge the case of ``case_path`` under ``doc_id`` (default: the case's, or the one kb/scope.dl derives) with
    the parameters overridden, and ``goals`` checked and typed for the document: before the evaluation, so that a
    mistyped goal is reported at once (``origin``: where a goal read from a file stands)."""
    case = load_case_file(kb, case_path)
    doc, how, _ = select_document(kb, case, doc_id)
    overrides = parse_overrides(doc, params)
    atoms = [parse_goal(doc, g, origin) for g in goals]
    j = judge(kb, case, doc.id, overrides)
    j.selection = how
    return j, atoms


def override_notice(doc: Document, overrides: Mapping[str, Value], lang: str, fmt: str = "text") -> str:
    """The line an answer computed with overridden parameters opens with ("Let op: berekend met pass_grade = 6,0
    (in de regeling: 5,5)"), followed by a blank line; empty without overrides, and for JSON (whose receipt or
    ``parameter_overrides`` field says so)."""
    if not overrides or fmt in ("json", "csv"):
        return ""
    return notice(overridden(doc, overrides), lang, markdown=fmt == "md") + "\n\n"


def echo_json(data: Any, default: Callable[[Any], Any] | None = None) -> None:
    """Print ``data`` as indented JSON, non-ASCII characters as they are."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=default))
