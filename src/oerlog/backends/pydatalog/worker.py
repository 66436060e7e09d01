"""The engine's worker process: evaluations run outside the caller's process, so that a time limit can stop them,
and the worker keeps each plan's program loaded for the next case.

A worker is a forked child that holds up to :data:`MAX_PROGRAMS` loaded programs (see :class:`Program`), keyed by
plan. The parent sends a case (the plan too, the first time), the worker solves it, replies with the relations and
rule instances, and clears the case's facts while the parent reads the answer. While it solves, the worker
writes the index of the rule it is asking into a shared integer, which the parent reads only when it has to say
what was being computed (a time limit, a worker that died): a message per rule would cost more than the reuse
saves on a large plan. Each thread of a process keeps its
own worker (:func:`run`): the kernel's parent-death signal follows the thread that forked, so a worker never
serves a thread other than the one it dies with. ``reuse=False`` uses a one-off worker that ends with its case.

The worker never outlives its parent, and never leaves a half-done case behind: the parent kills it when an
evaluation does not end with an answer (a time limit, an :class:`~oerlog.errors.Interrupted` raised by a signal
handler, any other exception), and the next evaluation starts a fresh one. The worker itself exits when the parent
dies without cleaning up (SIGKILL): the kernel sends it SIGKILL (``PR_SET_PDEATHSIG`` on Linux), a watchdog thread
that sees its parent change exits it everywhere else, and it exits when its pipe to the parent closes. It holds no
copy of the parent's pipe end (nor of any other worker's), so a reply to a dead parent fails instead of blocking.

No pyDatalog import here: the program is made by the ``load`` function the back end passes in.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import itertools
import math
import multiprocessing as mp
import os
import pickle
import signal
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Generic, Protocol, TypeVar

from oerlog.errors import STOP_SIGNALS, EvaluationError, EvaluationTimeout, Interrupted, Location, UsageError
from oerlog.semantics.model import Row
from oerlog.semantics.plan import Plan
from oerlog.values import to_number

DEFAULT_TIMEOUT = 30.0
TIMEOUT_VARIABLE = "OERLOG_TIMEOUT"
PARENT_CHECK_SECONDS = 0.2  # how often the worker's watchdog looks whether its parent is still alive
MAX_PROGRAMS = 8  # programs a worker (or a thread, in process) keeps loaded; the least recently used is dropped
LOADING = "loading the rules"  # what the engine is doing before its first relation
STARTING = -1  # the rule index shown while no rule is being asked

Result = tuple[dict[str, set[Row]], dict[int, list[Row]]]  # relations, rule instances by rule index
Progress = Callable[[int], None]  # told the index of the rule whose instances are asked next


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


class Program(Protocol):
    """A plan's program loaded into an engine, solved case after case."""

    def solve(self, facts: Mapping[str, set[Row]], progress: Progress | None) -> Result:
        """Evaluate one case: its input facts in, the relations and rule instances out."""

    def clear(self) -> None:
        """Retract the last case's facts (the next :meth:`solve` does it too, if not done)."""


Load = Callable[[Plan], Program]


# --- plans as keys ----------------------------------------------------------------------------------------

_last_pickled: tuple[weakref.ref[Plan], bytes, str] | None = None


def pickled(plan: Plan) -> tuple[bytes, str]:
    """The plan pickled, and the SHA-256 digest of those bytes (the last plan's are kept, by identity)."""
    global _last_pickled
    last = _last_pickled  # read once: another thread may replace it
    if last is not None and last[0]() is plan:
        return last[1], last[2]
    data = pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(data).hexdigest()
    _last_pickled = (weakref.ref(plan), data, digest)
    return data, digest


T = TypeVar("T")


def _shape(plan: Plan) -> tuple[int, int, int, frozenset[str]]:
    """What two equal plans share and is cheap to compare: most plans that differ, differ here already."""
    return len(plan.rules), len(plan.facts), len(plan.groups), frozenset(plan.params)


@dataclass
class _Entry(Generic[T]):
    plan: Plan
    value: T
    shape: tuple[int, int, int, frozenset[str]]
    digest: str | None = None

    def key(self) -> str:
        if self.digest is None:
            self.digest = pickled(self.plan)[1]
        return self.digest


class PlanCache(Generic[T]):
    """Values kept per plan, at most ``size`` (the least recently used is dropped first).

    A plan is found by identity, else by the digest of its pickled form: an equal plan built again (the same
    parameter overrides) finds the value, and plans that differ in any value, even only in how it is written
    (``4.0`` and ``4.00``, ``1`` and ``True``, which compare equal), never do."""

    def __init__(self, size: int = MAX_PROGRAMS) -> None:
        self.size = size
        self._entries: list[_Entry[T]] = []

    def get(self, plan: Plan) -> T | None:
        """The value kept for this plan, now the most recently used; None when there is none."""
        entry = next((e for e in self._entries if e.plan is plan), None)
        shape = _shape(plan)
        alike = [e for e in self._entries if e.shape == shape] if entry is None else []
        if alike:
            digest = pickled(plan)[1]
            entry = next((e for e in alike if e.key() == digest), None)
            if entry is not None:
                entry.plan = plan  # the object asked for now is the one likely asked for next
        if entry is None:
            return None
        self._entries.remove(entry)
        self._entries.append(entry)
        return entry.value

    def put(self, plan: Plan, value: T) -> list[T]:
        """Keep ``value`` for ``plan``; returns the values dropped to stay within the size."""
        self._entries.append(_Entry(plan, value, _shape(plan)))
        dropped = self._entries[: -self.size]
        del self._entries[: -self.size]
        return [e.value for e in dropped]

    def drop(self, value: T) -> None:
        """Forget ``value`` (its program failed or was dropped)."""
        self._entries = [e for e in self._entries if e.value is not value]

    def clear(self) -> None:
        """Forget every value."""
        self._entries = []


# --- the parent's side ------------------------------------------------------------------------------------


class _Failed(Exception):  # noqa: N818 - a reply, not an error of this module
    """The worker answered a case with an error (and is ready for the next case)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


_open: weakref.WeakSet[Worker] = weakref.WeakSet()  # this process's workers, whose pipe ends a fork inherits


class Worker:
    """A worker process seen from its parent: started on the first case, restarted after it was ended."""

    def __init__(self, load: Load) -> None:
        self.load = load
        self.owner = os.getpid()
        self.proc: BaseProcess | None = None
        self.conn: Connection | None = None
        self.current: Any = None  # the shared integer: the index of the rule the worker is asking
        self.programs: PlanCache[int] = PlanCache()  # what the worker has loaded, by token
        self._tokens = itertools.count(1)
        self._finalizer: weakref.finalize[Any, Any] | None = None  # ends the worker when this object goes
        _open.add(self)

    def evaluate(self, plan: Plan, facts: Mapping[str, set[Row]], limit: float) -> Result:
        """Solve one case with the plan's program, within ``limit`` seconds."""
        token = 0
        try:
            token = self._send(plan, facts)
            answer = self._receive(plan, limit)
        except _Failed as failed:  # the program is dropped on both sides; the worker carries on
            self.programs.drop(token)
            raise failed.error from None
        except BaseException:  # a time limit, a signal, anything that leaves the worker in the middle of a case
            self.close()
            raise
        return answer

    def _send(self, plan: Plan, facts: Mapping[str, set[Row]]) -> int:
        """Send the case (and the plan, when the worker does not have it); a worker that died while idle is
        replaced once."""
        for attempt in (1, 2):
            if not self._running():
                self._start(plan)
            token, payload, dropped = self._request(plan)
            assert self.conn is not None
            try:
                self.current.value = STARTING
                self.conn.send(("solve", token, payload, dict(facts), dropped))
                return token
            except (BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if attempt == 2:
                    raise EvaluationError(f"the engine process could not be reached ({exc})") from None
        raise AssertionError("unreachable")

    def _request(self, plan: Plan) -> tuple[int, bytes | None, list[int]]:
        """The token of the plan's program in the worker, the pickled plan when the worker must load it, and the
        tokens of the programs it drops to make room."""
        token = self.programs.get(plan)
        if token is not None:
            return token, None, []
        token = next(self._tokens)
        dropped = self.programs.put(plan, token)
        return token, pickled(plan)[0], dropped

    def _running(self) -> bool:
        return self.proc is not None and self.owner == os.getpid() and self.proc.is_alive()

    def _start(self, plan: Plan) -> None:
        """Fork a fresh worker; it gets ``plan`` with the fork (no pickling), as the program to load first."""
        self.close()
        self.owner = os.getpid()
        token = next(self._tokens)
        self.programs.put(plan, token)
        ctx = mp.get_context("fork")
        mine, theirs = ctx.Pipe(duplex=True)
        self.conn = mine
        self.current = ctx.RawValue("i", STARTING)
        proc = ctx.Process(
            target=_serve,
            args=(self.load, theirs, self.current, os.getpid(), (token, plan)),
            daemon=True,
            name="oerlog-engine",
        )
        self.proc = proc
        self._finalizer = weakref.finalize(self, _end, self.owner, proc, mine)
        try:
            with _stop_signals_blocked():  # the worker starts with them blocked, and unblocks once it has its own
                proc.start()
        finally:
            theirs.close()

    def _receive(self, plan: Plan, limit: float) -> Result:
        """Wait for the answer; a time limit (or a worker that died) names the relation being computed."""
        assert self.conn is not None and self.proc is not None and self.current is not None
        deadline = time.monotonic() + limit
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _timeout(limit, _computing(plan, self.current.value))
            if not self.conn.poll(min(left, 60.0)):  # in steps: a very long limit does not overflow poll()
                continue
            try:
                kind, payload = self.conn.recv()
            except EOFError:
                raise _ended(self.proc, _computing(plan, self.current.value)) from None
            if kind == "done":
                return payload  # type: ignore[no-any-return]
            raise _Failed(payload)

    def close(self) -> None:
        """End the worker (when it runs) and forget what it had loaded."""
        if self._finalizer is not None:
            self._finalizer()  # once: ends the worker it was made for
        self._finalizer = None
        self.proc, self.conn = None, None
        self.programs.clear()

    def abandon(self) -> None:
        """In a forked child: let go of the parent's worker without ending it (it is not this process's)."""
        if self._finalizer is not None:
            self._finalizer.detach()
        self._finalizer = None
        if self.conn is not None:
            self.conn.close()
        self.proc, self.conn = None, None
        self.programs.clear()


def _end(owner: int, proc: BaseProcess, conn: Connection) -> None:
    """Kill a worker (when it still runs), reap it, and close the parent's end of its pipe; in a process forked
    from its parent since, only that end (the worker is not this process's child)."""
    conn.close()
    if owner == os.getpid() and proc.pid is not None:
        if proc.is_alive():
            proc.kill()
        proc.join(5)


def _computing(plan: Plan, index: int) -> str:
    """What the worker computes while it asks the instances of rule ``index`` (before any: loads)."""
    if 0 <= index < len(plan.rules) and plan.rules[index].index == index:
        cr = plan.rules[index]
        return f"computing {cr.head.pred} (rule {cr.id})"
    return LOADING


def _timeout(limit: float, current: str) -> EvaluationTimeout:
    return EvaluationTimeout(
        f"evaluation did not finish within {limit:g} s while {current}",
        value=current,
        hint="the facts may be too many for the time limit (a recursive relation may grow very "
        f"large); raise the limit with {TIMEOUT_VARIABLE}",
        example=f"{TIMEOUT_VARIABLE}={max(60, 2 * math.ceil(limit))}",
    )


def _ended(proc: BaseProcess, current: str) -> BaseException:
    """The error for a worker that closed its pipe without an answer: stopped by a signal (the terminal's Ctrl-C
    reaches the whole process group; ``timeout`` signals the group), or it failed."""
    proc.join(5)
    code = proc.exitcode
    if code is not None and -code in STOP_SIGNALS:
        return Interrupted(-code)
    how = f" (killed by signal {-code})" if code is not None and code < 0 else ""
    return EvaluationError(f"the engine process ended unexpectedly{how} while {current}", value=current)


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


_local = threading.local()  # this thread's worker


def run(load: Load, plan: Plan, facts: Mapping[str, set[Row]], limit: float, *, reuse: bool = True) -> Result:
    """Solve one case in a worker process within ``limit`` seconds: this thread's worker, which keeps the plan's
    program for the next case, or (``reuse=False``) a one-off worker with a fresh engine."""
    if not reuse:
        once = Worker(load)
        try:
            return once.evaluate(plan, facts, limit)
        finally:
            once.close()
    worker: Worker | None = getattr(_local, "worker", None)
    if worker is None or worker.owner != os.getpid():  # none yet, or inherited through a fork
        if worker is not None:
            worker.abandon()
        worker = _local.worker = Worker(load)
    return worker.evaluate(plan, facts, limit)


def shared_worker() -> Worker | None:
    """This thread's worker (None before the first evaluation), for tests and benchmarks."""
    worker: Worker | None = getattr(_local, "worker", None)
    return worker if worker is not None and worker.owner == os.getpid() else None


# --- the worker's side ------------------------------------------------------------------------------------


def _serve(load: Load, conn: Connection, current: Any, parent_pid: int, initial: tuple[int, Plan]) -> None:
    """The worker: answer cases until the parent closes the pipe or dies."""
    for other in list(_open):
        other.abandon()  # the parent's pipe ends, inherited through the fork
    _follow_parent(parent_pid)
    programs: dict[int, Program] = {}
    pending = dict([initial])
    while True:
        try:
            _kind, token, payload, facts, dropped = conn.recv()
        except (EOFError, ConnectionError):  # the parent closed its end, or is gone
            os._exit(0)
        for gone in dropped:
            programs.pop(gone, None)
            pending.pop(gone, None)
        reply = _solve(load, programs, pending, token, payload, facts, current)
        try:
            conn.send(reply)
        except ConnectionError:
            os._exit(1)
        if reply[0] == "done":
            _clear(programs, token)  # while the parent reads the answer


def _clear(programs: dict[int, Program], token: int) -> None:
    """Retract the case's facts from the program; a program that fails at it is dropped."""
    try:
        programs[token].clear()
    except Exception:  # noqa: BLE001 - the next case with this plan loads the program afresh
        programs.pop(token, None)


def _solve(
    load: Load,
    programs: dict[int, Program],
    pending: dict[int, Plan],
    token: int,
    payload: bytes | None,
    facts: Mapping[str, set[Row]],
    current: Any,
) -> tuple[str, Any]:
    """Solve one case in the worker: ``("done", result)`` or ``("error", exception)``; a program that failed is
    dropped, so the next case with its plan loads it afresh. ``current`` is told the rule being asked."""

    def progress(index: int) -> None:
        current.value = index

    try:
        program = programs.get(token)
        if program is None:
            plan = pickle.loads(payload) if payload is not None else pending.pop(token)  # noqa: S301 - from the parent
            program = programs[token] = load(plan)
        return "done", program.solve(facts, progress)
    except EvaluationError as exc:
        programs.pop(token, None)
        return "error", exc
    except Exception as exc:  # noqa: BLE001 - reported to the parent, never swallowed
        programs.pop(token, None)
        err = EvaluationError(f"engine failure: {exc}")
        err.detail = traceback.format_exc()  # type: ignore[attr-defined]
        return "error", err


def _follow_parent(parent_pid: int) -> None:
    """In the worker: end with the parent. Default actions for the stop signals (the parent's handlers raise
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
    """Exit this (worker) process as soon as its parent is no longer ``parent_pid``: the parent died."""
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)
