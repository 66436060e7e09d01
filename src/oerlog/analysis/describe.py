"""What the KB holds and how it hangs together, for readers: as terminal text and as JSON-ready data.

- the documents (``oerlog docs``): one line each; one document's parameters, rules and articles; the vocabulary;
  statistics of the rule graphs (``oerlog docs --stats``);
- the outcome of ``oerlog lint`` in one summary line;
- what depends on an article or a parameter, or what a conclusion rests on (``oerlog impact``), over the documents.

Text is returned without a final newline (the caller prints it as one line or block).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from oerlog.analysis.impact import Impact, impact, rests_on
from oerlog.analysis.lint import Finding
from oerlog.errors import OerlogError, UsageError
from oerlog.kb.loader import Document, KnowledgeBase
from oerlog.kb.vocabulary import Field, Relation, Vocabulary
from oerlog.values import Value, counted, format_value, json_value, plain_text

DOCUMENTS_SCHEMA = "oerlog.documents/1"  # src/oerlog/schemas/*.schema.json, one per JSON output of this module
DOCUMENT_SCHEMA = "oerlog.document/1"
VOCABULARY_SCHEMA = "oerlog.vocabulary/1"
STATS_SCHEMA = "oerlog.stats/1"
LINT_SCHEMA = "oerlog.lint/1"
IMPACT_SCHEMA = "oerlog.impact/1"

# --- oerlog docs -----------------------------------------------------------------------------------------------


def rule_counts(d: Document) -> dict[str, int]:
    """What a document's ``.dl`` files hold, counted one way everywhere (``docs``, ``docs --stats``, ``lint``):
    ``rules`` (written with ``:-``, not exceptions), ``exceptions`` (``except ...``) and ``facts`` (ground facts
    written in the files), as written, before any expansion."""
    exceptions = sum(1 for r in d.program.rules if r.defeats)
    facts = sum(1 for r in d.program.rules if r.is_fact and not r.defeats)
    return {"rules": len(d.program.rules) - exceptions - facts, "exceptions": exceptions, "facts": facts}


def documents(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """One row per document of ``kb``: id, title, kind, academic year, institution, the programme codes it applies
    to, and how many rules, exceptions and facts (:func:`rule_counts`), articles and parameters it has."""
    return [
        {
            "id": d.id,
            "title": d.title,
            "kind": d.meta.get("kind"),
            "academic_year": d.meta.get("academic_year"),
            "institution": d.meta.get("institution"),
            "programmes": [str(p) for p in d.meta.get("programmes") or []],
            **rule_counts(d),
            "articles": len(d.articles),
            "parameters": len(d.program.params),
        }
        for d in kb.documents.values()
    ]


def documents_dict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows of :func:`documents` as JSON-ready data (schema ``oerlog.documents/1``)."""
    return {"schema": DOCUMENTS_SCHEMA, "documents": rows}


def documents_text(rows: Iterable[dict[str, Any]]) -> str:
    """The rows of :func:`documents`, one line each: id, kind, academic year, rules, exceptions and facts as
    written in its files, articles, title."""
    return "\n".join(
        f"{r['id']:<24} {r['kind']:<6} {r['academic_year']}  {r['rules']:>3} rules, {r['exceptions']:>2} exceptions, "
        f"{r['facts']:>3} facts, {r['articles']:>3} articles  {r['title']}"
        for r in rows
    )


def document_dict(d: Document) -> dict[str, Any]:
    """One document as JSON-ready data: its metadata, the programme codes a case's enrolment names, the counts of
    rules, exceptions and facts, every rule (id, head, citations, source), its parameters (name, type, value;
    ``None`` when unfilled, each value in the JSON type of the parameter's kind) and its articles (title,
    status)."""
    return {
        "schema": DOCUMENT_SCHEMA,
        "id": d.id,
        "meta": _json_data(d.meta),
        "programmes": [str(p) for p in d.meta.get("programmes") or []],
        "counts": rule_counts(d),
        "rules": [
            {"id": r.id, "head": str(r.head), "cites": [str(c) for c in r.ann.cites], "source": str(r)}
            for r in d.program.rules
        ],
        "parameters": [
            {
                "name": p.name,
                "type": p.type,
                "unit": p.unit,
                "options": [json_value(o, p.type) for o in p.options],
                "value": json_value(p.value, p.type),
            }
            for p in d.program.params
        ],
        "articles": {k: {"title": a.title, "status": a.status} for k, a in d.articles.items()},
    }


def document_text(d: Document) -> str:
    """One document for a reader: title and metadata, the programme codes a case's enrolment names (with an
    example), the counts of rules, then its parameters, rules and articles with citations."""
    year = d.meta.get("academic_year")
    programmes = [str(p) for p in d.meta.get("programmes") or []]
    n = rule_counts(d)
    out = [
        f"{d.title}\n{d.id} · {d.meta.get('kind')} · {d.meta.get('institution')} · {year}\n",
        f"Programmes: {', '.join(programmes) or '(none: name the document in the case, document: ' + d.id + ')'}",
    ]
    if programmes:
        out.append(
            "  a case is judged under this document when its enrolment names one of them for the academic year, e.g.\n"
            f"  enrolment: [{{student: s1, programme: {programmes[0]}, academic_year: {year}, study_year: 1}}]"
        )
    out += [
        f"{n['rules']} rules, {n['exceptions']} exceptions and {n['facts']} facts in its .dl files; "
        f"{len(d.articles)} articles\n",
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


def _json_data(data: object) -> object:
    """Metadata read from YAML as JSON data: mappings and lists kept, every value by its kind (a date ISO)."""
    if isinstance(data, dict):
        return {str(k): _json_data(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_json_data(v) for v in data]
    return json_value(data)


def _cites(cites: Iterable[object]) -> str:
    return ", ".join(str(c) for c in cites)


def _sections(voc: Vocabulary) -> tuple[tuple[str, str, dict[str, Relation]], ...]:
    """The vocabulary's two sections: JSON key, heading, relations by name."""
    return (("relations", "Input relations", voc.relations), ("concepts", "Shared concepts", voc.concepts))


Examples = dict[str, dict[str, list[Value]]]  # relation -> field -> example values
EXAMPLES_PER_FIELD = 3


def case_examples(kb: KnowledgeBase) -> Examples:
    """Example values of every field of the input relations, as the KB's own case files (``kb/<doc>/cases``) write
    them: per field the most frequent distinct values (at most :data:`EXAMPLES_PER_FIELD`). A case file that does
    not load is skipped (``oerlog test`` and ``lint`` report it)."""
    from oerlog.kb.cases import load_case  # deferred: only the vocabulary listing reads case files

    seen: dict[str, dict[str, Counter[Value]]] = {}
    for d in sorted(kb.documents):
        for path in sorted((kb.documents[d].path / "cases").glob("*.yaml")):
            try:
                case = load_case(path, kb.vocabulary)
            except OerlogError:
                continue
            for name, rows in case.facts.items():
                rel = kb.vocabulary.relations.get(name)
                if rel is None:
                    continue
                for row in rows:
                    for f, v in zip(rel.fields, row, strict=False):
                        seen.setdefault(name, {}).setdefault(f.name, Counter())[v] += 1
    return {
        name: {
            f: [v for v, _ in sorted(c.items(), key=lambda kv: (-kv[1], plain_text(kv[0])))[:EXAMPLES_PER_FIELD]]
            for f, c in fields.items()
        }
        for name, fields in seen.items()
    }


def _examples_of(rel: Relation, f: Field, examples: Examples) -> list[Value]:
    """The example values of a field: from the case files, else the value the vocabulary gives for its type."""
    found = examples.get(rel.name, {}).get(f.name)
    return list(found) if found else [f.example()]


def vocabulary_dict(voc: Vocabulary, examples: Examples | None = None) -> dict[str, Any]:
    """The input relations and shared concepts, each with its documentation and typed, documented fields: an enum
    field's values, and example values (from the case files, or the type's example), each in the JSON type of
    the field's kind."""
    ex = examples or {}
    return {
        "schema": VOCABULARY_SCHEMA,
        **{
            key: {
                name: {
                    "doc": r.doc,
                    "key": list(r.key) if r.key is not None else None,
                    "fields": [
                        {
                            "name": f.name,
                            "type": f.type,
                            "doc": f.doc,
                            "values": list(f.values),
                            "examples": [json_value(v, f.type) for v in _examples_of(r, f, ex)],
                        }
                        for f in r.fields
                    ],
                }
                for name, r in rels.items()
            }
            for key, _, rels in _sections(voc)
        },
    }


def vocabulary_text(voc: Vocabulary, examples: Examples | None = None) -> str:
    """The input relations and shared concepts: each one's signature, its documentation, what the vocabulary
    declares of it, and a line per field: its type (an enum's values), its documentation and example values."""
    ex = examples or {}
    out: list[str] = []
    for key, heading, rels in _sections(voc):
        out.append(f"{heading}:")
        for rel in rels.values():
            out.append(f"  {rel.signature()}\n      {rel.doc}{_declares(rel)}")
            for f in rel.fields:
                kind = f"{f.type}: one of {', '.join(f.values)}" if f.values else f.type
                doc = f": {f.doc}" if f.doc else ""
                stated = key == "relations" and rel.stated_by != "engine"  # case files state its facts
                shown = f"; examples: {', '.join(plain_text(v) for v in _examples_of(rel, f, ex))}" if stated else ""
                out.append(f"      - {f.name} ({kind}){doc}{shown}")
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


STATS_LEGEND = (
    "rules, exc(eptions), facts: as written in the .dl files (as `oerlog docs` counts them); compiled: the rules the "
    "engine runs, after expanding open choices into one copy per option, exceptions into negations and aggregates "
    "and negations into auxiliary rules; preds: derived predicates; chain: the longest dependency chain"
)


def stats_dict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows of :func:`stats` as JSON-ready data (schema ``oerlog.stats/1``), with the legend of what is
    counted."""
    return {"schema": STATS_SCHEMA, "legend": STATS_LEGEND, "documents": rows}


def stats_text(rows: Iterable[dict[str, Any]]) -> str:
    """The rows of :func:`stats` as a table, each document followed by its longest chain, and a legend of what is
    counted."""
    out = [
        f"{'document':<24}{'rules':>6}{'exc':>5}{'facts':>6}{'compiled':>9}{'preds':>6}{'strata':>7}{'chain':>6}"
        f"{'params':>7}{'unfilled':>9}{'articles':>9}"
    ]
    for r in rows:
        out.append(
            f"{r['document']:<24}{r['rules']:>6}{r['exceptions']:>5}{r['facts']:>6}{r['compiled_rules']:>9}"
            f"{r['predicates']:>6}{r['strata']:>7}{r['longest_chain']:>6}{r['parameters']:>7}"
            f"{r['unfilled_parameters']:>9}{r['articles']:>9}"
        )
        out.append("    longest chain: " + " → ".join(r["longest_chain_path"]))
    return "\n".join([*out, "", STATS_LEGEND])


# --- oerlog lint -----------------------------------------------------------------------------------------------


def lint_dict(kb: KnowledgeBase | None, findings: Sequence[Finding]) -> dict[str, Any]:
    """A lint run as JSON-ready data (schema ``oerlog.lint/1``): the documents checked, their number of rules,
    exceptions and facts (``rules``: all three together), and the findings."""
    return {
        "schema": LINT_SCHEMA,
        "documents": sorted(kb.documents) if kb else [],
        "rules": _rule_count(kb),
        "counts": _totals(kb),
        "findings": [f.to_dict() for f in findings],
    }


def lint_summary(kb: KnowledgeBase | None, findings: Sequence[Finding]) -> str:
    """One line after the findings: documents and rules checked, and how many findings (information notes counted
    apart); or, when the KB did not load (``kb`` is None), how many errors stopped it."""
    if kb is None:
        return f"the KB does not load: {len(findings)} error(s)"
    problems = [f for f in findings if f.severity != "info"]
    infos = len(findings) - len(problems)
    n = _totals(kb)
    return (
        f"{counted(len(kb.documents), 'document', 'documents', 'en')} ({counted(n['rules'], 'rule', 'rules', 'en')}, "
        f"{counted(n['exceptions'], 'exception', 'exceptions', 'en')}, {counted(n['facts'], 'fact', 'facts', 'en')}): "
        + (counted(len(problems), "finding", "findings", "en") if problems else "no findings")
        + (f" ({infos} for information)" if infos else "")
    )


def _totals(kb: KnowledgeBase | None) -> dict[str, int]:
    """:func:`rule_counts` summed over the documents of ``kb``."""
    out = {"rules": 0, "exceptions": 0, "facts": 0}
    for d in kb.documents.values() if kb else ():
        for k, v in rule_counts(d).items():
            out[k] += v
    return out


def _rule_count(kb: KnowledgeBase | None) -> int:
    return sum(_totals(kb).values())


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


def impacts_dict(results: Iterable[Impact]) -> dict[str, Any]:
    """The results of :func:`impacts` as JSON-ready data (schema ``oerlog.impact/1``)."""
    return {"schema": IMPACT_SCHEMA, "results": [dict(r.__dict__) for r in results]}


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
