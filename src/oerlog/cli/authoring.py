"""Commands for a new document or a new year's version: ``import`` (a regulation's text into ``kb/ID/``) and
``diff`` (what a new version changes, and with ``--carry-over`` the rules carried over into it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from oerlog.cli.group import Ctx, cli, echo_json
from oerlog.errors import UsageError

if TYPE_CHECKING:
    from oerlog.authoring.diff import Version


@cli.command(name="import")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--id", "doc_id", required=True, help="Id of the new document (the folder kb/ID/).")
@click.option("--kind", type=click.Choice(["oer", "ra", "rr", "guide"]), default="oer", show_default=True)
@click.option("--frame", "frame", default=None, help="For an R&A / R&R: the id of the OER it works within.")
@click.option(
    "--items",
    type=click.Choice(["lids", "text"]),
    default="lids",
    show_default=True,
    help="Items a., b. and bullets under a lid: lids of their own ('2a', '2b'), or kept in the lid's text "
    "(definitions and items that carry a list of their own stay lids).",
)
@click.pass_obj
def import_(ctx: Ctx, source: str, doc_id: str, kind: str, frame: str | None, items: str) -> None:
    """Import a regulation's text (.txt, .pdf, .docx) as a new KB document: document.yaml (metadata read from the
    text, marked TO CONFIRM or TO FILL IN), articles.yaml (every article and lid verbatim, with its source lines)
    and import-report.yaml (every line left out: headings, table of contents, page headers, page numbers).

    \b
    Examples:
      oerlog import oer-2026.pdf --id uu-geo-ma-oer-2026
      oerlog import ra-2026.docx --id rug-tg-ra-2026 --kind ra --frame rug-ma-oer-2019
    """
    from oerlog.authoring.importing import import_document  # deferred: off the start-up of `oerlog why`

    if frame is not None and frame not in ctx.kb.document_ids:
        raise UsageError(
            f"unknown frame document {frame!r}",
            value=frame,
            hint="known documents: " + ", ".join(ctx.kb.document_ids),
            example="--frame rug-ma-oer-2019",
            nl=f"onbekend kaderdocument {frame!r}",
            hint_nl="bekende documenten: " + ", ".join(ctx.kb.document_ids),
        )
    result = import_document(Path(source), Path(ctx.kb_path), doc_id, kind, frame, items)
    kinds: dict[str, int] = {}
    for s in result.structure.skipped:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    left = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(kinds.items()))
    click.echo(
        f"{result.folder}: {len(result.structure.articles)} articles, {len(result.structure.provisions())} "
        f"provisions from {result.source.path.name} ({result.source.reader})"
    )
    click.echo(f"left out (listed in import-report.yaml): {left or 'nothing'}")
    todo = [k for k, f in result.meta.items() if f.line is None]
    click.echo("document.yaml: confirm the values marked TO CONFIRM" + (f"; fill in {', '.join(todo)}" if todo else ""))


@cli.command()
@click.argument("old")
@click.argument("new")
@click.option("--carry-over", "carry", is_flag=True, help="Fill NEW (a KB document without rules) from OLD's rules.")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True)
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Output file (default: stdout).")
@click.pass_obj
def diff(ctx: Ctx, old: str, new: str, carry: bool, fmt: str, lang: str, output: str | None) -> None:
    """What NEW changes against OLD, per article and lid (added, removed, renumbered, changed, with a word-level
    diff), and what in the KB cites each change. OLD and NEW are KB document ids or source texts to import
    on the fly (.txt, .pdf, .docx). --carry-over copies OLD's rules into NEW (see docs/importing.md).

    \b
    Examples:
      oerlog diff uu-gnk-ba-2025 gnk-2026.txt
      oerlog diff uu-geo-ma-oer-2019 uu-geo-ma-oer-2020 --carry-over --format md -o todo.md
    """
    # deferred: the authoring stage (and lint, scenarios) off the start-up of `oerlog why`
    from oerlog.authoring import render
    from oerlog.authoring.carryover import carry_over
    from oerlog.authoring.diff import compare
    from oerlog.outputs import prepare_target, write_text

    target = Path(output) if output else None
    if target is not None:
        prepare_target(target)
    if carry and new not in ctx.kb.document_ids:
        raise UsageError(
            "--carry-over fills a document of the KB: import the new text first",
            value=new,
            hint="known documents: " + ", ".join(ctx.kb.document_ids),
            example=f"oerlog import {new} --id my-doc-2026 && oerlog diff {old} my-doc-2026 --carry-over",
            nl="--carry-over vult een document van de kennisbank: importeer eerst de nieuwe tekst",
            hint_nl="bekende documenten: " + ", ".join(ctx.kb.document_ids),
        )
    result = compare(_version(ctx, old), _version(ctx, new))
    done = carry_over(result, Path(ctx.kb_path), new) if carry else None
    if fmt == "json":
        text = json.dumps(render.to_json(result, done), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "html":
        text = render.to_html(result, lang, done)
    else:
        text = render.to_markdown(result, lang, done)
    if target is not None:
        write_text(target, text)
    else:
        click.echo(text, nl=False)
    if done is not None:
        click.echo(
            f"{new}: {done.copied} rules copied, {len(done.renumbered)} citations renumbered, {len(done.review)} to "
            f"review, {len(done.disabled)} disabled; lint {len(done.lint_errors)} errors; scenarios "
            f"{done.scenarios_passed} passed, {len(done.scenarios_failed)} failed (list: kb/{new}/carry-over.yaml)",
            err=True,
        )
        if done.lint_errors or done.scenarios_failed:
            sys.exit(1)


def _version(ctx: Ctx, name: str) -> Version:
    # deferred: off the start-up of `oerlog why`
    from oerlog.authoring.diff import version_of_document, version_of_structure
    from oerlog.authoring.importing import read_source, structure_of

    if name in ctx.kb.document_ids:
        return version_of_document(ctx.kb.document(name))
    path = Path(name)
    if path.suffix.lower() in (".txt", ".md", ".pdf", ".docx") or path.is_file():
        source = read_source(path)
        return version_of_structure(path.name, structure_of(source), path)
    raise UsageError(
        f"{name!r} is neither a document of the KB nor a source file",
        value=name,
        hint="known documents: " + ", ".join(ctx.kb.document_ids),
        example="oerlog diff uu-gnk-ba-2025 gnk-2026.txt",
        nl=f"{name!r} is geen document van de kennisbank en geen bronbestand",
        hint_nl="bekende documenten: " + ", ".join(ctx.kb.document_ids),
    )


__all__ = ["diff", "echo_json", "import_"]
