"""The dependency graph of a program: which predicate depends on which, and how.

One graph, built once from the rules, answers every dependency question the toolkit asks: the recursive
components and their order (:meth:`DependencyGraph.components`), the strata of stratified negation
(:meth:`~DependencyGraph.strata`), what a set of goals needs (:meth:`~DependencyGraph.closure`), what depends on a
set of predicates (:meth:`~DependencyGraph.dependents`, impact analysis), and the chains of rules from one rule to
everything it affects (:meth:`~DependencyGraph.rule_paths`).

Nodes are predicate names. An edge runs from a body predicate to the head it helps derive (``body -> head``),
labelled with the rule and a :class:`Polarity`. An exception derives the auxiliary relation
``_defeated_<rule>`` (:func:`defeat_pred`), on which the defeated rule's head depends through a ``defeat`` edge.

The graph is plain Python: the static checks and the planner need it on every KB load, and importing networkx
costs about 145 ms, a large share of `oerlog why`. :meth:`DependencyGraph.to_networkx` hands the same graph to the
analyses that want networkx's algorithms.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from oerlog.errors import Location
from oerlog.lang import ir

if TYPE_CHECKING:
    import networkx as nx


class Polarity(ir.StrEnum):
    """How a head depends on a body predicate."""

    POSITIVE = "positive"  # a positive body atom
    NEGATIVE = "negative"  # a negated body atom
    AGGREGATE = "aggregate"  # an atom inside an aggregate's body
    DEFEAT = "defeat"  # an exception overriding the rule (``_defeated_<rule>`` -> the rule's head)

    @property
    def monotone(self) -> bool:
        """False for the dependencies stratification must put in a lower stratum (negation, aggregation,
        defeat): more facts below can mean fewer facts above."""
        return self is Polarity.POSITIVE


@dataclass(frozen=True)
class Edge:
    """``head`` depends on ``body`` through rule ``rule`` (for a defeat edge: the rule that is defeated)."""

    body: str
    head: str
    polarity: Polarity
    rule: str
    loc: Location | None = None


def defeat_pred(rule_id: str) -> str:
    """Name of the auxiliary predicate holding the instances where an exception defeats ``rule_id``."""
    return f"_defeated_{rule_id}"


def head_node(rule: ir.Rule) -> str:
    """The node a rule derives: its head predicate, or for an exception ``_defeated_<rule it defeats>``."""
    return defeat_pred(rule.defeats) if rule.defeats else rule.head.pred


def rule_edges(rules: Sequence[ir.Rule]) -> list[Edge]:
    """The edges of a program, in rule order: one per body atom, then one ``defeat`` edge per exception whose
    rule exists."""
    edges: list[Edge] = []
    for r in rules:
        head = head_node(r)
        for lit in r.body:
            for atom, positive in ir.literal_atoms(lit):
                if isinstance(lit, ir.Aggregate):
                    pol = Polarity.AGGREGATE
                else:
                    pol = Polarity.POSITIVE if positive else Polarity.NEGATIVE
                edges.append(Edge(atom.pred, head, pol, r.id, atom.loc))
    by_id = {r.id: r for r in rules if r.defeats}  # an exception can itself be defeated ...
    by_id.update({r.id: r for r in rules if not r.defeats})  # ... but a rule wins a (reported) duplicate id
    for r in rules:
        target = by_id.get(r.defeats) if r.defeats else None
        if target is not None and target is not r:
            edges.append(Edge(defeat_pred(target.id), head_node(target), Polarity.DEFEAT, target.id, r.loc))
    return edges


class DependencyGraph:
    """Predicates and their dependencies (see the module doc). Build it with :meth:`of_rules`, or from any edges
    (the evaluation plan builds one over its compiled rules)."""

    def __init__(
        self, edges: Iterable[Edge], nodes: Iterable[str] = (), rule_nodes: Mapping[str, str] | None = None
    ) -> None:
        self.edges: list[Edge] = list(edges)
        self.rule_nodes: dict[str, str] = dict(rule_nodes or {})  # rule id -> the node it derives
        self._out: dict[str, list[Edge]] = {}
        self._in: dict[str, list[Edge]] = {}
        for n in nodes:
            self._out.setdefault(n, [])
            self._in.setdefault(n, [])
        for e in self.edges:
            for n in (e.body, e.head):
                self._out.setdefault(n, [])
                self._in.setdefault(n, [])
            self._out[e.body].append(e)
            self._in[e.head].append(e)

    @classmethod
    def of_rules(cls, rules: Sequence[ir.Rule]) -> DependencyGraph:
        """The graph of a program's rules: every head (``_defeated_<rule>`` for an exception) and every body
        predicate is a node."""
        return cls(rule_edges(rules), [head_node(r) for r in rules], {r.id: head_node(r) for r in rules})

    @property
    def nodes(self) -> list[str]:
        """Every predicate of the graph."""
        return list(self._out)

    def out_edges(self, node: str) -> list[Edge]:
        """The edges from ``node`` to the heads that depend on it, in rule order."""
        return self._out.get(node, [])

    def in_edges(self, node: str) -> list[Edge]:
        """The edges into ``node`` from the predicates it depends on, in rule order."""
        return self._in.get(node, [])

    # --- components and strata ------------------------------------------------------------------------------

    @cached_property
    def _components(self) -> list[list[str]]:
        return _tarjan({n: [e.head for e in out] for n, out in self._out.items()})

    def components(self) -> list[list[str]]:
        """Strongly connected components, dependencies first (if ``q`` depends on ``p``, ``p``'s component comes
        no later than ``q``'s); the members of each in sorted order."""
        return [list(c) for c in self._components]

    @cached_property
    def _member(self) -> dict[str, int]:
        return {p: i for i, comp in enumerate(self._components) for p in comp}

    def recursive_groups(self) -> dict[str, frozenset[str]]:
        """For every predicate that depends on itself (a component of several, or a self-loop): its component."""
        self_loops = {e.head for e in self.edges if e.head == e.body}
        out: dict[str, frozenset[str]] = {}
        for comp in self._components:
            if len(comp) > 1 or comp[0] in self_loops:
                group = frozenset(comp)
                for p in comp:
                    out[p] = group
        return out

    def unstratifiable(self) -> list[Edge]:
        """The non-monotone edges inside a component: negation, aggregation or defeat through recursion."""
        m = self._member
        return [e for e in self.edges if not e.polarity.monotone and m[e.body] == m[e.head]]

    def strata(self) -> dict[str, int]:
        """Stratum per predicate: 0 when it depends on nothing non-monotonically, otherwise one more than the
        highest stratum it depends on non-monotonically (and at least the stratum of everything it depends on)."""
        m = self._member
        stratum: dict[int, int] = {}
        for i, comp in enumerate(self._components):
            s = 0
            for p in comp:
                for e in self._in[p]:
                    j = m[e.body]
                    if j != i:
                        s = max(s, stratum[j] + (0 if e.polarity.monotone else 1))
            stratum[i] = s
        return {p: stratum[i] for p, i in m.items()}

    # --- reachability ---------------------------------------------------------------------------------------

    def closure(self, goals: Iterable[str]) -> set[str]:
        """The goals and everything they depend on, directly or not."""
        return _reach(goals, lambda p: (e.body for e in self.in_edges(p)))

    def dependents(self, preds: Iterable[str]) -> set[str]:
        """The predicates and everything that depends on them, directly or not (what a change to them can
        affect)."""
        return _reach(preds, lambda p: (e.head for e in self.out_edges(p)))

    def rule_paths(self, start: str) -> dict[str, list[str]]:
        """Shortest chains of rule ids from rule ``start`` to every rule that depends on it (``start`` itself
        included), breadth first: a rule leads to the rules using its head, an exception to the rule it
        defeats. Keys are the reached rules' ids, in the order reached."""
        paths = {start: [start]}
        todo = deque([start])
        while todo:
            rid = todo.popleft()
            node = self.rule_nodes.get(rid)
            if node is None:
                continue
            for e in self.out_edges(node):
                if e.rule not in paths:
                    paths[e.rule] = [*paths[rid], e.rule]
                    todo.append(e.rule)
        return paths

    # --- networkx -------------------------------------------------------------------------------------------

    def to_networkx(self) -> nx.MultiDiGraph:
        """The same graph as a networkx ``MultiDiGraph`` (edge attributes ``polarity``, ``rule``), for analyses
        that need networkx's algorithms."""
        import networkx as nx  # deferred: networkx costs ~145 ms to import, and `oerlog why` never needs it

        g: nx.MultiDiGraph = nx.MultiDiGraph()
        g.add_nodes_from(self._out)
        for e in self.edges:
            g.add_edge(e.body, e.head, polarity=str(e.polarity), rule=e.rule)
        return g


def _reach(start: Iterable[str], step: Callable[[str], Iterable[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(step(p))
    return seen


def _tarjan(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit), over ``node -> successors``; the components come
    dependencies first, each sorted, roots visited in sorted order (a stable result for equal inputs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            succ = graph[node]
            if i < len(succ):
                work.append((node, i + 1))
                w = succ[i]
                if w not in index:
                    work.append((w, 0))
                elif w in on_stack:
                    low[node] = min(low[node], index[w])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp: list[str] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                out.append(sorted(comp))
    out.reverse()  # Tarjan emits sinks first; callers want sources (dependencies) first
    return out
