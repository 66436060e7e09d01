"""The decisive step of a proof, the closest rule of a why-not, what an undetermined answer waits for.

"Decisive" means: the comparisons on which the conclusion turns, the conditions whose change would change it.
They are found in the rule instances the conclusion stands or falls with (each derived in one way only, from
the goal down), and followed upstream: a comparison with a value another rule computed (a final grade of 5,
``5 < 6``) leads to the rule that computed it (the mean 5,47 in the band 4,95 t/m 5,49, ``5,47 < 5,50``). Among
the comparisons of the decisive rule, the closest to turning come first. Comparisons that only restate a fact
(``1 >= 1``, ``block != ivtg``) are never decisive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from oerlog.explain.conditions import ORDER, Conditions, margin
from oerlog.explain.explainer import Node, NodeKind
from oerlog.explain.words import Phrasing
from oerlog.lang import ir
from oerlog.semantics.plan import Step, StepKind
from oerlog.values import Value

Derivations = Callable[[str, tuple[Value, ...]], int]


@dataclass
class Decisive:
    """The rule instance a proof turns on, its comparisons (closest to turning first) and the chain of rule
    instances from the conclusion down to it."""

    node: Node
    comparisons: list[Node] = field(default_factory=list)
    chain: list[Node] = field(default_factory=list)  # the conclusion first, the decisive node last


def conditions_of(ph: Phrasing, node: Node) -> Conditions:
    """The phrasing of the built-ins of a rule instance (``node`` a derived node or a failed rule)."""
    binding = dict(node.binding)
    assigns: dict[str, Step] = {}
    for c in node.children:
        if c.step is not None and c.step.kind is StepKind.ASSIGN and c.step.binds:
            assigns[c.step.binds[0]] = c.step
        binding.update(c.context)
    for st in node.rule.steps if node.rule else ():  # a rule tried in a why-not: its computations too
        if st.kind is StepKind.ASSIGN and st.binds and st.binds[0] in binding:
            assigns.setdefault(st.binds[0], st)
    return Conditions(ph, node.rule.rule if node.rule else None, binding, assigns)


def decisive_comparisons(ph: Phrasing, node: Node) -> list[Node]:
    """The order comparisons of a rule instance that are not mere restatements of a fact, closest first."""
    cond = conditions_of(ph, node)
    found: list[tuple[float, int, Node]] = []
    for i, c in enumerate(node.children):
        st = c.step
        if c.kind is not NodeKind.BUILTIN or st is None or st.kind is not StepKind.TEST:
            continue
        lit = st.literal
        if not isinstance(lit, ir.Compare) or lit.op not in ORDER or cond.trivial(lit):
            continue
        a, _, b = cond.sides(lit)
        found.append((margin(a.value, b.value), i, c))
    return [c for _, _, c in sorted(found, key=lambda t: (t[0], t[1]))]


def find_decisive(ph: Phrasing, root: Node, derivations: Derivations | None = None) -> Decisive:
    """The decisive rule instance of the proof ``root`` (see the module's description)."""
    memo: dict[int, bool] = {}

    def critical(n: Node) -> bool:
        return n.kind is NodeKind.DERIVED and (derivations is None or derivations(n.pred or "", n.args) <= 1)

    def below(n: Node) -> list[Node]:
        out = [c for c in n.children if critical(c)]
        for c in n.children:
            if c.kind is NodeKind.AGGREGATE:
                out += [cc for cc in c.children if critical(cc)]
        return out

    def has_any(n: Node) -> bool:
        if id(n) not in memo:
            memo[id(n)] = False  # a proof is a tree, but guard anyway
            memo[id(n)] = bool(decisive_comparisons(ph, n)) or any(has_any(c) for c in below(n))
        return memo[id(n)]

    chain = [root]
    node = root
    while True:
        comps = decisive_comparisons(ph, node)
        nxt: Node | None = None
        if comps:
            values = {repr(_value(ph, node, c)) for c in comps} - {repr(None)}
            nxt = next((c for c in below(node) if has_any(c) and any(repr(a) in values for a in c.args)), None)
        else:  # the step that computed a value of this conclusion (a grade, a date) before any other
            own = {repr(a) for a in node.args if not isinstance(a, str)}
            ranked = sorted(below(node), key=lambda c: not any(repr(a) in own for a in c.args))
            nxt = next((c for c in ranked if has_any(c)), None)
        if nxt is None or nxt in chain:
            return Decisive(node, comps, chain)
        chain.append(nxt)
        node = nxt


def _value(ph: Phrasing, parent: Node, comparison: Node) -> Value | None:
    """The value of the case that a comparison reads (the side that is not a threshold)."""
    st = comparison.step
    if st is None or not isinstance(st.literal, ir.Compare):
        return None
    a, _, _ = conditions_of(ph, parent).sides(st.literal)
    return a.value


def comparison_words(ph: Phrasing, parent: Node, comparison: Node, short: bool = False) -> str:
    """A decisive comparison in words, as it holds (``short``: without the thresholds' labels)."""
    st = comparison.step
    assert st is not None and isinstance(st.literal, ir.Compare)
    return conditions_of(ph, parent).holds(st.literal, short=short)


def values_words(ph: Phrasing, parent: Node, comparisons: list[Node]) -> str:
    """Decisive comparisons in one phrase, those on the same value joined: ``gemiddelde 5,47 is lager dan 5,5
    en ten minste 4,95``."""
    cond = conditions_of(ph, parent)
    groups: dict[tuple[str, str], list[str]] = {}
    for c in comparisons:
        if c.step is None or not isinstance(c.step.literal, ir.Compare):
            continue
        left, verb, rest = cond.parts(c.step.literal, short=True)
        how = computed_in(ph, parent, cond.sides(c.step.literal)[0].value)
        groups.setdefault((left + (f" ({how})" if how else ""), verb), []).append(rest)
    joined = " en " if ph.nl else " and "
    return "; ".join(f"{left} {verb} {joined.join(rests)}" for (left, verb), rests in groups.items())


def closest(root: Node) -> Node | None:
    """The rule of a why-not that came closest (the explainer puts it first): fewest conditions failing."""
    kinds = (NodeKind.RULE_FAILED, NodeKind.DEFEATED, NodeKind.BLOCKED, NodeKind.UNDETERMINED, NodeKind.DERIVED)
    return next((c for c in root.children if c.kind in kinds), None)


def waits_for(root: Node) -> list[Node]:
    """What an undetermined answer depends on: the facts the case leaves open, the choices the document leaves
    unfilled, the options it lists (each once). A rule that fails on a condition the case settles is not waited
    for: what stands after that condition (unbound, never looked up) is left out."""
    out: list[Node] = []
    seen: set[str] = set()
    todo = [root]
    while todo:
        n = todo.pop(0)
        if n.kind in (NodeKind.UNKNOWN_FACT, NodeKind.UNFILLED, NodeKind.OPTIONS, NodeKind.BLOCKED):
            key = f"{n.kind}:{n.atom}:{n.params}"
            if key not in seen and not (n.kind is NodeKind.UNKNOWN_FACT and n.pred and not n.args):
                seen.add(key)
                out.append(n)
        if n.kind is not NodeKind.RULE_FAILED:
            todo.extend(n.children)
    return out


def case_value_shown(ph: Phrasing, parent: Node, comparison: Node) -> str | None:
    """The value of the case in a decisive comparison, as shown (``5,47``)."""
    st = comparison.step
    if st is None or not isinstance(st.literal, ir.Compare):
        return None
    a, _, _ = conditions_of(ph, parent).sides(st.literal)
    return a.shown if a.value is not None else None


def computed_in(ph: Phrasing, parent: Node, value: Value | None) -> str | None:
    """How the rule below ``parent`` that gave ``value`` computed it (``5,50 afgerond op een geheel getal``), when
    it did so in one step; None otherwise."""
    if value is None or isinstance(value, str):
        return None
    for child in parent.children:
        if child.kind is not NodeKind.DERIVED or not any(repr(a) == repr(value) for a in child.args):
            continue
        cond = conditions_of(ph, child)
        for b in child.children:
            st = b.step
            if (
                st is None
                or st.kind is not StepKind.ASSIGN
                or not st.binds
                or repr(b.context.get(st.binds[0])) != repr(value)
            ):
                continue
            lit = st.literal
            assert isinstance(lit, ir.Compare)
            expr = lit.right if isinstance(lit.left, ir.Var) and lit.left.name == st.binds[0] else lit.left
            shown = cond.computed(expr)
            if shown is not None:
                return shown[1]
    return None
