"""Strongly connected components in dependency order (Tarjan's algorithm, iterative).

The static checks and the planner need SCCs on every KB load; importing networkx for that costs about 300 ms,
a third of the one-second budget of `oerlog why`. networkx stays the library for the graph exports.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

N = TypeVar("N", bound=Hashable)


def components(nodes: Iterable[N], edges: Mapping[N, Iterable[N]]) -> list[list[N]]:
    """SCCs of the graph ``u -> edges[u]``, dependencies first: if u -> v (v depends on u), u's component
    comes before v's. Each component lists its members in a stable (sorted by str) order."""
    graph: dict[N, list[N]] = {}
    for n in nodes:
        graph.setdefault(n, [])
    for u, vs in edges.items():
        graph.setdefault(u, [])
        for v in vs:
            graph[u].append(v)
            graph.setdefault(v, [])
    index: dict[N, int] = {}
    low: dict[N, int] = {}
    on_stack: set[N] = set()
    stack: list[N] = []
    out: list[list[N]] = []
    counter = 0
    for root in sorted(graph, key=str):
        if root in index:
            continue
        work: list[tuple[N, int]] = [(root, 0)]
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
                comp: list[N] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                out.append(sorted(comp, key=str))
    out.reverse()  # Tarjan emits sinks first; callers want sources (dependencies) first
    return out
