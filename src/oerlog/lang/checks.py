"""Static checks on a program: arity, unknown predicates, safety, stratification, definitions.

Each check returns a list of located errors instead of raising, so ``lint`` can report everything at once;
:func:`raise_all` turns a non-empty list into one exception for the commands that need a valid program.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from oerlog.errors import (
    ArityError,
    DefinitionError,
    Location,
    OerlogError,
    SafetyError,
    StratificationError,
    UnknownPredicateError,
    did_you_mean,
)
from oerlog.lang import ir
from oerlog.lang.depgraph import DependencyGraph
from oerlog.lang.depgraph import defeat_pred as defeat_pred  # kept here for its callers


class ProgramErrors(OerlogError):
    """Several errors found in one program; ``errors`` holds each located error."""

    def __init__(self, errors: list[OerlogError]) -> None:
        first = errors[0]
        super().__init__(
            first.message,
            first.location,
            value=first.value,
            hint=first.hint,
            example=first.example,
            nl=first.message_nl,
            hint_nl=first.hint_nl,
        )
        self.errors = errors
        self.code = first.code

    def render(self, lang: str = "en") -> str:
        """All errors, one block each."""
        out = [e.render(lang) for e in self.errors]
        if len(self.errors) > 1:
            out.append(f"{len(self.errors)} fouten" if lang == "nl" else f"{len(self.errors)} errors")
        return "\n".join(out)


def raise_all(errors: list[OerlogError]) -> None:
    """Raise the errors (one directly, several as :class:`ProgramErrors`)."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ProgramErrors(errors)


@dataclass(frozen=True)
class Signature:
    """Known arity of a predicate and where it was first seen."""

    arity: int
    loc: Location | None
    origin: str  # "input" | "derived" | "builtin"


def all_atoms(rule: ir.Rule) -> Iterable[tuple[ir.Atom, bool]]:
    """The head (as positive) and every body atom with polarity (aggregate bodies count as negative)."""
    yield rule.head, True
    for lit in rule.body:
        yield from ir.literal_atoms(lit)


def check_arity(
    rules: list[ir.Rule], inputs: Mapping[str, int], builtins: Mapping[str, int] | None = None
) -> tuple[dict[str, Signature], list[OerlogError]]:
    """Every predicate used with one arity; returns the signatures and the mismatches.

    ``builtins`` are the shared concepts, whose arity the vocabulary fixes."""
    sigs: dict[str, Signature] = {name: Signature(n, None, "input") for name, n in inputs.items()}
    for name, n in (builtins or {}).items():
        sigs[name] = Signature(n, None, "concept")
    errors: list[OerlogError] = []
    for r in rules:
        for atom, _ in all_atoms(r):
            s = sigs.get(atom.pred)
            if s is None:
                origin = "derived" if atom is r.head else "?"
                sigs[atom.pred] = Signature(atom.arity, atom.loc, origin)
                continue
            if s.arity != atom.arity:
                where = {"input": "declared in the vocabulary", "concept": "a shared concept of the vocabulary"}.get(
                    s.origin, f"used at {s.loc}"
                )
                errors.append(
                    ArityError(
                        f"{atom.pred} is used with {atom.arity} argument(s) here but has {s.arity} ({where})",
                        atom.loc,
                        value=str(atom),
                        hint=f"give {atom.pred} exactly {s.arity} argument(s)",
                        example=f"{atom.pred}({', '.join('X' + str(i + 1) for i in range(s.arity))})",
                        span=len(atom.pred),
                    )
                )
    return sigs, errors


def check_defined(rules: list[ir.Rule], inputs: Mapping[str, int], extra: Iterable[str] = ()) -> list[OerlogError]:
    """Every body predicate is an input relation or the head of some rule of the program."""
    defined = set(inputs) | {r.head.pred for r in rules} | set(extra)
    errors: list[OerlogError] = []
    for r in rules:
        for lit in r.body:
            for atom, _ in ir.literal_atoms(lit):
                if atom.pred not in defined:
                    errors.append(
                        UnknownPredicateError(
                            f"unknown predicate {atom.pred}/{atom.arity}: not an input relation of the vocabulary "
                            "and not defined by any rule of this document",
                            atom.loc,
                            value=atom.pred,
                            hint=did_you_mean(atom.pred, defined, cutoff=0.7, quote=False).rstrip()
                            or "declare it in kb/vocabulary.yaml or define it with a rule",
                            span=len(atom.pred),
                        )
                    )
    return errors


def bound_order(rule: ir.Rule, prebound: set[str] | None = None) -> tuple[set[str], list[OerlogError]]:
    """Safety: simulate left-to-right binding with the freedom to delay literals; report unbound variables.

    Returns the variables bound by the body and the errors. Variables that occur only inside one negated
    atom are existential ("there is no ..."), which is safe.
    """
    errors: list[OerlogError] = []
    bound: set[str] = set(prebound or ())
    pending = list(rule.body)
    progress = True
    # positive atoms bind everything they mention
    for lit in rule.body:
        if isinstance(lit, ir.Positive):
            bound.update(v.name for v in ir.literal_vars(lit))
    while progress:
        progress = False
        for lit in list(pending):
            if isinstance(lit, ir.Compare) and lit.op == "=":
                lv = {v.name for v in ir.expr_vars(lit.left)}
                rv = {v.name for v in ir.expr_vars(lit.right)}
                if isinstance(lit.left, ir.Var) and lit.left.name not in bound and rv <= bound:
                    bound.add(lit.left.name)
                    progress = True
                elif isinstance(lit.right, ir.Var) and lit.right.name not in bound and lv <= bound:
                    bound.add(lit.right.name)
                    progress = True
            elif isinstance(lit, ir.Aggregate) and lit.result.name not in bound:
                if group_vars(rule, lit) <= bound:
                    bound.add(lit.result.name)
                    progress = True
    counts = var_occurrences(rule)
    for name in prebound or ():
        counts[name] = counts.get(name, 0) + 1
    for lit in rule.body:
        if isinstance(lit, ir.Negative):
            for v in ir.literal_vars(lit):
                if v.name not in bound and counts[v.name] > 1 and not v.anonymous:
                    errors.append(
                        _unsafe(v, "it occurs in a negated atom and elsewhere, but no positive atom binds it")
                    )
        elif isinstance(lit, ir.Compare):
            for v in ir.literal_vars(lit):
                if v.name not in bound:
                    errors.append(_unsafe(v, "a comparison can only test or compute from bound variables"))
        elif isinstance(lit, ir.Aggregate):
            errors.extend(_aggregate_safety(rule, lit, bound))
    for a in rule.head.args:
        if isinstance(a, ir.Var) and a.name not in bound:
            errors.append(_unsafe(a, "a head variable must occur in a positive body atom"))
    return bound, _dedupe(errors)


def _aggregate_safety(rule: ir.Rule, agg: ir.Aggregate, outer_bound: set[str]) -> list[OerlogError]:
    errors: list[OerlogError] = []
    inner = ir.Rule(ir.Atom("_agg", (), agg.loc), agg.body, loc=agg.loc)
    outer_group = group_vars(rule, agg) & outer_bound
    inner_bound, inner_errors = bound_order(inner, outer_group)
    errors.extend(inner_errors)
    for e in agg.args:
        for v in ir.expr_vars(e):
            if v.name not in inner_bound:
                errors.append(_unsafe(v, "the aggregated value must be bound inside the aggregate's { body }"))
    for gv in group_vars(rule, agg):
        if gv not in outer_bound:
            errors.append(
                SafetyError(
                    f"group variable {gv} of the aggregate is not bound outside it",
                    agg.loc,
                    value=gv,
                    hint="bind the group key with a positive atom before the aggregate",
                    example="n_tests(S, C, N) :- enrolled(S, C), N = count : { test_taken(S, C, _) }.",
                )
            )
    return errors


def group_vars(rule: ir.Rule, agg: ir.Aggregate) -> set[str]:
    """Variables of an aggregate's body that also occur outside the aggregate (the group key)."""
    inner = {v.name for lit in agg.body for v in ir.literal_vars(lit)}
    outer = {a.name for a in rule.head.args if isinstance(a, ir.Var)}
    for lit in rule.body:
        if lit is not agg:
            outer.update(v.name for v in ir.literal_vars(lit))
    return inner & outer


def var_occurrences(rule: ir.Rule) -> dict[str, int]:
    """How many literals (head counts as one) mention each variable."""
    counts: dict[str, int] = defaultdict(int)
    for v in {a.name for a in rule.head.args if isinstance(a, ir.Var)}:
        counts[v] += 1
    for lit in rule.body:
        for v in {x.name for x in ir.literal_vars(lit)}:
            counts[v] += 1
    return counts


def singleton_variables(rule: ir.Rule) -> list[ir.Var]:
    """Named variables (not ``_``, not starting with ``_``) written exactly once in the whole rule: the head and
    the body, negated atoms and aggregates (their bodies, values and results) included. Each is a likely typo, or
    a value never used that ``_`` (or ``_Name``) would say is meant to be any value."""
    occurrences = [a for a in rule.head.args if isinstance(a, ir.Var)]
    for lit in rule.body:
        occurrences.extend(ir.literal_vars(lit))
    counts: dict[str, int] = defaultdict(int)
    for v in occurrences:
        counts[v.name] += 1
    return [v for v in occurrences if counts[v.name] == 1 and not v.anonymous]


def _unsafe(v: ir.Var, why: str) -> SafetyError:
    return SafetyError(
        f"variable {v.name} is not bound: {why}",
        v.loc,
        value=v.name,
        hint="add a positive atom that binds it, before or after this literal",
        example="ok(S) :- student(S), not excluded(S).",
        span=len(v.name),
    )


def _dedupe(errors: list[OerlogError]) -> list[OerlogError]:
    seen: set[tuple[object, str]] = set()
    out = []
    for e in errors:
        k = (e.location, e.message)
        if k not in seen:
            seen.add(k)
            out.append(e)
    return out


def check_safety(rules: list[ir.Rule]) -> list[OerlogError]:
    """Safety of every rule; facts in .dl files must be ground."""
    errors: list[OerlogError] = []
    for r in rules:
        if not r.body:
            for a in r.head.args:
                if isinstance(a, ir.Var):
                    errors.append(_unsafe(a, "a fact must be ground (no variables)"))
            continue
        errors.extend(bound_order(r)[1])
    return errors


def stratify(rules: list[ir.Rule]) -> tuple[dict[str, int], list[OerlogError]]:
    """Stratum per predicate (0 = depends on nothing negatively); errors for negation through recursion."""
    graph = DependencyGraph.of_rules(rules)
    errors: list[OerlogError] = []
    for e in graph.unstratifiable():
        errors.append(
            StratificationError(
                f"{e.body} depends negatively on itself through recursion (rule {e.rule}): no stratification",
                e.loc,
                value=e.body,
                hint="negation and aggregation must not go through a cycle of rules; break the cycle",
                example="p(X) :- q(X), not r(X).   with r not depending on p",
            )
        )
    return graph.strata(), _dedupe(errors)


def check_definitions(rules: list[ir.Rule], params: list[ir.ParamDecl]) -> list[OerlogError]:
    """Duplicate rule ids, exceptions naming unknown rules or another predicate, parameters declared twice or
    used without declaration."""
    errors: list[OerlogError] = []
    by_id: dict[str, ir.Rule] = {}
    for r in rules:
        if r.ann.id is None:
            continue
        if r.ann.id in by_id:
            errors.append(
                DefinitionError(
                    f"rule id {r.ann.id} is used twice (first at {by_id[r.ann.id].loc})",
                    r.loc,
                    value=r.ann.id,
                    hint="rule ids must be unique within a document",
                )
            )
        else:
            by_id[r.ann.id] = r
    for r in rules:
        if r.defeats is None:
            continue
        target = by_id.get(r.defeats)
        if target is None:
            errors.append(
                DefinitionError(
                    f"exception overrides unknown rule {r.defeats}",
                    r.loc,
                    value=r.defeats,
                    hint="name the @id of the rule this exception defeats",
                    example="except excluded_no_show: resit_excluded(S, C) :- resit_only_request(S, C, _).",
                )
            )
        elif target.head.key != r.head.key:
            errors.append(
                DefinitionError(
                    f"exception head {r.head.key} does not match the head {target.head.key} of rule {r.defeats}",
                    r.head.loc,
                    value=str(r.head),
                    hint=f"write the head as {target.head}",
                )
            )
    declared: dict[str, ir.ParamDecl] = {}
    for p in params:
        if p.name in declared:
            errors.append(
                DefinitionError(
                    f"parameter {p.name} is declared twice (first at {declared[p.name].loc})",
                    p.loc,
                    value=p.name,
                    hint="declare each parameter once; override it per run with --param",
                )
            )
        else:
            declared[p.name] = p
    for r in rules:
        refs = [a for a in r.head.args if isinstance(a, ir.Param)]
        for lit in r.body:
            refs.extend(ir.literal_params(lit))
        for ref in refs:
            if ref.name not in declared:
                errors.append(
                    DefinitionError(
                        f"parameter ${ref.name} is not declared",
                        ref.loc,
                        value=ref.name,
                        hint="declare it: param " + ref.name + " : decimal = 4.0.",
                        span=len(ref.name) + 1,
                    )
                )
    return errors


def check_program(
    program: ir.Program, inputs: Mapping[str, int], concepts: Mapping[str, int] | None = None
) -> list[OerlogError]:
    """All static checks of one program against the input relations it may use and the shared concepts whose
    signature it must respect (arity first: the other checks assume one arity per predicate)."""
    _, errors = check_arity(program.rules, inputs, concepts)
    if errors:
        return errors
    errors = check_definitions(program.rules, program.params)
    errors += check_defined(program.rules, inputs)
    errors += check_safety(program.rules)
    _, strat_errors = stratify(program.rules)
    errors += strat_errors
    return errors


OPEN_ATOM_EXAMPLE = (
    "cum_laude(S, P) :- cum_laude_conditions_met(S, P), discretionary_decision(examencommissie, cum_laude, S, P)."
)


def check_open_atoms(program: ir.Program) -> list[OerlogError]:
    """An atom over an open input relation (absence means unknown) needs every variable bound by a positive atom
    over another relation of the same body: what is unknown is whether *this* fact holds, so the fact must be
    named; ``_`` (any value) cannot be."""
    errors: list[OerlogError] = []
    for rule in program.rules:
        errors.extend(_open_atoms_in(rule.body, program.open_relations, rule.id))
    return errors


def _open_atoms_in(
    body: Iterable[ir.Literal], open_relations: frozenset[str], rule_id: str, outer: frozenset[str] = frozenset()
) -> list[OerlogError]:
    body = list(body)
    bound = set(outer) | {
        v.name
        for lit in body
        if isinstance(lit, ir.Positive) and lit.atom.pred not in open_relations
        for v in lit.atom.args
        if isinstance(v, ir.Var)
    }
    errors: list[OerlogError] = []
    for lit in body:
        if isinstance(lit, ir.Aggregate):
            errors.extend(_open_atoms_in(lit.body, open_relations, rule_id, frozenset(bound)))
            continue
        if not isinstance(lit, ir.Positive | ir.Negative) or lit.atom.pred not in open_relations:
            continue
        for v in lit.atom.args:
            if isinstance(v, ir.Var) and (v.anonymous or v.name not in bound):
                shown = "_" if v.anonymous else v.name
                errors.append(
                    SafetyError(
                        f"{lit.atom.pred} is open (absence means unknown): variable {shown} of rule {rule_id} must be"
                        " bound by a positive atom over another relation of the body",
                        v.loc or lit.atom.loc,
                        value=str(lit.atom),
                        hint="name the fact whose truth is unknown: bind its fields by the atoms that lead to it",
                        example=OPEN_ATOM_EXAMPLE,
                    )
                )
    return errors
