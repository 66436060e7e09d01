"""What one workbench server holds: the KB (opened once), the working folder, the cases being looked at, the
background jobs, and the one thread that evaluates single cases.

Every single-case evaluation (an answer page, a proof, a why-not, counterfactuals, a dossier) runs on one
evaluation thread: the engine keeps a worker process per thread with the document's rules loaded
(:mod:`oerlog.backends.pydatalog.worker`), so that thread's worker stays warm and pyDatalog's per-thread state is
never shared. Long jobs run in processes of their own (:mod:`oerlog.workbench.jobs`).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from oerlog.api import KB, load_kb
from oerlog.kb.cases import Case
from oerlog.workbench.jobs import Jobs
from oerlog.workbench.security import new_token

T = TypeVar("T")
MAX_CASES = 200  # cases kept in memory (the least recently opened is dropped)


@dataclass
class StoredCase:
    """A case the workbench looks at: the case, its text (when it has one), where it came from, the document and
    parameter overrides to judge it with."""

    case: Case
    title: str
    text: str | None = None
    doc: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    origin: str = ""


class Workbench:
    """The state of one server."""

    def __init__(self, kb_path: Path, workdir: Path) -> None:
        self.kb: KB = load_kb(kb_path)
        # every document loaded and checked now (a broken KB is refused with its located errors, as every command
        # refuses it): the pages read them from several threads, which must never load one at the same time
        self.kb.documents  # noqa: B018
        self.kb_path = self.kb.path.resolve()
        self.workdir = workdir.resolve()
        self.token = new_token()
        self.jobs = Jobs(str(self.kb_path))
        self._cases: OrderedDict[str, StoredCase] = OrderedDict()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._eval = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oerlog-eval")
        self._scenarios: dict[str, list[Any]] = {}

    @property
    def roots(self) -> list[Path]:
        """The folders the workbench reads: the working folder first (where names are relative to), then the KB."""
        return [self.workdir, self.kb_path]

    async def evaluate(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` (which judges a case) on the evaluation thread."""
        return await asyncio.get_running_loop().run_in_executor(self._eval, fn)

    def store(self, item: StoredCase) -> str:
        """Keep a case; its id for the pages."""
        cid = f"c{next(self._ids)}-{secrets.token_hex(3)}"
        with self._lock:
            self._cases[cid] = item
            while len(self._cases) > MAX_CASES:
                self._cases.popitem(last=False)
        return cid

    def case(self, cid: str) -> StoredCase | None:
        """A kept case by id."""
        with self._lock:
            item = self._cases.get(cid)
            if item is not None:
                self._cases.move_to_end(cid)
            return item

    def warm(self) -> None:
        """Load every document and judge one example case on the evaluation thread, in the background, so that
        the first pages answer as fast as the next ones (the engine's worker started, the rules loaded)."""

        def run() -> None:
            try:
                for d in self.kb.document_ids:
                    examples = self.kb.examples(d)
                    if examples:
                        self.kb.judge(examples[0], d).conclusions()
            except Exception:  # noqa: BLE001 - a broken document is reported by the page that opens it
                return
            # the scenarios (for the reader's links) need no engine: read beside it, the documents loaded by now
            threading.Thread(target=read_scenarios, name="oerlog-warm-scenarios", daemon=True).start()

        def read_scenarios() -> None:
            for d in self.kb.document_ids:
                try:
                    self.scenarios(d)
                except Exception:  # noqa: BLE001 - the reader page reports it
                    continue

        self._eval.submit(run)

    def scenarios(self, doc: str) -> list[Any]:
        """The scenario tests of ``doc``, read once (the reader links each rule to its scenarios)."""
        with self._lock:
            cached = self._scenarios.get(doc)
        if cached is None:
            cached = self.kb.scenarios(doc)
            with self._lock:
                self._scenarios[doc] = cached
        return cached

    def close(self) -> None:
        """Stop the jobs and the evaluation thread."""
        self.jobs.close()
        self._eval.shutdown(wait=False, cancel_futures=True)

    def info(self) -> dict[str, Any]:
        """What the start page says about the server."""
        return {"kb": str(self.kb_path), "workdir": str(self.workdir)}
