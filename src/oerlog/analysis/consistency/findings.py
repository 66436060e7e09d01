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
}
KIND_ORDER = list(KIND_SEVERITY)
KIND_TITLE = {
    "frame_violation": "R&A outside the frame of its OER",
    "contradiction": "contradiction inside a document",
    "gap": "gap in an exhaustive outcome set",
    "dangling_reference": "reference to an article that does not exist",
    "divergence": "documents reach different conclusions",
    "worked_example": "worked example disagrees with its rule",
    "unfilled_choice": "unfilled template choice",
    "refinement": "refinement inside the frame",
    "parameter_difference": "same parameter, different values",
}


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

    @property
    def severity(self) -> str:
        """error | warning | info (dangling references to another document are warnings)."""
        if self.kind == "dangling_reference" and len(self.documents) > 1:
            return "warning"
        return KIND_SEVERITY[self.kind]

    @property
    def id(self) -> str:
        """Stable id: a hash of the kind, the documents, the concept and the rule ids / names involved."""
        text = "|".join([self.kind, ",".join(self.documents), self.concept or "", ",".join(self.key)])
        prefix = "".join(w[0] for w in self.kind.split("_"))
        return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


@dataclass
class Stats:
    """How the scenarios were made and what the check cost."""

    seeds: int = 0
    seeds_available: int = 0
    boundary: int = 0
    pairwise: int = 0
    random: int = 0
    evaluations: int = 0
    thresholds: int = 0
    seconds: float = 0.0
    seed: int = 0
    budget: float = 0.0
    truncated: bool = False

    @property
    def scenarios(self) -> int:
        """Scenarios evaluated (seeds and mutations)."""
        return self.seeds + self.boundary + self.pairwise + self.random


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
