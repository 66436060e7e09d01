"""Coverage of a document: for every article and lid, whether rules encode it, it is not computable (with the
reason), or it is not yet encoded; plus the interpretations the encoding chose.

A provision marked ``encoded`` that no rule cites, and a provision cited by a rule while marked
``not_encoded``, are inconsistencies and reported as problems.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from oerlog.escape import md_cell, md_code, md_text
from oerlog.kb.loader import Document, Provision


@dataclass
class ProvisionCoverage:
    """Coverage of one article or lid."""

    provision: Provision
    status: str  # encoded | not_computable | not_encoded
    rules: list[str] = field(default_factory=list)
    parameters: list[str] = field(default_factory=list)
    problem: str | None = None


@dataclass
class DocumentCoverage:
    """Coverage of one document."""

    document: Document
    items: list[ProvisionCoverage]
    interpretations: list[tuple[str, str]]  # (rule id, reading)
    discretion: list[tuple[str, str]]

    def totals(self) -> dict[str, int]:
        """Counts per status, and the number of problems."""
        out = {"encoded": 0, "not_computable": 0, "not_encoded": 0, "problems": 0, "total": len(self.items)}
        for it in self.items:
            out[it.status] += 1
            if it.problem:
                out["problems"] += 1
        return out

    @property
    def complete(self) -> bool:
        """Nothing 'not yet encoded' and no inconsistency."""
        t = self.totals()
        return t["not_encoded"] == 0 and t["problems"] == 0


def coverage(doc: Document) -> DocumentCoverage:
    """Compute the coverage of ``doc`` from its articles.yaml statuses and its rules' citations."""
    cited: dict[tuple[str, str | None], list[str]] = {}
    params: dict[tuple[str, str | None], list[str]] = {}
    for r in doc.program.rules:
        for c in r.ann.cites:
            if c.doc and c.doc != doc.id:
                continue
            cited.setdefault((c.article, c.lid), []).append(r.id)
    for p in doc.program.params:
        for c in p.ann.cites:
            if not c.doc or c.doc == doc.id:
                params.setdefault((c.article, c.lid), []).append("$" + p.name)
    items: list[ProvisionCoverage] = []
    for art in doc.articles.values():
        for prov in art.provisions():
            keys = [(art.key, prov.lid), (art.key, None)] if prov.lid else [(art.key, None)]
            rules = sorted({rid for k in keys for rid in cited.get(k, [])})
            if prov.lid is None:  # an article without lids is covered by citations of any of its lids too
                rules = sorted({rid for (a, _), rids in cited.items() if a == art.key for rid in rids})
            pars = sorted({p for k in keys for p in params.get(k, [])})
            item = ProvisionCoverage(prov, prov.status, rules, pars)
            if prov.status == "encoded" and not rules and not pars:
                item.problem = "marked encoded, but no rule or parameter cites it"
            elif prov.status == "not_encoded" and rules:
                item.problem = "cited by rules, but marked not_encoded"
            items.append(item)
    interp = [(r.id, i) for r in doc.program.rules for i in r.ann.interpretations]
    disc = [(r.id, r.ann.discretion) for r in doc.program.rules if r.ann.discretion]
    return DocumentCoverage(doc, items, interp, disc)


SCHEMA_ID = "oerlog.coverage/1"  # src/oerlog/schemas/coverage.schema.json


def report_dict(reports: Sequence[DocumentCoverage]) -> dict[str, Any]:
    """The coverage of several documents as JSON-ready data (schema ``oerlog.coverage/1``)."""
    return {"schema": SCHEMA_ID, "documents": [to_dict(r) for r in reports]}


def to_dict(cov: DocumentCoverage) -> dict[str, Any]:
    """JSON-ready coverage report."""
    return {
        "document": cov.document.id,
        "totals": cov.totals(),
        "provisions": [
            {
                "article": it.provision.article,
                "lid": it.provision.lid,
                "label": it.provision.label,
                "title": it.provision.title,
                "status": it.status,
                "reason": it.provision.reason,
                "rules": it.rules,
                "parameters": it.parameters,
                "problem": it.problem,
            }
            for it in cov.items
        ],
        "interpretations": [{"rule": r, "reading": t} for r, t in cov.interpretations],
        "discretion": [{"rule": r, "text": t} for r, t in cov.discretion],
    }


def to_text(cov: DocumentCoverage, markdown: bool = False) -> str:
    """A report for the terminal, or Markdown for a memo."""
    t = cov.totals()
    d = cov.document
    lines: list[str] = []
    if markdown:
        lines += [f"# Coverage of {md_text(d.id)}", "", f"_{md_text(d.title)}_", ""]
        lines += [
            f"{t['total']} provisions: **{t['encoded']} encoded**, {t['not_computable']} not computable, "
            f"{t['not_encoded']} not yet encoded, {t['problems']} problem(s).",
            "",
            "| provision | status | rules / reason |",
            "|---|---|---|",
        ]
        for it in cov.items:
            what = ", ".join(it.rules + it.parameters) if it.status == "encoded" else (it.provision.reason or "")
            what = md_cell(what) + (f" **{md_cell(it.problem)}**" if it.problem else "")
            lines.append(f"| {md_cell(it.provision.label + ' ' + it.provision.title)} | {it.status} | {what} |")
        if cov.interpretations:
            lines += ["", "## Interpretations", ""]
            lines += [f"- {md_code(r)}: {md_text(i)}" for r, i in cov.interpretations]
        if cov.discretion:
            lines += ["", "## Discretion left to people", ""]
            lines += [f"- {md_code(r)}: {md_text(i)}" for r, i in cov.discretion]
        return "\n".join(lines) + "\n"
    lines.append(f"{d.id}: {d.title}")
    for it in cov.items:
        mark = {"encoded": "✔", "not_computable": "–", "not_encoded": "✘"}[it.status]
        what = ", ".join(it.rules + it.parameters) if it.status == "encoded" else (it.provision.reason or "")
        lines.append(f"  {mark} {it.provision.label:<20} {it.status:<15} {what}")
        if it.problem:
            lines.append(f"      problem: {it.problem}")
    lines.append(
        f"  {t['total']} provisions: {t['encoded']} encoded, {t['not_computable']} not computable, "
        f"{t['not_encoded']} not yet encoded, {t['problems']} problem(s); {len(cov.interpretations)} interpretation(s)"
    )
    return "\n".join(lines)
