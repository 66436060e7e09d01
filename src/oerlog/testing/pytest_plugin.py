"""pytest plugin: collects every ``kb/<doc>/tests/*.yaml`` scenario file as test items.

Registered through the ``pytest11`` entry point, so ``pytest`` in a checkout runs the KB's scenarios next to
the unit tests. Each scenario is one item named after it; a failure lists each expectation that did not hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from oerlog.errors import OerlogError
from oerlog.kb.loader import KnowledgeBase, open_kb
from oerlog.testing.scenarios import Scenario, load_scenarios, run_scenario


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
        for sc in scenarios:
            yield ScenarioItem.from_parent(self, name=sc.name, kb=kb, scenario=sc)


class ScenarioItem(pytest.Item):
    """One scenario."""

    def __init__(self, *, kb: KnowledgeBase, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kb = kb
        self.scenario = scenario

    def runtest(self) -> None:
        outcome = run_scenario(self.kb, self.scenario)
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
