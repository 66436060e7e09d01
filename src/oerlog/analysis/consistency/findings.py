"""What ``oerlog check`` reports: the kinds of finding with their severity, a finding with its sides and witness,
the run's statistics, and the report.

Finding ids hash the kind, the documents, the concept and the rule ids involved, so they stay the same across runs
and an ``--accept`` file can record reviewed findings.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from oerlog.explain.explainer import Node

SEVERITIES = ("error", "warning", "info")
KIND_SEVERITY = {
    "frame_violation": "error",
    "contradiction": "error",
    "gap": "error",
    "dangling_reference": "error",
    "divergence": "warning",
    "worked_example": "warning",
    "unfilled_choice": "warning",
    "refinement": "info",
    "parameter_difference": "info",
    "institutional_difference": "info",
}
KIND_ORDER = list(KIND_SEVERITY)
KIND_TITLE = {
    "frame_violation": "R&A outside the frame of its OER",
    "contradiction": "contradiction inside a document",
    "gap": "outcome left open",
    "dangling_reference": "reference to an article that does not exist",
    "divergence": "documents reach different conclusions",
    "worked_example": "worked example disagrees with its rule",
    "unfilled_choice": "depends on a choice the template leaves open",
    "refinement": "refinement inside the frame",
    "parameter_difference": "the same kind of parameter, different values",
    "institutional_difference": "difference between institutions",
}
KIND_TITLE_NL = {
    "frame_violation": "R&A buiten het kader van de OER",
    "contradiction": "tegenspraak binnen een regeling",
    "gap": "uitkomst niet geregeld",
    "dangling_reference": "verwijzing naar een artikel dat niet bestaat",
    "divergence": "regelingen komen tot verschillende conclusies",
    "worked_example": "rekenvoorbeeld in de tekst wijkt af van de regel",
    "unfilled_choice": "hangt af van een keuze die het model openlaat",
    "refinement": "invulling binnen het kader",
    "parameter_difference": "hetzelfde soort parameter, verschillende waarden",
    "institutional_difference": "verschil tussen instellingen",
}
SEVERITY_NL = {"error": "fout", "warning": "waarschuwing", "info": "informatie"}


def kind_title(kind: str, lang: str) -> str:
    """The name of a kind of finding in ``lang``."""
    return (KIND_TITLE_NL if lang == "nl" else KIND_TITLE)[kind]


def finding_id(kind: str, documents: list[str], concept: str | None, key: list[str]) -> str:
    """Stable id of a finding: a hash of its kind, documents, concept and key (rule ids, names, sides)."""
    text = "|".join([kind, ",".join(documents), concept or "", ",".join(key)])
    prefix = "".join(w[0] for w in kind.split("_"))
    return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


@dataclass
class Side:
    """One document's side of a finding: what it concludes (or not), with the rules, provisions and proof."""

    document: str
    statement: str
    holds: bool | None = None
    rules: list[str] = field(default_factory=list)
    citations: list[tuple[str, str]] = field(default_factory=list)  # (label, verbatim text)
    proof: Node | None = None
    goal: str | None = None  # the atom to rerun with ``oerlog why`` / ``whynot``
    proof_text: list[str] = field(default_factory=list)  # the proof told for a reader (summary first), text lines
    proof_md: list[str] = field(default_factory=list)  # the same in Markdown


@dataclass
class Finding:
    """One finding: kind, severity, the documents on each side, the witness case."""

    kind: str
    title: str
    documents: list[str]
    concept: str | None
    key: list[str]  # what the id hashes besides kind / documents / concept (rule ids, parameter, article)
    sides: list[Side] = field(default_factory=list)
    witness: str | None = None  # the case as YAML
    witness_file: str | None = None
    scenario: str | None = None  # how the witness scenario was made
    note: str = ""
    accepted: str | None = None  # the reason, when an --accept file lists the finding
    verdict: str | None = None  # the accept entry's verdict (real issue / institutional difference / ...)
    story: list[str] = field(default_factory=list)  # the witness case in words, one sentence per fact
    provision: str = ""  # the provision the finding concerns (for grouping), e.g. "uu-geo-ma-oer-2019 art. 5.3 lid 1"

    @property
    def severity(self) -> str:
        """error | warning | info (dangling references to another document are warnings)."""
        if self.kind == "dangling_reference" and len(self.documents) > 1:
            return "warning"
        return KIND_SEVERITY[self.kind]

    @property
    def id(self) -> str:
        """Stable id: a hash of the kind, the documents, the concept and the rule ids / names involved."""
        return finding_id(self.kind, self.documents, self.concept, self.key)


@dataclass
class Stats:
    """How the scenarios were made and what the check cost. Everything but ``phases`` is the same for the same KB
    and seed (``phases``, seconds per phase, go to stderr, never into the report)."""

    seeds: int = 0
    seeds_available: int = 0
    boundary: int = 0
    pairwise: int = 0
    random: int = 0
    generated: int = 0  # scenarios made (before removing duplicates and invalid cases)
    duplicates: int = 0  # scenarios equal to an earlier one after canonicalisation
    invalid: int = 0  # scenarios breaking an integrity constraint of the world
    failed: int = 0  # scenarios a document could not evaluate
    evaluations: int = 0  # (scenario, document) evaluations
    thresholds: int = 0  # threshold comparisons found (rule, comparison)
    both_sides: int = 0  # of those, seen with scenarios on both sides
    unreached: list[str] = field(default_factory=list)  # comparisons in the rules no scenario reached
    one_sided: list[str] = field(default_factory=list)  # comparisons reached on one side only
    minimised_facts: tuple[int, int] = (0, 0)  # witness facts before and after minimising
    seed: int = 0
    budget: int | None = None  # maximum number of scenarios (None: all)
    truncated: bool = False
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def scenarios(self) -> int:
        """Distinct scenarios that are valid under the integrity constraints and were evaluated."""
        return self.seeds + self.boundary + self.pairwise + self.random

    @property
    def seconds(self) -> float:
        """Total time of the phases."""
        return sum(self.phases.values())

    def merge(self, other: Stats) -> None:
        """Add the counts of work done apart (a group of documents explored by a worker); phases run side by side
        count with the longest."""
        for name in ("seeds", "boundary", "pairwise", "random", "generated", "duplicates", "invalid", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("evaluations", "thresholds", "both_sides"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.unreached = sorted(self.unreached + other.unreached)
        self.one_sided = sorted(self.one_sided + other.one_sided)
        self.truncated = self.truncated or other.truncated
        for phase, t in other.phases.items():
            self.phases[phase] = max(self.phases.get(phase, 0.0), t)


@dataclass
class Report:
    """The outcome of ``oerlog check``."""

    documents: list[str]
    pairs: list[tuple[str, str, str]]  # (doc, other, relation: frame | compare)
    findings: list[Finding]
    stats: Stats
    notes: list[str] = field(default_factory=list)
    stale_acceptances: list[str] = field(default_factory=list)

    def open_findings(self, strict: bool = False) -> list[Finding]:
        """Findings not accepted (errors and warnings; with ``strict`` also info)."""
        return [f for f in self.findings if f.accepted is None and (strict or f.severity != "info")]
