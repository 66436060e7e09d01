"""Commands on one case: ``why``, ``whynot``, ``query`` and ``appeal``."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from oerlog.cli.group import (
    EXIT_UNDETERMINED,
    FORMAT,
    Ctx,
    case_options,
    cli,
    echo_json,
    judge_case,
    override_notice,
)
from oerlog.evaluation.judge import Judgement
from oerlog.explain.answers import answer_table, answers_dict
from oerlog.explain.explainer import Explainer
from oerlog.explain.explanation import Explanation
from oerlog.lang import ir
from oerlog.outputs import prepare_target, write_text
from oerlog.semantics.model import Row


def echo_explanation(
    kind: str,
    goal: str,
    atom: ir.Atom,
    j: Judgement,
    fmt: str,
    lang: str,
    rows: Sequence[Row] = (),
    with_notice: bool = True,
) -> None:
    """Print the explanation of ``goal`` (parsed: ``atom``) in ``j``: the proof of each of the matching ``rows``
    (``why``), or why it does not hold (``whynot``); first, unless ``with_notice`` is False, the notice of the
    parameters overridden."""
    ex = Explainer(j.model, j.document, j.case.sources, lang)
    if kind == "why":
        trees = [ex.why(atom.pred, r) if j.model.holds(atom.pred, r) else ex.undetermined(atom.pred, r) for r in rows]
    else:
        trees = [ex.whynot(atom)]
    text = Explanation(kind, goal, tuple(trees), j, lang).render(fmt)
    notice = override_notice(j.document, j.overrides, lang, fmt) if with_notice else ""
    click.echo(notice + text, nl=False)


def echo_answers(
    atom: ir.Atom,
    rows: Sequence[Row],
    fmt: str,
    lang: str,
    j: Judgement,
    open_rows: Sequence[Row] = (),
    with_notice: bool = True,
) -> None:
    """Print the facts matching ``atom`` that hold and, with their status, those that are undetermined: a table
    (text, after the notice of the parameters overridden unless ``with_notice`` is False) or JSON."""
    if fmt == "json":
        echo_json(answers_dict(atom, rows, j, open_rows))
        return
    from rich.console import Console  # deferred: rich (~10 ms), for this table only
    from rich.table import Table

    t = answer_table(atom, rows, j, lang, open_rows)
    click.echo((override_notice(j.document, j.overrides, lang) if with_notice else "") + t.title)
    table = Table()
    for name in t.columns:
        table.add_column(name)
    for r in t.rows:
        table.add_row(*r)
    Console().print(table)
    click.echo(t.count)


@cli.command()
@click.argument("goal")
@case_options
@FORMAT
@click.pass_obj
def why(ctx: Ctx, goal: str, case_path: str, doc_id: str | None, params: tuple[str, ...], lang: str, fmt: str) -> None:
    """Prove GOAL: the rules applied, the provisions they cite (quoted), the facts and comparisons used.

    \b
    Example:
      oerlog why 'resit_excluded("anna", C)' --case kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml
    Exit code 1 when nothing matches GOAL (use whynot to see why); 4 when it is undetermined: it may hold, but
    waits for a fact the case does not establish, a body's decision or a choice the document leaves open (the
    explanation says which).
    """
    j, (atom,) = judge_case(ctx.kb, case_path, doc_id, list(params), [goal])
    rows = j.answers(atom)
    if rows:
        echo_explanation("why", goal, atom, j, fmt, lang, rows)
        return
    open_rows = j.model.match_undetermined(atom)
    if open_rows:
        echo_explanation("why", goal, atom, j, fmt, lang, open_rows)
        sys.exit(EXIT_UNDETERMINED)
    msg = "geldt niet" if lang == "nl" else "does not hold"
    click.echo(override_notice(j.document, j.overrides, lang), err=True, nl=False)
    click.echo(f"{goal}: {msg}. oerlog whynot '{goal}' --case {case_path}", err=True)
    sys.exit(1)


@cli.command()
@click.argument("goal")
@case_options
@FORMAT
@click.pass_obj
def whynot(
    ctx: Ctx, goal: str, case_path: str, doc_id: str | None, params: tuple[str, ...], lang: str, fmt: str
) -> None:
    """Explain why GOAL does not hold: per rule that could derive it, the first condition that fails.

    \b
    Example:
      oerlog whynot 'resit_invited("anna", C)' --case kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml
    """
    j, (atom,) = judge_case(ctx.kb, case_path, doc_id, list(params), [goal])
    echo_explanation("whynot", goal, atom, j, fmt, lang)


@cli.command()
@click.argument("goal")
@case_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def query(
    ctx: Ctx, goal: str, case_path: str, doc_id: str | None, params: tuple[str, ...], lang: str, fmt: str
) -> None:
    """List the facts matching GOAL (variables in GOAL are columns), those that hold and those that are
    undetermined (they may hold: `oerlog why` says on what they wait).

    \b
    Example:
      oerlog query 'resit_excluded(S, C)' --case kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml
    Exit code 4 when no fact holds and some are undetermined.
    """
    j, (atom,) = judge_case(ctx.kb, case_path, doc_id, list(params), [goal])
    rows, open_rows = j.answers(atom), j.model.match_undetermined(atom)
    echo_answers(atom, rows, fmt, lang, j, open_rows)
    if open_rows and not rows:
        sys.exit(EXIT_UNDETERMINED)


@cli.command()
@click.option("--decision", required=True, help='The decision, e.g. \'resit_excluded("anna", "vorm_en_functie")\'.')
@click.option(
    "--want",
    default=None,
    help="The outcome the student wants (default: the concept the vocabulary declares exclusive with the decision).",
)
@case_options
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Output file (default: stdout).")
@click.pass_obj
def appeal(
    ctx: Ctx,
    decision: str,
    want: str | None,
    case_path: str,
    doc_id: str | None,
    params: tuple[str, ...],
    lang: str,
    fmt: str,
    output: str | None,
) -> None:
    """An appeal dossier for one decision: facts with sources, reasoning with articles, exceptions, why not the
    wanted outcome, verified counterfactuals, the appeal route and deadline, discretionary powers, a receipt and
    the verbatim provisions.

    \b
    Example:
      oerlog appeal --case kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml \\
        --decision 'resit_excluded("anna", "vorm_en_functie")' --format html -o dossier.html
    """
    # deferred: the dossier and its renderers (markdown-it, ~0.1 s), needed by this command only
    from oerlog.appeal.dossier import build
    from oerlog.appeal.render import to_html as dossier_html
    from oerlog.appeal.render import to_markdown as dossier_md

    if output:
        prepare_target(Path(output))  # before the work: an unwritable path is reported at once
    j, (atom, *rest) = judge_case(ctx.kb, case_path, doc_id, list(params), [decision, *([want] if want else [])])
    d = build(j, atom, lang, rest[0] if rest else None)
    if fmt == "json":
        text = json.dumps(d.to_dict(), indent=2, ensure_ascii=False, default=str)
    elif fmt == "html":
        text = dossier_html(d)
    else:
        text = dossier_md(d)
    if output:
        write_text(Path(output), text)
        click.echo(f"{output}: dossier for {d.decision_atom} ({d.seconds:.1f} s)", err=True)
    else:
        click.echo(text)
