"""The ``run`` command: a saved query (``queries/*.yaml``), listed, proved or explained, or a comparison of rules."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from oerlog.cli.group import FORMAT, Ctx, cli, echo_json, judge_case, override_notice
from oerlog.cli.single import echo_answers, echo_explanation
from oerlog.errors import UsageError
from oerlog.escape import md_text

if TYPE_CHECKING:  # the type only: the reader is imported by the command (see run)
    from oerlog.analysis.queries import SavedQuery


def _title(q: SavedQuery, lang: str) -> str:
    """The query's title in ``lang`` (the Dutch one when it has no English one)."""
    return q.title if lang == "nl" or not q.title_en else q.title_en


@cli.command()
@click.argument("query_file", type=click.Path(dir_okay=False))
@click.option(
    "--case",
    "case_path",
    default=None,
    type=click.Path(),
    help="Case file (default: the one named in the query file).",
)
@click.option("--doc", "doc_id", default=None)
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
@FORMAT
@click.pass_obj
def run(ctx: Ctx, query_file: str, case_path: str | None, doc_id: str | None, lang: str, fmt: str) -> None:
    """Run a saved query (queries/*.yaml).

    \b
    Example:
      oerlog run queries/resit-excluded-why.yaml
      oerlog run queries/joker-allowed.yaml --case kb/uu-gnk-ba-2025/cases/joker_in_window.yaml
    """
    from oerlog.analysis.queries import load_query  # deferred: off the start-up of `oerlog why`, like the analyses

    q = load_query(Path(query_file))
    if q.mode == "compare":  # the rules of every document for the query's concepts (no case needed)
        # deferred: the comparison imports the consistency package (~25 ms), needed by this mode only
        from oerlog.analysis.compare import COMPARE_SCHEMA, compare_rules, compare_text

        data = compare_rules(ctx.kb, q.concepts, [doc_id] if doc_id else q.documents or None)
        if fmt == "json":
            echo_json({"schema": COMPARE_SCHEMA, "title": _title(q, lang), "concepts": q.concepts, "documents": data})
        else:
            click.echo(("# " + md_text(_title(q, lang)) if fmt == "md" else _title(q, lang)) + "\n")
            click.echo(compare_text(data, markdown=fmt == "md"))
        return
    path = case_path or (str(q.case) if q.case else None)
    if path is None:
        raise UsageError(
            f"query {query_file} names no case; give one with --case",
            value=query_file,
            example=f"oerlog run {query_file} --case kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml",
            nl=f"de vraag {query_file} noemt geen casus; geef er een met --case",
        )
    j, (atom,) = judge_case(ctx.kb, path, doc_id or q.document, q.params, [q.goal_text], q.goal.loc)
    click.echo(override_notice(j.document, j.overrides, lang, fmt), nl=False)  # the query's params, if any
    if fmt == "text":
        click.echo(_title(q, lang) + "\n")
    rows = j.answers(atom)
    if q.mode == "list":
        echo_answers(atom, rows, "json" if fmt == "json" else "text", lang, j, with_notice=False)
    elif q.mode == "why" and rows:
        echo_explanation("why", q.goal_text, atom, j, fmt, lang, rows, with_notice=False)
    else:
        if q.mode == "why":
            nobody = "geldt voor niemand in deze casus" if lang == "nl" else "holds for nobody in this case"
            click.echo(f"{q.goal_text}: {nobody}")
        echo_explanation("whynot", q.goal_text, atom, j, fmt, lang, with_notice=False)
