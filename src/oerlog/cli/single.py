"""Commands on one case: ``why``, ``whynot``, ``query`` and ``appeal``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from oerlog.cli.group import EXIT_UNDETERMINED, Ctx, case_options, cli, echo_json, judge_case, override_notice
from oerlog.errors import UsageError
from oerlog.evaluation.judge import Judgement
from oerlog.evaluation.overrides import notice, overridden
from oerlog.explain.answers import answer_table, answers_dict
from oerlog.explain.explainer import Explainer
from oerlog.explain.explanation import Explanation
from oerlog.explain.items import Options
from oerlog.lang import ir
from oerlog.outputs import prepare_target, write_bytes, write_text
from oerlog.semantics.model import Row

F = TypeVar("F", bound=Callable[..., Any])


def echo_explanation(
    kind: str,
    goal: str,
    atom: ir.Atom,
    j: Judgement,
    fmt: str,
    lang: str,
    rows: Sequence[Row] = (),
    options: Options | None = None,
    output: str | None = None,
    with_notice: bool = True,
) -> None:
    """Print (or write to ``output``) the explanation of ``goal`` (parsed: ``atom``) in ``j``: the proof of each of
    the matching ``rows`` (``why``), or why it does not hold (``whynot``); first, unless ``with_notice`` is False,
    the notice of the parameters overridden (in an HTML page, at its top)."""
    ex = Explainer(j.model, j.document, j.case.sources, lang)
    if kind == "why":
        trees = [ex.why(atom.pred, r) if j.model.holds(atom.pred, r) else ex.undetermined(atom.pred, r) for r in rows]
    else:
        trees = [ex.whynot(atom)]
    exp = Explanation(kind, goal, tuple(trees), j, lang, options or Options(), ex.derivations)
    if fmt == "html":
        line = notice(overridden(j.document, j.overrides), lang) if with_notice else ""
        text = exp.html_page(line)
    else:
        text = (override_notice(j.document, j.overrides, lang, fmt) if with_notice else "") + exp.render(fmt)
    if output:
        write_text(Path(output), text)
    else:
        click.echo(text, nl=False)


def explain_options(f: F) -> F:
    """--format (text, md, json, html), --brief, --depth, --detail and -o of ``why`` and ``whynot``."""
    f = click.option(
        "-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write to this file (default: stdout)."
    )(f)
    f = click.option(
        "--detail", is_flag=True, help="Also the rules, facts and comparisons as written: rule ids, atoms, file:line."
    )(f)
    f = click.option(
        "--depth", type=click.IntRange(min=1), default=None, metavar="N", help="Show the steps N levels deep."
    )(f)
    f = click.option(
        "--brief", is_flag=True, help="One screen: the answer, the decisive rule and values, the chain of steps."
    )(f)
    f = click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "md", "json", "html"]),
        default="text",
        show_default=True,
        help="Output format (html: a whole page).",
    )(f)
    return f


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
@explain_options
@click.pass_obj
def why(
    ctx: Ctx,
    goal: str,
    case_path: str,
    doc_id: str | None,
    params: tuple[str, ...],
    lang: str,
    fmt: str,
    brief: bool,
    depth: int | None,
    detail: bool,
    output: str | None,
) -> None:
    """Prove GOAL: first the answer, the rule that decided it (article and lid) and the values it turns on; then
    the steps: the rules applied, the provisions they cite (quoted), the facts (with the case-file line) and the
    comparisons, in words.

    \b
    Example:
      oerlog why 'resit_excluded("anna", C)' --case kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml
      oerlog why 'failed("bas", C)' --case kb/uu-geo-ma-oer-2019/cases/bas-grade-5-47.yaml --brief
    Exit code 1 when nothing matches GOAL (use whynot to see why); 4 when it is undetermined: it may hold, but
    waits for a fact the case does not establish, a body's decision or a choice the document leaves open (the
    explanation says which).
    """
    if output:
        prepare_target(Path(output))  # before the work: an unwritable path is reported at once
    opts = Options(detail=detail, depth=depth, brief=brief)
    j, (atom,) = judge_case(ctx.kb, case_path, doc_id, list(params), [goal])
    rows = j.answers(atom)
    if rows:
        echo_explanation("why", goal, atom, j, fmt, lang, rows, opts, output)
        return
    open_rows = j.model.match_undetermined(atom)
    if open_rows:
        echo_explanation("why", goal, atom, j, fmt, lang, open_rows, opts, output)
        sys.exit(EXIT_UNDETERMINED)
    msg = "geldt niet" if lang == "nl" else "does not hold"
    click.echo(override_notice(j.document, j.overrides, lang), err=True, nl=False)
    click.echo(f"{goal}: {msg}. oerlog whynot '{goal}' --case {case_path}", err=True)
    sys.exit(1)


@cli.command()
@click.argument("goal")
@case_options
@explain_options
@click.pass_obj
def whynot(
    ctx: Ctx,
    goal: str,
    case_path: str,
    doc_id: str | None,
    params: tuple[str, ...],
    lang: str,
    fmt: str,
    brief: bool,
    depth: int | None,
    detail: bool,
    output: str | None,
) -> None:
    """Explain why GOAL does not hold: first the rule that came closest (fewest conditions failing) and what the
    case would need; then, per rule that could derive it, the conditions that fail, in words.

    \b
    Example:
      oerlog whynot 'resit_invited("anna", C)' --case kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml
    """
    if output:
        prepare_target(Path(output))
    j, (atom,) = judge_case(ctx.kb, case_path, doc_id, list(params), [goal])
    echo_explanation("whynot", goal, atom, j, fmt, lang, (), Options(detail=detail, depth=depth, brief=brief), output)


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
@click.option(
    "--argument",
    default=None,
    metavar="TEXT|KEY",
    help="The student's argument (e.g. overmacht, force_majeure, joker): the dossier answers it first.",
)
@case_options
@click.option("--format", "fmt", type=click.Choice(["md", "html", "pdf", "json"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Output file (default: stdout).")
@click.pass_obj
def appeal(
    ctx: Ctx,
    decision: str,
    want: str | None,
    argument: str | None,
    case_path: str,
    doc_id: str | None,
    params: tuple[str, ...],
    lang: str,
    fmt: str,
    output: str | None,
) -> None:
    """An appeal dossier for one decision, ready to attach to a letter: the decision as a sentence, the facts with
    their sources, the reasoning with articles, the exceptions and routes the student could take (with what each
    needs and who decides), the student's argument answered first, why not the wanted outcome, verified
    counterfactuals a student or body could bring about, the appeal route and deadline, discretionary powers, the
    verbatim provisions and a receipt. A PDF (A4, page numbers) is printed by headless Chromium.

    \b
    Example:
      oerlog appeal --case kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml \\
        --decision 'resit_excluded("anna", "vorm_en_functie")' --argument overmacht --format pdf -o dossier.pdf
    Exit code 1, and a short why-not instead of a dossier, when the decision does not follow from the rules.
    """
    # deferred: the dossier and its renderers (markdown-it, ~0.1 s), needed by this command only
    from oerlog.appeal.dossier import build, why_not_holding
    from oerlog.appeal.pdf import find_browser, html_to_pdf
    from oerlog.appeal.render import to_html as dossier_html
    from oerlog.appeal.render import to_markdown as dossier_md

    if fmt == "pdf":
        find_browser()  # before the work: no browser is reported at once
        if not output:
            raise UsageError(
                "--format pdf writes a file: give -o",
                value="pdf",
                example="--format pdf -o dossier.pdf",
                nl="--format pdf schrijft een bestand: geef -o",
            )
    if output:
        prepare_target(Path(output))  # before the work: an unwritable path is reported at once
    j, (atom, *rest) = judge_case(ctx.kb, case_path, doc_id, list(params), [decision, *([want] if want else [])])
    refusal = why_not_holding(j, atom, lang)
    if refusal is not None:
        if fmt == "json":  # the same answer for a program: the status and the why-not lines
            click.echo(json.dumps({"decision_atom": str(atom), "status": "does_not_hold", "why_not": refusal},
                                  indent=2, ensure_ascii=False))  # fmt: skip
        else:
            click.echo("\n".join(refusal))
        click.echo(
            "Geen dossier: dit besluit volgt niet uit de regels voor deze casus."
            if lang == "nl"
            else "No dossier: this decision does not follow from the rules for this case.",
            err=True,
        )
        sys.exit(1)
    d = build(j, atom, lang, rest[0] if rest else None, argument=argument)
    if fmt == "pdf":
        assert output is not None
        write_bytes(Path(output), html_to_pdf(dossier_html(d)))
        click.echo(f"{output}: dossier for {d.decision_atom} ({d.seconds:.1f} s)", err=True)
        return
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
