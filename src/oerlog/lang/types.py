"""Type inference for the rule language: a type class for every column of every relation and for every variable of
every rule, inferred from the declared types of the input relations (and parameters) through the rules.

One inference serves every consumer: loading a document refuses a type error, located, before anything runs
(:mod:`oerlog.kb.loader`, so ``oerlog lint`` reports it too); goals read their constants by the inferred types
(:mod:`oerlog.evaluation.goals`); the SQL back end maps the classes to SQL types (:mod:`oerlog.backends.sql`).

The classes are ``str`` (identifiers, text, enumerations), ``int``, ``dec``, ``date`` and ``bool``; a numeric column
that holds both whole numbers and decimals is ``dec``. A type error is what no value can satisfy or what the engine
refuses at run time:

- a variable shared by atoms whose columns have different types, or a constant of another type than its column
  (the two can never be equal);
- an ordering comparison (``<``, ``<=``, ``>``, ``>=``) between values of different types, or of booleans (``=``
  and ``!=`` between different types are merely never / always true, as in both back ends);
- arithmetic other than on numbers, ``date - date`` (days) and ``date +/- number`` (a date);
- a built-in function or an aggregate given an argument of the wrong type (``add_days`` of a text, ``sum`` of
  dates);
- a relation whose rules give one argument two different types.

A column nothing determines (a relation the declarations do not type, used only where its type is unknown) stays
``None``: unknown, never an error.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, Literal, Protocol

from oerlog.errors import Location, OerlogError
from oerlog.lang import ir
from oerlog.lang.depgraph import defeat_pred
from oerlog.lang.order import Step, evaluation_order
from oerlog.values import Value

TypeClass = Literal["str", "int", "dec", "date", "bool"]
Env = dict[str, TypeClass | None]  # a rule's variables and their classes (None: unknown)

STR: Final[TypeClass] = "str"
INT: Final[TypeClass] = "int"
DEC: Final[TypeClass] = "dec"
DATE: Final[TypeClass] = "date"
BOOL: Final[TypeClass] = "bool"
NUMERIC: Final[tuple[TypeClass, ...]] = (INT, DEC)

# the type names of the vocabulary's fields and of parameter declarations, as classes
FIELD_TYPES: Final[dict[str, TypeClass]] = {
    "id": STR,
    "string": STR,
    "enum": STR,
    "grade": DEC,
    "decimal": DEC,
    "ec": DEC,
    "integer": INT,
    "date": DATE,
    "boolean": BOOL,
}
# a class as the vocabulary's type name (the widest one: "decimal", not "grade")
CLASS_FIELD_TYPES: Final[dict[TypeClass, str]] = {
    STR: "string",
    INT: "integer",
    DEC: "decimal",
    DATE: "date",
    BOOL: "boolean",
}
_NAMES: Final[dict[TypeClass, str]] = {STR: "text", INT: "whole number", DEC: "decimal", DATE: "date", BOOL: "boolean"}

# the argument classes each built-in function accepts (values.FUNCTIONS refuses anything else at run time)
_NUMBER: Final = frozenset(NUMERIC)
_DATE: Final = frozenset({DATE})
_ORDERED: Final = frozenset({STR, INT, DEC, DATE})
_SIGNATURES: Final[dict[str, tuple[frozenset[TypeClass], ...]]] = {
    **dict.fromkeys(("add_days", "add_weeks", "add_months", "add_working_days"), (_DATE, _NUMBER)),
    **dict.fromkeys(("days_between", "working_days_between"), (_DATE, _DATE)),
    **dict.fromkeys(("weekday", "is_working_day", "academic_year"), (_DATE,)),
    **dict.fromkeys(("round_half_up", "truncate"), (_NUMBER, _NUMBER)),
    **dict.fromkeys(("least", "greatest"), (_ORDERED, _ORDERED)),
    "abs": (_NUMBER,),
}
_RESULTS: Final[dict[str, TypeClass]] = {
    **dict.fromkeys(("add_days", "add_weeks", "add_months", "add_working_days"), DATE),
    **dict.fromkeys(("days_between", "working_days_between", "weekday", "academic_year"), INT),
    **dict.fromkeys(("round_half_up", "truncate"), DEC),
    "is_working_day": BOOL,
}


class TypeCheckError(OerlogError):
    """A rule mixes values of types that can never match (see the module doc); located at the literal, with the
    rule's id. ``subject`` (``rule <id>``) and ``detail`` (the message without it) let a back end word it its own
    way."""

    code = "type_error"

    def __init__(
        self,
        rule_id: str,
        detail: str,
        location: Location | None,
        *,
        hint: str,
        example: str | None = None,
        subject: str | None = None,
        span: int = 1,
    ) -> None:
        self.subject = subject or f"rule {rule_id}"  # what is wrong: ``rule <id>``, or ``fact <fact>``
        super().__init__(f"{self.subject}: {detail}", location, hint=hint, example=example, span=span)
        self.rule_id = rule_id
        self.detail = detail


def type_name(t: TypeClass | None) -> str:
    """A class as a reader names it (``whole number``, ``text``); ``value`` when unknown."""
    return _NAMES[t] if t is not None else "value"


def value_type(v: Value) -> TypeClass:
    """The class of a Python value."""
    if isinstance(v, bool):
        return BOOL
    if isinstance(v, int):
        return INT
    if isinstance(v, Decimal):
        return DEC
    if isinstance(v, dt.date):
        return DATE
    return STR


def unify_types(a: TypeClass | None, b: TypeClass | None) -> TypeClass | None:
    """The common class of two classes (int and dec: dec); None when one is unknown; ValueError on a conflict."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    if a in NUMERIC and b in NUMERIC:
        return DEC
    raise ValueError(f"{a} vs {b}")


def compatible(a: TypeClass | None, b: TypeClass | None) -> bool:
    """Whether values of the two classes can be equal (an unknown class can be anything)."""
    return a is None or b is None or a == b or (a in NUMERIC and b in NUMERIC)


@dataclass
class RelationType:
    """A relation's columns: their names and classes (None: unknown)."""

    name: str
    columns: list[str]
    types: list[TypeClass | None]

    @property
    def arity(self) -> int:
        """Number of columns."""
        return len(self.columns)


class _Field(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...


class _Declared(Protocol):
    @property
    def fields(self) -> Sequence[_Field]: ...


def declared_types(relations: Mapping[str, _Declared]) -> dict[str, RelationType]:
    """Relations declared with typed fields (the vocabulary's input relations or concepts) as relation types."""
    return {
        name: RelationType(name, [f.name for f in rel.fields], [FIELD_TYPES.get(f.type, STR) for f in rel.fields])
        for name, rel in relations.items()
    }


@dataclass
class ProgramTypes:
    """What the inference found: every relation's column classes, every rule's variable classes (``envs``, in the
    order the rules were given), and the type errors (empty for a well-typed program)."""

    relations: dict[str, RelationType]
    envs: list[Env]
    errors: list[TypeCheckError] = field(default_factory=list)
    params: dict[str, TypeClass | None] = field(default_factory=dict)

    def expr_type(self, e: ir.Expr, env: Mapping[str, TypeClass | None]) -> TypeClass | None:
        """The class of an expression under a rule's ``env`` (None: unknown, or ill-typed)."""
        return _expr_type(e, env, self.params, None)


def infer_types(
    rules: Sequence[ir.Rule],
    inputs: Mapping[str, RelationType],
    *,
    concepts: Mapping[str, RelationType] | None = None,
    facts: Iterable[ir.Atom] = (),
    params: Mapping[str, TypeClass | None] | None = None,
) -> ProgramTypes:
    """Infer the classes of ``rules`` (each head names the relation it derives; exceptions already renamed, see
    :func:`infer_program_types`) and ``facts`` from the declared ``inputs``, ``concepts`` (the types of a concept no
    rule here derives) and the classes of the parameters still written ``$name``."""
    inference = _Inference(rules, inputs, concepts or {}, list(facts), dict(params or {}))
    return inference.run()


def infer_program_types(
    program: ir.Program, inputs: Mapping[str, RelationType], concepts: Mapping[str, RelationType] | None = None
) -> ProgramTypes:
    """Infer the classes of a parsed program as it is evaluated: an exception derives the auxiliary relation
    ``_defeated_<rule>`` (:func:`oerlog.lang.depgraph.defeat_pred`) that the rule it defeats reads negatively, and a
    parameter has the class of its value, or of its declared type while unfilled."""
    params: dict[str, TypeClass | None] = {}
    for p in program.params:
        params[p.name] = value_type(p.value) if p.value is not None else FIELD_TYPES.get(p.type)
    defeated = {r.defeats for r in program.rules if r.defeats}
    rules: list[ir.Rule] = []
    facts: list[ir.Atom] = []
    for r in program.rules:
        if r.is_fact and not r.defeats:
            facts.append(r.head)
            continue
        head, body = r.head, r.body
        if r.defeats:
            head = ir.Atom(defeat_pred(r.defeats), head.args, head.loc)
        if r.ann.id and r.id in defeated:
            body = (*body, ir.Negative(ir.Atom(defeat_pred(r.id), head.args, head.loc), head.loc))
        rules.append(ir.Rule(head, body, r.ann, None, r.loc, r.document))
    return infer_types(rules, inputs, concepts=concepts, facts=facts, params=params)


# --- the inference ------------------------------------------------------------------------------------------


class _Inference:
    def __init__(
        self,
        rules: Sequence[ir.Rule],
        inputs: Mapping[str, RelationType],
        concepts: Mapping[str, RelationType],
        facts: list[ir.Atom],
        params: dict[str, TypeClass | None],
    ) -> None:
        self.rules = list(rules)
        self.inputs = inputs
        self.concepts = concepts
        self.params = params
        self.by_head: dict[str, list[ir.Rule]] = {}
        for r in self.rules:
            self.by_head.setdefault(r.head.pred, []).append(r)
        self.facts: dict[str, list[ir.Atom]] = {}
        for f in facts:
            self.facts.setdefault(f.pred, []).append(f)
        self.orders = [evaluation_order(r) for r in self.rules]
        self.relations: dict[str, RelationType] = {}
        self.errors: list[TypeCheckError] = []
        self.changed: set[str] = set()  # relations whose classes changed since the last rule was typed

    def run(self) -> ProgramTypes:
        """Type every rule until no class changes (a rule is typed again when a relation it reads changes: the
        classes only grow, from unknown to a class and from int to dec), then check every head."""
        for pred in list(self.by_head) + list(self.facts):
            self.relation(pred, self._arity(pred))
        readers: dict[str, list[int]] = {}
        for k, r in enumerate(self.rules):
            for pred in dict.fromkeys(a.pred for lit in r.body for a, _ in ir.literal_atoms(lit)):
                readers.setdefault(pred, []).append(k)
        envs: list[Env] = [{} for _ in self.rules]
        body_errors: list[list[TypeCheckError]] = [[] for _ in self.rules]
        todo = deque(range(len(self.rules)))
        queued = [True] * len(self.rules)
        while todo:
            k = todo.popleft()
            queued[k] = False
            rule = self.rules[k]
            body_errors[k] = []
            envs[k] = self.env(rule, self.orders[k], body_errors[k])
            if self.head(rule, envs[k], None):
                self.changed.add(rule.head.pred)
            for pred in self.changed:
                for j in readers.get(pred, ()):
                    if not queued[j]:
                        queued[j] = True
                        todo.append(j)
            self.changed.clear()
        for rule, env, errors in zip(self.rules, envs, body_errors, strict=True):
            self.errors.extend(errors)
            self.head(rule, env, self.errors)
        seen: set[tuple[object, str]] = set()
        unique = []
        for e in self.errors:
            if (e.location, e.message) not in seen:
                seen.add((e.location, e.message))
                unique.append(e)
        return ProgramTypes(self.relations, envs, unique, self.params)

    def _arity(self, pred: str) -> int:
        rules = self.by_head.get(pred)
        return rules[0].head.arity if rules else self.facts[pred][0].arity

    # -- relations ------------------------------------------------------------------------------------------

    def relation(self, pred: str, arity: int) -> RelationType:
        """The relation's types, created on first use: derived by rules here, declared, stated by facts, or
        unknown (columns ``a1``, ``a2``, ...)."""
        rel = self.relations.get(pred)
        if rel is not None:
            return rel
        declared = self.inputs.get(pred) or self.concepts.get(pred)
        if declared is not None and declared.arity != arity:
            declared = None
        if pred in self.by_head:
            names = declared.columns if declared else _column_names(self.by_head[pred][0].head)
            rel = RelationType(pred, list(names), [None] * arity)
        elif pred in self.inputs and declared is not None:
            rel = RelationType(pred, list(declared.columns), list(declared.types))
        elif pred in self.facts:
            names = declared.columns if declared else [f"a{i + 1}" for i in range(arity)]
            rel = RelationType(pred, list(names), [None] * arity)
            for fact in self.facts[pred]:
                for i, a in enumerate(fact.args):
                    if isinstance(a, ir.Const):
                        try:
                            rel.types[i] = unify_types(rel.types[i], value_type(a.value))
                        except ValueError:
                            self.errors.append(
                                TypeCheckError(
                                    str(fact),
                                    f"argument {i + 1} of {pred} is a {type_name(value_type(a.value))} here but a "
                                    f"{type_name(rel.types[i])} in another fact",
                                    a.loc or fact.loc,
                                    hint=f"every fact of {pred} gives argument {i + 1} values of one type",
                                    subject=f"fact {fact}",
                                )
                            )
        elif declared is not None:
            rel = RelationType(pred, list(declared.columns), list(declared.types))
        else:
            rel = RelationType(pred, [f"a{i + 1}" for i in range(arity)], [None] * arity)
        self.relations[pred] = rel
        return rel

    def head(self, rule: ir.Rule, env: Env, errors: list[TypeCheckError] | None) -> bool:
        """Unify the head's argument classes into its relation's; True when a class changed."""
        rel = self.relation(rule.head.pred, rule.head.arity)
        changed = False
        for i, a in enumerate(rule.head.args):
            t = self.term_type(a, env)
            try:
                new = unify_types(rel.types[i], t)
            except ValueError:
                if errors is not None:
                    errors.append(
                        TypeCheckError(
                            rule.id,
                            f"argument {i + 1} of {rule.head.pred} is a {type_name(t)} here but a "
                            f"{type_name(rel.types[i])} in another rule",
                            a.loc or rule.head.loc or rule.loc,
                            hint=f"every rule for {rule.head.pred} gives argument {i + 1} values of one type",
                        )
                    )
                continue
            if new != rel.types[i]:
                rel.types[i] = new
                changed = True
        return changed

    def term_type(self, t: ir.Term, env: Mapping[str, TypeClass | None]) -> TypeClass | None:
        """The class of a variable, constant or parameter."""
        if isinstance(t, ir.Var):
            return env.get(t.name)
        if isinstance(t, ir.Const):
            return value_type(t.value)
        return self.params.get(t.name)

    # -- rule bodies ----------------------------------------------------------------------------------------

    def env(self, rule: ir.Rule, order: Sequence[Step], errors: list[TypeCheckError] | None) -> Env:
        """The classes of the rule's variables, taken in evaluation order (the first atom that types a variable
        gives its class); with ``errors``, every conflict is reported there."""
        env: Env = {}
        self.steps(rule, order, env, errors)
        return env

    def steps(self, rule: ir.Rule, order: Sequence[Step], env: Env, errors: list[TypeCheckError] | None) -> None:
        """Type the body's literals, in evaluation order, into ``env``."""
        for st in order:
            lit = st.literal
            if isinstance(lit, (ir.Positive, ir.Negative)):
                self.atom(rule, lit.atom, env, errors)
            elif isinstance(lit, ir.Compare):
                if st.kind == "assign":
                    expr = lit.right if isinstance(lit.left, ir.Var) and lit.left.name == st.target else lit.left
                    env[st.target] = self.expr(rule, expr, env, errors)
                else:
                    self.compare(rule, lit, env, errors)
            elif isinstance(lit, ir.Aggregate):
                env[lit.result.name] = self.aggregate(rule, lit, st.inner, env, errors)

    def atom(self, rule: ir.Rule, atom: ir.Atom, env: Env, errors: list[TypeCheckError] | None) -> None:
        """An atom (positive or negated) types its variables; its constants and typed variables must fit."""
        rel = self.relation(atom.pred, atom.arity)
        for i, a in enumerate(atom.args):
            col = rel.types[i]
            if isinstance(a, ir.Var):
                if env.get(a.name) is None:
                    env[a.name] = col
                elif col is None:
                    if atom.pred not in self.by_head:  # a relation without rules takes the type it is used with
                        rel.types[i] = env[a.name]
                        self.changed.add(atom.pred)
                elif errors is not None and not compatible(col, env[a.name]):
                    errors.append(
                        TypeCheckError(
                            rule.id,
                            f"{a.name} is a {type_name(env[a.name])} elsewhere in the rule but argument {i + 1} of "
                            f"{atom.pred} is a {type_name(col)}: they can never be equal",
                            a.loc or atom.loc or rule.loc,
                            hint=f"{atom.pred}({', '.join(rel.columns)}) has the types "
                            f"{', '.join(type_name(t) for t in rel.types)}; join on variables of one type",
                            span=_span(a),
                        )
                    )
            elif errors is not None and col is not None:
                t = self.term_type(a, env)
                if not compatible(col, t):
                    errors.append(
                        TypeCheckError(
                            rule.id,
                            f"argument {i + 1} of {atom.pred} is a {type_name(col)}, never equal to the "
                            f"{type_name(t)} {a}",
                            a.loc or atom.loc or rule.loc,
                            hint=f"{atom.pred}({', '.join(rel.columns)}) has the types "
                            f"{', '.join(type_name(t) for t in rel.types)}",
                            span=_span(a),
                        )
                    )

    def compare(self, rule: ir.Rule, lit: ir.Compare, env: Env, errors: list[TypeCheckError] | None) -> None:
        """A comparison's two sides must be of one type to be ordered."""
        lt, rt = self.expr(rule, lit.left, env, errors), self.expr(rule, lit.right, env, errors)
        if errors is None or lit.op in ("=", "!="):  # never / always true between types: no error, as at run time
            return
        if not compatible(lt, rt):
            errors.append(
                TypeCheckError(
                    rule.id,
                    f"'{lit}' compares a {type_name(lt)} with a {type_name(rt)}",
                    _start(lit) or rule.loc,
                    hint="compare values of one type: numbers with numbers, dates with dates, text with text",
                    example="G < 5.5   D <= add_days(T, 10)",
                    span=_span(lit),
                )
            )
        elif BOOL in (lt, rt):
            errors.append(
                TypeCheckError(
                    rule.id,
                    f"'{lit}' orders booleans",
                    _start(lit) or rule.loc,
                    hint="booleans are compared with = and != only",
                    example="W = true",
                    span=_span(lit),
                )
            )

    def aggregate(
        self,
        rule: ir.Rule,
        lit: ir.Aggregate,
        inner: Sequence[Step],
        env: Env,
        errors: list[TypeCheckError] | None,
    ) -> TypeClass | None:
        """The class of the aggregate's result; its body is typed in a scope of its own (the group key shared)."""
        scope = dict(env)
        self.steps(rule, inner, scope, errors)
        args = [self.expr(rule, a, scope, errors) for a in lit.args]
        if lit.func in ("sum", "mean", "wmean"):
            for a, t in zip(lit.args, args, strict=True):
                if errors is not None and t is not None and t not in NUMERIC:
                    errors.append(
                        TypeCheckError(
                            rule.id,
                            f"{lit.func} of a {type_name(t)} ({a}) in '{lit}'",
                            a.loc or lit.loc or rule.loc,
                            hint=f"{lit.func} adds numbers; count, min and max take any value",
                        )
                    )
        if lit.func == "count":
            return INT
        if lit.func in ("mean", "wmean"):
            return DEC
        return args[0] if args else None

    def expr(
        self, rule: ir.Rule, e: ir.Expr, env: Mapping[str, TypeClass | None], errors: list[TypeCheckError] | None
    ) -> TypeClass | None:
        """The class of an expression of ``rule``; its type errors go to ``errors``."""
        if errors is None:
            return _expr_type(e, env, self.params, None)

        def report(part: ir.Expr, detail: str, hint: str) -> None:
            errors.append(TypeCheckError(rule.id, detail, part.loc or e.loc or rule.loc, hint=hint, span=_span(part)))

        return _expr_type(e, env, self.params, report)


class _Report(Protocol):
    def __call__(self, part: ir.Expr, detail: str, hint: str) -> None: ...


def _expr_type(
    e: ir.Expr, env: Mapping[str, TypeClass | None], params: Mapping[str, TypeClass | None], report: _Report | None
) -> TypeClass | None:
    """The class of ``e`` (None: unknown or ill-typed; ``report`` hears of each ill-typed part)."""
    if isinstance(e, ir.Var):
        return env.get(e.name)
    if isinstance(e, ir.Const):
        return value_type(e.value)
    if isinstance(e, ir.Param):
        return params.get(e.name)
    if isinstance(e, ir.BinOp):
        lt, rt = _expr_type(e.left, env, params, report), _expr_type(e.right, env, params, report)
        if lt == DATE and rt == DATE and e.op == "-":
            return INT
        if lt == DATE and rt in NUMERIC and e.op in "+-":
            return DATE
        if lt in NUMERIC and rt in NUMERIC:
            return DEC if (e.op == "/" or DEC in (lt, rt)) else INT
        if (lt is None or rt is None) and not {lt, rt} & {STR, BOOL}:
            return None  # unknown, but may be fine
        if report is not None:
            report(
                e,
                f"cannot compute {type_name(lt)} {e.op} {type_name(rt)} in '{e}'",
                "arithmetic is on numbers (+ - * /), date - date (days) and date + or - a number of days",
            )
        return None
    args = [_expr_type(a, env, params, report) for a in e.args]
    fn = e.func
    for i, (a, t, accepted) in enumerate(zip(e.args, args, _SIGNATURES.get(fn, ()), strict=False)):
        if t is not None and t not in accepted:
            if report is not None:
                report(
                    a if a.loc else e,
                    f"{fn} takes a {_one_of(accepted)} as argument {i + 1}, not a {type_name(t)}: '{e}'",
                    f"{fn}({', '.join(_one_of(s) for s in _SIGNATURES[fn])})",
                )
            return None
    if fn in _RESULTS:
        return _RESULTS[fn]
    if fn in ("least", "greatest"):
        try:
            return unify_types(args[0], args[1])
        except ValueError:
            if report is not None:
                report(
                    e,
                    f"{fn} of a {type_name(args[0])} and a {type_name(args[1])}: '{e}'",
                    f"{fn} compares two values of one type",
                )
            return None
    if fn == "abs":
        return args[0]
    return None  # an unknown function: the parser refuses it


def _one_of(classes: Iterable[TypeClass]) -> str:
    names = list(dict.fromkeys(type_name(t) for t in sorted(classes, key=list(_NAMES).index)))
    return " or ".join(names)


def _start(lit: ir.Compare) -> Location | None:
    """Where a comparison's text starts: its leftmost term (the parser places the comparison at its operator)."""
    first = next(ir.expr_terms(lit.left), None)
    return (first.loc if first is not None else None) or lit.loc


def _span(x: ir.Expr | ir.Compare) -> int:
    """How many characters of the source a caret under ``x`` covers: its text when that is how it is written (a
    variable, a constant, a comparison of two of them), else its first character."""
    terms = (ir.Var, ir.Const, ir.Param)
    if isinstance(x, terms) or (isinstance(x, ir.Compare) and isinstance(x.left, terms) and isinstance(x.right, terms)):
        return len(str(x))
    return 1


def _column_names(head: ir.Atom) -> list[str]:
    """A derived relation's column names: its first rule's head variables (lower case) when they are distinct
    names, else ``a1``, ``a2``, ..."""
    names = [a.name.lower() if isinstance(a, ir.Var) and not a.anonymous else "" for a in head.args]
    if all(n and n.isidentifier() for n in names) and len(set(names)) == len(names):
        return names
    return [f"a{i + 1}" for i in range(head.arity)]
