"""The ``check`` command: consistency checks within and between regulations (:meth:`oerlog.api.KB.check`)."""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import click

from oerlog.cli.group import Ctx, cli
from oerlog.outputs import prepare_target, write_text

PHASES = ("generate", "evaluate", "minimise", "prove", "render")


@cli.command()
@click.argument("doc_ids", nargs=-1)
@click.option("--against", default=None, help="Also compare each DOC with this document (e.g. last year's version).")
@click.option(
    "--across",
    is_flag=True,
    help="Also compare every pair of documents (different institutions): reported as institutional differences.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "md", "html", "json"]), default="text", show_default=True)
@click.option(
    "--accept",
    "accept_file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="YAML list of reviewed findings {id, reason} on top of the KB's own accepted-findings.yaml files.",
)
@click.option(
    "--witness-dir",
    default=None,
    help="Folder for the witness case files (default: next to -o FILE, else a temporary folder named on stderr).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random mutations.")
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    default=None,
    help="Most scenarios to evaluate (default: all: every seed, every boundary value, pairwise and random mutations).",
)
@click.option("--strict", is_flag=True, help="Also fail on unaccepted info findings (refinements, parameters).")
@click.option("--no-proofs", is_flag=True, help="Text format: leave out the proof trees.")
@click.option(
    "--detail", is_flag=True, help="Also name the rules (ids) on each side of a finding, for the KB's authors."
)
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Output file (default: stdout).")
@click.pass_obj
def check(
    ctx: Ctx,
    doc_ids: tuple[str, ...],
    against: str | None,
    across: bool,
    fmt: str,
    accept_file: str | None,
    witness_dir: str | None,
    seed: int,
    budget: int | None,
    strict: bool,
    no_proofs: bool,
    detail: bool,
    lang: str,
    output: str | None,
) -> None:
    """Consistency checks an examencommissie can act on: contradictions and outcomes left open inside each
    document, an R&A/R&R outside the frame of its OER (and refinements inside it), parameters of the same kind
    with different values, choices the template leaves open, worked examples that disagree with their rule,
    references to articles that do not exist. Every seed (case files and scenario tests) is explored with its
    boundary values, pairwise combinations and seeded mutations, only cases that can occur (the vocabulary's
    integrity constraints); each finding comes with a minimal witness case and both proofs. Same KB and seed:
    the same report, byte for byte (timings go to stderr).

    \b
    Examples:
      oerlog check
      oerlog check rug-tg-ra-2018 --format md -o memo.md
      oerlog check --across --format html -o memo.html
      oerlog check uu-gnk-ba-2025 --accept my-reviewed.yaml
    Exit code 1 when unaccepted errors or warnings remain (with --strict also info findings), 0 otherwise.
    """
    from oerlog.api import KB  # deferred: the API imports the appeal dossier and its renderers (~0.1 s)

    kb = ctx.kb
    target = Path(output) if output else None
    if target is not None:
        prepare_target(target)  # before the work: an unwritable path is reported at once
    if witness_dir is not None:
        folder = Path(witness_dir)
    elif target is not None:
        folder = target.with_name(target.stem + "-witnesses")
    else:
        folder = Path(tempfile.mkdtemp(prefix="oerlog-check-"))
    show = sys.stderr.isatty()
    last = [0.0]

    def progress(phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if show and (now - last[0] > 0.2 or done == total):
            last[0] = now
            click.echo(f"\r{phase}: {done}/{total}   ", nl=False, err=True)
            if done == total:
                click.echo("", err=True)

    report = KB(kb).check(
        doc_ids,
        against,
        seed=seed,
        budget=budget,
        across=across,
        lang=lang,
        accept=accept_file,
        witnesses=folder,
        progress=progress,
    )
    if detail:
        report = dataclasses.replace(report, detail=True)
    start = time.perf_counter()
    if fmt == "json":
        text = report.json()
    elif fmt == "md":
        text = report.markdown()
    elif fmt == "html":
        text = report.html()
    else:
        text = report.text(proofs=not no_proofs)
    phases = report.report.stats.phases
    phases["render"] = time.perf_counter() - start
    n_open = len(report.open_findings(strict))
    timing = ", ".join(f"{p} {phases.get(p, 0.0):.1f} s" for p in PHASES)
    if target is not None:
        write_text(target, text)
        click.echo(f"{target}: {len(report.findings)} finding(s), {n_open} open; witnesses in {folder}", err=True)
    else:
        click.echo(text, nl=False)
        click.echo(f"witnesses in {folder}", err=True)
    click.echo(f"time: {timing}; total {sum(phases.values()):.1f} s", err=True)
    if n_open:
        sys.exit(1)
