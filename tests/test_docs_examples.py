"""Docs that run (issue 17): every command and case example in README.md and docs/*.md is executed.

- ``sh`` / ``console`` blocks: each command runs as written (``oerlog ...`` in-process through the CLI's ``main``,
  anything else as a process), in a fresh folder that sees the repository's ``kb/``, ``queries/`` and
  ``benchmarks/``, so that what a command writes (``-o dossier.html``, ``cohort/``) stays out of the repository.
  A variable set in a block (``CASE=...``) holds for the rest of it; ``&&`` chains and ``> FILE`` work as in a
  shell. A command must exit 0, or the code its comment states (``# ... (exit 1)``, ``(exit 0, or 1 while ...)``
  where a full consistency check runs). A command that appears twice
  runs once. ``oerlog graph`` to SVG, PNG or HTML needs Graphviz (``dot``), which CI installs.
- ``yaml`` blocks: a case file is read and judged (as ``oerlog query`` would); a scenario file is read and run; a
  ``document.yaml`` or ``articles.yaml`` example is read as the KB reads it.
- ``prolog`` blocks: parsed; an input relation is used with the vocabulary's fields, and a rule whose ``@id`` a
  bundled document has cites what that rule cites (an example cannot drift from the KB it shows).

What is not run is listed here, with the reason: a block preceded by one of :data:`MARKERS`, and a command that
needs a program of :data:`NEEDS`. ``generate --students N`` runs with ``OERLOG_DOCS_STUDENTS`` students (default
300), the scale variable. Commands of :data:`SLOW` run in the ``slow`` step (CI's second step).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from oerlog.cli.main import main
from oerlog.evaluation.judge import judge
from oerlog.kb.cases import load_case
from oerlog.kb.loader import KnowledgeBase
from oerlog.lang import ir
from oerlog.lang.parser import parse_program
from oerlog.testing.scenarios import load_scenarios, run_batched

ROOT = Path(__file__).parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
STUDENTS = os.environ.get("OERLOG_DOCS_STUDENTS", "300")  # the scale variable of `generate --students N`

# a block preceded by <!-- NAME --> or <!-- docs-test: NAME --> is not run, for this reason
MARKERS = {
    "system-packages": "installs Graphviz and Chromium with apt-get (root, network); CI's first step (.ci/run)",
    "test-command": "the test suite itself: CI runs exactly this block (.ci/run)",
    "benchmark": "a benchmark: minutes of measurement on a quiet machine (benchmarks/), run by hand",
    "outline": "an outline of a file's structure with its keys explained, not a file to read",
    "cluster": "needs a Spark cluster and shared storage (/shared, hdfs://); tests/test_spark.py runs the same locally",
    "workbench-start": "installs oerlog and starts the workbench, a server that runs until stopped "
    "(tests/test_workbench_browser.py starts it and drives it in Chromium)",
}
# a command needing one of these programs (the first word, or the first two) is not run, for this reason
NEEDS = {
    "apt-get": "installs system packages (root, network); CI's first step (.ci/run)",
    "pip": "installs packages from the network; CI installs from scratch (.ci/run)",
    "python3 -m venv": "creates a virtual environment; CI installs from scratch (.ci/run)",
    ".": "activates a virtual environment in an interactive shell",
    "source": "activates a virtual environment in an interactive shell",
    "spark-sql": "needs Apache Spark (the emitted SQL is parsed as Spark SQL by tests/test_cohort.py)",
    "trino": "needs a Trino server (the emitted SQL is parsed as Trino SQL by tests/test_cohort.py)",
    "oerlog serve": "a web server that runs until stopped (tests/test_workbench_browser.py starts it and drives it)",
}
# commands (by their start) that take more than a few seconds: run in the slow step
SLOW = {
    "oerlog check": "explores every seed of the documents with all their mutations (up to a minute each)",
    "oerlog lint": "loads and lints the whole KB (tests/test_bundled.py lints it in the default step)",
    "oerlog test ": "runs a document's scenario tests (the default step runs them as tests of their own)",
    "oerlog docs --stats": "counts the whole KB (tests/test_counts_and_docs.py in the default step)",
    "oerlog run queries/compare": "compares every document's rules (tests/test_api.py runs saved queries)",
}


@dataclass
class Command:
    """One command of a block: where it is written, its text (variables substituted), the exit code its comment
    states, and why it is not run (None: it runs)."""

    doc: str
    line: int
    text: str
    exit: tuple[int, ...] = (0,)  # the exit codes the doc states
    skip: str | None = None
    slow: str | None = None


@dataclass
class Block:
    """A fenced block: its file, first line, language, text and the marker before it."""

    doc: Path
    line: int
    lang: str
    text: str
    marker: str | None = None
    commands: list[Command] = field(default_factory=list)
    before: str = ""  # the lines right before the block (what it says the example is)

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def blocks(doc: Path) -> Iterator[Block]:
    """The fenced blocks of a Markdown file, each with the marker comment right before it (if any)."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    i, marker = 0, None
    while i < len(lines):
        line = lines[i]
        m = re.fullmatch(r"<!--\s*(?:docs-test:\s*)?([\w-]+)\s*-->", line.strip())
        if m:
            marker = m.group(1)
        elif line.startswith("```"):
            lang, start, body = line[3:].strip(), i + 1, []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            yield Block(
                doc, start, lang, "\n".join(body) + "\n", marker, before="\n".join(lines[max(0, start - 8) : start])
            )
            marker = None
        elif line.strip():
            marker = None
        i += 1


def commands(block: Block) -> list[Command]:
    """The commands of an ``sh`` / ``console`` block: continuation lines joined, ``$ `` prompts and comments
    dropped, variables (``CASE=...``) substituted, ``&&`` chains split."""
    out: list[Command] = []
    env: dict[str, str] = {}
    logical: list[tuple[int, str]] = []
    pending, start = "", 0
    for n, raw in enumerate(block.text.splitlines()):
        if block.lang == "console" and not raw.startswith("$ ") and not pending:
            continue  # output shown after a prompt
        text = raw[2:] if block.lang == "console" and raw.startswith("$ ") and not pending else raw
        if not pending:
            start = block.line + 1 + n
        if text.rstrip().endswith("\\"):
            pending += text.rstrip()[:-1] + " "
            continue
        logical.append((start, pending + text))
        pending = ""
    for line, text in logical:
        code, _, comment = _split_comment(text)
        if not code.strip():
            continue
        m = re.fullmatch(r"\s*([A-Z_][A-Z0-9_]*)=(\S+)\s*", code)
        if m:
            env[m.group(1)] = m.group(2)
            continue
        expected = re.search(r"\(exit (\d+)(?:, or (\d+))?", comment)  # (exit 1) or (exit 0, or 1 while ...)
        for part in code.split("&&"):
            cmd = re.sub(r"\$\{?([A-Z_][A-Z0-9_]*)\}?", lambda v: env.get(v.group(1), v.group(0)), part.strip())
            cmd = re.sub(r"(--students )\d+", rf"\g<1>{STUDENTS}", cmd)
            c = Command(str(block.doc.relative_to(ROOT)), line, cmd, _codes(expected))
            c.skip = MARKERS.get(block.marker or "") or _needs(cmd)
            c.slow = next((why for start, why in SLOW.items() if cmd.startswith(start)), None)
            if c.slow is None and "--engine spark" in cmd:
                c.slow = "starts Spark (a JVM: tens of seconds); tests/test_spark.py runs in the slow step too"
            out.append(c)
    return out


def _codes(m: re.Match[str] | None) -> tuple[int, ...]:
    return tuple(int(g) for g in m.groups() if g is not None) if m else (0,)


def _split_comment(text: str) -> tuple[str, str, str]:
    """``code  # comment`` split at the first ``#`` outside quotes."""
    quote = None
    for i, ch in enumerate(text):
        if ch in "'\"" and quote in (None, ch):
            quote = None if quote == ch else ch
        elif ch == "#" and quote is None and (i == 0 or text[i - 1].isspace()):
            return text[:i], "#", text[i + 1 :]
    return text, "", ""


GRAPHVIZ = "needs Graphviz (dot), which CI installs first (.ci/run)"


# commands that another test runs as written (same arguments), so that the slow step does not run them twice
RUN_ELSEWHERE = {
    "oerlog check": "the complete check of the bundled KB: tests/test_check_planted.py runs it, reviewing each finding",
}


def _needs(cmd: str) -> str | None:
    if cmd.split("#")[0].strip() in RUN_ELSEWHERE:
        return RUN_ELSEWHERE[cmd.split("#")[0].strip()]
    words = cmd.split()
    for prog, why in NEEDS.items():
        if words[: len(prog.split())] == prog.split():
            return why
    if words[:2] == ["oerlog", "graph"] and re.search(r"--format (svg|png|html)", cmd) and not shutil.which("dot"):
        return GRAPHVIZ
    return None


ALL_BLOCKS = [b for d in DOCS for b in blocks(d)]
for _b in ALL_BLOCKS:
    if _b.lang in ("sh", "console"):
        _b.commands = commands(_b)
SH_BLOCKS = [b for b in ALL_BLOCKS if b.lang in ("sh", "console")]


def _distinct(block_list: list[Block], slow: bool) -> list[list[Command]]:
    """Per block, the commands to run in this step: each distinct command once (its first place), a command not
    run left out, the slow ones only in the slow step (with the block's commands before them, which they may
    need)."""
    seen: set[str] = set()
    out = []
    for b in block_list:
        todo = []
        for c in b.commands:
            if c.skip or c.text in seen:
                continue
            seen.add(c.text)
            todo.append(c)
        if slow:
            todo = [c for i, c in enumerate(todo) if c.slow or any(x.slow for x in todo[i + 1 :])]
        else:
            todo = [c for c in todo if not c.slow]
        out.append(todo)
    return out


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder that sees the repository's kb/, queries/, benchmarks/ and tests/ (what the docs' commands name:
    the source texts `oerlog import` reads are in tests/fixtures/sources/)."""
    for name in ("kb", "queries", "benchmarks", "tests"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    return tmp_path


def _run(c: Command, cwd: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run a command as written in ``cwd``; its exit code and what it printed (stdout and stderr)."""
    words = shlex.split(c.text)
    target = None
    if ">" in words:
        i = words.index(">")
        words, target = words[:i], words[i + 1]
    if words[0] == "oerlog":
        old = Path.cwd()
        os.chdir(cwd)
        try:
            main(words[1:])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            os.chdir(old)
        cap = capsys.readouterr()
        out, err = cap.out, cap.err
    else:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        exe = [sys.executable, *words[1:]] if words[0] in ("python", "python3") else words
        p = subprocess.run(exe, cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
        code, out, err = p.returncode, p.stdout, p.stderr
    if target is not None:
        (cwd / target).write_text(out, encoding="utf-8")
    return code, out + err


def _check_block(todo: list[Command], cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for c in todo:
        code, printed = _run(c, cwd, capsys)
        assert code in c.exit, f"{c.doc}:{c.line}: `{c.text}` exited {code}, the doc says {c.exit}\n{printed[-3000:]}"


_FAST = _distinct(SH_BLOCKS, slow=False)
_SLOW = _distinct(SH_BLOCKS, slow=True)


@pytest.mark.parametrize(
    "index", [i for i, t in enumerate(_FAST) if t], ids=[SH_BLOCKS[i].where for i, t in enumerate(_FAST) if t]
)
def test_commands_of_a_block_run(index: int, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _check_block(_FAST[index], workdir, capsys)


def _slow_param(i: int) -> object:
    """A slow block; one that starts Spark joins tests/test_spark.py's xdist group (``--dist loadgroup``), so that
    two JVMs never share the two cores."""
    spark = any("--engine spark" in c.text for c in _SLOW[i])
    return pytest.param(i, marks=pytest.mark.xdist_group("spark")) if spark else i


@pytest.mark.slow
@pytest.mark.parametrize(
    "index",
    [_slow_param(i) for i, t in enumerate(_SLOW) if t],
    ids=[SH_BLOCKS[i].where for i, t in enumerate(_SLOW) if t],
)
def test_slow_commands_of_a_block_run(index: int, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _check_block(_SLOW[index], workdir, capsys)


def test_what_is_not_run_is_listed_with_its_reason() -> None:
    """Every command is run, or skipped for a listed reason; the count is reported (pytest -s shows it)."""
    all_commands = [c for b in SH_BLOCKS for c in b.commands]
    skipped = [c for c in all_commands if c.skip]
    assert all(c.skip in (*MARKERS.values(), *NEEDS.values(), *RUN_ELSEWHERE.values(), GRAPHVIZ) for c in skipped)
    unknown = {b.marker for b in ALL_BLOCKS if b.marker and b.marker not in MARKERS}
    assert not unknown, f"markers without a reason in MARKERS: {unknown}"
    run = [c for c in all_commands if not c.skip]
    # the workbench's five (`oerlog serve`, its install-and-start line, its benchmark) start a server; the
    # Spark cluster commands need a cluster
    assert len(run) >= 34 and len(skipped) <= 23, (len(run), len(skipped))
    print(f"\ndocs examples: {len(all_commands)} commands, {len(run)} run, {len(skipped)} skipped:")
    for c in skipped:
        print(f"  {c.doc}:{c.line}: {c.text[:60]} -- {c.skip}")


def test_every_marker_is_used() -> None:
    """A reason no block refers to is stale."""
    used = {b.marker for b in ALL_BLOCKS}
    assert {k for k in MARKERS if k not in used} == set()


# --- yaml: case, scenario, document.yaml and articles.yaml examples ---------------------------------------------

YAML_BLOCKS = [b for b in ALL_BLOCKS if b.lang == "yaml" and not b.marker]
PROLOG_BLOCKS = [b for b in ALL_BLOCKS if b.lang == "prolog" and not b.marker]


def _named(block: Block, kind: str) -> Path:
    """The bundled file an example says it shows (``kb/<doc>/<kind>`` in the text before it, or in the block)."""
    m = re.search(rf"kb/([\w-]+)/{re.escape(kind)}", block.before + block.text)
    assert m, f"{block.where}: say which bundled {kind} the example shows (kb/<doc>/{kind})"
    return ROOT / "kb" / m.group(1) / kind


@pytest.mark.parametrize("block", YAML_BLOCKS, ids=[b.where for b in YAML_BLOCKS])
def test_yaml_example_is_read_as_oerlog_reads_it(block: Block, bundled_kb: KnowledgeBase, tmp_path: Path) -> None:
    data = yaml.safe_load(block.text)
    assert isinstance(data, dict), f"{block.where}: a YAML example is a mapping"
    if "scenarios" in data:  # a scenario file of the document it names, run as `oerlog test FILE` runs it
        doc = bundled_kb.document(_named(block, "tests").parent.name)
        (tmp_path / "tests").mkdir()
        (tmp_path / "cases").symlink_to(doc.path / "cases", target_is_directory=True)
        path = tmp_path / "tests" / "example.yaml"
        path.write_text(block.text, encoding="utf-8")
        outcomes = run_batched(bundled_kb, load_scenarios(bundled_kb, doc, path))
        assert outcomes and all(o.passed for o in outcomes), [o.failures for o in outcomes]
    elif "articles" in data:  # the bundled articles, a text ending in ... shortened
        real = yaml.safe_load(_named(block, "articles.yaml").read_text(encoding="utf-8"))["articles"]
        for key, art in data["articles"].items():
            for k, v in art.items():
                if k != "lids":
                    assert real[key][k] == v, f"{block.where}: article {key}: {k}"
            for lid, text in (art.get("lids") or {}).items():
                full = real[key]["lids"][lid]
                ok = full.startswith(text[:-3].rstrip()) if text.endswith("...") else full == text
                assert ok, f"{block.where}: article {key} lid {lid} differs from the bundled text"
    elif "id" in data or set(data) == {"appeal"}:  # document.yaml, or its appeal route
        real = yaml.safe_load(_named(block, "document.yaml").read_text(encoding="utf-8"))
        assert {k: real.get(k) for k in data} == data, f"{block.where}: differs from the bundled document.yaml"
    elif "facts" in data or "reference_date" in data:  # a case file: read and judged
        path = tmp_path / "case.yaml"
        path.write_text(block.text, encoding="utf-8")
        case = load_case(path, bundled_kb.vocabulary)
        j = judge(bundled_kb, case, case.document)
        assert j.model is not None
    else:
        pytest.fail(f"{block.where}: not a file oerlog reads; mark an outline with <!-- docs-test: outline -->")


@pytest.mark.parametrize("block", PROLOG_BLOCKS, ids=[b.where for b in PROLOG_BLOCKS])
def test_prolog_example_parses_and_agrees_with_the_kb(block: Block, bundled_kb: KnowledgeBase) -> None:
    program = parse_program(block.text, block.where)
    voc = bundled_kb.vocabulary
    declared = {**voc.relations, **voc.concepts}
    for r in program.rules:
        atoms = [r.head] + [a for lit in r.body for a, _ in ir.literal_atoms(lit)]
        for a in atoms:
            rel = declared.get(a.pred)
            assert rel is None or rel.arity == a.arity, f"{block.where}: {a} has {a.arity} fields, {rel.signature()}"
        for d in bundled_kb.documents.values():
            same = d.rule(r.ann.id) if r.ann.id else None
            if same is not None:
                cites = {(c.article, c.lid) for c in r.ann.cites}
                assert cites == {(c.article, c.lid) for c in same.ann.cites}, (
                    f"{block.where}: {r.id} cites as in {d.id}"
                )
    for p in program.params:  # a parameter some bundled document declares cites what one of them cites
        decls = [d.param_decl(p.name) for d in bundled_kb.documents.values()]
        cited = [{(c.article, c.lid) for c in q.ann.cites} for q in decls if q is not None]
        mine = {(c.article, c.lid) for c in p.ann.cites}
        assert not cited or any(mine <= c for c in cited), f"{block.where}: ${p.name} cites {mine}, the KB {cited}"
