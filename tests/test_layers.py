"""The layout keeps its rules (docs/architecture.md): layers import one way, each external library only where it
belongs, no import cycle, and every import inside a function says what it defers."""

from __future__ import annotations

import ast
import io
import shutil
import subprocess
import sys
import tokenize
from collections.abc import Iterator
from pathlib import Path

import grimp
import networkx as nx

ROOT = Path(__file__).parent.parent
SRC = ROOT / "src" / "oerlog"


def test_import_contracts() -> None:
    """The import-linter contracts of pyproject.toml ([tool.importlinter]): layers, pyDatalog only in its back
    end, click only in the CLI, duckdb only in the SQL back end and the cohort runner."""
    exe = Path(sys.executable).with_name("lint-imports")
    cmd = [str(exe) if exe.is_file() else shutil.which("lint-imports") or "lint-imports", "--no-cache"]
    done = subprocess.run([*cmd, "pyproject.toml"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    report = done.stdout[max(0, done.stdout.find("Contracts\n")) :]  # after the logo
    assert done.returncode == 0, f"lint-imports: imports that break the layer contracts:\n{report}{done.stderr}"


def test_no_import_cycle() -> None:
    """No cycle among the modules of oerlog, counting imports inside functions (which run too) and leaving out
    those under ``if TYPE_CHECKING:`` (which never run)."""
    graph = grimp.build_graph("oerlog", exclude_type_checking_imports=True, cache_dir=None)
    g = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            g.add_edge(module, imported)

    def line(a: str, b: str) -> str:
        return ", ".join(f"l.{d['line_number']}" for d in graph.get_import_details(importer=a, imported=b))

    shown = []
    for component in nx.strongly_connected_components(g):
        if len(component) == 1 and not any(g.has_edge(m, m) for m in component):
            continue
        sub = g.subgraph(component)
        cycles = sorted(nx.simple_cycles(sub, length_bound=4)) or [[a for a, _ in nx.find_cycle(sub)]]
        for cycle in cycles[:10]:
            steps = [f"{a} -> {b} ({line(a, b)})" for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True)]
            shown.append("  " + "; ".join(steps))
    assert not shown, "import cycles among oerlog modules (importer -> imported (lines)):\n" + "\n".join(sorted(shown))


def _comment_lines(source: str) -> tuple[set[int], set[int]]:
    """The lines holding a comment, and those holding only a comment."""
    any_comment: set[int] = set()
    only_comment: set[int] = set()
    lines = source.splitlines()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            line = tok.start[0]
            any_comment.add(line)
            if lines[line - 1].lstrip().startswith("#"):
                only_comment.add(line)
    return any_comment, only_comment


def _function_level_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """The import statements inside a function (at any depth)."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)) and in_function:
                found.append(child)
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return found


def test_function_level_imports_say_what_they_defer() -> None:
    """An import inside a function is there to defer a heavy dependency (networkx, DuckDB, markdown-it, ...) off a
    path that does not need it; a comment on its line or the line before says which (one comment may cover a
    block of such imports, line after line)."""
    bare = []
    for path in sorted(SRC.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        any_comment, only_comment = _comment_lines(source)
        covered_until = -1  # the last line of a block of commented imports
        for node in sorted(_function_level_imports(ast.parse(source, str(path))), key=lambda n: n.lineno):
            end = node.end_lineno or node.lineno
            commented = any(line in any_comment for line in range(node.lineno, end + 1))
            if commented or node.lineno - 1 in only_comment or node.lineno - 1 == covered_until:
                covered_until = end
                continue
            text = source.splitlines()[node.lineno - 1].strip()
            bare.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text}")
    assert not bare, (
        f"{len(bare)} import(s) inside a function without a comment saying what they defer (move them to the top "
        "of the module, or say which heavy dependency they keep off which path):\n" + "\n".join(bare)
    )


# Where a ``.startswith("_...")`` is not about a relation, and why (module path under src/oerlog, function).
NAME_PREFIX_ALLOWED = {
    # the one definition of an anonymous variable (``_`` renamed apart as ``_1``, ``_2``): variables, not relations
    ("lang/ir.py", "is_anonymous"),
}


def _prefix_literal(arg: ast.expr) -> str | None:
    """The string literal (or the literal start of an f-string) an argument of ``startswith`` begins with."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr) and arg.values:
        first = arg.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    if isinstance(arg, ast.Tuple):
        for elt in arg.elts:
            found = _prefix_literal(elt)
            if found is not None and found.startswith("_"):
                return found
    return None


def _startswith_calls(node: ast.AST, function: str = "") -> Iterator[tuple[str, ast.Call]]:
    """Every ``x.startswith(...)`` call under ``node``, with the name of the function it is in."""
    for child in ast.iter_child_nodes(node):
        name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) and child.func.attr == "startswith":
            yield function, child
        yield from _startswith_calls(child, name)


def test_no_role_from_name() -> None:
    """No code decides a relation's role (auxiliary, existential, aggregate, defeated, gap, rule instance, delta)
    from its name: ``pred.startswith("_ex_")`` and the like. Whoever creates such a relation records its role
    (``Plan.roles``, ``ir.Program.roles``), and the code asks ``plan.role(pred)`` / ``plan.is_internal(pred)``.
    Flags every ``.startswith(...)`` whose argument is a string beginning with ``_``, except the allowed uses
    (:data:`NAME_PREFIX_ALLOWED`, each with its reason)."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        for function, call in _startswith_calls(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            prefix = _prefix_literal(call.args[0]) if call.args else None
            # a prefix ``__`` is about Python's own names (``__dir__``, dunders), never a relation's
            relation_prefix = prefix is not None and prefix.startswith("_") and not prefix.startswith("__")
            if relation_prefix and (rel, function) not in NAME_PREFIX_ALLOWED:
                found.append(f"src/oerlog/{rel}:{call.lineno} (in {function or 'the module'}): {ast.unparse(call)}")
    assert not found, (
        f"{len(found)} role(s) decided by a relation's name (ask the plan instead: plan.role(pred), "
        "plan.is_internal(pred), or ir.is_anonymous(name) for variables):\n" + "\n".join(found)
    )
