"""``oerlog lint``: every problem in a KB, errors and warnings, each located.

Errors are what stops the KB from loading (syntax, arity, unknown predicates, unsafe variables, negation through
recursion, type errors such as a date compared with a number (:mod:`oerlog.lang.types`, with the rule's id),
citations that do not resolve, duplicate ids, parameters declared twice). On a KB that loads, two more errors: a
rule citing a provision that articles.yaml marks not computable, and an ``=`` / ``!=`` between values of types that
are never equal (a date with a grade, an id with a number: the rule never fires, or the test always holds; the
types are those :mod:`oerlog.lang.types` infers). Warnings: rules without citation, unused derived predicates,
parameters never used, rules that cannot fire (unreachable: comparisons that no value satisfies), variables written
once in a rule (a typo, or ``_``); and, for information, rules that cannot fire until an unfilled template choice is
made.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from oerlog.analysis.constraints import ConstraintChecker, Violation
from oerlog.errors import Location, OerlogError
from oerlog.kb import yamlpos
from oerlog.kb.cases import Case, load_case
from oerlog.kb.loader import Document, KnowledgeBase, load_kb
from oerlog.kb.vocabulary import LANGS
from oerlog.lang import checks, ir, templates
from oerlog.lang.order import Step, evaluation_order
from oerlog.lang.types import Env, ProgramTypes, RelationType, TypeClass, compatible, infer_types, type_name
from oerlog.semantics.plan import rule_params
from oerlog.testing.scenarios import load_scenarios, scenario_files
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
        findings.extend(document_errors(kb, d))
        findings.extend(document_warnings(kb, d))
    if not doc_ids:
        findings.extend(template_findings(kb.scope, None))
        findings.extend(singleton_variable_warnings(kb.scope.rules, None))
    findings.extend(similar_conclusions(kb, doc_ids or sorted(kb.documents)))
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
    derivable |= set(plan.option_copies)
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
    return out + singleton_variable_warnings(rules, doc.id) + reader_text_warnings(kb, doc)


def reader_text_warnings(kb: KnowledgeBase, doc: Document) -> list[Finding]:
    """A warning for every text for readers the document keeps outside its rules that is not written in both
    languages: the reasons of its reviewed findings (``accepted-findings.yaml``) and the ``disagrees:`` of its
    worked examples. Either is shown in the memo of ``oerlog check``, in the language the reader chose."""
    from oerlog.analysis.consistency.accept import KB_ACCEPT_FILE, load_accepted  # deferred: the checker

    out: list[Finding] = []
    path = doc.path / KB_ACCEPT_FILE
    try:
        accepted = load_accepted(path, strict=True) if path.is_file() else {}
    except OerlogError as exc:
        return [_error(exc)]
    for fid, a in accepted.items():
        if a.missing_languages:
            file, _, line = (a.source or str(path)).rpartition(":")
            out.append(
                Finding(
                    "warning",
                    "reason_language",
                    (
                        f"the reason for accepted finding {fid} is one text without its language: write it in nl and en"
                        if "" in a.reasons
                        else f"the reason for accepted finding {fid} is not written in "
                        + " and ".join(a.missing_languages)
                    ),
                    Location(file, int(line) if line.isdigit() else 0),
                    doc.id,
                    'write it as reason: {nl: "...", en: "..."}',
                )
            )
    for sc_path in scenario_files(doc):  # read as YAML only: the scenarios themselves are checked by oerlog test
        try:
            if "disagrees" not in sc_path.read_text(encoding="utf-8"):
                continue  # most scenario files have no worked example: no need to parse them here
            data = yamlpos.load(sc_path)
        except (OerlogError, OSError, UnicodeDecodeError):
            continue
        items = data.get("scenarios") if isinstance(data, yamlpos.YDict) else data
        if not isinstance(items, yamlpos.YList):
            continue
        for i, spec in enumerate(items):
            if not isinstance(spec, yamlpos.YDict) or not spec.get("disagrees"):
                continue
            missing = [lg for lg in LANGS if not isinstance(spec["disagrees"], dict) or not spec["disagrees"].get(lg)]
            if missing:
                out.append(
                    Finding(
                        "warning",
                        "reason_language",
                        f"{spec.get('name')}: 'disagrees' is not written in {' and '.join(missing)}",
                        spec.locs.get("disagrees", items.locs[i]),
                        doc.id,
                        'write it as disagrees: {nl: "...", en: "..."}',
                    )
                )
    return out


def document_errors(kb: KnowledgeBase, doc_id: str) -> list[Finding]:
    """Errors only a loaded document shows: citations of provisions marked not computable, ``=`` / ``!=``
    between values of types that are never equal, templates that show what the rule does not bind, case files and
    scenario tests that describe a case that cannot occur (they break an integrity constraint of the vocabulary),
    and parameters whose ``@kind`` the vocabulary does not share."""
    doc = kb.document(doc_id)
    return (
        not_computable_citations(doc)
        + equality_type_mismatches(doc)
        + template_findings(doc.program, doc.id)
        + case_constraint_errors(kb, doc)
        + parameter_kind_errors(kb, doc)
    )


# --- cases that cannot occur -----------------------------------------------------------------------------------


def case_constraint_errors(kb: KnowledgeBase, doc: Document) -> list[Finding]:
    """One error per case file or scenario test of ``doc`` that breaks an integrity constraint of the world,
    located at the fact that breaks it."""
    if not kb.vocabulary.constraints:
        return []
    checker = ConstraintChecker(kb.vocabulary)
    cases: list[tuple[str, Case, Location | None]] = []
    for path in sorted((doc.path / "cases").glob("*.yaml")):
        try:
            cases.append((path.name, load_case(path, kb.vocabulary), Location(str(path), 1, 1)))
        except OerlogError:
            continue  # reported by the case loader's own checks (oerlog test, oerlog why)
    for path in scenario_files(doc):
        try:
            tests = load_scenarios(kb, doc, path)
        except OerlogError:
            continue
        cases.extend((f"{path.name}: {t.name}", t.case, t.loc) for t in tests)
    out: list[Finding] = []
    for label, case, loc in cases:
        for v in checker.violations(case.facts)[:1]:
            out.append(
                Finding(
                    "error",
                    "case_cannot_occur",
                    f"{label}: {v.text('en')}",
                    _violation_loc(v, case) or loc,
                    doc.id,
                    "change the case so that it can occur (constraints: in kb/vocabulary.yaml)",
                )
            )
    return out


def _violation_loc(v: Violation, case: Case) -> Location | None:
    """Where the case states a fact of the violation (the first positive atom of the alternative that matched)."""
    binding = dict(v.binding)
    for body, _over in v.constraint.bodies:
        for lit in body:
            if not isinstance(lit, ir.Positive):
                continue
            for (pred, row), loc in case.sources.items():
                if pred != lit.atom.pred or len(row) != len(lit.atom.args):
                    continue
                if all(
                    not isinstance(t, ir.Var) or t.name not in binding or binding[t.name] == x
                    for t, x in zip(lit.atom.args, row, strict=True)
                ):
                    return loc
    return None


def parameter_kind_errors(kb: KnowledgeBase, doc: Document) -> list[Finding]:
    """A parameter's ``@kind`` must name a shared parameter of the vocabulary, of the same type; and a parameter of
    a shared kind (by ``@kind`` or by name) whose shared parameter declares a ``unit:`` must count in a unit that
    can be compared with it (a duration with a duration, otherwise the same unit)."""
    out: list[Finding] = []
    for p in doc.program.params:
        out.extend(_parameter_unit_errors(kb, doc, p))
        if p.kind is None:
            continue
        shared = kb.vocabulary.parameters.get(p.kind)
        if shared is None:
            out.append(
                Finding(
                    "error",
                    "unknown_parameter_kind",
                    f"parameter {p.name}: @kind({p.kind}) is not a shared parameter of the vocabulary",
                    p.loc,
                    doc.id,
                    "shared parameters: " + ", ".join(sorted(kb.vocabulary.parameters)),
                )
            )
        elif shared[0] != p.type:
            out.append(
                Finding(
                    "error",
                    "parameter_kind_type",
                    f"parameter {p.name} is {p.type}, but the shared parameter {p.kind} is {shared[0]}",
                    p.loc,
                    doc.id,
                    f"declare {p.name} as {shared[0]}, or choose another @kind",
                )
            )
    return out


def _parameter_unit_errors(kb: KnowledgeBase, doc: Document, p: ir.ParamDecl) -> list[Finding]:
    """The parameter counts in a unit its shared parameter's values can be compared with."""
    concept = p.concept(kb.vocabulary.parameters)
    unit = kb.vocabulary.parameter_units.get(concept) if concept else None
    if concept is None or unit is None or p.unit == unit:
        return []
    if p.unit in ir.DURATION_UNITS and unit in ir.DURATION_UNITS:
        return []  # compared in days
    return [
        Finding(
            "error",
            "parameter_kind_unit",
            f"parameter {p.name} counts in {p.unit or 'no unit'}, but the shared parameter {concept} counts in {unit}:"
            " their values cannot be compared",
            p.loc,
            doc.id,
            f"declare the unit the text uses, e.g. @unit({unit})"
            + (" (any duration: days, working_days, weeks, months, years)" if unit in ir.DURATION_UNITS else ""),
        )
    ]


# --- rules citing a provision marked not computable ------------------------------------------------------------


def not_computable_citations(doc: Document) -> list[Finding]:
    """Every ``@cite`` of a rule naming a provision (the article, or the lid cited) that articles.yaml marks
    ``not_computable``: either the rule encodes it, and the provision is ``encoded`` (with ``@discretion`` where a
    body decides), or the rule does not, and should not cite it."""
    out: list[Finding] = []
    for r in doc.program.rules:
        for c in r.ann.cites:
            prov = doc.provision(c)
            if prov is None or prov.status != "not_computable":
                continue
            out.append(
                Finding(
                    "error",
                    "cites_not_computable",
                    f"rule {r.id} cites {c}, which articles.yaml marks not computable: {prov.reason}",
                    c.loc or r.loc,
                    doc.id,
                    f"{_status_place(doc, c)}mark the provision encoded if the rule encodes it (@discretion keeps a "
                    "body's judgement visible), or cite the provision the rule does encode",
                )
            )
    return out


def _status_place(doc: Document, c: ir.Citation) -> str:
    """``the mark is at FILE:LINE:COL; `` for the article a citation names, or nothing when it is unknown."""
    target = doc.kb.loaded_or_none(c.doc) if c.doc and c.doc != doc.id else doc
    art = target.articles.get(c.article) if target else None
    return f"the mark is at {art.loc}; " if art else ""


# --- comparisons between values of different types ------------------------------------------------------------

_OUTCOMES = {"=": "never equal: the rule never fires", "!=": "always different: the test always holds"}
_OUTER = "_lint_group_key"  # the relation that gives an aggregate body's group key the classes it has outside


def equality_type_mismatches(doc: Document) -> list[Finding]:
    """Every ``=`` / ``!=`` test whose two sides have known classes that are never equal (:mod:`oerlog.lang.types`).
    The rest is refused when the document loads: ordering comparisons and arithmetic between such values, and an
    ``X = E`` that binds X (evaluation order, :mod:`oerlog.lang.order`) where X then joins a column of another type."""
    types = doc.types
    typed = [r for r in doc.program.rules if r.defeats or not r.is_fact]  # the rules infer_program_types types
    out: list[Finding] = []
    for rule, env in zip(typed, types.envs, strict=True):
        for lit, lt, rt in _mismatched_tests(types, evaluation_order(rule), env):
            out.append(
                Finding(
                    "error",
                    "type_mismatch",
                    f"rule {rule.id}: '{lit}' compares a {type_name(lt)} with a {type_name(rt)}, {_OUTCOMES[lit.op]}",
                    _start(lit) or rule.loc,
                    doc.id,
                    "compare values of one type: numbers with numbers, dates with dates, text with text",
                )
            )
    return out


def _mismatched_tests(
    types: ProgramTypes, steps: Sequence[Step], env: Env
) -> Iterator[tuple[ir.Compare, TypeClass, TypeClass]]:
    """The ``=`` / ``!=`` tests among ``steps`` (aggregate bodies included) between classes never equal."""
    for st in steps:
        lit = st.literal
        if isinstance(lit, ir.Aggregate):
            yield from _mismatched_tests(types, st.inner, _aggregate_env(types, lit, env))
        elif st.kind == "test" and isinstance(lit, ir.Compare) and lit.op in ("=", "!="):
            lt, rt = types.expr_type(lit.left, env), types.expr_type(lit.right, env)
            if lt is not None and rt is not None and not compatible(lt, rt):
                yield lit, lt, rt


def _aggregate_env(types: ProgramTypes, agg: ir.Aggregate, env: Env) -> Env:
    """The classes of an aggregate body's variables: the inference run over the body as a rule of its own (as the
    plan compiles it), the group key given the classes it has outside."""
    inner = dict.fromkeys(v.name for lit in agg.body for v in ir.literal_vars(lit))
    key = [name for name in inner if name in env]
    group = ir.Positive(ir.Atom(_OUTER, tuple(ir.Var(name) for name in key)))
    body_rule = ir.Rule(ir.Atom("_lint_aggregate", ()), (group, *agg.body))
    inputs = {**types.relations, _OUTER: RelationType(_OUTER, key, [env[name] for name in key])}
    return infer_types([body_rule], inputs, params=types.params).envs[0]


def _start(lit: ir.Compare) -> Location | None:
    """Where a comparison's text starts: its leftmost term (the parser places a comparison at its operator)."""
    first = next(ir.expr_terms(lit.left), None)
    return (first.loc if first is not None else None) or lit.loc


# --- templates that cannot lie ----------------------------------------------------------------------------------


def template_findings(program: ir.Program, doc_id: str | None) -> list[Finding]:
    """What the ``@nl`` / ``@en`` templates of ``program``'s rules show that the run would not back (see
    :mod:`oerlog.lang.templates`). Errors: a ``{Var}`` the rule does not bind (the reader would see ``{Var}`` or
    "…"), a ``{$name}`` that names no parameter, a brace that is not part of a placeholder. Warning: a number written
    in the text that equals the value of a parameter the rule reads (``4,95`` where the rule compares with
    ``$grade_band_five_min``): under ``--param`` the text would state the old value."""
    params = {p.name: p for p in program.params}
    out: list[Finding] = []
    for r in program.rules:
        texts = [
            (lang, text, loc)
            for lang, text, loc in (("nl", r.ann.nl, r.ann.nl_loc), ("en", r.ann.en, r.ann.en_loc))
            if text
        ]
        if not texts:
            continue
        bound = sorted(templates.bound_variables(r))
        read = {name: params[name] for name in rule_params(r) if name in params}
        for lang, text, loc in texts:
            for i in templates.stray_braces(text):
                out.append(
                    Finding(
                        "error",
                        "template_syntax",
                        f"rule {r.id}: the @{lang} template has a {text[i]!r} that is not part of a placeholder "
                        "{Var} or {$parameter}: the reader would see it as written",
                        _text_loc(loc, i) or r.loc,
                        doc_id,
                        f'write a placeholder whole, e.g. @{lang}("{_example(bound)}")',
                    )
                )
            for ph in templates.placeholders(text):
                where = _text_loc(loc, ph.start) or r.loc
                if ph.param and ph.name not in params:
                    out.append(
                        Finding(
                            "error",
                            "template_unknown_parameter",
                            f"rule {r.id}: the @{lang} template shows {{${ph.name}}}, but the document declares no "
                            f"parameter {ph.name}{_suggest(ph.name, params)}",
                            where,
                            doc_id,
                            "declared: "
                            + (", ".join("$" + p for p in sorted(params)) or "none")
                            + f'; e.g. @{lang}("{_example(bound, sorted(params)[:1])}")',
                        )
                    )
                elif not ph.param and ph.name not in bound:
                    out.append(
                        Finding(
                            "error",
                            "template_unbound_variable",
                            f"rule {r.id}: the @{lang} template shows {{{ph.name}}}, which the rule does not bind "
                            f"(the variables it binds: {', '.join(bound) or 'none'}): a proof has no value for it",
                            where,
                            doc_id,
                            "show a variable of the head or of a positive atom, an assignment or an aggregate's result "
                            f'(not one inside a negation or an aggregate\'s body), e.g. @{lang}("{_example(bound)}")',
                        )
                    )
            for number, start, _end in templates.numbers(text):
                for name, decl in sorted(read.items()):
                    if not any(_same_number(number, v) for v in _param_values(decl)):
                        continue
                    out.append(
                        Finding(
                            "warning",
                            "template_parameter_value",
                            f"rule {r.id}: the @{lang} template writes {text[start:_end]}, the value of ${name}, which "
                            "the rule reads: under --param the text would state the old value",
                            _text_loc(loc, start) or r.loc,
                            doc_id,
                            f"write {{${name}}} (shown with the run's value), e.g. "
                            f'@{lang}("{_example(bound[:1], [name])}")',
                        )
                    )
    return out


def _example(variables: Sequence[str], params: Sequence[str] = ()) -> str:
    """A template showing ``variables`` and ``params``: ``{S} ... {C} ... {$pass_grade}``."""
    shown = [f"{{{v}}}" for v in variables[:3]] + [f"{{${p}}}" for p in params]
    return " ... ".join(shown) if shown else "..."


def _suggest(name: str, params: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(params), n=1)
    return f" (did you mean {{${close[0]}}}?)" if close else ""


def _param_values(decl: ir.ParamDecl) -> list[object]:
    """The values a parameter has in the document: its value, or the options of an open choice."""
    return [decl.value] if decl.value is not None else list(decl.options)


def _same_number(number: Decimal, value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, Decimal)) and number == value


def _text_loc(start: Location | None, offset: int) -> Location | None:
    """The location of the character at ``offset`` of an annotation's text that starts (its opening quote) at
    ``start``: the source line is read to step over escapes (``\\"``)."""
    if start is None or not start.line or not start.column:
        return None
    line = _source_line(start.file, start.line)
    col = start.column  # 1-based column of the opening quote
    i, seen = col, 0  # line[i] is the character after the quote (0-based index col)
    while i < len(line) and seen < offset:
        i += 2 if line[i] == "\\" else 1
        seen += 1
    return Location(start.file, start.line, i + 1 if i < len(line) else col)


def _source_line(file: str, line: int) -> str:
    try:
        lines = Path(file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    return lines[line - 1] if 0 < line <= len(lines) else ""


# --- variables written once -------------------------------------------------------------------------------------


def singleton_variable_warnings(rules: Iterable[ir.Rule], doc_id: str | None) -> list[Finding]:
    """A warning for every named variable written once in its rule (:func:`oerlog.lang.checks.singleton_variables`),
    unless the rule's @nl or @en template shows it: then it is used, to tell the reader the value."""
    out: list[Finding] = []
    for r in rules:
        shown = {p.name for t in (r.ann.nl, r.ann.en) for p in templates.placeholders(t) if not p.param}
        for v in checks.singleton_variables(r):
            if v.name in shown:
                continue
            out.append(
                Finding(
                    "warning",
                    "singleton_variable",
                    f"variable {v.name} occurs only once in rule {r.id}: a misspelt variable, or a value never used",
                    v.loc or r.loc,
                    doc_id,
                    f"write _ or _{v.name} where any value will do (in a negated atom: no such fact, whatever the "
                    "value); correct the spelling if it should match another variable",
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


# --- conclusions that look like another document's -------------------------------------------------------------

_STOP = {"of", "the", "to", "for", "by", "a", "in", "on", "is", "be", "and"}


def _words(pred: str) -> set[str]:
    return {w for w in pred.split("_") if w and w not in _STOP}


def similar_conclusions(kb: KnowledgeBase, doc_ids: Sequence[str]) -> list[Finding]:
    """Conclusions of two documents with the same number of arguments and similar names (the same name, or at
    least two words in common and two thirds of their words shared) that are not a shared concept: candidates for one
    concept declared in the vocabulary, so that ``oerlog check`` can compare the documents on them."""
    concepts = set(kb.vocabulary.concepts)
    heads: dict[str, dict[str, ir.Rule]] = {}
    for d in doc_ids:
        doc = kb.document(d)
        heads[d] = {}
        for r in doc.program.rules:
            p = r.head.pred
            role = doc.program.roles.get(p, ir.RelationRole.RELATION)
            if p in concepts or role is not ir.RelationRole.RELATION or r.defeats or p in heads[d]:
                continue
            heads[d][p] = r
    out: list[Finding] = []
    docs = sorted(heads)
    for i, a in enumerate(docs):
        for b in docs[i + 1 :]:
            for p, rp in sorted(heads[a].items()):
                for q, rq in sorted(heads[b].items()):
                    if len(rp.head.args) != len(rq.head.args):
                        continue
                    wp, wq = _words(p), _words(q)
                    common = wp & wq
                    if p != q and (len(common) < 2 or len(common) * 3 < 2 * len(wp | wq)):
                        continue
                    out.append(
                        Finding(
                            "info",
                            "similar_conclusion",
                            f"{a} concludes {p}/{len(rp.head.args)} and {b} concludes {q}/{len(rq.head.args)}: the same"
                            " question under two names? A shared concept would let oerlog check compare them",
                            rp.head.loc or rp.loc,
                            a,
                            f"declare one concept in kb/vocabulary.yaml (concepts:) and derive it in both ({b}: "
                            f"{rq.loc})",
                        )
                    )
    return out
