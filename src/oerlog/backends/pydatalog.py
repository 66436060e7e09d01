"""The binding to pyDatalog: evaluate a compiled :class:`~oerlog.semantics.plan.Plan` over a set of facts.

This is the only module that imports pyDatalog. The plan is handed over term by term through pyDatalog's
Python API (``Literal.make``, ``Term``, clause construction with ``<=``); no text is ever loaded or executed.

Built-ins (comparisons, arithmetic, date functions) and aggregates are pyDatalog *Python resolvers* whose code
is fixed in this package; they receive bound values and compute with exact decimals and dates.

pyDatalog keeps per-thread global state and can run long on large programs while holding the GIL, so by
default each evaluation runs in a forked child process with a fresh engine: a time limit kills the child and
reports which relation was being computed, and nothing leaks between knowledge bases.

The child never outlives its parent: the parent kills it when evaluation ends in any way (a result, an error, a
time limit, an :class:`~oerlog.errors.Interrupted` raised by a signal handler), and the child itself exits when the
parent dies without cleaning up (SIGKILL): the kernel sends it SIGKILL (``PR_SET_PDEATHSIG`` on Linux), and a
watchdog thread that sees its parent change exits it everywhere else. It holds no copy of the result pipe's
reading end, so a result sent to a dead parent fails instead of blocking.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from oerlog.errors import STOP_SIGNALS, EvaluationError, EvaluationTimeout, Interrupted, Location, UsageError
from oerlog.lang import ir
from oerlog.semantics.evaluate import aggregate_value, run_builtin
from oerlog.semantics.model import Model, Row, row_key
from oerlog.semantics.plan import CompiledRule, Plan, Step, StepKind
from oerlog.values import BuiltinTypeError, Value, format_literal, to_number

DEFAULT_TIMEOUT = 30.0
TIMEOUT_VARIABLE = "OERLOG_TIMEOUT"
PARENT_CHECK_SECONDS = 0.2  # how often the child's watchdog looks whether its parent is still alive


def default_timeout() -> float:
    """The time limit of one evaluation in seconds: ``$OERLOG_TIMEOUT`` (a positive number), or 30."""
    raw = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    n = to_number(raw)
    seconds = float(n) if n is not None else math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise UsageError(
            f"{TIMEOUT_VARIABLE} must be a positive number of seconds, not {raw!r}",
            Location(TIMEOUT_VARIABLE),
            value=raw,
            hint=f"the time limit of one evaluation; unset {TIMEOUT_VARIABLE} for the default of {DEFAULT_TIMEOUT:g} s",
            example=f"{TIMEOUT_VARIABLE}=30",
        )
    return seconds


# --- evaluation ---------------------------------------------------------------------------------------


def evaluate(
    plan: Plan,
    facts: Mapping[str, set[Row]],
    *,
    timeout: float | None = None,
    isolate: bool = True,
) -> Model:
    """Evaluate ``plan`` over input ``facts`` (relation name -> tuples) and return the full model.

    ``isolate`` runs pyDatalog in a forked child so that a time limit can stop it; ``timeout`` defaults to
    ``$OERLOG_TIMEOUT`` or 30 seconds.
    """
    limit = default_timeout() if timeout is None else timeout
    start = time.perf_counter()
    import pyDatalog.pyParser  # noqa: F401 - imported once here, so forked children inherit it

    if not isolate or "fork" not in mp.get_all_start_methods():
        rel, inst = _evaluate_here(plan, facts, None)
    else:
        rel, inst = _evaluate_forked(plan, facts, limit)
    model = Model(plan, rel, inst, time.perf_counter() - start)
    model.fold_options()  # relations under listed template options: folded from their copies
    return model


def _evaluate_forked(plan: Plan, facts: Mapping[str, set[Row]], limit: float) -> tuple[Any, Any]:
    ctx = mp.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(plan, facts, writer, reader, os.getpid()), daemon=True)
    current = "loading the rules"
    try:
        with _stop_signals_blocked():  # the child starts with them blocked, and unblocks once it has its own
            proc.start()
        writer.close()
        deadline = time.monotonic() + limit
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise EvaluationTimeout(
                    f"evaluation did not finish within {limit:g} s while computing {current}",
                    value=current,
                    hint="the facts may be too many for the time limit (a recursive relation may grow very "
                    f"large); raise the limit with {TIMEOUT_VARIABLE}",
                    example=f"{TIMEOUT_VARIABLE}={max(60, 2 * math.ceil(limit))}",
                )
            if not reader.poll(min(left, 60.0)):  # in steps: a very long limit does not overflow poll()
                continue
            try:
                kind, payload = reader.recv()
            except EOFError:
                raise _ended(proc, current) from None
            if kind == "progress":
                current = payload
            elif kind == "done":
                return payload  # type: ignore[no-any-return]
            else:
                raise payload
    finally:
        _end(proc)
        reader.close()
        writer.close()


@contextlib.contextmanager
def _stop_signals_blocked() -> Iterator[None]:
    """Hold back SIGINT/SIGTERM/SIGHUP in this thread (and so in a child forked meanwhile) until the block ends;
    a signal that came in the meantime is then delivered."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _end(proc: BaseProcess) -> None:
    """Kill the engine's child process (when it was started and still runs) and reap it."""
    if proc.pid is None:
        return
    if proc.is_alive():
        proc.kill()
    proc.join(5)


def _ended(proc: BaseProcess, current: str) -> BaseException:
    """The error for a child that closed its pipe without a result: stopped by a signal (the terminal's Ctrl-C
    reaches the whole process group; ``timeout`` signals the group), or it failed."""
    proc.join(5)
    code = proc.exitcode
    if code is not None and -code in STOP_SIGNALS:
        return Interrupted(-code)
    how = f" (killed by signal {-code})" if code is not None and code < 0 else ""
    return EvaluationError(f"the engine process ended unexpectedly{how} while computing {current}", value=current)


def _child(
    plan: Plan, facts: Mapping[str, set[Row]], conn: Connection, parent_end: Connection, parent_pid: int
) -> None:
    parent_end.close()
    _follow_parent(parent_pid)
    try:
        result = _evaluate_here(plan, facts, lambda what: conn.send(("progress", what)))
        reply: tuple[str, Any] = ("done", result)
    except EvaluationError as exc:
        reply = ("error", exc)
    except ConnectionError:  # the pipe to the parent broke: the parent is gone
        os._exit(1)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, never swallowed
        err = EvaluationError(f"engine failure: {exc}")
        err.detail = traceback.format_exc()  # type: ignore[attr-defined]
        reply = ("error", err)
    try:
        conn.send(reply)
        conn.close()
    except ConnectionError:
        os._exit(1)


def _follow_parent(parent_pid: int) -> None:
    """In the child: end with the parent. Default actions for the stop signals (the parent's handlers raise
    :class:`Interrupted`, which has no meaning here), death with the parent, and a watchdog."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="oerlog-parent-watchdog", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    """Exit this (child) process as soon as its parent is no longer ``parent_pid``: the parent died."""
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


# what a built-in or an aggregate raises on values it cannot compute with: a wrong type (BuiltinTypeError), or a
# value out of range (a date before year 1 or after 9999: OverflowError, ValueError; a decimal: ArithmeticError)
COMPUTE_ERRORS = (BuiltinTypeError, ArithmeticError, ValueError)


def builtin_error(
    rule: CompiledRule, literal: ir.Literal, values: Mapping[str, Value], exc: Exception
) -> EvaluationError:
    """A located error for a built-in or aggregate that cannot compute with the values of one rule instance:
    the literal's position, the rule's id and position, the values, and what went wrong."""
    src = rule.source
    where = f"rule {rule.id}" + (f" ({src.loc.file}:{src.loc.line})" if src.loc else "")
    bound = ", ".join(f"{k} = {format_literal(v)}" for k, v in values.items())
    if isinstance(exc, BuiltinTypeError):
        what = str(exc)
        hint = "check the types of the facts the rule compares"
    else:
        what = f"a value is out of range ({exc})"
        hint = (
            "dates run from 0001-01-01 to 9999-12-31: check the dates and day counts in the case and the "
            "--param values this rule computes with"
        )
    return EvaluationError(
        f"{what} in '{literal}' of {where}" + (f", with {bound}" if bound else ""),
        getattr(literal, "loc", None) or src.loc,
        value=bound or str(literal),
        hint=hint,
    )


class _Resolvers:
    """Python resolvers for one plan's built-in and aggregate steps."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.tables: dict[str, set[Row]] = {}
        self.registered: dict[str, Any] = {}

    def builtin(self, name: str, rule: CompiledRule, step: Step) -> None:
        needs = step.needs
        binds = step.binds

        def resolve(*terms: Any) -> Iterator[tuple[Any, ...]]:
            values: dict[str, Value] = {}
            for v, t in zip(needs, terms, strict=False):
                if not t.is_const():
                    return
                values[v] = t.id
            try:
                result = run_builtin(step, values)
            except COMPUTE_ERRORS as exc:
                raise builtin_error(rule, step.literal, values, exc) from None
            ins = tuple(values[v] for v in needs)
            if step.kind is StepKind.ASSIGN:
                out = terms[len(needs)]
                if out.is_const() and not (out.id == result):
                    return
                yield ins + (result,)
            elif result:
                yield ins

        self.registered[f"{name}/{len(needs) + len(binds)}"] = resolve

    def aggregate(self, name: str, rule: CompiledRule, step: Step) -> None:
        lit = step.literal
        assert isinstance(lit, ir.Aggregate) and step.atom is not None
        aux = step.atom.pred
        group = step.agg_group

        def resolve(*terms: Any) -> Iterator[tuple[Any, ...]]:
            rows = self.tables.get(aux, set())
            key_terms = terms[: len(group)]
            groups: dict[Row, list[Row]] = {}
            if all(t.is_const() for t in key_terms):
                groups[tuple(t.id for t in key_terms)] = []
            for row in rows:
                k = row[: len(group)]
                if all(not t.is_const() or t.id == kv for t, kv in zip(key_terms, k, strict=True)):
                    groups.setdefault(k, []).append(row)
            for k, members in groups.items():
                try:
                    res = aggregate_value(step, members)
                except COMPUTE_ERRORS as exc:
                    raise builtin_error(rule, lit, dict(zip(group, k, strict=True)), exc) from None
                if res is None:
                    continue
                out = terms[len(group)]
                if out.is_const() and out.id != res:
                    continue
                yield k + (res,)

        self.registered[f"{name}/{len(group) + 1}"] = resolve


def _evaluate_here(plan: Plan, facts: Mapping[str, set[Row]], progress: Any) -> tuple[Any, Any]:
    """Evaluate in this process, one recursive component at a time, lowest first.

    pyDatalog answers each query top-down from scratch (its tables live for one query), so a query on a
    high-stratum relation would re-derive everything beneath it. Instead every relation is held as facts: a
    component's rules only define rule-instance relations, asked here (to a semi-naive fixpoint when the
    component is recursive), and the derived tuples are asserted as facts for the components above.
    """
    from pyDatalog import pyDatalog as api  # deferred: pyDatalog, loaded only when a plan is evaluated
    from pyDatalog import pyEngine, pyParser  # deferred: pyDatalog
    from pyDatalog.Logic import Logic  # deferred: pyDatalog

    Logic()  # a fresh engine for this thread
    term = pyParser.Term
    query = pyParser.Query
    const = pyParser.Expression._pyD_for

    def t(x: ir.Term) -> Any:
        if isinstance(x, ir.Var):
            return term("V_" + x.name)
        if isinstance(x, ir.Const):
            return const(x.value)
        raise EvaluationError(f"unsubstituted parameter {x}")

    resolvers = _Resolvers(plan)
    relations: dict[str, set[Row]] = {p: set(rows) for p, rows in facts.items()}
    for f in plan.facts:
        relations.setdefault(f.pred, set()).add(tuple(a.value for a in f.args if isinstance(a, ir.Const)))

    # every relation the plan reads must exist in pyDatalog, even without facts
    mentioned: set[tuple[str, int]] = set()
    for cr in plan.rules:
        mentioned.add((cr.head.pred, cr.head.arity))
        for st in cr.steps:
            if st.atom is not None and st.kind is not StepKind.AGG:
                mentioned.add((st.atom.pred, st.atom.arity))
    for pred, rows in relations.items():
        for row in rows:
            api.assert_fact(pred, *row)
    for pred, n in mentioned:
        dummy = ["__oerlog_none__"] * n
        api.assert_fact(pred, *dummy)
        api.retract_fact(pred, *dummy)

    by_head: dict[str, list[CompiledRule]] = {}
    for cr in plan.rules:
        by_head.setdefault(cr.head.pred, []).append(cr)
    instances: dict[int, list[Row]] = {}
    saved = dict(pyEngine.Python_resolvers)
    try:
        for group in plan.groups:
            rules = [cr for p in group for cr in by_head.get(p, [])]
            members = set(group)

            def body(cr: CompiledRule, delta_at: int | None = None) -> list[Any]:
                """The rule's body literals; ``delta_at`` reads that step's atom from its delta relation,
                first (see :func:`_delta_order`)."""
                lits: list[Any] = []
                order = range(len(cr.steps)) if delta_at is None else _delta_order(cr.steps, delta_at)
                for i in order:
                    st = cr.steps[i]
                    if st.kind in (StepKind.ATOM, StepKind.NOT, StepKind.DEFEAT):
                        assert st.atom is not None
                        pred = _delta(st.atom.pred) if i == delta_at else st.atom.pred
                        lit = query(pred, [t(a) for a in st.atom.args])
                        lits.append(lit if st.kind is StepKind.ATOM else ~lit)
                    elif st.kind in (StepKind.TEST, StepKind.ASSIGN):
                        name = f"_b{cr.index}_{i}"
                        resolvers.builtin(name, cr, st)
                        lits.append(query(name, [term("V_" + v) for v in st.needs + st.binds]))
                    else:
                        name = f"_a{cr.index}_{i}"
                        resolvers.aggregate(name, cr, st)
                        lits.append(query(name, [term("V_" + v) for v in st.agg_group + st.binds]))
                return lits

            def define(name: str, cr: CompiledRule, lits: list[Any]) -> None:
                if not lits:
                    api.assert_fact(name)
                else:  # instance <= body
                    query(name, [term("V_" + c) for c in cr.columns]).__le__(
                        lits[0] if len(lits) == 1 else pyParser.Body(*lits)
                    )

            # The component's relations stay plain facts in pyDatalog: its rules only define rule-instance
            # relations, evaluated here to a fixpoint (semi-naive: after the first round, each rule is re-run
            # once per recursive atom, that atom reading only the tuples new in the previous round).
            # pyDatalog's own recursion (SLG) does not terminate on cycles through three or more subgoals,
            # e.g. p -> _ri -> q -> _ri -> p, so it is never asked to recurse.
            variants: list[tuple[CompiledRule, str]] = []
            for cr in rules:
                define(cr.instance_pred, cr, body(cr))
                for i, st in enumerate(cr.steps):
                    if st.kind is StepKind.ATOM and st.atom is not None and st.atom.pred in members:
                        name = f"{cr.instance_pred}_d{i}"
                        define(name, cr, body(cr, i))
                        variants.append((cr, name))
            for pred in members:
                arity = by_head[pred][0].head.arity
                dummy = ["__oerlog_none__"] * arity
                api.assert_fact(_delta(pred), *dummy)
                api.retract_fact(_delta(pred), *dummy)
            pyEngine.Python_resolvers.clear()
            pyEngine.Python_resolvers.update(saved)
            pyEngine.Python_resolvers.update(resolvers.registered)
            found: dict[int, set[Row]] = {cr.index: set() for cr in rules}
            asks = [(cr, cr.instance_pred) for cr in rules]
            delta: dict[str, set[Row]] = {}
            while asks:
                new: dict[str, set[Row]] = {}
                for cr, name in asks:
                    if progress:
                        progress(f"{cr.head.pred} (rule {cr.id})")
                    rows = _ask(query, term, name, len(cr.columns))
                    found[cr.index] |= rows
                    known = relations.setdefault(cr.head.pred, set())
                    for row in rows:
                        b = dict(zip(cr.columns, row, strict=True))
                        tup = tuple(b[a.name] if isinstance(a, ir.Var) else a.value for a in cr.head.args)  # type: ignore[union-attr]
                        if tup not in known:
                            new.setdefault(cr.head.pred, set()).add(tup)
                for pred, rows in delta.items():
                    for row in rows:
                        api.retract_fact(_delta(pred), *row)
                delta = new
                for pred, rows in new.items():
                    relations[pred] |= rows
                    for row in rows:
                        api.assert_fact(pred, *row)
                        api.assert_fact(_delta(pred), *row)
                asks = variants if new else []
            for cr in rules:
                instances[cr.index] = sorted(found[cr.index], key=row_key)
            for pred in group:
                if pred in plan.aggregates:
                    resolvers.tables[pred] = relations[pred]
    finally:
        pyEngine.Python_resolvers.clear()
        pyEngine.Python_resolvers.update(saved)
    return relations, instances


def _delta_order(steps: tuple[Step, ...], first: int) -> list[int]:
    """Step indices with the positive atom ``first`` in front, then greedily: every other step as soon as its
    inputs are bound, else the next atom (in written order) that shares a bound variable, else the next atom.
    Keeps the delta join connected (no cross product of the new tuples with an unrelated relation)."""
    order = [first]
    bound = set(steps[first].binds)
    pending = [i for i in range(len(steps)) if i != first]
    while pending:
        ready = next((i for i in pending if steps[i].kind is not StepKind.ATOM and set(steps[i].needs) <= bound), None)
        if ready is None:
            atoms = [i for i in pending if steps[i].kind is StepKind.ATOM]
            ready = next((i for i in atoms if set(steps[i].binds) & bound), atoms[0] if atoms else pending[0])
        order.append(ready)
        bound.update(steps[ready].binds)
        pending.remove(ready)
    return order


def _delta(pred: str) -> str:
    """Name of the relation holding the tuples of ``pred`` new in the last round of a recursive component (role
    :attr:`~oerlog.lang.ir.RelationRole.DELTA`: it lives in this back end's engine only, never in a model)."""
    return f"_delta_{pred}"


def _ask(query: Any, term: Any, pred: str, n: int) -> set[Row]:
    q = query(pred, [term(f"Q{i}") for i in range(n)])
    ans = q.lua.ask()
    if not ans:
        return set()
    if n == 0:
        return {()}
    return {tuple(r) for r in ans}
