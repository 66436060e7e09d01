"""The ``oerlog`` command line (click). The only module that imports click.

Exit codes: 0 success, 1 a check or test found problems, 2 bad input (with file:line:column, the bad value
and a valid example), 3 an internal error; 130 / 143 / 129 interrupted by SIGINT / SIGTERM / SIGHUP.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from oerlog import __version__
from oerlog.errors import Interrupted, Location, OerlogError, UsageError, raise_on_signals
from oerlog.escape import md_code, md_text
from oerlog.evaluation.goals import parse_goal
from oerlog.evaluation.judge import Judgement, judge, parse_overrides
from oerlog.explain.explainer import Explainer, Node
from oerlog.explain.render import to_json, to_markdown, to_text
from oerlog.kb.cases import Case, load_case
from oerlog.kb.loader import KnowledgeBase, open_kb
from oerlog.lang import ir
from oerlog.outputs import prepare_target, write_text
from oerlog.values import format_value, json_value

F = TypeVar("F", bound=Callable[..., Any])


def _default_kb() -> str:
    env = os.environ.get("OERLOG_KB")
    if env:
        return env
    for base in (Path.cwd(), *Path.cwd().parents):
        if (base / "kb" / "vocabulary.yaml").is_file():
            return str(base / "kb")
    return "kb"


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


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
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


CASE_EXAMPLE = "--case kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml"


def _load_case(kb: KnowledgeBase, case_path: str) -> Case:
    """The case file of --case; a located error for a folder (a missing or unreadable file is the reader's)."""
    if Path(case_path).is_dir():
        raise UsageError(
            "--case names a folder, not a case file", Location(case_path), value=case_path, example=CASE_EXAMPLE
        )
    case = load_case(Path(case_path), kb.vocabulary)
    for note in case.notes:  # a fact stated twice
        click.echo(f"note: {note}", err=True)
    return case


def _judge(
    ctx: Ctx, case_path: str, doc_id: str | None, params: tuple[str, ...], *goals: str
) -> tuple[Judgement, list[ir.Atom]]:
    """Judge the case of --case, and the goals checked and typed for the document: before the evaluation, so that
    a mistyped goal is reported at once."""
    kb = ctx.kb
    case = _load_case(kb, case_path)
    from oerlog.evaluation.judge import select_document

    doc, how, _ = select_document(kb, case, doc_id)
    overrides = parse_overrides(doc, list(params))
    atoms = [parse_goal(doc, g) for g in goals]
    j = judge(kb, case, doc.id, overrides)
    j.selection = how
    return j, atoms


def _doc_info(j: Judgement) -> dict[str, Any]:
    d = j.document
    return {
        "id": d.id,
        "title": d.title,
        "kind": d.meta.get("kind"),
        "academic_year": d.meta.get("academic_year"),
        "institution": d.meta.get("institution"),
        "version": d.version,
    }


def _header(j: Judgement, lang: str) -> str:
    d = j.document
    year = d.meta.get("academic_year")
    ay = f"{year}-{year + 1}" if isinstance(year, int) else "?"
    ref = format_value(j.case.reference_date, lang) if j.case.reference_date else "-"
    how = {
        "nl": {"chosen": "gekozen met --doc", "case": "genoemd in de casus", "scope": "afgeleid door kb/scope.dl"},
        "en": {"chosen": "chosen with --doc", "case": "named in the case", "scope": "derived by kb/scope.dl"},
    }[lang].get(j.selection, j.selection)
    if lang == "nl":
        return f"Regeling: {d.title} ({d.id}, studiejaar {ay}); peildatum {ref}; regeling {how}"
    return f"Regulation: {d.title} ({d.id}, academic year {ay}); reference date {ref}; regulation {how}"


def _emit(kind: str, goal_text: str, trees: list[Node], j: Judgement, fmt: str, lang: str) -> None:
    if fmt == "json":
        if len(trees) == 1:
            click.echo(to_json(kind, goal_text, trees[0], lang, j.receipt(), _doc_info(j)))
        else:
            payload = [json.loads(to_json(kind, goal_text, t, lang, j.receipt(), _doc_info(j))) for t in trees]
            click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if fmt == "md":
        title = {("why", "nl"): "Waarom", ("why", "en"): "Why", ("whynot", "nl"): "Waarom niet"}.get(
            (kind, lang), "Why not"
        )
        click.echo(f"# {title}: {md_code(goal_text)}\n")
        click.echo(f"_{md_text(_header(j, lang))}_\n")
        for t in trees:
            click.echo(to_markdown(t, lang))
        return
    click.echo(_header(j, lang))
    click.echo()
    for t in trees:
        click.echo(to_text(t, lang))
        click.echo()


FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "md", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)


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
    Exit code 1 when nothing matches GOAL (use whynot to see why).
    """
    j, (atom,) = _judge(ctx, case_path, doc_id, params, goal)
    ex = Explainer(j.model, j.document, j.case.sources, lang)
    rows = j.answers(atom)
    if not rows:
        msg = "geldt niet" if lang == "nl" else "does not hold"
        click.echo(f"{goal}: {msg}. oerlog whynot '{goal}' --case {case_path}", err=True)
        sys.exit(1)
    _emit("why", goal, [ex.why(atom.pred, r) for r in rows], j, fmt, lang)


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
    j, (atom,) = _judge(ctx, case_path, doc_id, params, goal)
    ex = Explainer(j.model, j.document, j.case.sources, lang)
    _emit("whynot", goal, [ex.whynot(atom)], j, fmt, lang)


@cli.command()
@click.argument("goal")
@case_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def query(
    ctx: Ctx, goal: str, case_path: str, doc_id: str | None, params: tuple[str, ...], lang: str, fmt: str
) -> None:
    """List the facts matching GOAL (variables in GOAL are columns).

    \b
    Example:
      oerlog query 'resit_excluded(S, C)' --case kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml
    """
    j, (atom,) = _judge(ctx, case_path, doc_id, params, goal)
    _print_rows(atom, j.answers(atom), fmt, lang, j)


def _print_rows(atom: ir.Atom, rows: list[tuple[Any, ...]], fmt: str, lang: str, j: Judgement) -> None:
    names = [str(a) for a in atom.args]
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "goal": str(atom),
                    "document": j.document.id,
                    "columns": names,
                    "rows": [[json_value(v) for v in r] for r in rows],
                    "receipt": j.receipt(),
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    from rich.console import Console
    from rich.table import Table

    click.echo(f"{atom}  ({j.document.id})")
    table = Table()
    for n in names:
        table.add_column(n)
    for r in rows:
        table.add_row(*(format_value(v, lang) for v in r))
    Console().print(table)
    click.echo(f"{len(rows)} {'resultaten' if lang == 'nl' else 'results'}")


@cli.command()
@click.argument("doc_id", required=False)
@click.option("--vocabulary", is_flag=True, help="List the input relations and shared concepts.")
@click.option("--stats", is_flag=True, help="Graph statistics: rules, predicates, strata, longest dependency chain.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def docs(ctx: Ctx, doc_id: str | None, vocabulary: bool, stats: bool, fmt: str) -> None:
    """List the documents of the KB, or one document's articles, rules and parameters.

    \b
    Examples:
      oerlog docs
      oerlog docs uu-gnk-ba-2025
      oerlog docs --vocabulary
    """
    kb = ctx.kb
    if stats:
        from oerlog.analysis.graph import stats as graph_stats

        rows_s = [graph_stats(kb.document(d)) for d in ([doc_id] if doc_id else sorted(kb.documents))]
        if fmt == "json":
            click.echo(json.dumps(rows_s, indent=2, ensure_ascii=False))
            return
        click.echo(
            f"{'document':<24}{'rules':>6}{'exc':>5}{'preds':>6}{'strata':>7}{'chain':>6}{'params':>7}"
            f"{'unfilled':>9}{'articles':>9}"
        )
        for r in rows_s:
            click.echo(
                f"{r['document']:<24}{r['rules']:>6}{r['exceptions']:>5}{r['predicates']:>6}{r['strata']:>7}"
                f"{r['longest_chain']:>6}{r['parameters']:>7}{r['unfilled_parameters']:>9}{r['articles']:>9}"
            )
            click.echo("    longest chain: " + " → ".join(r["longest_chain_path"]))
        return
    if vocabulary:
        data = {
            kind: {
                name: {
                    "doc": r.doc,
                    "fields": [
                        {"name": f.name, "type": f.type, "doc": f.doc, "values": list(f.values)} for f in r.fields
                    ],
                }
                for name, r in rels.items()
            }
            for kind, rels in (("relations", kb.vocabulary.relations), ("concepts", kb.vocabulary.concepts))
        }
        if fmt == "json":
            click.echo(json.dumps(data, indent=2, ensure_ascii=False))
            return
        for kind, rels in (
            ("Input relations", kb.vocabulary.relations),
            ("Shared concepts", kb.vocabulary.concepts),
        ):
            click.echo(f"{kind}:")
            for rel in rels.values():
                click.echo(f"  {rel.signature()}\n      {rel.doc}")
        return
    if doc_id is None:
        rows: list[dict[str, Any]] = []
        for d in kb.documents.values():
            rows.append(
                {
                    "id": d.id,
                    "title": d.title,
                    "kind": d.meta.get("kind"),
                    "academic_year": d.meta.get("academic_year"),
                    "institution": d.meta.get("institution"),
                    "rules": len([r for r in d.program.rules if not r.is_fact]),
                    "articles": len(d.articles),
                    "parameters": len(d.program.params),
                }
            )
        if fmt == "json":
            click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        for r in rows:
            click.echo(
                f"{r['id']:<24} {r['kind']:<6} {r['academic_year']}  rules {r['rules']:>3}  "
                f"articles {r['articles']:>3}  {r['title']}"
            )
        return
    d = kb.document(doc_id)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "id": d.id,
                    "meta": {k: json_value(v) for k, v in d.meta.items()},
                    "rules": [
                        {
                            "id": r.id,
                            "head": str(r.head),
                            "cites": [str(c) for c in r.ann.cites],
                            "source": str(r),
                        }
                        for r in d.program.rules
                    ],
                    "parameters": [
                        {
                            "name": p.name,
                            "type": p.type,
                            "value": json_value(p.value) if p.value is not None else None,
                        }
                        for p in d.program.params
                    ],
                    "articles": {k: {"title": a.title, "status": a.status} for k, a in d.articles.items()},
                },
                indent=2,
                ensure_ascii=False,
                default=str,
            )
        )
        return
    click.echo(
        f"{d.title}\n{d.id} · {d.meta.get('kind')} · {d.meta.get('institution')} · {d.meta.get('academic_year')}\n"
    )
    click.echo("Parameters:")
    for p in d.program.params:
        val = "unfilled" if p.value is None else format_value(p.value)
        cites = ", ".join(str(c) for c in p.ann.cites)
        click.echo(f"  ${p.name} : {p.type} = {val}   [{cites}]")
    click.echo("\nRules:")
    for rule in d.program.rules:
        cites = ", ".join(str(c) for c in rule.ann.cites)
        click.echo(f"  {rule.id:<34} {rule.head}   [{cites}]")
    click.echo("\nArticles:")
    for a in d.articles.values():
        click.echo(f"  {a.key:<8} {a.status:<15} {a.title}")


@cli.command("test")
@click.argument("doc_ids", nargs=-1)
@click.option("-v", "--verbose", is_flag=True, help="Show every scenario, not only failures.")
@click.pass_obj
def test_cmd(ctx: Ctx, doc_ids: tuple[str, ...], verbose: bool) -> None:
    """Run the scenario tests of the KB (all documents, or the ones named).

    \b
    Example:
      oerlog test uu-gnk-ba-2025
    Exit code 1 when a scenario fails or a rule lacks a positive or negative scenario.
    """
    from oerlog.testing.scenarios import collect, rule_coverage, run_scenario

    kb = ctx.kb
    failed = 0
    total = 0
    gaps: list[str] = []
    start = time.perf_counter()
    for doc_id in doc_ids or sorted(kb.documents):
        files = collect(kb, [doc_id])
        all_sc = [sc for _, _, scs in files for sc in scs]
        for _, _path, scenarios in files:
            for sc in scenarios:
                total += 1
                out = run_scenario(kb, sc)
                if not out.passed:
                    failed += 1
                    click.echo(f"FAIL {doc_id} :: {sc.name}")
                    for f in out.failures:
                        click.echo(f"     {f}")
                elif verbose:
                    click.echo(f"ok   {doc_id} :: {sc.name}")
                if sc.disagrees and (verbose or not out.passed):
                    click.echo(f"     note: the document's own example disagrees with its rule: {sc.disagrees}")
        for rid, c in rule_coverage(kb, kb.document(doc_id), all_sc).items():
            if not c["positive"] or not c["negative"]:
                gaps.append(
                    f"{doc_id}: rule {rid} has {c['positive']} positive and {c['negative']} negative scenario(s)"
                )
    for g in gaps:
        click.echo("GAP  " + g)
    click.echo(f"{total - failed} passed, {failed} failed ({time.perf_counter() - start:.2f} s)")
    if failed or gaps:
        sys.exit(1)


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
    from oerlog.analysis.queries import load_query

    q = load_query(Path(query_file))
    if q.mode == "compare":  # the rules of every document for the query's concepts (no case needed)
        from oerlog.analysis.consistency import compare_rules, compare_text

        data = compare_rules(ctx.kb, q.concepts, [doc_id] if doc_id else q.documents or None)
        title = q.title if lang == "nl" or not q.title_en else q.title_en
        if fmt == "json":
            click.echo(
                json.dumps({"title": title, "concepts": q.concepts, "documents": data}, indent=2, ensure_ascii=False)
            )
        else:
            click.echo(("# " + md_text(title) if fmt == "md" else title) + "\n")
            click.echo(compare_text(data, markdown=fmt == "md"))
        return
    path = case_path or (str(q.case) if q.case else None)
    if path is None:
        raise UsageError(
            f"query {query_file} names no case; give one with --case",
            value=query_file,
            example=f"oerlog run {query_file} --case kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml",
        )
    kb = ctx.kb
    case: Case = _load_case(kb, path)
    from oerlog.evaluation.judge import select_document

    doc, how, _ = select_document(kb, case, doc_id or q.document)
    overrides = parse_overrides(doc, q.params)
    atom = parse_goal(doc, q.goal_text, q.goal.loc)
    j = judge(kb, case, doc.id, overrides)
    j.selection = how
    click.echo(f"{q.title if lang == 'nl' or not q.title_en else q.title_en}\n") if fmt == "text" else None
    rows = j.answers(atom)
    ex = Explainer(j.model, j.document, j.case.sources, lang)
    if q.mode == "list":
        _print_rows(atom, rows, "json" if fmt == "json" else "text", lang, j)
    elif q.mode == "why":
        if not rows:
            nobody = "geldt voor niemand in deze casus" if lang == "nl" else "holds for nobody in this case"
            click.echo(f"{q.goal_text}: {nobody}")
            _emit("whynot", q.goal_text, [ex.whynot(atom)], j, fmt, lang)
        else:
            _emit("why", q.goal_text, [ex.why(atom.pred, r) for r in rows], j, fmt, lang)
    else:
        _emit("whynot", q.goal_text, [ex.whynot(atom)], j, fmt, lang)


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
    from oerlog.appeal.dossier import build
    from oerlog.appeal.render import to_html as dossier_html
    from oerlog.appeal.render import to_markdown as dossier_md

    if output:
        prepare_target(Path(output))  # before the work: an unwritable path is reported at once
    j, (atom, *rest) = _judge(ctx, case_path, doc_id, params, decision, *([want] if want else []))
    wanted = rest[0] if rest else None
    d = build(j, atom, lang, wanted)
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
    from oerlog.analysis.coverage import coverage as compute
    from oerlog.analysis.coverage import to_dict
    from oerlog.analysis.coverage import to_text as cov_text

    kb = ctx.kb
    reports = [compute(kb.document(d)) for d in (doc_ids or sorted(kb.documents))]
    if fmt == "json":
        click.echo(json.dumps([to_dict(r) for r in reports], indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(cov_text(r, markdown=fmt == "md") for r in reports))
    if not all(r.complete for r in reports):
        sys.exit(1)


@cli.command()
@click.argument("doc_ids", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--errors-only", is_flag=True, help="Report errors, not warnings.")
@click.pass_obj
def lint(ctx: Ctx, doc_ids: tuple[str, ...], fmt: str, errors_only: bool) -> None:
    """Check the KB: syntax, arity, unknown and unused predicates, unsafe variables, negation through recursion,
    citations, duplicate ids, parameters declared twice or never used, rules without citation, unreachable rules.

    \b
    Example:
      oerlog lint
      oerlog lint uu-gnk-ba-2025 --format json
    Exit code 1 when an error or warning is found, 0 when the KB is clean (information notes, such as rules
    waiting for an unfilled template choice, do not fail it).
    """
    from oerlog.analysis.lint import lint as run_lint

    kb, findings = run_lint(ctx.kb_path, list(doc_ids) or None)
    if errors_only:
        findings = [f for f in findings if f.severity == "error"]
    n_rules = sum(len(d.program.rules) for d in kb.documents.values()) if kb else 0
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "documents": sorted(kb.documents) if kb else [],
                    "rules": n_rules,
                    "findings": [f.to_dict() for f in findings],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for f in findings:
            click.echo(f.render())
        if kb is not None:
            problems = [f for f in findings if f.severity != "info"]
            infos = len(findings) - len(problems)
            click.echo(
                f"{len(kb.documents)} document(s), {n_rules} rules: "
                + (f"{len(problems)} finding(s)" if problems else "no findings")
                + (f" ({infos} for information)" if infos else "")
            )
        else:
            click.echo(f"the KB does not load: {len(findings)} error(s)")
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
    from oerlog.analysis import graph as g
    from oerlog.analysis.graph_export import write

    kb = ctx.kb
    gr = g.build(kb, list(doc_ids) or None, level)
    if focus:
        gr = g.focus(gr, focus, depth)
    title = f"oerlog: {', '.join(doc_ids) or 'all documents'} ({level})"
    out = write(gr, fmt, Path(output) if output else None, title)
    if out is not None:
        if fmt in ("png",):
            sys.stdout.buffer.write(out)
        else:
            click.echo(out.decode())
    else:
        click.echo(f"{output}: {gr.number_of_nodes()} nodes, {gr.number_of_edges()} edges", err=True)


@cli.command()
@click.argument("target", required=False)
@click.option("--on", "on", default=None, help="Reverse: every article and parameter CONCLUSION rests on.")
@click.option("--doc", "doc_id", default=None, help="Document (default: every document that has the target).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
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
    from oerlog.analysis import graph as g

    kb = ctx.kb
    if bool(target) == bool(on):
        raise UsageError("give either an ARTICLE / $PARAMETER or --on CONCLUSION", example="oerlog impact A.8")
    docs = [kb.document(doc_id)] if doc_id else [kb.documents[d] for d in sorted(kb.documents)]
    results = []
    errors: list[OerlogError] = []
    for d in docs:
        try:
            results.append(g.rests_on(d, on) if on else g.impact(d, str(target)))
        except UsageError as exc:
            errors.append(exc)
    if not results:
        raise errors[0]
    if fmt == "json":
        click.echo(json.dumps([r.__dict__ for r in results], indent=2, ensure_ascii=False))
        return
    for r in results:
        if on:
            click.echo(
                f"{r.document}: {r.target} rests on {len(r.articles)} provision(s), "
                f"{len(r.parameters)} parameter(s), {len(r.rules)} rule(s)"
            )
            for a in r.articles:
                click.echo(f"  {a}")
            for p in r.parameters:
                click.echo(f"  {p}")
            click.echo("  rules: " + ", ".join(r.rules))
            continue
        click.echo(
            f"{r.document}: {r.target} is applied by {', '.join(r.rules) or 'no rule'}; "
            f"{len(r.conclusions)} conclusion(s) depend on it"
        )
        for pred, paths in r.conclusions.items():
            click.echo(f"  {pred}")
            for path in paths:
                click.echo("      via " + " → ".join(path))


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
    from oerlog.analysis.consistency import (
        Checker,
        apply_accepted,
        load_accepted,
        report_dict,
        to_markdown_report,
        to_text_report,
        write_witnesses,
    )

    kb = ctx.kb
    if output:
        prepare_target(Path(output))  # before the work: an unwritable path is reported at once
    accepted = load_accepted(Path(accept_file)) if accept_file else {}
    report = Checker(kb, list(doc_ids) or None, against, seed=seed, budget=budget, lang=lang).run()
    apply_accepted(report, accepted)
    write_witnesses(report, Path(witness_dir))
    if fmt == "json":
        text = json.dumps(report_dict(report, lang), indent=2, ensure_ascii=False, default=str)
    elif fmt == "md":
        text = to_markdown_report(report, lang)
    else:
        text = to_text_report(report, lang, proofs=not no_proofs)
    if output:
        write_text(Path(output), text)
        click.echo(f"{output}: {len(report.findings)} finding(s), {len(report.open_findings(strict))} open", err=True)
    else:
        click.echo(text)
    if report.open_findings(strict):
        sys.exit(1)


# --- cohorts (SQL back end) ----------------------------------------------------------------------------------


def _progress_printer(enabled: bool | None) -> Callable[[int, int, str], None] | None:
    """A progress line on stderr (by default only when stderr is a terminal)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    start = time.perf_counter()

    def show(i: int, n: int, what: str) -> None:
        pct = 100 * i // max(n, 1)
        end = "\n" if i >= n and what == "done" else ""
        click.echo(f"\r[{pct:3d}%] {time.perf_counter() - start:6.1f} s  {what[:70]:<70}", err=True, nl=bool(end))

    return show


def _reference_date(text: str | None) -> Any:
    if text is None:
        return None
    from oerlog.values import parse_date

    d = parse_date(text)
    if d is None:
        raise UsageError(
            f"--reference-date must be a date, got {text!r}", value=text, example="--reference-date 2026-02-02"
        )
    return d


def _check_goals(kb: KnowledgeBase, doc_id: str, goals: tuple[str, ...]) -> None:
    if not goals:
        raise UsageError(
            "give at least one --goal",
            example=f"oerlog batch --doc {doc_id} --data cohort/ --goal resit_excluded -o out.csv",
        )


COHORT_OPTIONS = [
    click.option("--doc", "doc_id", required=True, help="Document to run."),
    click.option(
        "--data",
        required=True,
        type=click.Path(exists=False),
        help="Folder of <relation>.csv / .parquet files, or a DuckDB database file.",
    ),
    click.option(
        "--on-error",
        type=click.Choice(["stop", "reject"]),
        default="stop",
        show_default=True,
        help="A row that does not fit the vocabulary stops the run, or is rejected (and listed).",
    ),
    click.option(
        "--reference-date", default=None, help="The reference_date of the run (overrides reference_date.csv)."
    ),
    click.option("--progress/--no-progress", default=None, help="Progress on stderr (default: when a terminal)."),
]


def cohort_options(f: F) -> F:
    """--doc, --data, --on-error, --reference-date, --progress."""
    for opt in reversed(COHORT_OPTIONS):
        f = opt(f)
    return f


def _load_notes(rep: Any) -> None:
    """What a cohort run read and did not read, and what it noticed (duplicates, an overridden reference date)."""
    for name, cols in rep.ignored_columns.items():
        click.echo(f"note: {name}: column(s) {', '.join(cols)} ignored", err=True)
    if rep.unread:
        click.echo(f"note: not read (the goals do not depend on them): {', '.join(rep.unread)}", err=True)
    for note in rep.notes:
        click.echo(f"note: {note}", err=True)


@cli.command()
@cohort_options
@click.option("--goal", "goals", multiple=True, help="Conclusion to compute (repeatable), e.g. resit_excluded.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Override a parameter (repeatable).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="OUT.csv or OUT.parquet.")
@click.option(
    "--sort/--no-sort",
    "sort",
    default=None,
    help="Sort the output rows (conclusion, arguments, rule). Default: a CSV file is sorted (to read and diff), "
    "a Parquet file is written in the order the rows are produced (sorting costs ~10% of a 1,000,000-student run).",
)
@click.option(
    "--rejects", type=click.Path(dir_okay=False), default=None, help="Where --on-error reject lists bad rows."
)
@click.option(
    "--explain", "explain", default=None, metavar="STUDENT", help="Prove one student's conclusions (pyDatalog)."
)
@click.option("--emit-sql", is_flag=True, help="Print the compiled SQL instead of running it.")
@click.option(
    "--dialect",
    type=click.Choice(["duckdb", "spark", "trino"]),
    default="duckdb",
    show_default=True,
    help="With --emit-sql: the SQL dialect (spark and trino are transpiled with sqlglot).",
)
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def batch(
    ctx: Ctx,
    doc_id: str,
    data: str,
    on_error: str,
    reference_date: str | None,
    progress: bool | None,
    goals: tuple[str, ...],
    params: tuple[str, ...],
    output: str | None,
    sort: bool | None,
    rejects: str | None,
    explain: str | None,
    emit_sql: bool,
    dialect: str,
    lang: str,
    fmt: str,
) -> None:
    """Run a document over a cohort (CSV / Parquet / DuckDB tables) with the SQL back end (DuckDB).

    Every output row names the rule and the articles that produced it; the summary counts conclusions per rule
    and article. Input rows that do not fit the vocabulary are reported with file and row number.

    \b
    Examples:
      oerlog generate --students 100000 -o cohort/
      oerlog batch --doc uu-gnk-ba-2025 --data cohort/ --goal resit_excluded --goal resit_invited -o out.parquet
      oerlog batch --doc uu-gnk-ba-2025 --data cohort/ --goal resit_excluded --explain s0000042
      oerlog batch --doc uu-gnk-ba-2025 --data cohort/ --goal resit_excluded --emit-sql --dialect spark
    """
    from oerlog.cohort.batch import batch as run_batch
    from oerlog.cohort.batch import explain_student, names_of, parse_goals

    kb = ctx.kb
    doc = kb.document(doc_id)
    _check_goals(kb, doc_id, goals)
    overrides = parse_overrides(doc, list(params))
    ref = _reference_date(reference_date)
    if emit_sql:
        from oerlog.backends.sqlgen import compile_plan, transpile

        atoms = parse_goals(doc, goals)
        prog = compile_plan(doc.plan(overrides or None), kb.vocabulary, names_of(atoms))
        click.echo(transpile(prog.script(), dialect))
        for a in atoms:
            if any(not isinstance(t, ir.Var) for t in a.args):
                click.echo(f"note: the script computes every row of {a.pred}; select those of {a} from it", err=True)
        return
    if explain:
        click.echo(
            explain_student(kb, doc_id, data, explain, goals, overrides=overrides, reference_date=ref, lang=lang)
        )
        return
    res = run_batch(
        kb,
        doc_id,
        data,
        goals,
        Path(output) if output else None,
        overrides=overrides,
        on_error=on_error,
        reference_date=ref,
        progress=_progress_printer(progress),
        sort=sort,
        rejects=Path(rejects) if rejects else None,
    )
    rep = res.report
    if res.rejects:
        click.echo(f"{rep.bad_count} bad row(s) rejected, listed in {res.rejects}", err=True)
    if res.stale_rejects:
        click.echo(f"removed {res.stale_rejects}: the rejects of an earlier run (this run rejected nothing)", err=True)
    _load_notes(rep)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "document": res.document,
                    "output": str(res.output) if res.output else None,
                    "conclusions": res.counts,
                    "by_rule": res.by_rule,
                    "input_rows": rep.rows,
                    "rejected_rows": rep.bad_count,
                    "rejects": str(res.rejects) if res.rejects else None,
                    "not_read": rep.unread,
                    "notes": rep.notes,
                    "seconds": {k: round(v, 3) for k, v in res.seconds.items()},
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    click.echo(f"{res.document}: {sum(rep.rows.values())} input rows, {res.seconds['total']:.2f} s")
    for c in res.counts:
        extra = ", ".join(f"{k} {v}" for k, v in c.items() if k not in ("conclusion", "facts"))
        click.echo(f"  {c['conclusion']:<34} {c['facts']:>9} facts  ({extra})")
    click.echo("  by rule:")
    for r in res.by_rule:
        click.echo(f"    {r['conclusion']:<30} {r['rule']:<40} {r['rows']:>9}  art. {r['articles'] or '-'}")
    if res.output:
        click.echo(f"written: {res.output}")


@cli.command()
@cohort_options
@click.option("--set", "sets", multiple=True, required=True, metavar="PARAM=VALUE", help="Parameter to change.")
@click.option("--goal", "goals", multiple=True, help="Conclusion(s) to compare (default: the shared concepts).")
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "json"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write to a file, not stdout.")
@click.pass_obj
def whatif(
    ctx: Ctx,
    doc_id: str,
    data: str,
    on_error: str,
    reference_date: str | None,
    progress: bool | None,
    sets: tuple[str, ...],
    goals: tuple[str, ...],
    fmt: str,
    output: str | None,
) -> None:
    """List exactly the students whose conclusions change when parameters change, both ways, with counts.

    \b
    Example:
      oerlog whatif --doc uu-gnk-ba-2025 --data cohort/ --set resit_min_grade=4.5 --goal resit_excluded
      oerlog whatif --doc uu-gnk-ba-2025 --data cohort/ --set resit_max_grade=5.5 --format csv -o memo.csv
    """
    from oerlog.cohort.batch import whatif as run_whatif
    from oerlog.cohort.batch import whatif_csv, whatif_json, whatif_markdown

    kb = ctx.kb
    doc = kb.document(doc_id)
    overrides = parse_overrides(doc, list(sets))
    res = run_whatif(
        kb,
        doc_id,
        data,
        overrides,
        goals or None,
        on_error=on_error,
        reference_date=_reference_date(reference_date),
        progress=_progress_printer(progress),
        output=Path(output) if output else None,
    )
    rep = res.report
    if rep.bad_count:
        shown = "; ".join(f"{b.file.where(b.line)}: {b.file.relation}.{b.field}: {b.reason}" for b in rep.bad[:5])
        click.echo(f"{rep.bad_count} bad row(s) rejected (left out of both runs): {shown}", err=True)
    _load_notes(rep)
    text = {"md": whatif_markdown, "csv": whatif_csv, "json": whatif_json}[fmt](res)
    if output:
        write_text(Path(output), text)
        click.echo(f"{output}: {len(res.changes)} change(s), {len(res.students())} student(s)", err=True)
    else:
        click.echo(text, nl=False)


@cli.command()
@click.option("--students", type=click.IntRange(min=1), required=True, help="Number of students.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same files).")
@click.option(
    "--doc", "doc_ids", multiple=True, help="Documents whose programmes and thresholds to use (default: all)."
)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Folder to write the tables to.")
@click.option("--progress/--no-progress", default=None, help="Progress on stderr (default: when a terminal).")
@click.option("--force", is_flag=True, help="Replace the output folder (of tables) if it is not empty.")
@click.pass_obj
def generate(
    ctx: Ctx,
    students: int,
    seed: int,
    doc_ids: tuple[str, ...],
    fmt: str,
    output: str,
    progress: bool | None,
    force: bool,
) -> None:
    """Write a synthetic, seeded cohort (Osiris-like tables, one file per input relation) with boundary cases.

    The folder is written whole or not at all; a folder that is not empty is refused unless --force, which
    replaces it (only a folder of tables).

    \b
    Example:
      oerlog generate --students 100000 --seed 1 -o cohort/
      oerlog generate --students 1000 --doc uu-gnk-ba-2025 --format parquet -o small/ --force
    """
    from oerlog.cohort.generate import generate as run_generate

    kb = ctx.kb
    for d in doc_ids:
        kb.document(d)
    start = time.perf_counter()
    counts = run_generate(
        kb,
        output,
        students,
        seed=seed,
        doc_ids=list(doc_ids) or None,
        fmt=fmt,
        progress=_progress_printer(progress),
        force=force,
    )
    click.echo(
        f"{output}: {students} students, {sum(counts.values())} rows in {len(counts)} tables "
        f"({time.perf_counter() - start:.1f} s)"
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the CLI and turns oerlog errors into located messages with exit code 2; a run stopped by
    SIGINT, SIGTERM or SIGHUP is reported as interrupted, with exit code 130, 143 or 129 (128 + the signal)."""
    with raise_on_signals() as received:
        try:
            code = _run(argv, received)
        except Interrupted:  # the signal came after the command, while its outcome was being reported
            code = None
        if received:
            code = _interrupted(Interrupted(received[0]))
    sys.exit(code)


def _run(argv: list[str] | None, received: list[int]) -> int | str | None:
    """Run the command; its exit code (a failure reported on stderr; an interruption is left to :func:`main`)."""
    try:
        cli.main(args=argv, prog_name="oerlog", standalone_mode=False)
    except SystemExit as exc:
        return exc.code
    except BaseException as exc:  # noqa: BLE001 - every way a command can end is reported
        if received:  # whatever a library made of the interruption (an error of its own, a failed read), it is one
            return None
        return _failed(exc)
    return 0


def _interrupted(exc: Interrupted) -> int:
    click.echo(exc.render(), err=True)
    return exc.exit_code


def _failed(exc: BaseException) -> int:
    """Report an exception that ended a command; the exit code."""
    if isinstance(exc, Interrupted):
        return _interrupted(exc)
    if isinstance(exc, OerlogError):
        click.echo(exc.render(), err=True)
        return exc.exit_code
    if isinstance(exc, click.exceptions.Abort):  # click's form of KeyboardInterrupt (no handler of ours was set)
        return _interrupted(Interrupted(signal.SIGINT))
    if isinstance(exc, click.ClickException):
        exc.show()
        return 2 if exc.exit_code == 2 else exc.exit_code
    if isinstance(exc, BrokenPipeError):
        return 0
    if not isinstance(exc, Exception) or os.environ.get("OERLOG_DEBUG"):
        raise exc
    # an oerlog bug, not bad input: say so plainly
    click.echo(
        f"internal error: {type(exc).__name__}: {exc}\n(set OERLOG_DEBUG=1 for the traceback; please report it)",
        err=True,
    )
    return 3


if __name__ == "__main__":
    main()
