"""``oerlog lint``: every problem in a KB, errors and warnings, each located.

Errors are what stops the KB from loading (syntax, arity, unknown predicates, unsafe variables, negation through
recursion, type errors such as a date compared with a number (:mod:`oerlog.lang.types`, with the rule's id),
citations that do not resolve, duplicate ids, parameters declared twice). Warnings are found on a KB that loads:
rules without citation, unused derived predicates, parameters never used, rules that cannot fire (unreachable:
comparisons that no value satisfies), and, for information, rules that cannot fire until an unfilled template
choice is made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oerlog.errors import Location, OerlogError
from oerlog.kb.loader import KnowledgeBase, load_kb
from oerlog.lang import checks, ir
from oerlog.semantics.plan import rule_params
from oerlog.values import compare


@dataclass(frozen=True)
class Finding:
    """One lint finding."""

    severity: str  # error | warning | info
    code: str
    message: str
    location: Location | None
    document: str | None = None
    hint: str | None = None

    def render(self) -> str:
        """``file:line:col: severity[code]: message``."""
        where = f"{self.location}: " if self.location else ""
        out = f"{where}{self.severity}[{self.code}]: {self.message}"
        if self.hint:
            out += f"\n  hint: {self.hint}"
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        loc = self.location
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "document": self.document,
            "hint": self.hint,
        }


def lint(root: Path | str, doc_ids: list[str] | None = None) -> tuple[KnowledgeBase | None, list[Finding]]:
    """Load the KB and collect findings (the KB is None when it does not load)."""
    try:
        kb = load_kb(root)
    except checks.ProgramErrors as exc:
        return None, [_error(e) for e in exc.errors]
    except OerlogError as exc:
        return None, [_error(exc)]
    findings: list[Finding] = []
    for d in doc_ids or sorted(kb.documents):
        findings.extend(document_warnings(kb, d))
    return kb, findings


def _error(e: OerlogError) -> Finding:
    return Finding("error", e.code, e.message, e.location, None, e.hint)


def document_warnings(kb: KnowledgeBase, doc_id: str) -> list[Finding]:
    """Warnings on a loaded document."""
    doc = kb.document(doc_id)
    out: list[Finding] = []
    rules = doc.program.rules
    used: set[str] = set()
    for r in rules:
        for lit in r.body:
            for atom, _ in ir.literal_atoms(lit):
                used.add(atom.pred)
    scenario_preds = _scenario_predicates(doc.path / "tests")
    query_preds = _scenario_predicates(kb.root.parent / "queries")
    for r in rules:
        if not r.ann.cites and not r.is_fact:
            out.append(
                Finding(
                    "warning",
                    "missing_citation",
                    f"rule {r.id} cites no article",
                    r.loc,
                    doc.id,
                    'add @cite("ARTICLE", "LID") naming the provision it encodes',
                )
            )
        if not r.ann.id and not r.is_fact:
            out.append(
                Finding(
                    "warning",
                    "missing_id",
                    "rule has no @id (its id would change when lines move)",
                    r.loc,
                    doc.id,
                    "add @id(stable_name)",
                )
            )
    derived = {r.head.pred: r for r in rules if not r.defeats}
    for pred, r in sorted(derived.items()):
        if pred in used or pred in kb.vocabulary.concepts or pred in scenario_preds or pred in query_preds:
            continue
        out.append(
            Finding(
                "warning",
                "unused_predicate",
                f"{pred} is derived but used by no rule, no scenario and no saved query, and is not a shared concept",
                r.head.loc,
                doc.id,
                "declare it as a concept in kb/vocabulary.yaml, test it, or remove it",
            )
        )
    referenced = {p for r in rules for p in rule_params(r)}
    for p in doc.program.params:
        if p.name not in referenced:
            out.append(
                Finding(
                    "warning",
                    "unused_parameter",
                    f"parameter ${p.name} is declared but no rule uses it",
                    p.loc,
                    doc.id,
                    "use it in a rule or remove the declaration",
                )
            )
    plan = doc.plan()
    derivable = {cr.head.pred for cr in plan.rules} | set(kb.vocabulary.relations) | {f.pred for f in plan.facts}
    for r in rules:
        if r.id in plan.blocked:
            continue
        contradiction = _contradictory_bounds(r)
        if contradiction:
            out.append(
                Finding(
                    "warning",
                    "unreachable_rule",
                    f"rule {r.id} can never fire: {contradiction}",
                    r.loc,
                    doc.id,
                    "check the comparison constants and parameter values",
                )
            )
        missing = sorted(
            {
                a.pred
                for lit in r.body
                for a, pos in ir.literal_atoms(lit)
                if pos and a.pred not in derivable and isinstance(lit, ir.Positive)
            }
        )
        if missing:
            # a consequence of an open choice, not a defect: reported for information
            out.append(
                Finding(
                    "info",
                    "blocked_by_unfilled_choice",
                    f"rule {r.id} cannot fire yet: {', '.join(missing)} is only derived by rules that need an "
                    "unfilled parameter",
                    r.loc,
                    doc.id,
                    "fill the template parameter (param ... = VALUE) or --param NAME=VALUE",
                )
            )
    return out


def _contradictory_bounds(rule: ir.Rule) -> str | None:
    """A variable the body bounds from both sides with constants that leave no value (G > 5.5, G < 4.0)."""
    lows: dict[str, tuple[object, bool, str]] = {}
    highs: dict[str, tuple[object, bool, str]] = {}
    for lit in rule.body:
        if not isinstance(lit, ir.Compare) or lit.op not in ("<", "<=", ">", ">="):
            continue
        for var, const, op in ((lit.left, lit.right, lit.op), (lit.right, lit.left, _flip(lit.op))):
            if isinstance(var, ir.Var) and isinstance(const, ir.Const):
                strict = op in ("<", ">")
                bound = (const.value, strict, str(lit))
                if op in (">", ">="):
                    old = lows.get(var.name)
                    if old is None or _gt(const.value, old[0]):
                        lows[var.name] = bound
                else:
                    old = highs.get(var.name)
                    if old is None or _gt(old[0], const.value):
                        highs[var.name] = bound
    for v in set(lows) & set(highs):
        lo, lo_strict, lo_text = lows[v]
        hi, hi_strict, hi_text = highs[v]
        try:
            empty = compare(">", lo, hi) or (compare("=", lo, hi) and (lo_strict or hi_strict))
        except Exception:  # noqa: BLE001 - incomparable constants are reported elsewhere
            continue
        if empty:
            return f"no value of {v} satisfies both {lo_text} and {hi_text}"
    return None


def _flip(op: str) -> str:
    return {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]


def _gt(a: object, b: object) -> bool:
    try:
        return bool(compare(">", a, b))
    except Exception:  # noqa: BLE001
        return False


def _scenario_predicates(folder: Path) -> set[str]:
    preds: set[str] = set()
    if not folder.is_dir():
        return preds
    for p in folder.glob("*.yaml"):
        preds |= set(re.findall(r"([a-z][a-z0-9_]*)\(", p.read_text(encoding="utf-8")))
    return preds
