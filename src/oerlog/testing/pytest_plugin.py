"""pytest plugin: collects every ``kb/<doc>/tests/*.yaml`` scenario file as test items.

Registered through the ``pytest11`` entry point, so ``pytest`` in a checkout runs the KB's scenarios next to
the unit tests. Each scenario is one item named after it; a failure lists each expectation that did not hold.
The scenarios of a file are evaluated many at once when its first item runs (in each pytest-xdist worker that
runs one of them); the differential test (``tests/test_batched.py``, marked slow) judges every one of them with
pyDatalog too.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from oerlog.errors import OerlogError
from oerlog.kb.loader import KnowledgeBase, open_kb
from oerlog.testing.scenarios import Outcome, Scenario, load_scenarios, run_batched, scenario_files


@lru_cache(maxsize=4)
def _kb(root: str) -> KnowledgeBase:
    return open_kb(Path(root))


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    """Collect YAML files in a ``tests`` folder of a document folder (one with document.yaml)."""
    if file_path.suffix == ".yaml" and file_path.parent.name == "tests":
        doc_dir = file_path.parent.parent
        if (doc_dir / "document.yaml").is_file() and (doc_dir.parent / "vocabulary.yaml").is_file():
            return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    """A scenario file of one document."""

    def collect(self) -> Iterator[pytest.Item]:
        doc_dir = self.path.parent.parent
        try:
            kb = _kb(str(doc_dir.parent.resolve()))
            doc_id = next(d for d, folder in kb.folders.items() if folder.resolve() == doc_dir.resolve())
            doc = kb.document(doc_id)
            scenarios = load_scenarios(kb, doc, self.path)
        except OerlogError as exc:
            raise pytest.UsageError(exc.render()) from None
        root = str(doc_dir.parent.resolve())
        for i, sc in enumerate(scenarios):
            yield ScenarioItem.from_parent(
                self, name=sc.name, kb=kb, scenario=sc, key=(root, doc_id, str(self.path.resolve()), i)
            )


@lru_cache(maxsize=8)
def _document_outcomes(root: str, doc_id: str) -> dict[tuple[str, int], Outcome]:
    """The outcomes of every scenario of a document, evaluated at once, by (scenario file, position in it)."""
    kb = _kb(root)
    doc = kb.document(doc_id)
    files = [(str(p.resolve()), load_scenarios(kb, doc, p)) for p in scenario_files(doc)]
    every = [sc for _, scs in files for sc in scs]
    outcomes = iter(run_batched(kb, every))
    return {(path, i): next(outcomes) for path, scs in files for i in range(len(scs))}


class ScenarioItem(pytest.Item):
    """One scenario."""

    def __init__(self, *, kb: KnowledgeBase, scenario: Scenario, key: tuple[str, str, str, int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kb = kb
        self.scenario = scenario
        self.key = key  # (KB root, document, scenario file, position in the file)

    def runtest(self) -> None:
        root, doc_id, path, i = self.key
        outcome = _document_outcomes(root, doc_id)[(path, i)]
        if outcome.scenario.name != self.scenario.name:  # the file changed since it was collected
            raise ScenarioFailed([f"{path}: changed while the tests ran; run them again"])
        if outcome.failures:
            raise ScenarioFailed(outcome.failures)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return "\n".join(excinfo.value.failures)
        if isinstance(excinfo.value, OerlogError):
            return excinfo.value.render()
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        line = self.scenario.loc.line if self.scenario.loc else 0
        return self.path, max(0, line - 1), f"scenario: {self.name}"


class ScenarioFailed(Exception):
    """Expectations of a scenario that did not hold."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__("\n".join(failures))
        self.failures = failures
