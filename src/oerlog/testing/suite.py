"""The scenario tests of a knowledge base run as one suite (``oerlog test``), reported line by line as they run.

The scenarios of each document are evaluated many at once (:func:`~oerlog.testing.scenarios.run_batched`); a
scenario that fails is evaluated again by the single-case engine (pyDatalog), which confirms the failure and gives
the proof of what was derived instead (or why the expected conclusion does not hold). A run may be narrowed to
scenario files and to the scenarios whose name, rule id or cited article matches a pattern (``-k``).

Each failing scenario is reported with its failed expectations (``FAIL doc :: name``) and the proof, each passing
one only when verbose (``ok   doc :: name``); a scenario encoding one of the document's own worked examples that
disagrees with its rule says so. After the scenarios of a whole document, every rule that lacks a positive or a
negative scenario (``GAP``), and the counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from oerlog.errors import OerlogError, UsageError
from oerlog.evaluation.judge import judge, parse_overrides
from oerlog.explain.explainer import Explainer
from oerlog.explain.explanation import Explanation
from oerlog.kb.loader import Document, KnowledgeBase
from oerlog.semantics.model import Status
from oerlog.testing.scenarios import (
    Scenario,
    check,
    disagrees_in,
    expectations,
    load_scenarios,
    rule_coverage,
    run_batched,
    scenario_files,
)

PROOF_LINES = 40  # lines of a failed scenario's proof shown unless verbose


class Suite:
    """The scenario tests of ``targets`` (document ids or scenario files; default: every document of ``kb``),
    narrowed to those matching ``pattern``. :meth:`run` runs them and yields the report's lines; afterwards
    :attr:`total`, :attr:`failed` and :attr:`gaps` hold the outcome."""

    def __init__(
        self,
        kb: KnowledgeBase,
        targets: Sequence[str] | None = None,
        verbose: bool = False,
        pattern: str | None = None,
        lang: str = "nl",
        on_error: str = "reject",
        report_error: Callable[[OerlogError], None] | None = None,
    ) -> None:
        if on_error not in ("stop", "reject"):
            raise UsageError(
                f"--on-error is stop or reject, not {on_error!r}", value=on_error, example="--on-error stop"
            )
        self.on_error = on_error
        self.rejected: list[OerlogError] = []  # scenarios that could not be read (reported, not run)
        self.report_error = report_error  # where such an error goes (default: a line of the report)
        self.kb = kb
        self.verbose = verbose
        self.pattern = pattern.lower() if pattern else None
        self.lang = lang
        self.total = 0
        self.failed = 0
        self.gaps: list[str] = []  # rules without a positive or a negative scenario
        self.selection = _selection(kb, list(targets or []))

    @property
    def passed(self) -> bool:
        """Every scenario was read and passed, and every rule has a positive and a negative scenario."""
        return not self.failed and not self.gaps and not self.rejected

    def run(self) -> Iterator[str]:
        """Run the scenarios, yielding the report line by line; the last line counts passed and failed ones."""
        start = time.perf_counter()
        for doc, files in self.selection:
            yield from self._run_document(doc, files)
        for g in self.gaps:
            yield "GAP  " + g
        unread = f", {len(self.rejected)} could not be read" if self.rejected else ""
        yield f"{self.total - self.failed} passed, {self.failed} failed{unread} ({time.perf_counter() - start:.2f} s)"

    def _run_document(self, doc: Document, files: list[Path] | None) -> Iterator[str]:
        bad: list[OerlogError] | None = [] if self.on_error == "reject" else None
        every = [sc for p in files or scenario_files(doc) for sc in load_scenarios(self.kb, doc, p, bad)]
        for err in bad or []:
            self.rejected.append(err)
            if self.report_error is not None:
                self.report_error(err)
            else:
                yield f"ERROR {doc.id}: a scenario that cannot be read (the others run)"
                yield from ("     " + line for line in err.render().rstrip().splitlines())
        chosen = [sc for sc in every if self._matches(doc, sc)]
        self.total += len(chosen)
        for out in run_batched(self.kb, chosen):
            sc = out.scenario
            if not out.passed:
                self.failed += 1
                yield f"FAIL {doc.id} :: {sc.name}"
                yield from (f"     {f}" for f in out.failures)
                yield from self._proof(sc, out.failures)
            elif self.verbose:
                yield f"ok   {doc.id} :: {sc.name}"
            if sc.disagrees and (self.verbose or not out.passed):
                yield f"     note: the document's own example disagrees with its rule: {disagrees_in(sc, 'en')}"
        if files is None and self.pattern is None:  # gaps only when the whole document ran
            for rid, c in rule_coverage(self.kb, doc, every).items():
                if not c["positive"] or not c["negative"]:
                    self.gaps.append(
                        f"{doc.id}: rule {rid} has {c['positive']} positive and {c['negative']} negative scenario(s)"
                    )

    def _matches(self, doc: Document, sc: Scenario) -> bool:
        """Does the scenario's name, rule id or an article its rule cites contain the pattern?"""
        if self.pattern is None:
            return True
        texts = [sc.name, sc.rule or ""]
        for r in doc.program.rules:
            if sc.rule and r.ann.id == sc.rule:
                texts += [f"{c.article} lid {c.lid}" if c.lid else c.article for c in r.ann.cites]
        return any(self.pattern in t.lower() for t in texts)

    def _proof(self, sc: Scenario, failures: list[str]) -> Iterator[str]:
        """The single-case engine's judgement of a failed scenario: whether it agrees with the batch, and the proof
        of what was derived instead of each failed expectation (or why it does not hold)."""
        doc = self.kb.document(sc.document)
        try:
            j = judge(self.kb, sc.case, doc.id, parse_overrides(doc, sc.params))
        except OerlogError as exc:  # the failure line above already says what went wrong
            yield f"     (the single-case engine could not evaluate it either: {exc})"
            return
        if check(sc, j.model).failures != failures:
            yield "     the single-case engine (pyDatalog) answers otherwise: this is a bug in oerlog, please report it"
        ex = Explainer(j.model, j.document, j.case.sources, self.lang)
        for atom, _, status in expectations(sc):
            got = j.model.answer(atom)
            if got is status:
                continue
            if got is Status.NOT:
                expl = Explanation("whynot", str(atom), (ex.whynot(atom),), j, self.lang)
            else:
                rows = j.model.match(atom) if got is Status.HOLDS else j.model.match_undetermined(atom)
                trees = tuple(
                    ex.why(atom.pred, r) if got is Status.HOLDS else ex.undetermined(atom.pred, r) for r in rows
                )
                expl = Explanation("why", str(atom), trees, j, self.lang)
            lines = expl.render("text").splitlines()
            shown = lines if self.verbose else lines[:PROOF_LINES]
            yield from (("     | " + line).rstrip() for line in shown)
            if len(shown) < len(lines):
                yield f"     | ... {len(lines) - len(shown)} more lines (-v shows the whole proof)"


def _selection(kb: KnowledgeBase, targets: list[str]) -> list[tuple[Document, list[Path] | None]]:
    """The documents to test, each with the scenario files chosen (None: all of them), from document ids and
    scenario file paths."""
    if not targets:
        return [(kb.document(d), None) for d in sorted(kb.documents)]
    chosen: dict[str, list[Path] | None] = {}
    for t in targets:
        path = Path(t)
        if t.endswith((".yaml", ".yml")):
            doc = _document_of(kb, path)
            files = chosen.setdefault(doc.id, [])
            if files is not None:
                files.append(path.resolve())
        else:
            chosen[kb.document(t).id] = None
    return [(kb.document(d), files) for d, files in chosen.items()]


def _document_of(kb: KnowledgeBase, path: Path) -> Document:
    """The document a scenario file belongs to (``kb/<doc>/tests/<file>.yaml``)."""
    if not path.is_file():
        raise UsageError(f"no scenario file {path}", value=str(path), example="kb/uu-gnk-ba-2025/tests/resit.yaml")
    folder = path.resolve().parent.parent
    for doc_id, f in kb.folders.items():
        if f.resolve() == folder and path.resolve().parent.name == "tests":
            return kb.document(doc_id)
    raise UsageError(
        f"{path} is not a scenario file of a document of this knowledge base",
        value=str(path),
        hint="scenario files are kb/<document>/tests/*.yaml",
        example="oerlog test kb/uu-gnk-ba-2025/tests/" + "resit.yaml",
    )
