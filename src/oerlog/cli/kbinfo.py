"""Commands about the KB itself: ``docs``, ``lint``, ``coverage``, ``test``, ``graph`` and ``impact``.

Each command imports the analysis it runs when it runs: together they take ~10 ms to import, kept off the start-up
of the commands on one case (``oerlog why``); the graph commands also keep networkx (~0.15 s) off it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from oerlog.cli.group import Ctx, cli, echo_json
from oerlog.errors import OerlogError, UsageError

TEXT_OR_JSON = click.Choice(["text", "json"])


@cli.command()
@click.argument("doc_id", required=False)
@click.option("--vocabulary", is_flag=True, help="List the input relations and shared concepts.")
@click.option("--stats", is_flag=True, help="Graph statistics: rules, predicates, strata, longest dependency chain.")
@click.option("--format", "fmt", type=TEXT_OR_JSON, default="text", show_default=True)
@click.pass_obj
def docs(ctx: Ctx, doc_id: str | None, vocabulary: bool, stats: bool, fmt: str) -> None:
    """List the documents of the KB, or one document's articles, rules and parameters.

    \b
    Examples:
      oerlog docs
      oerlog docs uu-gnk-ba-2025
      oerlog docs --vocabulary
    """
    # deferred: the analysis, off the start-up of `oerlog why`
    from oerlog.analysis import describe

    kb = ctx.kb
    if stats:
        rows = describe.stats(kb, [doc_id] if doc_id else None)
        if fmt == "json":
            echo_json(describe.stats_dict(rows))
        else:
            click.echo(describe.stats_text(rows))
    elif vocabulary:
        examples = describe.case_examples(kb)
        if fmt == "json":
            echo_json(describe.vocabulary_dict(kb.vocabulary, examples))
        else:
            click.echo(describe.vocabulary_text(kb.vocabulary, examples))
    elif doc_id is None:
        rows = describe.documents(kb)
        if fmt == "json":
            echo_json(describe.documents_dict(rows))
        elif rows:
            click.echo(describe.documents_text(rows))
    elif fmt == "json":
        echo_json(describe.document_dict(kb.document(doc_id)))
    else:
        click.echo(describe.document_text(kb.document(doc_id)))


@cli.command("test")
@click.argument("targets", nargs=-1)
@click.option("-k", "pattern", help="Only the scenarios whose name, rule id or cited article contains PATTERN.")
@click.option("-v", "--verbose", is_flag=True, help="Show every scenario, not only failures.")
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True, help="Language of proofs.")
@click.option(
    "--on-error",
    type=click.Choice(["reject", "stop"]),
    default="reject",
    show_default=True,
    help="A scenario that cannot be read: report it and run the others (reject), or stop at it.",
)
@click.pass_obj
def test_cmd(ctx: Ctx, targets: tuple[str, ...], pattern: str | None, verbose: bool, lang: str, on_error: str) -> None:
    """Run the scenario tests of the KB: all documents, the documents named, or scenario files.

    \b
    Examples:
      oerlog test uu-gnk-ba-2025
      oerlog test kb/uu-gnk-ba-2025/tests/resit.yaml -k exclusion
      oerlog test rug-tg-ra-2018 -k "7 lid 1"
    The scenarios are evaluated many at once; a failing one is evaluated again by pyDatalog, and the proof of what
    was derived instead is shown. Exit code 1 when a scenario fails or a rule lacks a positive or negative scenario;
    2 when a scenario cannot be read (its file, line and column are shown; the others still run).
    """
    # deferred: the scenario runner, off the start-up of `oerlog why`
    from oerlog.testing.suite import Suite

    def report(err: OerlogError) -> None:  # on stderr, as every error: the report goes on with the others
        click.echo(err.render(lang).rstrip(), err=True)

    suite = Suite(ctx.kb, targets, verbose, pattern, lang, on_error, report)
    for line in suite.run():
        click.echo(line)
    if pattern is not None and not suite.total and not suite.rejected:  # nothing ran: not a pass
        raise UsageError(
            f"no scenario matches -k {pattern!r}",
            value=pattern,
            hint="-k matches a scenario's name, its rule id, or an article its rule cites",
            example='oerlog test rug-tg-ra-2018 -k "7 lid 1"',
            nl=f"geen scenario past bij -k {pattern!r}",
            hint_nl="-k zoekt in de naam van een scenario, in het id van zijn regel en in de artikelen die die"
            " regel noemt",
        )
    if suite.rejected:
        sys.exit(2)
    if not suite.passed:
        sys.exit(1)


@cli.command()
@click.argument("doc_ids", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json"]), default="text", show_default=True)
@click.pass_obj
def coverage(ctx: Ctx, doc_ids: tuple[str, ...], fmt: str) -> None:
    """For every article and lid: encoded (by which rules), not computable (why), or not yet encoded.

    \b
    Example:
      oerlog coverage uu-gnk-ba-2025 --format md
    Exit code 1 when a provision is not yet encoded or its status contradicts the rules' citations.
    """
    # deferred: the analysis, off the start-up of `oerlog why`
    from oerlog.analysis import coverage as cov

    kb = ctx.kb
    reports = [cov.coverage(kb.document(d)) for d in (doc_ids or sorted(kb.documents))]
    if fmt == "json":
        echo_json(cov.report_dict(reports))
    else:
        click.echo("\n".join(cov.to_text(r, markdown=fmt == "md") for r in reports))
    if not all(r.complete for r in reports):
        sys.exit(1)


@cli.command()
@click.argument("doc_ids", nargs=-1)
@click.option("--format", "fmt", type=TEXT_OR_JSON, default="text", show_default=True)
@click.option("--errors-only", is_flag=True, help="Report errors, not warnings.")
@click.pass_obj
def lint(ctx: Ctx, doc_ids: tuple[str, ...], fmt: str, errors_only: bool) -> None:
    """Check the KB: syntax, arity, unknown and unused predicates, unsafe variables, negation through recursion,
    citations, duplicate ids, parameters declared twice or never used, rules without citation, unreachable rules,
    rules citing a provision marked not computable, = / != between types never equal, variables written once.

    \b
    Example:
      oerlog lint
      oerlog lint uu-gnk-ba-2025 --format json
    Exit code 1 when an error or warning is found, 0 when the KB is clean (information notes, such as rules
    waiting for an unfilled template choice, do not fail it).
    """
    # deferred: the analysis, off the start-up of `oerlog why`
    from oerlog.analysis import describe
    from oerlog.analysis.lint import lint as run_lint

    kb, findings = run_lint(ctx.kb_path, list(doc_ids) or None)
    if errors_only:
        findings = [f for f in findings if f.severity == "error"]
    if fmt == "json":
        echo_json(describe.lint_dict(kb, findings))
    else:
        for f in findings:
            click.echo(f.render())
        click.echo(describe.lint_summary(kb, findings))
    if any(f.severity != "info" for f in findings):
        sys.exit(1)


@cli.command()
@click.option("--doc", "doc_ids", multiple=True, help="Document(s) to draw (default: all).")
@click.option("--level", type=click.Choice(["predicate", "rule", "article"]), default="predicate", show_default=True)
@click.option(
    "--focus",
    default=None,
    help="A predicate, rule id or article: draw only what it depends on and what depends on it.",
)
@click.option("--depth", type=int, default=None, help="With --focus: how many steps each way.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["dot", "graphml", "json", "svg", "png", "html"]),
    default="dot",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Output file (default: stdout).")
@click.pass_obj
def graph(
    ctx: Ctx, doc_ids: tuple[str, ...], level: str, focus: str | None, depth: int | None, fmt: str, output: str | None
) -> None:
    """Draw the rule dependencies (networkx): negation dashed red, exceptions dotted orange, clustered by
    document and stratum; SVG/PNG/HTML through Graphviz.

    \b
    Examples:
      oerlog graph --doc uu-gnk-ba-2025 --format svg -o rules.svg
      oerlog graph --focus resit_excluded --depth 2 --format html -o resit.html
      oerlog graph --level article --format png -o articles.png
    """
    # deferred: networkx (~0.15 s to import), needed by the graph commands only
    from oerlog.analysis import graph as g
    from oerlog.analysis.graph_export import write

    gr = g.build(ctx.kb, list(doc_ids) or None, level)
    if focus:
        gr = g.focus(gr, focus, depth)
    title = f"oerlog: {', '.join(doc_ids) or 'all documents'} ({level})"
    out = write(gr, fmt, Path(output) if output else None, title)
    if out is None:
        click.echo(f"{output}: {gr.number_of_nodes()} nodes, {gr.number_of_edges()} edges", err=True)
    elif fmt == "png":
        sys.stdout.buffer.write(out)
    else:
        click.echo(out.decode())


@cli.command()
@click.argument("target", required=False)
@click.option("--on", "on", default=None, help="Reverse: every article and parameter CONCLUSION rests on.")
@click.option("--doc", "doc_id", default=None, help="Document (default: every document that has the target).")
@click.option("--format", "fmt", type=TEXT_OR_JSON, default="text", show_default=True)
@click.pass_obj
def impact(ctx: Ctx, target: str | None, on: str | None, doc_id: str | None, fmt: str) -> None:
    """Which conclusions depend on an article or a parameter (with the rule paths); or, with --on, what a
    conclusion rests on.

    \b
    Examples:
      oerlog impact A.8 --doc uu-gnk-ba-2025
      oerlog impact '$resit_min_grade'
      oerlog impact --on resit_excluded --doc uu-gnk-ba-2025
    """
    # deferred: the analysis, off the start-up of `oerlog why`
    from oerlog.analysis import describe

    kb = ctx.kb
    if bool(target) == bool(on):
        raise UsageError(
            "give either an ARTICLE / $PARAMETER or --on CONCLUSION",
            example="oerlog impact A.8",
            nl="geef een ARTIKEL / $PARAMETER of --on CONCLUSIE, niet allebei of geen van beide",
        )
    results = describe.impacts(kb, target, on, doc_id)
    if fmt == "json":
        echo_json(describe.impacts_dict(results))
    else:
        click.echo(describe.impacts_text(results, rests=bool(on)))
