"""Render explanation trees as terminal text, Markdown and JSON, in Dutch or English.

Statements come from the rules' ``@nl`` / ``@en`` templates with the bindings filled in; cited provisions are
quoted verbatim (in the document's own language, whatever the output language).
The JSON form is the stable schema documented in docs/explanation-schema.md (``schema: oerlog.explanation/2``); every
value in it is written by the kind of its column (:func:`oerlog.values.json_value`: a grade 6 is ``"6.0"``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from oerlog.escape import md_quote, md_text
from oerlog.explain.explainer import Node, NodeKind, RuleInfo
from oerlog.lang import ir
from oerlog.semantics.plan import StepKind
from oerlog.values import Value, format_value, json_value

SCHEMA_ID = "oerlog.explanation/2"

# the type class of each column of a predicate (``dec``, ``int``, ``date`` ...; None: unknown), as
# :meth:`oerlog.evaluation.judge.Judgement.kinds` gives it: how its values are written in JSON
Kinds = Callable[[str], Sequence[str | None]]


def _no_kinds(pred: str) -> Sequence[str | None]:
    return ()


def variable_kinds(rule: ir.Rule | None, kinds: Kinds) -> dict[str, str]:
    """The kind of each variable of ``rule`` that stands as an argument of its head or of a positive atom of its
    body whose column's kind is known (the first such place); a variable computed by an expression or an aggregate
    has none (its value is written by what it is)."""
    out: dict[str, str] = {}
    if rule is None:
        return out
    for a in (rule.head, *(lit.atom for lit in rule.body if isinstance(lit, ir.Positive))):
        ks = kinds(a.pred)
        for i, t in enumerate(a.args):
            k = ks[i] if i < len(ks) else None
            if isinstance(t, ir.Var) and k and t.name not in out:
                out[t.name] = k
    return out


def json_bindings(binding: dict[str, Value], var_kinds: dict[str, str]) -> dict[str, object]:
    """A node's bindings as JSON data, each value by the kind of its variable (anonymous variables left out)."""
    return {k: json_value(v, var_kinds.get(k)) for k, v in sorted(binding.items()) if not ir.is_anonymous(k)}


WORDS = {
    "nl": {
        "rule": "regel",
        "fact": "feit",
        "source": "bron",
        "interpretation": "interpretatie",
        "discretion": "discretionaire bevoegdheid",
        "not_holds": "geldt niet",
        "holds": "geldt",
        "absent": "niet aanwezig",
        "exception_checked": "uitzondering overwogen, niet van toepassing",
        "goal_not": "Waarom niet",
        "goal_why": "Waarom",
        "failed": "faalt op",
        "missing": "ontbreekt",
        "blocked": "niet te beoordelen",
        "defeated": "opzij gezet door uitzondering",
        "no_rule": "geen regel leidt dit af",
        "derived": "regel is van toepassing",
        "aggregate": "telling/som",
        "rule_tried": "geprobeerde regel",
        "not_found": "niet afgeleid",
        "no_fact": "dit feit staat niet in de casus",
        "false": "klopt niet",
        "negation_fails": "geldt wel, dus de ontkenning faalt",
        "not_explored": "niet afgeleid (niet verder uitgezocht)",
        "unfilled": "hangt af van een keuze die de regeling open laat",
        "would_apply": "regel {a} zou van toepassing zijn; uitzondering {b} zet hem opzij",
        "applies": "de regel is van toepassing",
        "matches": "feit(en) voldoen",
        "no_group": "geen waarde voor deze groep",
        "head_mismatch": "deze regel concludeert {h}, wat niet op {g} past",
        "undetermined": "onbepaald",
        "goal_open": "Onbepaald",
        "may_apply": "als wat hieronder onbepaald is zo uitvalt",
        "unknown_fact": "niet vastgesteld: de casus noemt dit feit niet als waar en niet als onwaar",
        "stated_false": "volgens de casus niet het geval",
        "choice_open": "een keuze die de regeling open laat",
        "negation_open": "onbepaald, dus de ontkenning ook",
        "options": "keuzes die de regeling openlaat",
        "under_none": "geldt onder geen enkele keuze; hieronder uitgewerkt voor",
    },
    "en": {
        "rule": "rule",
        "fact": "fact",
        "source": "source",
        "interpretation": "interpretation",
        "discretion": "discretionary power",
        "not_holds": "does not hold",
        "holds": "holds",
        "absent": "absent",
        "exception_checked": "exception considered, does not apply",
        "goal_not": "Why not",
        "goal_why": "Why",
        "failed": "fails at",
        "missing": "missing",
        "blocked": "cannot be decided",
        "defeated": "set aside by an exception",
        "no_rule": "no rule derives this",
        "derived": "rule applies",
        "aggregate": "aggregate",
        "rule_tried": "rule tried",
        "not_found": "not derived",
        "no_fact": "no such fact in the case",
        "false": "false",
        "negation_fails": "holds, so the negation fails",
        "not_explored": "not derived (not explored further)",
        "unfilled": "depends on a choice the document leaves unfilled",
        "would_apply": "rule {a} would apply; exception {b} overrides it",
        "applies": "the rule applies",
        "matches": "fact(s) match",
        "no_group": "no value for this group",
        "head_mismatch": "this rule concludes {h}, which cannot match {g}",
        "undetermined": "undetermined",
        "goal_open": "Undetermined",
        "may_apply": "if what is undetermined below turns out so",
        "unknown_fact": "not established: the case states this fact neither true nor false",
        "stated_false": "not the case, as the case states",
        "choice_open": "a choice the document leaves unfilled",
        "negation_open": "undetermined, so its negation is too",
        "options": "choices the document leaves open",
        "under_none": "holds under no option; worked out below for",
    },
}

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fill(template: str | None, binding: dict[str, Value], lang: str, unbound: str | None = None) -> str | None:
    """Fill ``{Var}`` placeholders with formatted values; unbound ones stay as written, or become ``unbound``."""
    if not template:
        return None
    return _PLACEHOLDER.sub(
        lambda m: (
            format_value(binding[m.group(1)], lang)
            if m.group(1) in binding
            else (unbound if unbound is not None else m.group(0))
        ),
        template,
    )


def statement(node: Node, lang: str) -> str:
    """The node's sentence: the rule's template filled in, or the atom itself."""
    if node.rule is not None:
        tpl = node.rule.nl if lang == "nl" else node.rule.en
        tpl = tpl or node.rule.en or node.rule.nl
        # in a failed rule the variables after the failing literal have no value: show them as "…"
        s = fill(tpl, node.binding, lang, "…" if node.kind in (NodeKind.RULE_FAILED, NodeKind.BLOCKED) else None)
        if s:
            return s
    return node.atom or node.text or ""


def cite_label(info: RuleInfo) -> str:
    """``uu-gnk-ba-2025 art. A.5 lid 2; ...``."""
    return "; ".join((f"{c.doc} " if c.doc else "") + (p.label if p else str(c)) for c, p in info.citations)


# --- text ---------------------------------------------------------------------------------------------


def to_text(node: Node, lang: str = "nl", quotes: bool = True) -> str:
    """Indented tree for the terminal; a conclusion proved earlier in the same tree is referred to, not
    proved again."""
    out: list[str] = []
    _text(node, lang, 0, out, quotes, set(), set())
    return "\n".join(out)


def _text(
    node: Node, lang: str, level: int, out: list[str], quotes: bool, quoted: set[str], shown: set[str] | None = None
) -> None:
    w = WORDS[lang]
    pad = "  " * level
    k = node.kind
    if k is NodeKind.DERIVED and shown is not None and node.atom in shown:
        out.append(f"{pad}✔ {statement(node, lang)}  ({'zie boven' if lang == 'nl' else 'see above'})")
        return
    if k is NodeKind.DERIVED and shown is not None and node.atom:
        shown.add(node.atom)
    if k is NodeKind.DERIVED:
        label = f"[{w['rule']} {node.rule.id}; {cite_label(node.rule)}]" if node.rule else ""
        out.append(f"{pad}✔ {statement(node, lang)}  {label}".rstrip())
        if node.atom and node.rule and (node.rule.nl or node.rule.en):
            out.append(f"{pad}  = {node.atom}")
        _rule_details(node.rule, pad + "  ", lang, out, quotes, quoted)
    elif k is NodeKind.FACT:
        src = f"  ({w['source']}: {node.source})" if node.source else ""
        out.append(f"{pad}• {w['fact']}: {node.atom}{src}")
    elif k is NodeKind.BUILTIN:
        out.append(f"{pad}• {node.text}")
    elif k is NodeKind.ABSENT:
        out.append(f"{pad}• {w['absent']}: {node.text}")
    elif k is NodeKind.AGGREGATE:
        out.append(f"{pad}• {w['aggregate']}: {node.text}  [{node.atom}]")
    elif k is NodeKind.EXCEPTION_CHECKED:
        label = f"{node.rule.id}; {cite_label(node.rule)}" if node.rule else ""
        out.append(f"{pad}◦ {w['exception_checked']}: {label}")
        _rule_details(node.rule, pad + "  ", lang, out, quotes, quoted)
    elif k in (NodeKind.GOAL, NodeKind.HOLDS):
        head = w["goal_not"] if k is NodeKind.GOAL else w["goal_why"]
        state = w["not_holds"] if k is NodeKind.GOAL else w["holds"]
        out.append(f"{pad}{head}: {node.atom} — {state}")
    elif k is NodeKind.RULE_FAILED:
        label = f"{w['rule_tried']} {node.rule.id}; {cite_label(node.rule)}" if node.rule else w["rule_tried"]
        out.append(f"{pad}✘ {label}")
        if node.rule and (node.rule.nl or node.rule.en):
            out.append(f"{pad}  ({statement(node, lang)})")
        _rule_details(node.rule, pad + "  ", lang, out, quotes, quoted)
        if node.failed_literal:
            lit = node.failed_literal
            if node.failed_step is StepKind.DEFEAT:
                lit = "uitzondering op deze regel" if lang == "nl" else "an exception to this rule"
            out.append(f"{pad}  {w['failed']}: {lit}")
    elif k is NodeKind.HEAD_MISMATCH:
        rid = node.rule.id if node.rule else ""
        head = node.rule.source.split(" :-")[0] if node.rule else "?"
        out.append(f"{pad}✘ {rid}: " + w["head_mismatch"].format(h=head, g=node.atom))
    elif k is NodeKind.MISSING_FACT:
        out.append(f"{pad}✘ {w['missing']}: {node.atom} — {w['no_fact']}")
    elif k is NodeKind.NOT_DERIVED:
        out.append(f"{pad}✘ {node.atom} — {w['not_explored']}")
    elif k is NodeKind.BUILTIN_FALSE:
        out.append(f"{pad}✘ {node.text} — {w['false'] if node.failed_literal != 'agg' else w['no_group']}")
    elif k is NodeKind.PRESENT:
        out.append(f"{pad}✘ {node.atom} {w['negation_fails']}")
    elif k is NodeKind.DEFEATED:
        label = f"{node.rule.id}; {cite_label(node.rule)}" if node.rule else ""
        rid = node.failed_literal or "?"
        out.append(f"{pad}⚑ " + w["would_apply"].format(a=rid, b=node.rule.id if node.rule else "?") + f"  [{label}]")
        _rule_details(node.rule, pad + "  ", lang, out, quotes, quoted)
    elif k is NodeKind.BLOCKED:
        label = f"{node.rule.id}; {cite_label(node.rule)}" if node.rule else ""
        params = ", ".join("$" + p for p in node.params)
        out.append(f"{pad}? {w['blocked']}: {w['unfilled']}: {params}  [{label}]")
        _rule_details(node.rule, pad + "  ", lang, out, quotes, quoted)
    elif k is NodeKind.NO_RULE:
        out.append(f"{pad}✘ {w['no_rule']}")
    elif k is NodeKind.UNDETERMINED and node.failed_step is StepKind.NOT:  # a negation of something undetermined
        out.append(f"{pad}? not {node.atom} — {w['negation_open']}")
    elif k is NodeKind.UNDETERMINED and node.rule is None:  # the goal of a why-not
        out.append(f"{pad}{w['goal_open']}: {node.atom} — {w['undetermined']}")
    elif k is NodeKind.UNDETERMINED:
        label = f"{w['rule']} {node.rule.id}; {cite_label(node.rule)}" if node.rule else ""
        out.append(f"{pad}? {node.atom} — {w['undetermined']}  [{label}]")
        if node.rule and (node.rule.nl or node.rule.en):
            out.append(f"{pad}  ({statement(node, lang)} — {w['may_apply']})")
        _rule_details(node.rule, pad + "  ", lang, out, quotes, quoted)
    elif k is NodeKind.UNKNOWN_FACT:
        out.append(f"{pad}? {node.atom} — {w['unknown_fact']}")
    elif k is NodeKind.STATED_FALSE:
        src = f"  ({w['source']}: {node.source})" if node.source else ""
        out.append(f"{pad}• not {node.atom} — {w['stated_false']}{src}")
    elif k is NodeKind.OPTIONS and node.failed_literal == "none":
        out.append(f"{pad}• {w['options']}: {w['under_none']} {node.text}")
    elif k is NodeKind.OPTIONS:
        text = (node.text or "").replace("does not hold", w["not_holds"]).replace("holds", w["holds"])
        out.append(f"{pad}• {w['options']}: {text}")
    elif k is NodeKind.UNFILLED:
        out.append(f"{pad}? {w['choice_open']}: " + ", ".join("$" + p for p in node.params))
    else:
        out.append(f"{pad}{k}: {node.atom} {node.text or ''}")
    for c in node.children:
        _text(c, lang, level + 1, out, quotes, quoted, shown)


def _rule_details(info: RuleInfo | None, pad: str, lang: str, out: list[str], quotes: bool, quoted: set[str]) -> None:
    if info is None:
        return
    w = WORDS[lang]
    if quotes:
        for c, p in info.citations:
            if p is None:
                continue
            key = f"{c.doc}:{p.article}:{p.lid}"
            if key in quoted:
                out.append(f"{pad}“…” ({p.label}, {'zie boven' if lang == 'nl' else 'quoted above'})")
                continue
            quoted.add(key)
            out.append(f"{pad}“{p.text}” ({p.label})")
    for i in info.readings(lang):
        out.append(f"{pad}{w['interpretation']}: {i}")
    disc = info.discretion_in(lang)
    if disc:
        out.append(f"{pad}⚖ {w['discretion']}: {disc}")


# --- markdown -----------------------------------------------------------------------------------------


def to_markdown(node: Node, lang: str = "nl") -> str:
    """Nested Markdown list with quoted provisions as block quotes; every line is text (escaped)."""
    out: list[str] = []
    _md(node, lang, 0, out)
    return "\n".join(out) + "\n"


def _md(node: Node, lang: str, level: int, out: list[str]) -> None:
    lines: list[str] = []
    _text(
        Node(
            node.kind,
            node.atom,
            node.pred,
            node.args,
            node.rule,
            node.binding,
            node.text,
            node.source,
            [],
            node.height,
            node.failed_literal,
            node.params,
            node.failed_step,
        ),
        lang,
        0,
        lines,
        False,
        set(),
    )
    pad = "  " * level
    first, *rest = lines or [""]
    out.append(f"{pad}- {md_text(first)}")
    for r in rest:
        out.append(f"{pad}  {md_text(r.strip())}  ")
    if node.rule is not None and node.kind in (
        NodeKind.DERIVED,
        NodeKind.RULE_FAILED,
        NodeKind.DEFEATED,
        NodeKind.EXCEPTION_CHECKED,
        NodeKind.BLOCKED,
        NodeKind.UNDETERMINED,
    ):
        for _, p in node.rule.citations:
            if p is not None:
                out.append(md_quote(f"{p.text} ({p.label})", pad + "  "))
    for c in node.children:
        _md(c, lang, level + 1, out)


# --- json ---------------------------------------------------------------------------------------------


def node_dict(
    node: Node, lang: str = "nl", kinds: Kinds = _no_kinds, _outer: dict[str, str] | None = None
) -> dict[str, Any]:
    """The node in the stable JSON schema; ``kinds`` (the judgement's :meth:`~Judgement.kinds`) writes each value by
    the kind of its column, a whole grade as ``"6.0"`` (without it: by the Python value)."""
    arg_kinds = kinds(node.pred) if node.pred else ()
    # a rule's variables by their columns; a comparison or aggregate step has the variables of its rule
    var_kinds = variable_kinds(node.rule.rule, kinds) if node.rule is not None else dict(_outer or {})
    d: dict[str, Any] = {
        "kind": str(node.kind),
        "atom": node.atom,
        "predicate": node.pred,
        "args": [json_value(v, arg_kinds[i] if i < len(arg_kinds) else None) for i, v in enumerate(node.args)],
        "statement": statement(node, lang) if node.rule else None,
        "text": node.text,
        "bindings": json_bindings(node.binding, var_kinds),
        "source": (
            {"file": node.source.file, "line": node.source.line, "column": node.source.column} if node.source else None
        ),
        "height": node.height,
        "failed_literal": node.failed_literal,
        "parameters": list(node.params),
        "failed_conditions": node.failures,
        "rule": None,
        "children": [node_dict(c, lang, kinds, var_kinds) for c in node.children],
    }
    if node.rule is not None:
        info = node.rule
        d["rule"] = {
            "id": info.id,
            "document": info.document,
            "source": info.source,
            "location": str(info.loc) if info.loc else None,
            "citations": [
                {
                    "document": c.doc or info.document,
                    "article": c.article,
                    "lid": c.lid,
                    "label": p.label if p else str(c),
                    "text": p.text if p else None,
                }
                for c, p in info.citations
            ],
            "templates": {"nl": info.nl, "en": info.en},
            "interpretations": list(info.readings(lang)),
            "discretion": info.discretion_in(lang),
        }
    return d


def to_json(
    kind: str,
    goal: str,
    tree: Node,
    lang: str,
    receipt: dict[str, Any],
    document: dict[str, Any],
    summary: dict[str, Any] | None = None,
    kinds: Kinds = _no_kinds,
    overrides: list[dict[str, Any]] | None = None,
) -> str:
    """The whole explanation document as JSON text: the summary (answer, decisive rule, values), the parameters
    overridden for the run (:func:`oerlog.evaluation.overrides.overrides_json`) and the tree, each value by the
    kind of its column (``kinds``)."""
    payload = {
        "schema": SCHEMA_ID,
        "kind": kind,
        "goal": goal,
        "language": lang,
        "document": document,
        "receipt": receipt,
        "overrides": overrides or [],
        "summary": summary,
        "tree": node_dict(tree, lang, kinds),
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)
