"""The scenario tests of a knowledge base run as one suite (``oerlog test``), reported line by line as they run.

Each failing scenario is reported with its failed expectations (``FAIL doc :: name``), each passing one only when
verbose (``ok   doc :: name``); a scenario encoding one of the document's own worked examples that disagrees with
its rule says so. After the scenarios, every rule that lacks a positive or a negative scenario (``GAP``), and the
counts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from oerlog.kb.loader import KnowledgeBase
from oerlog.testing.scenarios import collect, rule_coverage, run_scenario


class Suite:
    """The scenario tests of ``doc_ids`` (default: every document of ``kb``). :meth:`run` runs them and yields the
    report's lines; afterwards :attr:`total`, :attr:`failed` and :attr:`gaps` hold the outcome."""

    def __init__(self, kb: KnowledgeBase, doc_ids: Sequence[str] | None = None, verbose: bool = False) -> None:
        self.kb = kb
        self.doc_ids = list(doc_ids or sorted(kb.documents))
        self.verbose = verbose
        self.total = 0
        self.failed = 0
        self.gaps: list[str] = []  # rules without a positive or a negative scenario

    @property
    def passed(self) -> bool:
        """Every scenario passed and every rule has a positive and a negative scenario."""
        return not self.failed and not self.gaps

    def run(self) -> Iterator[str]:
        """Run every scenario, yielding the report line by line; the last line counts passed and failed ones."""
        start = time.perf_counter()
        for doc_id in self.doc_ids:
            yield from self._run_document(doc_id)
        for g in self.gaps:
            yield "GAP  " + g
        yield f"{self.total - self.failed} passed, {self.failed} failed ({time.perf_counter() - start:.2f} s)"

    def _run_document(self, doc_id: str) -> Iterator[str]:
        files = collect(self.kb, [doc_id])
        for _, _, scenarios in files:
            for sc in scenarios:
                self.total += 1
                out = run_scenario(self.kb, sc)
                if not out.passed:
                    self.failed += 1
                    yield f"FAIL {doc_id} :: {sc.name}"
                    yield from (f"     {f}" for f in out.failures)
                elif self.verbose:
                    yield f"ok   {doc_id} :: {sc.name}"
                if sc.disagrees and (self.verbose or not out.passed):
                    yield f"     note: the document's own example disagrees with its rule: {sc.disagrees}"
        every = [sc for _, _, scs in files for sc in scs]
        for rid, c in rule_coverage(self.kb, self.kb.document(doc_id), every).items():
            if not c["positive"] or not c["negative"]:
                self.gaps.append(
                    f"{doc_id}: rule {rid} has {c['positive']} positive and {c['negative']} negative scenario(s)"
                )
