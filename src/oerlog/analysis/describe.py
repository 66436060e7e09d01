"""What the KB holds and how it hangs together, for readers: as terminal text and as JSON-ready data.

- the documents (``oerlog docs``): one line each; one document's parameters, rules and articles; the vocabulary;
  statistics of the rule graphs (``oerlog docs --stats``);
- the outcome of ``oerlog lint`` in one summary line;
- what depends on an article or a parameter, or what a conclusion rests on (``oerlog impact``), over the documents.

Text is returned without a final newline (the caller prints it as one line or block).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from oerlog.analysis.impact import Impact, impact, rests_on
from oerlog.analysis.lint import Finding
from oerlog.errors import OerlogError, UsageError
from oerlog.kb.loader import Document, KnowledgeBase
from oerlog.kb.vocabulary import Relation, Vocabulary
from oerlog.values import format_value, json_value

# --- oerlog docs -----------------------------------------------------------------------------------------------


def documents(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """One row per document of ``kb``: id, title, kind, academic year, institution, and how many rules (facts not
    counted), articles and parameters it has."""
    return [
        {
            "id": d.id,
            "title": d.title,
            "kind": d.meta.get("kind"),
            "academic_year": d.meta.get("academic_year"),
            "institution": d.meta.get("institution"),
            "rules": len([r for r in d.program.rules if not r.is_fact]),
            "articles": len(d.articles),
            "parameters": len(d.program.params),
        }
        for d in kb.documents.values()
    ]


def documents_text(rows: Iterable[dict[str, Any]]) -> str:
    """The rows of :func:`documents`, one line each: id, kind, academic year, rules, articles, title."""
    return "\n".join(
        f"{r['id']:<24} {r['kind']:<6} {r['academic_year']}  rules {r['rules']:>3}  "
        f"articles {r['articles']:>3}  {r['title']}"
        for r in rows
    )


def document_dict(d: Document) -> dict[str, Any]:
    """One document as JSON-ready data: its metadata, every rule (id, head, citations, source), its parameters
    (name, type, value; ``None`` when unfilled) and its articles (title, status)."""
    return {
        "id": d.id,
        "meta": {k: json_value(v) for k, v in d.meta.items()},
        "rules": [
            {"id": r.id, "head": str(r.head), "cites": [str(c) for c in r.ann.cites], "source": str(r)}
            for r in d.program.rules
        ],
        "parameters": [
            {
                "name": p.name,
                "type": p.type,
                "unit": p.unit,
                "options": [json_value(o) for o in p.options],
                "value": json_value(p.value) if p.value is not None else None,
            }
            for p in d.program.params
        ],
        "articles": {k: {"title": a.title, "status": a.status} for k, a in d.articles.items()},
    }


def document_text(d: Document) -> str:
    """One document for a reader: title and metadata, then its parameters, rules and articles with citations."""
    out = [
        f"{d.title}\n{d.id} · {d.meta.get('kind')} · {d.meta.get('institution')} · {d.meta.get('academic_year')}\n",
        "Parameters:",
    ]
    for p in d.program.params:
        val = "unfilled" if p.value is None else format_value(p.value)
        unit = f" ({p.unit})" if p.unit else ""
        opts = f"  options: {'; '.join(format_value(o) for o in p.options)}" if p.options else ""
        out.append(f"  ${p.name} : {p.type} = {val}{unit}{opts}   [{_cites(p.ann.cites)}]")
    out.append("\nRules:")
    out += [f"  {rule.id:<34} {rule.head}   [{_cites(rule.ann.cites)}]" for rule in d.program.rules]
    out.append("\nArticles:")
    out += [f"  {a.key:<8} {a.status:<15} {a.title}" for a in d.articles.values()]
    return "\n".join(out)


def _cites(cites: Iterable[object]) -> str:
    return ", ".join(str(c) for c in cites)


def _sections(voc: Vocabulary) -> tuple[tuple[str, str, dict[str, Relation]], ...]:
    """The vocabulary's two sections: JSON key, heading, relations by name."""
    return (("relations", "Input relations", voc.relations), ("concepts", "Shared concepts", voc.concepts))


def vocabulary_dict(voc: Vocabulary) -> dict[str, Any]:
    """The input relations and shared concepts, each with its documentation and typed, documented fields."""
    return {
        key: {
            name: {
                "doc": r.doc,
                "fields": [{"name": f.name, "type": f.type, "doc": f.doc, "values": list(f.values)} for f in r.fields],
            }
            for name, r in rels.items()
        }
        for key, _, rels in _sections(voc)
    }


def vocabulary_text(voc: Vocabulary) -> str:
    """The input relations and shared concepts: each one's signature, then its documentation."""
    out: list[str] = []
    for _, heading, rels in _sections(voc):
        out.append(f"{heading}:")
        out += [f"  {rel.signature()}\n      {rel.doc}{_declares(rel)}" for rel in rels.values()]
    return "\n".join(out)


def _declares(rel: Relation) -> str:
    """What the vocabulary declares of a relation beyond its fields: its key, and who states its facts."""
    out = ""
    if rel.key is not None:
        out += "\n      key: " + (", ".join(rel.key) if rel.key else "(none: at most one fact)")
    if rel.stated_by == "engine":
        out += "\n      stated by the engine (from the KB), never by a case file or an export"
    return out


def stats(kb: KnowledgeBase, doc_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Statistics of each document's rules (all documents, or ``doc_ids``): rules, exceptions, predicates, strata,
    the longest dependency chain, parameters (and how many unfilled), articles."""
    from oerlog.analysis.graph import stats as graph_stats  # deferred: networkx (~0.15 s to import)

    return [graph_stats(kb.document(d)) for d in (doc_ids or sorted(kb.documents))]


def stats_text(rows: Iterable[dict[str, Any]]) -> str:
    """The rows of :func:`stats` as a table, each document followed by its longest chain."""
    out = [
        f"{'document':<24}{'rules':>6}{'exc':>5}{'preds':>6}{'strata':>7}{'chain':>6}{'params':>7}"
        f"{'unfilled':>9}{'articles':>9}"
    ]
    for r in rows:
        out.append(
            f"{r['document']:<24}{r['rules']:>6}{r['exceptions']:>5}{r['predicates']:>6}{r['strata']:>7}"
            f"{r['longest_chain']:>6}{r['parameters']:>7}{r['unfilled_parameters']:>9}{r['articles']:>9}"
        )
        out.append("    longest chain: " + " → ".join(r["longest_chain_path"]))
    return "\n".join(out)


# --- oerlog lint -----------------------------------------------------------------------------------------------


def lint_dict(kb: KnowledgeBase | None, findings: Sequence[Finding]) -> dict[str, Any]:
    """A lint run as JSON-ready data: the documents checked, their number of rules, and the findings."""
    return {
        "documents": sorted(kb.documents) if kb else [],
        "rules": _rule_count(kb),
        "findings": [f.to_dict() for f in findings],
    }


def lint_summary(kb: KnowledgeBase | None, findings: Sequence[Finding]) -> str:
    """One line after the findings: documents and rules checked, and how many findings (information notes counted
    apart); or, when the KB did not load (``kb`` is None), how many errors stopped it."""
    if kb is None:
        return f"the KB does not load: {len(findings)} error(s)"
    problems = [f for f in findings if f.severity != "info"]
    infos = len(findings) - len(problems)
    return (
        f"{len(kb.documents)} document(s), {_rule_count(kb)} rules: "
        + (f"{len(problems)} finding(s)" if problems else "no findings")
        + (f" ({infos} for information)" if infos else "")
    )


def _rule_count(kb: KnowledgeBase | None) -> int:
    return sum(len(d.program.rules) for d in kb.documents.values()) if kb else 0


# --- oerlog impact ---------------------------------------------------------------------------------------------


def impacts(kb: KnowledgeBase, target: str | None, conclusion: str | None, doc_id: str | None) -> list[Impact]:
    """What depends on ``target`` (an article or ``$parameter``), or, given ``conclusion``, what it rests on: in
    ``doc_id``, or in every document that has it (an error only when none has it: the first document's)."""
    docs = [kb.document(doc_id)] if doc_id else [kb.documents[d] for d in sorted(kb.documents)]
    results: list[Impact] = []
    errors: list[OerlogError] = []
    for d in docs:
        try:
            results.append(rests_on(d, conclusion) if conclusion else impact(d, str(target)))
        except UsageError as exc:
            errors.append(exc)
    if not results:
        raise errors[0]
    return results


def impacts_dict(results: Iterable[Impact]) -> list[dict[str, Any]]:
    """The results of :func:`impacts` as JSON-ready data."""
    return [r.__dict__ for r in results]


def impacts_text(results: Iterable[Impact], rests: bool) -> str:
    """The results of :func:`impacts` for a reader: per document the rules and the conclusions that depend on the
    target, each with its rule paths; with ``rests``, the provisions, parameters and rules a conclusion rests on."""
    out: list[str] = []
    for r in results:
        if rests:
            out.append(
                f"{r.document}: {r.target} rests on {len(r.articles)} provision(s), "
                f"{len(r.parameters)} parameter(s), {len(r.rules)} rule(s)"
            )
            out += [f"  {a}" for a in r.articles]
            out += [f"  {p}" for p in r.parameters]
            out.append("  rules: " + ", ".join(r.rules))
            continue
        out.append(
            f"{r.document}: {r.target} is applied by {', '.join(r.rules) or 'no rule'}; "
            f"{len(r.conclusions)} conclusion(s) depend on it"
        )
        for pred, paths in r.conclusions.items():
            out.append(f"  {pred}")
            out += ["      via " + " → ".join(path) for path in paths]
    return "\n".join(out)
