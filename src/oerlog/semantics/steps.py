"""The evaluation plan's data: the rules as a back end runs them (:class:`Plan`, :class:`CompiledRule`,
:class:`Step`). Built by :mod:`oerlog.semantics.plan`, made three-valued by :mod:`oerlog.semantics.threevalued`,
run by the back ends, read by the explainers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oerlog.lang import ir
from oerlog.lang.ir import RelationRole, StrEnum
from oerlog.semantics.options import OptionCopies
from oerlog.values import Value


class StepKind(StrEnum):
    """How a body literal is evaluated."""

    ATOM = "atom"  # a positive atom: joins, binds its variables
    NOT = "not"  # a negated atom, possibly through an existential auxiliary relation
    TEST = "test"  # a comparison of bound values
    ASSIGN = "assign"  # ``X = expr`` binding X
    AGG = "agg"  # an aggregate over its auxiliary relation
    DEFEAT = "defeat"  # the check that no exception overrides the rule


class RuleKind(StrEnum):
    """What a compiled rule is."""

    RULE = "rule"  # a rule of the document
    EXCEPTION = "exception"  # an exception: derives the ``_defeated_<rule>`` relation of the rule it overrides
    AUX = "aux"  # an auxiliary rule the compiler made (existential negation, an aggregate's rows)


@dataclass(frozen=True)
class Step:
    """One body literal as evaluated (see :class:`StepKind`)."""

    kind: StepKind
    literal: ir.Literal
    atom: ir.Atom | None = None  # the atom the engine evaluates (aux atom for existential negation / aggregates)
    needs: tuple[str, ...] = ()  # variables that must be bound before this step
    binds: tuple[str, ...] = ()  # variables this step binds
    agg_group: tuple[str, ...] = ()
    agg_columns: tuple[str, ...] = ()  # columns of the aggregate's auxiliary relation
    negated_atom: ir.Atom | None = None  # NOT / DEFEAT read by the three-valued rewrite: see :meth:`negated`

    def negated(self) -> ir.Atom:
        """For a NOT or DEFEAT step: the atom that must have no matching row, its variables not bound before free
        (a back end that reads negation existentially itself uses it instead of :attr:`atom`). The written atom,
        unless the three-valued rewrite reads another relation (``not _possible_p``, ``not _false_p``)."""
        if self.negated_atom is not None:
            return self.negated_atom
        assert isinstance(self.literal, ir.Negative)
        return self.literal.atom


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready for evaluation; ``index`` names its instance relation ``_ri_<index>``."""

    index: int
    source: ir.Rule
    head: ir.Atom
    steps: tuple[Step, ...]
    columns: tuple[str, ...]  # variables kept in the rule-instance relation, in order
    kind: RuleKind = RuleKind.RULE
    defeated_by: tuple[str, ...] = ()  # ids of the exceptions that can defeat this rule
    possible: bool = False  # derives the possible twin of its head (:mod:`oerlog.semantics.threevalued`)
    unknown_params: tuple[str, ...] = ()  # unfilled parameters whose comparisons this (possible) rule leaves out

    @property
    def instance_pred(self) -> str:
        """Name of the rule-instance relation."""
        return f"_ri_{self.index}"

    @property
    def id(self) -> str:
        """Rule id of the source rule."""
        return self.source.id


@dataclass
class Plan:
    """The whole compiled program of one document."""

    rules: list[CompiledRule] = field(default_factory=list)
    facts: list[ir.Atom] = field(default_factory=list)  # ground facts written in .dl files
    params: dict[str, Value | None] = field(default_factory=dict)
    blocked: dict[str, list[str]] = field(default_factory=dict)  # rule id -> unfilled parameters it needs
    blocked_rules: list[ir.Rule] = field(default_factory=list)
    strata: dict[str, int] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # derived predicates in evaluation order (lower strata first)
    groups: list[list[str]] = field(default_factory=list)  # the same, grouped by recursive component
    aggregates: dict[str, Step] = field(default_factory=dict)  # aux relation -> its aggregate step
    roles: dict[str, RelationRole] = field(default_factory=dict)  # every relation the compiler created
    uncertain: frozenset[str] = frozenset()  # relations that can be undetermined (they have a possible twin)
    open_relations: frozenset[str] = frozenset()  # input relations where absence means unknown
    twin_of: dict[str, str] = field(default_factory=dict)  # _possible_p / _false_p -> p
    option_copies: dict[str, OptionCopies] = field(default_factory=dict)  # p -> its copies per listed option

    def role(self, pred: str) -> RelationRole:
        """The role of a relation: recorded where the relation was created, else a relation of the rules."""
        return self.roles.get(pred, RelationRole.RELATION)

    def is_internal(self, pred: str) -> bool:
        """True for a relation the compiler (or a tool) created: not written in the rules, not shown to people."""
        return self.role(pred).internal

    def by_id(self, rule_id: str) -> CompiledRule | None:
        """The compiled rule with this id (the main one, not an auxiliary)."""
        for r in self.rules:
            if r.id == rule_id and r.kind is not RuleKind.AUX and not r.possible:
                return r
        return None

    def possible_rules(self, rule_id: str) -> list[CompiledRule]:
        """The possible twins of a rule (empty when its head cannot be undetermined)."""
        return [r for r in self.rules if r.id == rule_id and r.kind is not RuleKind.AUX and r.possible]
