"""Long jobs (a consistency check, a what-if over a cohort) run in the background, each in a process of its own:
the page shows their progress and can cancel them, and the server stays responsive meanwhile.

A job's process is started with ``spawn`` (a fresh interpreter: nothing of the server's threads is copied), opens
the KB itself, runs the public API and reports ``(phase, done, total)`` through a queue; its result is JSON-ready
data. Cancelling terminates the process (its engine worker follows it: the worker dies with its parent).
"""

from __future__ import annotations

import itertools
import json
import multiprocessing as mp
import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any

from oerlog import api
from oerlog.errors import OerlogError

KEEP_JOBS = 20  # finished jobs kept (their results) before the oldest is forgotten


@dataclass
class Job:
    """One background job: its kind, the arguments it was started with, its progress and outcome."""

    id: str
    kind: str  # check | whatif
    args: dict[str, Any]
    state: str = "running"  # running | done | failed | cancelled
    phase: str = ""
    done: int = 0
    total: int = 0
    result: Any = None
    error: str | None = None
    error_nl: str | None = None  # the error in Dutch, where it has a Dutch text (the page shows it in its language)
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    process: BaseProcess | None = field(default=None, repr=False)

    @property
    def seconds(self) -> float:
        """Seconds the job ran (so far)."""
        return (self.ended or time.monotonic()) - self.started

    @property
    def percent(self) -> int:
        """Progress of the current phase, 0..100."""
        return int(100 * self.done / self.total) if self.total else 0


class Jobs:
    """The background jobs of one server."""

    def __init__(self, kb_path: str) -> None:
        self.kb_path = kb_path
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._ctx = mp.get_context("spawn")

    def start(self, kind: str, args: dict[str, Any]) -> Job:
        """Start a job of ``kind`` (:data:`RUNNERS`) with ``args``."""
        if kind not in RUNNERS:
            raise ValueError(kind)
        job = Job(f"{kind}-{next(self._ids)}", kind, args)
        queue: Queue[tuple[Any, ...]] = self._ctx.Queue()
        proc = self._ctx.Process(
            target=_child, args=(kind, self.kb_path, args, queue, os.getpid()), name=f"oerlog-{job.id}"
        )  # not a daemon: the job starts engine workers of its own; it ends with the server (_watch_server)
        job.process = proc
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        proc.start()
        threading.Thread(target=self._follow, args=(job, queue), name=f"oerlog-{job.id}-follow", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        """A job by id."""
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        """Stop a running job; its process is terminated."""
        job = self.get(job_id)
        if job is None or job.state != "running":
            return job
        job.state = "cancelled"
        job.ended = time.monotonic()
        _stop(job.process)
        return job

    def close(self) -> None:
        """Stop every running job (the server is stopping)."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            if job.state == "running":
                self.cancel(job.id)

    def _follow(self, job: Job, queue: Queue[tuple[Any, ...]]) -> None:
        """Read the job's messages until it ends (or is cancelled, or its process dies)."""
        proc = job.process
        while job.state == "running":
            try:
                msg = queue.get(timeout=0.2)
            except Exception:  # noqa: BLE001 - queue.Empty, or a queue closed under a dead process
                if proc is not None and not proc.is_alive() and job.state == "running":
                    try:  # a last message may still be in the pipe
                        msg = queue.get(timeout=0.5)
                    except Exception:  # noqa: BLE001
                        job.state, job.error = "failed", f"the job's process ended (exit code {proc.exitcode})"
                        job.ended = time.monotonic()
                        break
                else:
                    continue
            tag = msg[0]
            if tag == "progress":
                job.phase, job.done, job.total = str(msg[1]), int(msg[2]), int(msg[3])
            elif tag == "done" and job.state == "running":
                job.result, job.state, job.ended = msg[1], "done", time.monotonic()
            elif tag == "error" and job.state == "running":
                job.error, job.state, job.ended = str(msg[1]), "failed", time.monotonic()
                job.error_nl = str(msg[2]) if len(msg) > 2 else None
        if proc is not None:
            proc.join(timeout=2)
            if proc.is_alive():
                _stop(proc)

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state != "running"]
        for j in finished[: max(0, len(finished) - KEEP_JOBS)]:
            del self._jobs[j.id]


def _stop(proc: BaseProcess | None) -> None:
    if proc is None or not proc.is_alive():
        return
    proc.terminate()
    proc.join(timeout=2)
    if proc.is_alive():
        proc.kill()
        proc.join(timeout=2)


# --- in the job's process ---------------------------------------------------------------------------------------


def _child(kind: str, kb_path: str, args: dict[str, Any], queue: Queue[tuple[Any, ...]], server_pid: int) -> None:
    """The job's process: run it, report progress and the outcome (an oerlog error as its message)."""
    threading.Thread(target=_watch_server, args=(server_pid,), name="oerlog-job-watchdog", daemon=True).start()

    def progress(phase: str, done: int, total: int) -> None:
        queue.put(("progress", phase, done, total))

    try:
        kb = api.load_kb(kb_path)
        result = RUNNERS[kind](kb, args, progress)
        queue.put(("done", result))
    except OerlogError as exc:
        queue.put(("error", exc.render("en"), exc.render("nl")))
    except Exception as exc:  # noqa: BLE001 - reported on the page, never a traceback
        queue.put(("error", f"internal error: {type(exc).__name__}: {exc}"))
        traceback.print_exc()


def _watch_server(server_pid: int) -> None:
    """End the job when the server is gone (killed without stopping its jobs)."""
    while os.getppid() == server_pid:
        time.sleep(0.5)
    os._exit(1)


def run_check(kb: Any, args: dict[str, Any], progress: Callable[[str, int, int], None]) -> dict[str, Any]:
    """A consistency check (:meth:`oerlog.api.KB.check`), as JSON-ready data (schema ``oerlog.check/2``)."""
    report = kb.check(
        args.get("docs") or None,
        seed=int(args.get("seed", 0)),
        budget=args.get("budget"),
        lang=args.get("lang", "nl"),
        progress=progress,
    )
    data: dict[str, Any] = report.to_dict()
    return data


def run_whatif(kb: Any, args: dict[str, Any], progress: Callable[[str, int, int], None]) -> dict[str, Any]:
    """A what-if over a cohort folder (generated first when asked), as JSON-ready data (``oerlog.whatif/1``)."""
    from oerlog.cohort.whatif import whatif_json  # deferred: the SQL back end (~25 ms), for what-if jobs only

    data = args["data"]
    if args.get("generate"):
        progress("generate", 0, int(args["generate"]))
        kb.generate(
            data,
            int(args["generate"]),
            seed=int(args.get("seed", 0)),
            docs=[args["doc"]],
            force=True,
            progress=lambda done, total, _label: progress("generate", done, total),
        )
    res = kb.whatif(
        data,
        args["params"],
        args.get("goals") or None,
        doc=args["doc"],
        examples=int(args.get("examples", 3)),
        lang=args.get("lang", "nl"),
        progress=lambda done, total, label: progress(label or "whatif", done, total),
    )
    out: dict[str, Any] = json.loads(whatif_json(res))
    out["data"] = str(data)
    return out


RUNNERS: dict[str, Callable[[Any, dict[str, Any], Callable[[str, int, int], None]], dict[str, Any]]] = {
    "check": run_check,
    "whatif": run_whatif,
}
