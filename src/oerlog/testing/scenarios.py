"""Scenario tests of a document (``kb/<doc>/tests/*.yaml``): cases with expected conclusions.

Run by ``oerlog test`` and collected by the pytest plugin. A scenario that encodes one of the document's own
worked examples may say that the example disagrees with its rule (``disagrees:``); the scenario then asserts
what the rule concludes and the report shows the disagreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oerlog.errors import KBSyntaxError, Location, OerlogError, ValidationError
from oerlog.evaluation.batched import World, evaluate_worlds
from oerlog.evaluation.judge import judge, parse_overrides
from oerlog.kb import yamlpos
from oerlog.kb.cases import Case, case_from_mapping, load_case
from oerlog.kb.loader import Document, KnowledgeBase
from oerlog.kb.vocabulary import text_in, texts_by_lang
from oerlog.lang import ir
from oerlog.lang.parser import parse_atom
from oerlog.semantics.model import Model, Status


@dataclass
class Scenario:
    """One scenario of a scenario file."""

    name: str
    document: str
    case: Case
    expect: list[tuple[str, Location]]
    expect_not: list[tuple[str, Location]]
    params: dict[str, str] = field(default_factory=dict)
    rule: str | None = None
    source_example: str | None = None
    disagrees: dict[str, str] | None = None  # language -> why the rule decides otherwise ("" : one language)
    loc: Location | None = None
    expect_undetermined: list[tuple[str, Location]] = field(default_factory=list)


def disagrees_in(sc: Scenario, lang: str) -> str:
    """Why the rule decides the worked example otherwise, in ``lang`` (else as written, else the other language)."""
    return text_in(sc.disagrees or {}, lang)


@dataclass
class Outcome:
    """The result of running one scenario."""

    scenario: Scenario
    failures: list[str]

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.failures


def _inline_case(kb: KnowledgeBase, spec: yamlpos.YDict, file: str) -> Case:
    return case_from_mapping(spec, kb.vocabulary, Path(file), Case(path=file))


SCENARIO_EXAMPLE = 'scenarios:\n  - name: ...\n    case: {...}\n    expect: [\'passed("s1", "c1")\']'
SCENARIO_KEYS = (
    "name",
    "rule",
    "document",
    "case",
    "case_file",
    "params",
    "expect",
    "expect_not",
    "expect_undetermined",
    "source_example",
    "disagrees",
)


def load_scenarios(
    kb: KnowledgeBase, doc: Document, path: Path, rejected: list[OerlogError] | None = None
) -> list[Scenario]:
    """Read one scenario file of ``doc``. A scenario that cannot be read (a bad case, an atom that does not parse,
    a malformed parameter) raises its located error, or, when ``rejected`` is given, is left out and its error
    appended there, so that the file's other scenarios still run."""
    data = yamlpos.load(path)
    if not isinstance(data, yamlpos.YDict) or not isinstance(data.get("scenarios"), yamlpos.YList):
        raise ValidationError(
            "a scenario file needs a list 'scenarios'",
            Location(str(path), 1, 1),
            example=SCENARIO_EXAMPLE,
            nl="een scenariobestand heeft een lijst 'scenarios' nodig",
        )
    yamlpos.check_keys(data, ("scenarios",), "a scenario file", SCENARIO_EXAMPLE, "een scenariobestand")
    out: list[Scenario] = []
    items = data["scenarios"]
    for i, spec in enumerate(items):
        try:
            out.append(_scenario(kb, doc, path, spec, items.locs[i]))
        except OerlogError as exc:
            if rejected is None:
                raise
            rejected.append(exc)
    return out


def _scenario(kb: KnowledgeBase, doc: Document, path: Path, spec: Any, loc: Location) -> Scenario:
    """One scenario of a file, read and checked."""
    if not isinstance(spec, yamlpos.YDict) or "name" not in spec:
        raise ValidationError(
            "each scenario is a mapping with a 'name'",
            loc,
            example=SCENARIO_EXAMPLE,
            nl="elk scenario is een mapping met een 'name'",
        )
    yamlpos.check_keys(spec, SCENARIO_KEYS, "a scenario", SCENARIO_EXAMPLE, "een scenario")
    if "case_file" in spec:
        case = load_case((path.parent / str(spec["case_file"])).resolve(), kb.vocabulary)
    elif isinstance(spec.get("case"), yamlpos.YDict):
        case = _inline_case(kb, spec["case"], str(path))
    else:
        raise ValidationError(
            f"scenario {spec['name']!r} needs 'case' or 'case_file'",
            loc,
            example=SCENARIO_EXAMPLE,
            nl=f"scenario {spec['name']!r} heeft 'case' of 'case_file' nodig",
        )

    def goals(key: str) -> list[tuple[str, Location]]:
        raw = spec.get(key)
        if raw is None:
            return []
        if not isinstance(raw, yamlpos.YList):
            raise ValidationError(
                f"'{key}' must be a list of atoms",
                spec.locs.get(key, loc),
                example=SCENARIO_EXAMPLE,
                nl=f"'{key}' moet een lijst van atomen zijn",
            )
        res = []
        for j, g in enumerate(raw):
            gl = raw.locs[j]
            try:
                parse_atom(str(g), gl.file)  # validate now, located
            except KBSyntaxError as exc:  # the place in the atom, counted from where the atom starts in the file
                at = exc.location
                column = gl.column + (at.column if at and at.line == 1 else 0)
                exc.location = Location(gl.file, gl.line, column)
                raise
            res.append((str(g), gl))
        return res

    params = spec.get("params") or {}
    if not isinstance(params, dict):
        raise ValidationError(
            "'params' must be a mapping NAME: VALUE",
            spec.locs["params"],
            value=params,
            example="params: {x: 4.5}",
            nl="het veld 'params' moet een mapping NAAM: WAARDE zijn",
        )
    sc = Scenario(
        str(spec["name"]),
        str(spec.get("document") or doc.id),
        case,
        goals("expect"),
        goals("expect_not"),
        {str(k): str(v) for k, v in params.items()},
        str(spec["rule"]) if spec.get("rule") else None,
        str(spec["source_example"]) if spec.get("source_example") else None,
        texts_by_lang(
            spec.get("disagrees"),
            spec.locs.get("disagrees", loc),
            key="disagrees",
            key_nl="disagrees",
            example='disagrees: {nl: "de regel telt ...", en: "the rule counts ..."}',
        )
        or None,
        loc,
        goals("expect_undetermined"),
    )
    try:
        parse_overrides(kb.document(sc.document), sc.params)
    except OerlogError as exc:  # an unknown parameter or a bad value: point at the scenario's params
        exc.location = exc.location or spec.locs.get("params", loc)
        if exc.example and exc.example.startswith("--param ") and "=" in exc.example:
            name, value = exc.example.removeprefix("--param ").split("=", 1)
            exc.example = f"params: {{{name}: {value}}}"
        raise
    return sc


def scenario_files(doc: Document) -> list[Path]:
    """The scenario files of a document."""
    return sorted((doc.path / "tests").glob("*.yaml"))


def expectations(sc: Scenario) -> list[tuple[ir.Atom, Location, Status]]:
    """Every expectation of a scenario: the goal, where it is written, and the answer expected."""
    wanted = (
        [(t, loc, Status.HOLDS) for t, loc in sc.expect]
        + [(t, loc, Status.NOT) for t, loc in sc.expect_not]
        + [(t, loc, Status.UNDETERMINED) for t, loc in sc.expect_undetermined]
    )
    return [(parse_atom(text, str(loc)), loc, status) for text, loc, status in wanted]


def check(sc: Scenario, model: Model) -> Outcome:
    """The scenario's expectations checked against a model of its case."""
    failures: list[str] = []
    for atom, loc, status in expectations(sc):
        got = model.answer(atom)
        if got is not status:
            failures.append(f"{loc}: expected {atom} {_EXPECTED[status]}, but it {_GOT[got]}")
    return Outcome(sc, failures)


def run_scenario(kb: KnowledgeBase, sc: Scenario) -> Outcome:
    """Evaluate the scenario's case with the single-case engine (pyDatalog) and check each expectation."""
    doc = kb.document(sc.document)
    j = judge(kb, sc.case, doc.id, parse_overrides(doc, sc.params))
    return check(sc, j.model)


def run_batched(kb: KnowledgeBase, scenarios: Sequence[Scenario]) -> list[Outcome]:
    """Evaluate the scenarios' cases many at once (one database run per document, see
    :mod:`oerlog.evaluation.batched`) and check each expectation; the outcomes in the order given. A case the
    batch cannot evaluate fails with the error that kept it from an answer."""
    by_doc: dict[str, list[int]] = {}
    for i, sc in enumerate(scenarios):
        by_doc.setdefault(sc.document, []).append(i)
    outcomes: list[Outcome | None] = [None] * len(scenarios)
    for doc_id, members in by_doc.items():
        doc = kb.document(doc_id)
        goals = {atom.pred for i in members for atom, _, _ in expectations(scenarios[i])}
        worlds = [World(scenarios[i].case.facts, parse_overrides(doc, scenarios[i].params)) for i in members]
        run = evaluate_worlds(doc, worlds, goals)
        for i, result in zip(members, run.results, strict=True):
            if isinstance(result, Model):
                outcomes[i] = check(scenarios[i], result)
            else:
                outcomes[i] = Outcome(scenarios[i], [f"{scenarios[i].loc}: {result.render().strip()}"])
    return [o for o in outcomes if o is not None]


_EXPECTED = {Status.HOLDS: "to hold", Status.NOT: "not to hold", Status.UNDETERMINED: "to be undetermined"}
_GOT = {Status.HOLDS: "holds", Status.NOT: "does not hold", Status.UNDETERMINED: "is undetermined"}


def rule_coverage(kb: KnowledgeBase, doc: Document, scenarios: list[Scenario]) -> dict[str, dict[str, int]]:
    """Per rule id, how many scenarios name it with a positive and a negative expectation."""
    cov: dict[str, dict[str, int]] = {
        r.id: {"positive": 0, "negative": 0} for r in doc.program.rules if r.ann.id and not r.is_fact
    }
    for sc in scenarios:
        if sc.rule and sc.rule in cov:
            if sc.expect:
                cov[sc.rule]["positive"] += 1
            if sc.expect_not:
                cov[sc.rule]["negative"] += 1
            if sc.expect_undetermined:
                cov[sc.rule]["undetermined"] = cov[sc.rule].get("undetermined", 0) + 1
    return cov


def collect(kb: KnowledgeBase, doc_ids: list[str] | None = None) -> list[tuple[Document, Path, list[Scenario]]]:
    """All scenario files of the chosen documents, loaded."""
    out = []
    for doc_id in doc_ids or sorted(kb.documents):
        doc = kb.document(doc_id)
        for p in scenario_files(doc):
            out.append((doc, p, load_scenarios(kb, doc, p)))
    return out


__all__ = [
    "Scenario",
    "Outcome",
    "load_scenarios",
    "run_scenario",
    "run_batched",
    "check",
    "expectations",
    "collect",
    "rule_coverage",
    "OerlogError",
    "Any",
]
