"""The ``check`` command: consistency checks between and within regulations (:meth:`oerlog.api.KB.check`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from oerlog.cli.group import Ctx, cli
from oerlog.outputs import prepare_target, write_text


@cli.command()
@click.argument("doc_ids", nargs=-1)
@click.option("--against", default=None, help="Compare each DOC with this document only (default: every pair).")
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json"]), default="text", show_default=True)
@click.option(
    "--accept",
    "accept_file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="YAML list of reviewed findings {id, reason}; they are listed as accepted and do not fail the check.",
)
@click.option(
    "--witness-dir",
    default="check-witnesses",
    show_default=True,
    help="Folder for the witness case files (one per finding, rerun with oerlog why).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random scenarios.")
@click.option(
    "--budget", type=float, default=40.0, show_default=True, help="Seconds for evaluating generated scenarios."
)
@click.option("--strict", is_flag=True, help="Also fail on unaccepted info findings (refinements, parameters).")
@click.option("--no-proofs", is_flag=True, help="Text format: leave out the proof trees.")
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Output file (default: stdout).")
@click.pass_obj
def check(
    ctx: Ctx,
    doc_ids: tuple[str, ...],
    against: str | None,
    fmt: str,
    accept_file: str | None,
    witness_dir: str,
    seed: int,
    budget: float,
    strict: bool,
    no_proofs: bool,
    lang: str,
    output: str | None,
) -> None:
    """Consistency checks between and within regulations, each finding with a witness case: divergences,
    R&A outside its OER's frame (and refinements inside it), contradictions, gaps in exhaustive outcome sets,
    parameter differences, unfilled template choices, worked examples that disagree with their rule, dangling
    article references. Scenarios are generated from the thresholds in the rules (boundary values, pairwise
    combinations, seeded random mutations of the documents' own cases).

    \b
    Examples:
      oerlog check
      oerlog check rug-tg-ra-2018 --against rug-ma-oer-2019 --format md -o memo.md
      oerlog check uu-gnk-ba-2025 --accept kb/uu-gnk-ba-2025/accepted-findings.yaml
    Exit code 1 when unaccepted errors or warnings remain (with --strict also info findings), 0 otherwise.
    """
    from oerlog.api import KB  # deferred: the API imports the appeal dossier and its renderers (~0.1 s)

    kb = ctx.kb
    if output:
        prepare_target(Path(output))  # before the work: an unwritable path is reported at once
    report = KB(kb).check(
        doc_ids, against, seed=seed, budget=budget, lang=lang, accept=accept_file, witnesses=witness_dir
    )
    if fmt == "json":
        text = report.json()
    elif fmt == "md":
        text = report.markdown()
    else:
        text = report.text(proofs=not no_proofs)
    n_open = len(report.open_findings(strict))
    if output:
        write_text(Path(output), text)
        click.echo(f"{output}: {len(report.findings)} finding(s), {n_open} open", err=True)
    else:
        click.echo(text)
    if n_open:
        sys.exit(1)
