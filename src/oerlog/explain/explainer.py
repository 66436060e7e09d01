"""Explanations over a computed model: ``why`` (proof trees) and ``why not`` (what failed).

``why`` rebuilds the minimal proof of a derived fact from the rule instances the engine recorded: every fact
gets the derivation height of its lowest instance (as Soufflé does), and the proof follows lowest instances down
to the input facts, which carry their source (file and line). Built-ins are shown with their values.

``why not`` tries, for every rule that could conclude the goal, to match the body over the model literal by
literal; the deepest partial match is reported with the first literal that fails, explained recursively.
Exceptions that fired are reported as such ("rule A would apply; exception B overrides it").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from oerlog.errors import Location
from oerlog.kb.loader import Document, Provision
from oerlog.lang import ir
from oerlog.lang.ir import RelationRole, StrEnum
from oerlog.lang.templates import with_params
from oerlog.semantics.evaluate import assigned_expr, eval_expr, step_bindings
from oerlog.semantics.model import Model, Row, Status, ground
from oerlog.semantics.plan import CompiledRule, RuleKind, Step, StepKind
from oerlog.values import BuiltinTypeError, Value, format_literal, format_value

MAX_WHYNOT_DEPTH = 4
MAX_SEARCH = 20000


@dataclass
class RuleInfo:
    """What a proof shows about a rule: id, citations with their verbatim text, templates, notes."""

    id: str
    citations: list[tuple[ir.Citation, Provision | None]]
    nl: str | None
    en: str | None
    interpretations: tuple[str, ...]
    discretion: str | None
    source: str
    loc: Location | None
    document: str | None
    interpretations_nl: tuple[str, ...] = ()
    discretion_nl: str | None = None
    rule: ir.Rule | None = None  # the rule as written (its body names where each variable's value comes from)
    steps: tuple[Step, ...] = ()  # the body as evaluated (parameters put in), where the rule was compiled

    def readings(self, lang: str) -> tuple[str, ...]:
        """The rule's interpretations in ``lang`` (see :meth:`oerlog.lang.ir.Annotations.readings`)."""
        return ir.Annotations(
            interpretations=self.interpretations, interpretations_nl=self.interpretations_nl
        ).readings(lang)

    def discretion_in(self, lang: str) -> str | None:
        """The rule's discretion note in ``lang`` (see :meth:`oerlog.lang.ir.Annotations.discretion_in`)."""
        return ir.Annotations(discretion=self.discretion, discretion_nl=self.discretion_nl).discretion_in(lang)

    def template(self, lang: str) -> str | None:
        """The rule's ``@nl`` / ``@en`` template in ``lang``, else the other one."""
        return (self.nl if lang == "nl" else self.en) or self.en or self.nl

    @classmethod
    def of(cls, rule: ir.Rule, doc: Document | None) -> RuleInfo:
        """Collect the rule's annotations and resolve its citations; a ``{$name}`` still in a template (a rule
        read from the document, not from a plan) shows the document's value."""
        if doc is not None:
            rule = with_params(rule, {p.name: p.value for p in doc.program.params}, doc.program.params)
        cites = [(c, doc.provision(c) if doc else None) for c in rule.ann.cites]
        return cls(
            rule.id,
            cites,
            rule.ann.nl,
            rule.ann.en,
            rule.ann.interpretations,
            rule.ann.discretion,
            str(rule),
            rule.loc,
            rule.document,
            rule.ann.readings("nl"),
            rule.ann.discretion_nl,
            rule,
        )


class NodeKind(StrEnum):
    """What a node of an explanation stands for; the value is the ``kind`` of the JSON schema."""

    # why
    DERIVED = "derived"  # a rule instance (also: why not, a rule that does apply)
    FACT = "fact"  # an input fact
    BUILTIN = "builtin"  # a comparison or computation, with its values
    ABSENT = "absent"  # a negated atom that indeed does not hold
    AGGREGATE = "aggregate"  # an aggregate, with the facts it counts
    EXCEPTION_CHECKED = "exception_checked"  # an exception that was considered and did not apply
    # why not
    GOAL = "goal"  # the goal, with one child per rule tried
    HOLDS = "holds"  # the goal is actually true
    RULE_FAILED = "rule_failed"  # a rule tried, with the first literal that fails
    HEAD_MISMATCH = "head_mismatch"  # a rule whose conclusion cannot match the goal
    MISSING_FACT = "missing_fact"  # an input fact (or an existential match) that is not there
    NOT_DERIVED = "not_derived"  # a derived atom that does not hold, not explored further
    BUILTIN_FALSE = "builtin_false"  # a comparison that is false, or an aggregate without a value
    PRESENT = "present"  # a negated atom that holds
    DEFEATED = "defeated"  # an exception overrode the rule
    BLOCKED = "blocked"  # the rule needs a parameter the document leaves unfilled
    NO_RULE = "no_rule"  # no rule concludes the goal's relation
    # three answers
    UNDETERMINED = "undetermined"  # may hold: the rule instance, with what it waits for among its children
    UNKNOWN_FACT = "unknown_fact"  # a fact of an open relation the case states neither true nor false
    STATED_FALSE = "stated_false"  # a fact of an open relation the case states false
    UNFILLED = "unfilled"  # a comparison with a choice the document leaves unfilled (``params``)
    OPTIONS = "options"  # the options a template lists, and under which the atom holds (``text``)


@dataclass
class Node:
    """A node of a proof (``why``) or of a failure explanation (``why not``); see :class:`NodeKind`.

    ``failed_literal`` is the literal a ``rule_failed`` node fails at, and ``failed_step`` how it was evaluated
    (an exception that overrides the rule fails at a ``defeat`` step).
    """

    kind: NodeKind
    atom: str | None = None
    pred: str | None = None
    args: tuple[Value, ...] = ()
    rule: RuleInfo | None = None
    binding: dict[str, Value] = field(default_factory=dict)
    text: str | None = None  # builtins: the comparison with values; others: a short statement
    source: Location | None = None
    children: list[Node] = field(default_factory=list)
    height: int | None = None
    failed_literal: str | None = None
    params: list[str] = field(default_factory=list)
    failed_step: StepKind | None = None
    step: Step | None = None  # builtins and failed conditions: the body literal as evaluated (not in JSON)
    failures: int | None = None  # rule_failed: how many of the rule's conditions fail under the best binding
    context: dict[str, Value] = field(default_factory=dict)  # with ``step``: the binding it was evaluated under


def atom_text(pred: str, args: tuple[Value, ...]) -> str:
    """``pred("a", 4.0)`` in rule-language syntax."""
    if not args:
        return pred
    return f"{pred}({', '.join(format_literal(v) for v in args)})"


def partial_text(atom: ir.Atom, binding: dict[str, Value]) -> str:
    """An atom with bound variables replaced by their values."""
    parts = []
    for a in atom.args:
        if isinstance(a, ir.Var) and a.name in binding:
            parts.append(format_literal(binding[a.name]))
        elif isinstance(a, ir.Var) and a.anonymous:
            parts.append("_")
        else:
            parts.append(str(a))
    return f"{atom.pred}({', '.join(parts)})" if parts else atom.pred


def builtin_text(step: Step, binding: dict[str, Value], lang: str = "nl") -> str:
    """A comparison or computation with its values, e.g. ``3,8 < 4,0`` or ``D = add_days(...) = 25 augustus 2025``."""
    lit = step.literal
    assert isinstance(lit, ir.Compare)

    def show(e: ir.Expr) -> str:
        if isinstance(e, (ir.Var, ir.Const)):
            try:
                return format_value(eval_expr(e, binding), lang)
            except KeyError:
                return str(e)
        try:
            return f"{_expr_with_values(e, binding, lang)} → {format_value(eval_expr(e, binding), lang)}"
        except (KeyError, BuiltinTypeError):
            return str(e)

    if step.kind is StepKind.ASSIGN:
        return f"{step.binds[0]} = {show(assigned_expr(step))}"
    return f"{show(lit.left)} {lit.op} {show(lit.right)}"


def _expr_with_values(e: ir.Expr, binding: dict[str, Value], lang: str) -> str:
    if isinstance(e, ir.Var):
        return format_value(binding[e.name], lang) if e.name in binding else e.name
    if isinstance(e, ir.Const):
        return format_value(e.value, lang)
    if isinstance(e, ir.BinOp):
        return f"{_expr_with_values(e.left, binding, lang)} {e.op} {_expr_with_values(e.right, binding, lang)}"
    if isinstance(e, ir.Call):
        return f"{e.func}({', '.join(_expr_with_values(a, binding, lang) for a in e.args)})"
    return str(e)


class Explainer:
    """Builds ``why`` and ``why not`` trees for one model of one document."""

    def __init__(
        self,
        model: Model,
        doc: Document | None,
        sources: dict[tuple[str, Row], Location] | None = None,
        lang: str = "nl",
    ):
        self.lang = lang
        self.model = model
        self.plan = model.plan
        self.doc = doc
        self.sources = sources or {}
        self._best: dict[tuple[str, Row], tuple[int, CompiledRule, dict[str, Value]]] | None = None
        self._count: dict[tuple[str, Row], int] = {}
        self._info: dict[int, RuleInfo] = {}

    # --- heights and minimal proofs -----------------------------------------------------------------

    def _heights(self) -> dict[tuple[str, Row], tuple[int, CompiledRule, dict[str, Value]]]:
        if self._best is not None:
            return self._best
        derived = {cr.head.pred for cr in self.plan.rules}
        height: dict[tuple[str, Row], int] = {}
        for pred, rows in self.model.relations.items():
            if pred not in derived or any(f.pred == pred for f in self.plan.facts):
                for r in rows:
                    height[(pred, r)] = 0
        best: dict[tuple[str, Row], tuple[int, CompiledRule, dict[str, Value]]] = {}
        insts = [(cr, b) for cr in self.plan.rules for b in self.model.instance_bindings(cr)]
        count: dict[tuple[str, Row], int] = {}
        for cr, b in insts:
            head = ground(cr.head, b) if cr.kind is RuleKind.RULE and not cr.possible else None
            if head is not None:
                count[(cr.head.pred, head)] = count.get((cr.head.pred, head), 0) + 1
        self._count = count
        changed = True
        while changed:
            changed = False
            for cr, b in insts:
                h = 0
                ok = True
                for st in cr.steps:
                    if st.kind is StepKind.ATOM and st.atom is not None:
                        g = ground(st.atom, b)
                        hh = height.get((st.atom.pred, g)) if g is not None else None
                        if hh is None:
                            ok = False
                            break
                        h = max(h, hh)
                if not ok:
                    continue
                head = ground(cr.head, b)
                if head is None:
                    continue
                key = (cr.head.pred, head)
                if key not in height or h + 1 < height[key]:
                    height[key] = h + 1
                    best[key] = (h + 1, cr, b)
                    changed = True
        self._best = best
        return best

    def derivations(self, pred: str, row: Row) -> int:
        """In how many ways (rule instances) ``pred(row)`` is derived: 1 means the conclusion stands or falls with
        that one instance; 0 for an input fact."""
        self._heights()
        return self._count.get((pred, tuple(row)), 0)

    def lowest_instance(self, pred: str, row: Row) -> tuple[int, CompiledRule, dict[str, Value]] | None:
        """The rule instance the proof of ``pred(row)`` shows (of the lowest derivation height), as (height, rule,
        binding); None for an input fact or a fact that does not hold."""
        return self._heights().get((pred, tuple(row)))

    def info(self, cr: CompiledRule) -> RuleInfo:
        """RuleInfo of a compiled rule (cached)."""
        if cr.index not in self._info:
            self._info[cr.index] = replace(RuleInfo.of(cr.source, self.doc), steps=cr.steps)
        return self._info[cr.index]

    def why(self, pred: str, args: tuple[Value, ...], _seen: frozenset[tuple[str, Row]] = frozenset()) -> Node:
        """The minimal proof of ``pred(args)``; raises KeyError when it does not hold."""
        if pred in self.plan.option_copies:  # holds under every listed option: the proof under the first
            copy = self.plan.option_copies[pred].copies[0][1]
            node = self._relabel(self.why(copy, tuple(args), _seen))
            node.children.insert(0, self._options_node(pred, tuple(args)))
            return node
        key = (pred, tuple(args))
        if not self.model.holds(pred, key[1]):
            raise KeyError(atom_text(pred, key[1]))
        best = self._heights().get(key)
        if best is None:
            return Node(NodeKind.FACT, atom_text(pred, key[1]), pred, key[1], source=self.sources.get(key), height=0)
        h, cr, b = best
        node = Node(NodeKind.DERIVED, atom_text(pred, key[1]), pred, key[1], self.info(cr), dict(b), height=h)
        for st in cr.steps:
            node.children.extend(self._why_step(cr, st, b, _seen | {key}))
        return node

    def _why_step(
        self, cr: CompiledRule, st: Step, b: dict[str, Value], seen: frozenset[tuple[str, Row]]
    ) -> Iterator[Node]:
        if st.kind is StepKind.ATOM and st.atom is not None:
            g = ground(st.atom, b)
            assert g is not None
            if self.plan.role(st.atom.pred) is RelationRole.STATED_FALSE:
                yield self._stated_false(st.atom.pred, g)
                return
            if self.plan.is_internal(st.atom.pred):
                return
            yield self.why(st.atom.pred, g, seen)
        elif st.kind in (StepKind.TEST, StepKind.ASSIGN):
            yield Node(
                NodeKind.BUILTIN,
                str(st.literal),
                text=builtin_text(st, b, self.lang),
                binding={v: b[v] for v in st.needs if v in b},
                step=st,
                context=dict(b),
            )
        elif st.kind is StepKind.NOT and st.atom is not None and self.plan.role(st.atom.pred) is RelationRole.UNSETTLED:
            return  # the aggregate's rows are all certain: shown with the aggregate
        elif st.kind is StepKind.NOT:
            lit = st.literal
            assert isinstance(lit, ir.Negative)
            yield Node(
                NodeKind.ABSENT,
                "not " + partial_text(lit.atom, b),
                lit.atom.pred,
                text=partial_text(lit.atom, b),
                step=st,
                context=dict(b),
            )
        elif st.kind is StepKind.DEFEAT:
            assert st.atom is not None
            g = ground(st.atom, b) or ()
            for ex in self._exceptions_of(cr):
                n = Node(NodeKind.EXCEPTION_CHECKED, atom_text(cr.head.pred, g), rule=self.info(ex))
                tried = self.whynot_rule(ex, ir.Atom(ex.head.pred, tuple(ir.Const(v) for v in g)), 1)
                n.binding = dict(tried[0].binding)  # the exception's variables as far as they are known
                n.failures = tried[0].failures
                n.failed_literal = tried[0].failed_literal
                n.children = tried[1:]
                yield n
        elif st.kind is StepKind.AGG:
            lit = st.literal
            assert isinstance(lit, ir.Aggregate) and st.atom is not None
            key = tuple(b[v] for v in st.agg_group)
            members = [r for r in self.model.tuples(st.atom.pred) if r[: len(key)] == key]
            node = Node(
                NodeKind.AGGREGATE,
                str(lit),
                text=f"{lit.result} = {format_literal(b.get(lit.result.name))}",
                binding={lit.result.name: b[lit.result.name]} if lit.result.name in b else {},
                step=st,
            )
            aux = next((r for r in self.plan.rules if r.head.pred == st.atom.pred), None)
            for r in sorted(members, key=lambda row: tuple(format_literal(v) for v in row)):
                mb = dict(zip(st.agg_columns, r, strict=True))
                for sub in aux.steps if aux else ():
                    if sub.kind is StepKind.ATOM and sub.atom is not None:
                        gg = ground(sub.atom, mb)
                        if gg is not None and not self.plan.is_internal(sub.atom.pred):
                            node.children.append(self.why(sub.atom.pred, gg, seen))
            yield node

    # --- undetermined -------------------------------------------------------------------------------

    def undetermined(self, pred: str, args: tuple[Value, ...], _seen: frozenset[tuple[str, Row]] = frozenset()) -> Node:
        """Why ``pred(args)`` is undetermined: a rule instance by which it may hold, with the facts it stands on and
        what it waits for (a fact the case does not establish, a choice the document leaves unfilled, a negation of
        something undetermined)."""
        row = tuple(args)
        text = atom_text(pred, row)
        if pred in self.plan.open_relations:
            return self._open_fact(pred, row)
        if pred in self.plan.option_copies:
            return self._undetermined_by_options(pred, row, _seen)
        key = (pred, row)
        twin = ir.possible_name(pred)
        for cr in self.plan.rules:
            if not cr.possible or cr.head.pred != twin or key in _seen:
                continue
            for b in self.model.instance_bindings(cr):
                if ground(cr.head, b) != row:
                    continue
                node = Node(NodeKind.UNDETERMINED, text, pred, row, self.info(cr), dict(b))
                if cr.unknown_params:
                    node.children.append(Node(NodeKind.UNFILLED, text, pred, params=list(cr.unknown_params)))
                for st in cr.steps:
                    node.children.extend(self._undetermined_step(st, b, _seen | {key}))
                return node
        return Node(NodeKind.NOT_DERIVED, text, pred, row, text="not explored further")

    def _undetermined_step(self, st: Step, b: dict[str, Value], seen: frozenset[tuple[str, Row]]) -> Iterator[Node]:
        atom = st.atom
        if atom is None or st.kind in (StepKind.TEST, StepKind.ASSIGN, StepKind.AGG):
            if st.kind in (StepKind.TEST, StepKind.ASSIGN):
                yield Node(
                    NodeKind.BUILTIN, str(st.literal), text=builtin_text(st, b, self.lang), step=st, context=dict(b)
                )
            elif st.kind is StepKind.AGG and isinstance(st.literal, ir.Aggregate):
                result = st.literal.result.name
                yield Node(NodeKind.AGGREGATE, str(st.literal), text=f"{result} = {format_literal(b.get(result))}")
            return
        g = ground(atom, b)
        if g is None:
            return
        role = self.plan.role(atom.pred)
        original = self.plan.twin_of.get(atom.pred, atom.pred)
        if role is RelationRole.STATED_FALSE:  # an open atom, read as "not stated false"
            yield self._open_fact(original, g)
        elif st.kind is StepKind.ATOM and role is RelationRole.POSSIBLE:
            yield self.why(original, g, seen) if self.model.holds(original, g) else self.undetermined(original, g, seen)
        elif st.kind is StepKind.ATOM and not self.plan.is_internal(atom.pred):
            yield self.why(atom.pred, g, seen)
        elif st.kind is StepKind.DEFEAT:
            # an exception that may apply (it waits for a decision or a fact): shown with what it waits for
            for r in self.model.match_undetermined(_bind_atom(atom, b))[:3]:
                yield self.undetermined(atom.pred, r, seen)
        elif st.kind is StepKind.NOT and isinstance(st.literal, ir.Negative):
            lit = st.literal
            if self.model.match_undetermined(_bind_atom(lit.atom, b)) and original in self.plan.uncertain:
                n = Node(NodeKind.UNDETERMINED, partial_text(lit.atom, b), lit.atom.pred, failed_step=StepKind.NOT)
                n.children = [
                    self.undetermined(lit.atom.pred, r, seen)
                    for r in self.model.match_undetermined(_bind_atom(lit.atom, b))[:3]
                ]
                yield n
            elif lit.atom.pred in self.plan.open_relations and (g_open := ground(lit.atom, b)) is not None:
                yield self._open_fact(lit.atom.pred, g_open)
            else:
                yield Node(
                    NodeKind.ABSENT,
                    "not " + partial_text(lit.atom, b),
                    lit.atom.pred,
                    text=partial_text(lit.atom, b),
                    step=st,
                    context=dict(b),
                )

    def _undetermined_by_options(self, pred: str, row: Row, seen: frozenset[tuple[str, Row]]) -> Node:
        """An atom of a relation that depends on listed template choices: under which options it holds; when it
        holds under none for certain, why it is undetermined under the first."""
        oc = self.plan.option_copies[pred]
        holding = self.model.options_holding(pred, row)
        if any(h for _, h in holding):
            node = Node(NodeKind.UNDETERMINED, atom_text(pred, row), pred, row)
            node.children.append(self._options_node(pred, row))
            first = next(name for (choice, h), (_, name) in zip(holding, oc.copies, strict=True) if h)
            node.children.append(self._relabel(self.why(first, row, seen)))
            return node
        name = next((n for _, n in oc.copies if row in self.model.undetermined(n)), oc.copies[0][1])
        return self._relabel(self.undetermined(name, row, seen))

    def _options_node(self, pred: str, row: Row) -> Node:
        """Per combination of listed options: does the atom hold under it."""
        parts = [
            f"{_choices_text(choice)}: {'holds' if h else 'does not hold'}"
            for choice, h in self.model.options_holding(pred, row)
        ]
        return Node(NodeKind.OPTIONS, atom_text(pred, row), pred, row, text="; ".join(parts))

    def _relabel(self, node: Node) -> Node:
        """Show the copies of relations under one option by the relation's own name."""
        names = {n: p for p, oc in self.plan.option_copies.items() for n in oc.names()}
        for n in _nodes(node):
            for copy, pred in names.items():
                if n.pred == copy:
                    n.pred = pred
                for attr in ("atom", "text", "failed_literal"):
                    value = getattr(n, attr)
                    if value and copy in value:
                        setattr(n, attr, value.replace(copy, pred))
        return node

    def _open_fact(self, pred: str, row: Row) -> Node:
        """A fact of an open relation: stated true (a fact), stated false, or neither (unknown)."""
        status = self.model.status(pred, row)
        if status is Status.HOLDS:
            return Node(NodeKind.FACT, atom_text(pred, row), pred, row, source=self.sources.get((pred, row)), height=0)
        if status is Status.NOT:
            return self._stated_false(ir.false_name(pred), row)
        return Node(NodeKind.UNKNOWN_FACT, atom_text(pred, row), pred, row, text="stated neither true nor false")

    def _stated_false(self, false_pred: str, row: Row) -> Node:
        pred = self.plan.twin_of.get(false_pred, false_pred)
        return Node(
            NodeKind.STATED_FALSE, atom_text(pred, row), pred, row, source=self.sources.get((false_pred, row)), height=0
        )

    def _stated_otherwise(self, atom: ir.Atom) -> list[Node]:
        """The facts the case states with the same key as a missing input fact, other values in the other fields
        (the course is known, as a block course, where the rule needs a PLO course)."""
        voc = self.doc.kb.vocabulary if self.doc is not None else None
        rel = voc.relations.get(atom.pred) if voc is not None else None
        positions = rel.key_positions if rel is not None else None
        consts = [a.value if isinstance(a, ir.Const) else None for a in atom.args]
        if not positions or any(not isinstance(atom.args[i], ir.Const) for i in positions):
            return []
        key = tuple(consts[i] for i in positions)
        rows = [r for r in self.model.tuples(atom.pred) if tuple(r[i] for i in positions) == key]
        return [
            Node(
                NodeKind.FACT, atom_text(atom.pred, r), atom.pred, r, source=self.sources.get((atom.pred, r)), height=0
            )
            for r in sorted(rows, key=lambda row: tuple(format_literal(v) for v in row))[:3]
        ]

    def _exceptions_of(self, cr: CompiledRule) -> list[CompiledRule]:
        return [
            r for r in self.plan.rules if r.kind is RuleKind.EXCEPTION and r.source.defeats == cr.id and not r.possible
        ]

    # --- why not ------------------------------------------------------------------------------------

    def whynot(self, goal: ir.Atom, depth: int = 0) -> Node:
        """Explain why no fact matching ``goal`` holds (or, if some do, say so)."""
        root = Node(NodeKind.GOAL, str(goal), goal.pred)
        oc = self.plan.option_copies.get(goal.pred)
        if oc is not None and not self.model.match(goal) and not self.model.match_undetermined(goal):
            tree = self._relabel(self.whynot(replace(goal, pred=oc.copies[0][1]), depth))
            shown = Node(
                NodeKind.OPTIONS, str(goal), goal.pred, text=_choices_text(oc.copies[0][0]), failed_literal="none"
            )
            tree.children.insert(0, shown)  # holds under no option: worked out under the first
            return tree
        matches = self.model.match(goal)
        if matches:
            root.kind = NodeKind.HOLDS
            root.text = f"{len(matches)} fact(s) match"
            root.children = [self.why(goal.pred, r) for r in matches[:5]]
            return root
        open_rows = self.model.match_undetermined(goal)
        if open_rows:
            root.kind = NodeKind.UNDETERMINED
            root.text = f"{len(open_rows)} fact(s) undetermined"
            root.pred = goal.pred
            root.children = [self.undetermined(goal.pred, r) for r in open_rows[:5]]
            return root
        rules = [r for r in self.plan.rules if r.head.pred == goal.pred and r.kind is not RuleKind.AUX]
        blocked = [r for r in self.plan.blocked_rules if r.head.pred == goal.pred and not r.defeats]
        for r in blocked:
            root.children.append(
                Node(
                    NodeKind.BLOCKED,
                    str(goal),
                    goal.pred,
                    rule=RuleInfo.of(r, self.doc),
                    params=self.plan.blocked[r.id],
                    text="depends on a choice the document leaves unfilled: "
                    + ", ".join("$" + p for p in self.plan.blocked[r.id]),
                )
            )
        if not rules and not blocked:
            if any(f.pred == goal.pred for f in self.plan.facts) or goal.pred not in {
                cr.head.pred for cr in self.plan.rules
            }:
                root.children.append(Node(NodeKind.MISSING_FACT, str(goal), goal.pred, text="no such fact in the case"))
            else:
                root.children.append(Node(NodeKind.NO_RULE, str(goal), goal.pred, text="no rule concludes this"))
            return root
        tried = [self.whynot_rule(cr, goal, depth)[0] for cr in rules]
        # the rule that came closest first: fewest conditions failing (a rule that cannot conclude this goal last)
        tried.sort(key=lambda n: (n.kind is NodeKind.HEAD_MISMATCH, n.failures if n.failures is not None else 0))
        root.children.extend(tried)
        return root

    def whynot_rule(self, cr: CompiledRule, goal: ir.Atom, depth: int) -> list[Node]:
        """[rule node, *its failure children]: the first failing literal under the best partial binding."""
        info = self.info(cr)
        head_binding = _unify_atoms(cr.head, goal)
        node = Node(NodeKind.RULE_FAILED, str(goal), goal.pred, rule=info)
        if head_binding is None:
            node.kind = NodeKind.HEAD_MISMATCH
            node.text = f"this rule concludes {cr.head}, which cannot match {goal}"
            return [node]
        # explanation order: joins first, then computations, tests and negations, the exception check last;
        # so the failure reported is a condition on facts that exist, not a join with the wrong row
        steps = sorted(cr.steps, key=lambda s: _EXPLAIN_ORDER[s.kind])
        best_depth = -1
        best: tuple[int, dict[str, Value]] = (0, head_binding)
        searched = 0
        fired: dict[str, Value] | None = None

        def search(i: int, b: dict[str, Value]) -> bool:
            nonlocal best_depth, best, searched, fired
            searched += 1
            if searched > MAX_SEARCH:
                return True
            if i > best_depth:
                best_depth, best = i, (i, b)
            if i == len(steps):
                fired = b
                return True
            st = steps[i]
            for nb in step_bindings(self.model, st, b):
                if search(i + 1, nb):
                    return True
            return False

        search(0, head_binding)
        if fired is not None:
            node.kind = NodeKind.DERIVED
            node.text = "the rule applies"
            node.binding = fired
            return [node]
        i, b = best
        st = steps[i]
        node.binding = b
        node.failed_literal = str(st.literal)
        node.failed_step = st.kind
        node.children.append(self._failure(cr, st, b, depth))
        # the conditions after the first that fails: each that fails too is named (not explored further); one
        # that needs a value only a failed condition would give counts as failing as well
        later, unknown = self._later_failures(steps[i + 1 :], b, set(st.binds) if st.kind is StepKind.ATOM else set())
        node.children.extend(self._failure(cr, s2, b2, MAX_WHYNOT_DEPTH) for s2, b2 in later)
        node.failures = 1 + len(later) + unknown
        return [node, *node.children]

    def _later_failures(
        self, steps: tuple[Step, ...] | list[Step], b: dict[str, Value], missing: set[str]
    ) -> tuple[list[tuple[Step, dict[str, Value]]], int]:
        """Go on past a failed condition: (the conditions that fail under the binding so far, the number that
        cannot be checked because they need a value no matching fact gives)."""
        failed: list[tuple[Step, dict[str, Value]]] = []
        unknown = 0
        cur = dict(b)
        for st in steps:
            if any(v in missing for v in st.needs) or not all(v in cur for v in st.needs):
                unknown += 1
                missing.update(st.binds)
                continue
            nb = next(step_bindings(self.model, st, cur), None)
            if nb is None:
                failed.append((st, dict(cur)))
                if st.kind in (StepKind.ATOM, StepKind.ASSIGN, StepKind.AGG):
                    missing.update(v for v in st.binds if v not in cur)
                continue
            cur = nb
        return failed, unknown

    def _failure(self, cr: CompiledRule, st: Step, b: dict[str, Value], depth: int) -> Node:
        node = self._failure_node(cr, st, b, depth)
        node.step = st
        node.context = dict(b)
        return node

    def _failure_node(self, cr: CompiledRule, st: Step, b: dict[str, Value], depth: int) -> Node:
        if st.kind is StepKind.ATOM and st.atom is not None:
            atom = _bind_atom(st.atom, b)
            pred = st.atom.pred
            if self.plan.role(pred) is RelationRole.EXISTENTIAL:
                return Node(NodeKind.MISSING_FACT, str(atom), pred, text="no match")
            if self.plan.role(pred) is RelationRole.STATED_FALSE or pred in self.plan.open_relations:
                return self._open_fact(self.plan.twin_of.get(pred, pred), ground(st.atom, b) or ())
            is_input = not any(r.head.pred == pred for r in self.plan.rules) and not any(
                r.head.pred == pred for r in self.plan.blocked_rules
            )
            if is_input:
                node = Node(NodeKind.MISSING_FACT, partial_text(st.atom, b), pred, text="no such fact in the case")
                node.children = self._stated_otherwise(atom)
                return node
            if depth + 1 >= MAX_WHYNOT_DEPTH:
                return Node(
                    NodeKind.NOT_DERIVED, partial_text(st.atom, b), pred, text="not derived (not explored further)"
                )
            sub = self.whynot(atom, depth + 1)
            sub.atom = partial_text(st.atom, b)
            return sub
        if st.kind in (StepKind.TEST, StepKind.ASSIGN):
            return Node(
                NodeKind.BUILTIN_FALSE, str(st.literal), text=builtin_text(st, b, self.lang), step=st, context=dict(b)
            )
        if st.kind is StepKind.NOT and st.atom is not None and self.plan.role(st.atom.pred) is RelationRole.POSSIBLE:
            lit = st.literal
            assert isinstance(lit, ir.Negative)
            atom = _bind_atom(lit.atom, b)
            if not self.model.match(atom):  # it may hold: the negation is undetermined
                rows = self.model.match_undetermined(atom)
                n = Node(NodeKind.UNDETERMINED, partial_text(lit.atom, b), lit.atom.pred, failed_step=StepKind.NOT)
                n.children = [self.undetermined(lit.atom.pred, r) for r in rows[:3]]
                return n
        if st.kind is StepKind.NOT:
            lit = st.literal
            assert isinstance(lit, ir.Negative)
            matches = self.model.match(_bind_atom(lit.atom, b))
            n = Node(NodeKind.PRESENT, partial_text(lit.atom, b), lit.atom.pred, text="holds, so the negation fails")
            n.children = [self.why(lit.atom.pred, r) for r in matches[:3]]
            return n
        if st.kind is StepKind.DEFEAT:
            assert st.atom is not None
            g = ground(st.atom, b) or ()
            n = Node(NodeKind.DEFEATED, atom_text(cr.head.pred, g), cr.head.pred, binding=b, failed_literal=cr.id)
            proof = self.why(st.atom.pred, g)
            n.children = proof.children
            n.rule = proof.rule
            n.text = f"rule {cr.id} would apply; exception {proof.rule.id if proof.rule else '?'} overrides it"
            return n
        lit = st.literal
        return Node(NodeKind.BUILTIN_FALSE, str(lit), text=str(lit), failed_literal="agg")


_EXPLAIN_ORDER = {
    StepKind.ATOM: 0,
    StepKind.ASSIGN: 1,
    StepKind.AGG: 1,
    StepKind.TEST: 2,
    StepKind.NOT: 2,
    StepKind.DEFEAT: 3,
}


def _choices_text(choice: tuple[tuple[str, Value], ...]) -> str:
    return ", ".join(f"${p} = {format_literal(v)}" for p, v in choice)


def _nodes(node: Node) -> Iterator[Node]:
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        todo.extend(n.children)


def _unify_atoms(head: ir.Atom, goal: ir.Atom) -> dict[str, Value] | None:
    """Bind the head's variables to the goal's constants; None when constants clash."""
    if head.arity != goal.arity:
        return None
    b: dict[str, Value] = {}
    goal_vars: dict[str, ir.Term] = {}
    for h, g in zip(head.args, goal.args, strict=True):
        if isinstance(g, ir.Const):
            if isinstance(h, ir.Const):
                if h.value != g.value:
                    return None
            elif isinstance(h, ir.Var):
                if h.name in b and b[h.name] != g.value:
                    return None
                b[h.name] = g.value
        elif isinstance(g, ir.Var) and not g.anonymous:
            if g.name in goal_vars and isinstance(h, ir.Const):
                prev = goal_vars[g.name]
                if isinstance(prev, ir.Const) and prev.value != h.value:
                    return None
            goal_vars[g.name] = h
    return b


def _bind_atom(atom: ir.Atom, b: dict[str, Value]) -> ir.Atom:
    return ir.Atom(
        atom.pred,
        tuple(ir.Const(b[a.name]) if isinstance(a, ir.Var) and a.name in b else a for a in atom.args),
        atom.loc,
    )


__all__ = ["Explainer", "Node", "NodeKind", "RuleInfo", "ground"]  # ground: see oerlog.semantics.model
