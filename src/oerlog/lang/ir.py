"""Intermediate representation of rules, facts and parameters, with source positions.

The parser produces these objects; checks, the engine and the explainers consume them. They are plain frozen
dataclasses: nothing here evaluates anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from oerlog.errors import Location
from oerlog.values import Value, format_literal


class StrEnum(str, Enum):
    """An enumeration whose members are their string values: they compare equal to, print, format and serialise
    (JSON) as the plain word, so output that shows a kind or a role stays what it was (``enum.StrEnum`` of
    Python 3.11, here for 3.10 too)."""

    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, spec: str) -> str:
        return str.__format__(str.__str__(self), spec)


class RelationRole(StrEnum):
    """What a relation is for. The rule language's own relations (input facts and the conclusions of rules) are
    ``RELATION``; every other role belongs to a relation a tool creates, never written in a ``.dl`` file and
    never shown to people. Whoever creates such a relation records its role (:attr:`Program.roles`, the
    evaluation plan's ``roles``); its name is not read to find it out."""

    RELATION = "relation"  # an input relation or a conclusion of the rules
    EXISTENTIAL = "existential"  # ``_ex_N``: the shared variables of a negated atom with local variables
    AGGREGATE = "aggregate"  # ``_agg_N``: the rows an aggregate runs over
    DEFEATED = "defeated"  # ``_defeated_<rule>``: the instances of a rule an exception overrides
    GAP = "gap"  # ``_gap_<set>``: cases where no outcome of an exhaustive set holds (consistency checks)
    VIOLATION = "violation"  # ``_violates_<constraint>_N``: a case breaks an integrity constraint of the world
    INSTANCE = "instance"  # ``_ri_N``: the body bindings of every instance of a rule (provenance)
    DELTA = "delta"  # ``_delta_<pred>``: tuples new in the last round of a recursive component (pyDatalog)
    POSSIBLE = "possible"  # ``_possible_<pred>``: the tuples that hold or are undetermined (three-valued answers)
    STATED_FALSE = "stated_false"  # ``_false_<pred>``: facts of an open input relation a case states false
    UNSETTLED = "unsettled"  # ``_unsettled_N``: aggregate groups whose rows are not all certain
    OPTION = "option"  # ``_optionN_<pred>``: a relation under one choice of the options a template lists
    WORLD = "world"  # ``_world``, ``_param_<name>``: the cases of a batched evaluation and their parameter values

    @property
    def internal(self) -> bool:
        """True for relations a tool created (not written in the rules, not shown to people)."""
        return self is not RelationRole.RELATION


def possible_name(pred: str) -> str:
    """The relation holding the tuples of ``pred`` that hold or are undetermined."""
    return f"_possible_{pred}"


def false_name(pred: str) -> str:
    """The relation holding the facts of the open input relation ``pred`` that a case states false."""
    return f"_false_{pred}"


def is_anonymous(name: str) -> bool:
    """True for the name of a variable written ``_`` (renamed apart as ``_1``, ``_2`` ...) or starting with ``_``."""
    return name.startswith("_")


@dataclass(frozen=True)
class Var:
    """A logic variable; ``_`` variables are renamed apart by the parser (``_1``, ``_2`` ...)."""

    name: str
    loc: Location | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return self.name

    @property
    def anonymous(self) -> bool:
        """True for variables written ``_`` (or starting with ``_``)."""
        return is_anonymous(self.name)


@dataclass(frozen=True)
class Const:
    """A constant: string, Decimal, int, date or bool."""

    value: Value
    loc: Location | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return format_literal(self.value)


@dataclass(frozen=True)
class Param:
    """A reference ``$name`` to a declared parameter."""

    name: str
    loc: Location | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"${self.name}"


Term = Var | Const | Param


@dataclass(frozen=True)
class BinOp:
    """Arithmetic ``left op right`` with op in + - * /."""

    op: str
    left: Expr
    right: Expr
    loc: Location | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return expr_text(self)


@dataclass(frozen=True)
class Call:
    """A built-in function call such as ``add_days(D, 7)``."""

    func: str
    args: tuple[Expr, ...]
    loc: Location | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return expr_text(self)


Expr = Var | Const | Param | BinOp | Call


@dataclass(frozen=True)
class Atom:
    """``pred(t1, ..., tn)``."""

    pred: str
    args: tuple[Term, ...]
    loc: Location | None = field(default=None, compare=False)

    @property
    def arity(self) -> int:
        """Number of arguments."""
        return len(self.args)

    @property
    def key(self) -> str:
        """``pred/arity``."""
        return f"{self.pred}/{len(self.args)}"

    def __str__(self) -> str:
        if not self.args:
            return self.pred
        return f"{self.pred}({', '.join(map(str, self.args))})"


@dataclass(frozen=True)
class Positive:
    """A positive body literal."""

    atom: Atom

    @property
    def loc(self) -> Location | None:
        """Source position."""
        return self.atom.loc

    def __str__(self) -> str:
        return str(self.atom)


@dataclass(frozen=True)
class Negative:
    """``not atom``."""

    atom: Atom
    loc: Location | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"not {self.atom}"


@dataclass(frozen=True)
class Compare:
    """``left op right``; ``op`` in = != < <= > >=. ``X = expr`` with X unbound assigns."""

    op: str
    left: Expr
    right: Expr
    loc: Location | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.left} {self.op} {self.right}"


@dataclass(frozen=True)
class Aggregate:
    """``result = func arg : { body }``."""

    result: Var
    func: str  # count | sum | min | max | mean | wmean
    args: tuple[Expr, ...]
    body: tuple[Literal, ...]
    loc: Location | None = field(default=None, compare=False)

    def __str__(self) -> str:
        arg = ""
        if self.func == "wmean":
            arg = "(" + ", ".join(map(str, self.args)) + ")"
        elif self.args:
            arg = " " + str(self.args[0])
        return f"{self.result} = {self.func}{arg} : {{ {', '.join(map(str, self.body))} }}"


Literal = Positive | Negative | Compare | Aggregate


@dataclass(frozen=True)
class Citation:
    """A reference to a provision: document (None = the rule's own), article key, optional lid."""

    article: str
    lid: str | None = None
    doc: str | None = None
    loc: Location | None = field(default=None, compare=False)

    def __str__(self) -> str:
        s = f"art. {self.article}"
        if self.lid:
            s += f" lid {self.lid}"
        if self.doc:
            s += f" ({self.doc})"
        return s


@dataclass(frozen=True)
class Annotations:
    """Per-rule metadata written as ``@name(...)`` lines before the rule."""

    id: str | None = None
    cites: tuple[Citation, ...] = ()
    nl: str | None = None
    en: str | None = None
    interpretations: tuple[str, ...] = ()  # in English (or the one language written)
    interpretations_nl: tuple[str, ...] = ()  # the same readings in Dutch, "" where only one text was written
    discretion: str | None = None  # in English (or the one language written)
    discretion_nl: str | None = None  # the same note in Dutch, None where only one text was written
    doc: str | None = None
    nl_loc: Location | None = field(default=None, compare=False)  # where the @nl text starts (its opening quote)
    en_loc: Location | None = field(default=None, compare=False)

    def template(self, lang: str) -> str | None:
        """The sentence template in ``lang`` (nl or en), falling back to the other one."""
        first, other = (self.nl, self.en) if lang == "nl" else (self.en, self.nl)
        return first or other

    def discretion_in(self, lang: str) -> str | None:
        """The discretion note in ``lang`` (nl or en), falling back to the text written."""
        if lang == "nl" and self.discretion_nl:
            return self.discretion_nl
        return self.discretion

    def readings(self, lang: str) -> tuple[str, ...]:
        """The interpretations in ``lang`` (nl or en), each falling back to the text written when there is no
        translation."""
        if lang != "nl":
            return self.interpretations
        nl = self.interpretations_nl + ("",) * (len(self.interpretations) - len(self.interpretations_nl))
        return tuple(n or e for n, e in zip(nl, self.interpretations, strict=True))


@dataclass(frozen=True)
class Rule:
    """A rule or fact (empty body). ``defeats`` names the rule an exception overrides."""

    head: Atom
    body: tuple[Literal, ...]
    ann: Annotations = field(default_factory=Annotations)
    defeats: str | None = None
    loc: Location | None = field(default=None, compare=False)
    document: str | None = None
    variant: str = ""  # a copy of the rule under one choice of listed options (oerlog.semantics.options)

    @property
    def id(self) -> str:
        """The rule id (generated ids look like ``file:line``)."""
        if self.ann.id:
            return self.ann.id
        loc = self.loc
        return f"{loc.file.rsplit('/', 1)[-1]}:{loc.line}" if loc else "rule"

    @property
    def is_fact(self) -> bool:
        """True for a ground fact written in a .dl file."""
        return not self.body and all(isinstance(a, Const) for a in self.head.args)

    def __str__(self) -> str:
        prefix = f"except {self.defeats}: " if self.defeats else ""
        if not self.body:
            return f"{prefix}{self.head}."
        return f"{prefix}{self.head} :- {', '.join(map(str, self.body))}."


PARAM_UNITS = ("days", "working_days", "weeks", "months", "years", "ec", "grade")
"""What a parameter's number can count (``@unit(...)``): calendar days, working days (Monday to Friday, not a Dutch
public holiday), weeks, months, years, study points (EC), or a grade. The durations are whole numbers."""

DURATION_UNITS = frozenset({"days", "working_days", "weeks", "months", "years"})


def value_fits(type_: str, value: Value) -> bool:
    """Whether ``value`` is a value of the parameter type ``type_`` (any value fits a type the language does not
    know)."""
    if type_ == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_ in ("decimal", "grade", "ec"):
        return isinstance(value, (int, Decimal)) and not isinstance(value, bool)
    if type_ == "date":
        return isinstance(value, dt.date)
    if type_ == "string":
        return isinstance(value, str)
    if type_ == "boolean":
        return isinstance(value, bool)
    return True


def unit_fits(type_: str, unit: str) -> bool:
    """Whether a parameter of type ``type_`` can count in ``unit``: durations are integers, EC and grades numbers."""
    if unit in DURATION_UNITS:
        return type_ == "integer"
    return type_ in ("integer", "decimal", "grade", "ec")


def same_value(a: Value, b: Value) -> bool:
    """Equal values of the same kind (``6`` and ``6.0`` are the same number; ``true`` is not the number 1)."""
    return isinstance(a, bool) == isinstance(b, bool) and a == b


@dataclass(frozen=True)
class ParamDecl:
    """``param name : type = value.``; value None means unfilled (a template choice not made).

    ``unit`` (one of :data:`PARAM_UNITS`, or None) says what the number counts; ``options`` lists the values the
    text offers for a template choice (empty: any value of the type). Declared with ``@unit(...)`` and
    ``@options(...)`` (docs/language.md)."""

    name: str
    type: str
    value: Value | None
    ann: Annotations = field(default_factory=Annotations)
    loc: Location | None = field(default=None, compare=False)
    unit: str | None = None
    options: tuple[Value, ...] = ()
    kind: str | None = None  # @kind: the shared parameter (vocabulary) whose concept this one is, under another name

    def concept(self, shared: Mapping[str, object]) -> str | None:
        """The shared parameter this one is: its ``@kind``, or its own name when the vocabulary shares it."""
        return self.kind or (self.name if self.name in shared else None)

    def admits(self, value: Value) -> bool:
        """Whether ``value`` may fill the parameter: one of its options, when it lists any."""
        return not self.options or any(same_value(value, o) for o in self.options)


@dataclass
class Program:
    """Everything parsed from one or more .dl files.

    ``roles`` holds the role of every relation a tool added to the program with its own rules (for example
    the consistency checks' ``_gap_<set>`` relations); relations written in ``.dl`` files have none.
    ``open_relations`` names the input relations the vocabulary declares open (absence means unknown).
    """

    rules: list[Rule] = field(default_factory=list)
    params: list[ParamDecl] = field(default_factory=list)
    roles: dict[str, RelationRole] = field(default_factory=dict)
    open_relations: frozenset[str] = frozenset()  # input relations where absence means unknown (the vocabulary's)

    def extend(self, other: Program) -> None:
        """Append another program's rules, parameters, roles and open relations."""
        self.rules.extend(other.rules)
        self.params.extend(other.params)
        self.roles.update(other.roles)
        self.open_relations |= other.open_relations


def expr_text(e: Expr) -> str:
    """The source text of an expression, operations in parentheses (built in a loop, not recursively, like the
    other walks over expressions here: an expression may be nested a hundred levels deep)."""
    out: list[str] = []
    todo: list[Expr | str] = [e]
    while todo:
        x = todo.pop()
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, BinOp):
            todo.extend(reversed(("(", x.left, f" {x.op} ", x.right, ")")))
        elif isinstance(x, Call):
            parts: list[Expr | str] = [f"{x.func}("]
            for i, a in enumerate(x.args):
                parts.extend((", ", a) if i else (a,))
            parts.append(")")
            todo.extend(reversed(parts))
        else:
            out.append(str(x))
    return "".join(out)


def expr_terms(e: Expr) -> Iterator[Term]:
    """The variables, constants and parameters of an expression, left to right."""
    todo: list[Expr] = [e]
    while todo:
        x = todo.pop()
        if isinstance(x, BinOp):
            todo.extend((x.right, x.left))
        elif isinstance(x, Call):
            todo.extend(reversed(x.args))
        else:
            yield x


def expr_vars(e: Expr) -> Iterator[Var]:
    """Variables occurring in an expression."""
    return (t for t in expr_terms(e) if isinstance(t, Var))


def expr_params(e: Expr) -> Iterator[Param]:
    """Parameters occurring in an expression."""
    return (t for t in expr_terms(e) if isinstance(t, Param))


def literal_vars(lit: Literal) -> Iterator[Var]:
    """Variables occurring in a literal (for aggregates: the result and the group-visible body variables)."""
    if isinstance(lit, (Positive, Negative)):
        for t in lit.atom.args:
            if isinstance(t, Var):
                yield t
    elif isinstance(lit, Compare):
        yield from expr_vars(lit.left)
        yield from expr_vars(lit.right)
    else:
        yield lit.result
        for sub in lit.body:
            yield from literal_vars(sub)
        for a in lit.args:
            yield from expr_vars(a)


def rule_params(rule: Rule) -> list[str]:
    """Names of the parameters a rule refers to (head and body), in order of first use."""
    names = [a.name for a in rule.head.args if isinstance(a, Param)]
    for lit in rule.body:
        names.extend(p.name for p in literal_params(lit))
    return list(dict.fromkeys(names))


def literal_params(lit: Literal) -> Iterator[Param]:
    """Parameters occurring in a literal."""
    if isinstance(lit, (Positive, Negative)):
        for t in lit.atom.args:
            if isinstance(t, Param):
                yield t
    elif isinstance(lit, Compare):
        yield from expr_params(lit.left)
        yield from expr_params(lit.right)
    else:
        for sub in lit.body:
            yield from literal_params(sub)
        for a in lit.args:
            yield from expr_params(a)


def literal_atoms(lit: Literal) -> Iterator[tuple[Atom, bool]]:
    """(atom, positive?) pairs of a literal, looking inside aggregates (aggregate atoms count as negative
    dependencies for stratification purposes and are reported with positive=False)."""
    if isinstance(lit, Positive):
        yield lit.atom, True
    elif isinstance(lit, Negative):
        yield lit.atom, False
    elif isinstance(lit, Aggregate):
        for sub in lit.body:
            for a, _ in literal_atoms(sub):
                yield a, False
