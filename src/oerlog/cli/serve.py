"""``oerlog serve``: the local web workbench (:mod:`oerlog.workbench`)."""

from __future__ import annotations

from pathlib import Path

import click

from oerlog.cli.group import Ctx, cli


@cli.command()
@click.option("--kb", "kb_dir", default=None, help="Knowledge-base folder (default: the one of `oerlog --kb`).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free).")
@click.option(
    "--workdir",
    default=".",
    show_default="the current folder",
    help="Working folder: where cases are saved and cohorts are read and generated.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the workbench in the browser.")
@click.pass_obj
def serve(ctx: Ctx, kb_dir: str | None, port: int, workdir: str, open_browser: bool) -> None:
    """Start the workbench, a local web application over the same API, and print its address: read a
    regulation beside its rules, fill in a case and see the answers with their proofs, why-not, counterfactuals
    and an appeal dossier, explore the rule graph, run the consistency check and what-ifs.

    It listens on 127.0.0.1 only (nothing external, works offline), and reads and writes only inside the KB
    folder and the working folder. Ctrl-C stops it.

    \b
    Example:
      oerlog serve --open
      oerlog serve --kb kb --port 8080 --workdir ~/oerlog-werk
    """
    from oerlog.workbench import serve as run  # deferred: the web framework, for this command only

    run(Path(kb_dir or ctx.kb_path), Path(workdir), port, open_browser=open_browser, say=click.echo)
