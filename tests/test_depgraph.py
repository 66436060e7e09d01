"""The one dependency graph of a program (oerlog.lang.depgraph): components, strata, closure, impact, networkx."""

from oerlog.lang import checks
from oerlog.lang.depgraph import DependencyGraph, Polarity, defeat_pred
from oerlog.lang.parser import parse_program
from oerlog.semantics.plan import build_plan, compiled_graph, restrict_program

PROGRAM = """
@id(r1) a(X) :- q(X).
@id(r2) b(X) :- a(X), not c(X).
@id(r3) c(X) :- q(X), N = count : { a(X) }, N > 0.
@id(r4) t(X, Y) :- e(X, Y).
@id(r5) t(X, Z) :- t(X, Y), e(Y, Z).
@id(e1) except r2: b(X) :- s(X).
@id(e2) except e1: b(X) :- u(X).
@id(r6) other(X) :- z(X).
"""


def graph() -> DependencyGraph:
    return DependencyGraph.of_rules(parse_program(PROGRAM).rules)


def test_edges_carry_polarity_and_rule():
    g = graph()
    pol = {(e.body, e.head): e.polarity for e in g.edges}
    assert pol["q", "a"] is Polarity.POSITIVE
    assert pol["c", "b"] is Polarity.NEGATIVE
    assert pol["a", "c"] is Polarity.AGGREGATE
    assert pol[defeat_pred("r2"), "b"] is Polarity.DEFEAT
    assert pol["s", defeat_pred("r2")] is Polarity.POSITIVE
    # an exception to an exception: the defeated exception's node depends on the new one
    assert pol[defeat_pred("e1"), defeat_pred("r2")] is Polarity.DEFEAT
    assert str(Polarity.AGGREGATE) == "aggregate" and not Polarity.DEFEAT.monotone


def test_components_dependencies_first_and_recursive_groups():
    g = graph()
    order = [p for comp in g.components() for p in comp]
    assert order.index("a") < order.index("c") < order.index("b")
    assert order.index(defeat_pred("e1")) < order.index(defeat_pred("r2")) < order.index("b")
    assert g.recursive_groups() == {"t": frozenset({"t"})}


def test_strata_match_stratify():
    g = graph()
    strata = g.strata()
    assert strata["a"] == 0 and strata["c"] == 1 and strata["b"] == 2
    assert checks.stratify(parse_program(PROGRAM).rules) == (strata, [])


def test_closure_and_dependents():
    g = graph()
    assert g.closure(["b"]) == {"b", "a", "c", "q", "s", "u", defeat_pred("r2"), defeat_pred("e1")}
    assert g.dependents(["u"]) == {"u", defeat_pred("e1"), defeat_pred("r2"), "b"}
    assert g.dependents(["a"]) == {"a", "b", "c"}
    prog = parse_program(PROGRAM)
    assert [r.id for r in restrict_program(prog, ["b"]).rules] == ["r1", "r2", "r3", "e1", "e2"]


def test_rule_paths_follow_uses_and_exceptions():
    g = graph()
    assert g.rule_paths("r1") == {"r1": ["r1"], "r2": ["r1", "r2"], "r3": ["r1", "r3"]}
    assert g.rule_paths("e2") == {"e2": ["e2"], "e1": ["e2", "e1"], "r2": ["e2", "e1", "r2"]}


def test_unstratifiable_edges():
    g = DependencyGraph.of_rules(parse_program("@id(x) p(X) :- q(X), not r(X).\n@id(y) r(X) :- p(X).").rules)
    [e] = g.unstratifiable()
    assert (e.body, e.head, e.rule) == ("r", "p", "x")


def test_compiled_graph_orders_the_plan():
    plan = build_plan(parse_program(PROGRAM))
    g = compiled_graph(plan)
    heads = {cr.head.pred for cr in plan.rules}
    assert set(plan.order) == heads
    assert plan.order.index("a") < plan.order.index("b")
    assert g.closure(["b"]) >= {"a", "c", "q"}


def test_to_networkx():
    nxg = graph().to_networkx()
    assert nxg.has_edge("c", "b")
    assert {d["polarity"] for _, _, d in nxg.edges(data=True)} == {"positive", "negative", "aggregate", "defeat"}
