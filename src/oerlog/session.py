"""Judge a case under a regulation: pick the document (by rules or by choice), evaluate, keep the model.

This is the entry point the CLI, the scenario runner and API users call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import __version__, ir
from .cases import Case
from .engine import Model, evaluate
from .errors import UsageError
from .kb import Document, KnowledgeBase
from .plan import build_plan
from .values import Value, to_number


@dataclass
class Judgement:
    """A document's evaluation of a case: the model and everything needed to explain or recompute it."""

    kb: KnowledgeBase
    document: Document
    case: Case
    model: Model
    overrides: dict[str, Value] = field(default_factory=dict)
    selection: str = ""  # how the document was chosen: chosen (--doc / API), case (named in the case), scope (rules)

    def receipt(self) -> dict[str, Any]:
        """What is needed to recompute this judgement later."""
        return {
            "oerlog_version": __version__,
            "document": self.document.id,
            "document_version": self.document.version,
            "kb_sha256": self.kb.digest,
            "case_sha256": self.case.digest,
            "case_file": self.case.path,
            "reference_date": self.case.reference_date.isoformat() if self.case.reference_date else None,
            "parameter_overrides": {k: str(v) for k, v in self.overrides.items()},
            "document_selection": self.selection,
        }

    def answers(self, goal: ir.Atom) -> list[tuple[Value, ...]]:
        """Tuples of the model that match ``goal``."""
        return self.model.match(goal)


def parse_overrides(doc: Document, raw: dict[str, str] | list[str] | None) -> dict[str, Value]:
    """Turn ``name=value`` strings (from --param) into typed parameter values of ``doc``."""
    if not raw:
        return {}
    pairs: list[tuple[str, str]] = []
    if isinstance(raw, dict):
        pairs = [(k, str(v)) for k, v in raw.items()]
    else:
        for item in raw:
            if "=" not in item:
                raise UsageError(
                    f"--param expects NAME=VALUE, got {item!r}",
                    value=item,
                    example="--param resit_min_grade=4.5",
                )
            k, v = item.split("=", 1)
            pairs.append((k.strip(), v.strip()))
    out: dict[str, Value] = {}
    for name, text in pairs:
        decl = doc.param_decl(name)
        if decl is None:
            known = ", ".join(sorted(p.name for p in doc.program.params)) or "(none)"
            raise UsageError(
                f"document {doc.id} has no parameter {name!r}",
                value=name,
                hint="parameters: " + known,
                example="--param resit_min_grade=4.5",
            )
        out[name] = _param_value(decl, text)
    return out


def _param_value(decl: ir.ParamDecl, text: str) -> Value:
    from .values import parse_date

    t = decl.type
    bad = UsageError(
        f"parameter {decl.name} is a {t}; {text!r} is not",
        value=text,
        example=f"--param {decl.name}=" + {"date": "2025-09-01", "boolean": "true", "string": "x"}.get(t, "4.5"),
    )
    if t in ("decimal", "grade", "integer", "ec"):
        n = to_number(text)
        if n is None:
            raise bad
        if t == "integer":
            if n != int(n):
                raise bad
            return int(n)
        return n
    if t == "date":
        d = parse_date(text)
        if d is None:
            raise bad
        return d
    if t == "boolean":
        if text.lower() not in ("true", "false"):
            raise bad
        return text.lower() == "true"
    return text


def select_document(kb: KnowledgeBase, case: Case, doc_id: str | None = None) -> tuple[Document, str, Model | None]:
    """The document to judge under: the explicit choice, the case's ``document:``, or what ``kb/scope.dl``
    derives from the case's facts (``applies(Doc, Student)``)."""
    if doc_id:
        return kb.document(doc_id), "chosen", None
    if case.document:
        return kb.document(case.document), "case", None
    if not kb.scope.rules:
        raise UsageError("no document given and the KB has no scope rules", example="--doc uu-gnk-ba-2025")
    facts = {k: set(v) for k, v in case.facts.items()}
    for k, v in kb.scope_facts().items():
        facts.setdefault(k, set()).update(v)
    model = evaluate(build_plan(kb.scope), facts)
    found = sorted({str(r[0]) for r in model.tuples("applies")})
    if len(found) == 1:
        return kb.document(found[0]), "scope", model
    if not found:
        raise UsageError(
            "no regulation applies to the students of this case (no enrolment matches any document's "
            "programmes and academic year)",
            value=case.path,
            hint="add an enrolment fact, or name the document with --doc / 'document:' in the case",
            example="--doc " + next(iter(kb.document_ids), "uu-gnk-ba-2025"),
        )
    raise UsageError(
        "several regulations apply to this case: " + ", ".join(found),
        value=case.path,
        hint="choose one with --doc",
        example="--doc " + found[0],
    )


def judge(
    kb: KnowledgeBase,
    case: Case,
    doc_id: str | None = None,
    overrides: dict[str, Value] | None = None,
    *,
    timeout: float | None = None,
) -> Judgement:
    """Evaluate ``case`` under the applicable document (or ``doc_id``)."""
    doc, how, _ = select_document(kb, case, doc_id)
    plan = doc.plan(overrides or None)
    model = evaluate(plan, case.facts, timeout=timeout)
    return Judgement(kb, doc, case, model, dict(overrides or {}), how)
