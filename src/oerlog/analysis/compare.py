"""The analysts' compare query (saved queries with ``mode: compare``): for each document, the rules that decide
a concept, with their citations, exceptions and the parameters the conclusion rests on, side by side."""

from __future__ import annotations

from typing import Any

from oerlog.analysis.consistency.text import citation_label, provision_text, shorten
from oerlog.analysis.impact import rests_on
from oerlog.errors import OerlogError
from oerlog.escape import md_code, md_quote, md_text
from oerlog.kb.loader import KnowledgeBase
from oerlog.semantics.plan import rule_params
from oerlog.values import json_value

COMPARE_SCHEMA = "oerlog.compare/1"  # src/oerlog/schemas/compare.schema.json


def compare_rules(kb: KnowledgeBase, concepts: list[str], doc_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """For every document and concept: the rules deriving it (and exceptions to them) with citations and
    shortened quotes, and the parameters the conclusion rests on with their values."""
    out: list[dict[str, Any]] = []
    for d in doc_ids or sorted(kb.documents):
        doc = kb.document(d)
        entry: dict[str, Any] = {"document": d, "title": doc.title, "kind": doc.meta.get("kind"), "concepts": {}}
        for c in concepts:
            rules = [r for r in doc.program.rules if r.head.pred == c]
            if not rules:
                entry["concepts"][c] = None
                continue
            params: dict[str, Any] = {}
            try:
                for p in rests_on(doc, c).parameters:
                    decl = doc.param_decl(p.lstrip("$"))
                    params[p.lstrip("$")] = None if decl is None else json_value(decl.value, decl.type)
            except OerlogError:
                pass
            entry["concepts"][c] = {
                "rules": [
                    {
                        "id": r.id,
                        "exception_to": r.defeats,
                        "rule": str(r),
                        "parameters": {
                            p: (None if (dc := doc.param_decl(p)) is None else json_value(dc.value, dc.type))
                            for p in rule_params(r)
                        },
                        "citations": [
                            {
                                "label": citation_label(ct, doc.provision(ct)),
                                "quote": shorten(provision_text(doc.provision(ct)), 240),
                            }
                            for ct in r.ann.cites
                        ],
                        "interpretations": list(r.ann.interpretations),
                        "discretion": r.ann.discretion,
                    }
                    for r in rules
                ],
                "rests_on_parameters": params,
            }
        out.append(entry)
    return out


def compare_text(data: list[dict[str, Any]], markdown: bool = False) -> str:
    """Render :func:`compare_rules` as terminal text or Markdown."""
    out: list[str] = []
    concepts: list[str] = list(data[0]["concepts"]) if data else []
    for c in concepts:
        out.append(f"## {md_text(c)}" if markdown else f"=== {c} " + "=" * 60)
        out.append("")
        for entry in data:
            info = entry["concepts"].get(c)
            head = f"{entry['document']} ({entry['kind']})"
            if info is None:
                out.append(f"- **{md_text(head)}**: no rule" if markdown else f"{head}: no rule")
                continue
            params = ", ".join(
                f"${k} = {'unfilled' if v is None else v}" for k, v in info["rests_on_parameters"].items()
            )
            out.append(
                f"- **{md_text(head)}**" + (f": {md_text(params)}" if params else "")
                if markdown
                else f"{head}" + (f"  [{params}]" if params else "")
            )
            for r in info["rules"]:
                exc = f" (exception to {r['exception_to']})" if r["exception_to"] else ""
                cites = "; ".join(x["label"] for x in r["citations"])
                if markdown:
                    out.append(f"  - {md_code(r['id'])}{md_text(exc)} — {md_text(cites)}")
                    for x in r["citations"]:
                        out.append(md_quote(f"{x['quote']} ({x['label']})", "    "))
                else:
                    out.append(f"  {r['id']}{exc}  [{cites}]")
                    for x in r["citations"]:
                        out.append(f"      “{x['quote']}” ({x['label']})")
            out.append("")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
