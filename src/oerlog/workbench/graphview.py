"""The graph explorer's picture: a layered drawing of a rule-dependency graph as inline SVG, readable as drawn.

At most :data:`MAX_NODES` nodes are drawn one by one; a larger graph is drawn clustered: one box per group of
predicates (the rule file they are concluded in, inputs together), sized by how many they hold, an edge where one
group's conclusions feed another's; clicking a group opens it. Graphviz's ``dot`` places the boxes left to right by
their dependencies and routes the edges around them when it is installed; without it, layers follow the
dependencies (a predicate sits one layer right of the last one it depends on) and the order within a layer is
improved by a few barycentre sweeps. Text is drawn at :data:`FONT_PX` at scale 1: the SVG is never
shrunk to fit (the page scrolls instead).
"""

from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

MAX_NODES = 40
FONT_PX = 13
CHAR_PX = 7.4  # average advance of a character at FONT_PX in the sans-serif face used
NODE_H = 30
GAP_Y = 16
GAP_X = 90
PAD = 20


@dataclass
class Box:
    """A drawn node: id, text, kind (input, derived, concept, cluster), place and size, what a click opens."""

    id: str
    label: str
    kind: str
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = NODE_H
    layer: int = 0
    focus: bool = False
    members: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Line:
    """A drawn edge with its polarity (positive, negative, exception) and how many edges it stands for."""

    src: str
    dst: str
    polarity: str
    count: int = 1
    path: str = ""  # the SVG path of the edge as Graphviz routed it ("" when laid out without it)


@dataclass
class Picture:
    """A laid-out graph: boxes, lines, the size of the drawing, and whether it is the clustered overview."""

    boxes: list[Box]
    lines: list[Line]
    width: float
    height: float
    clustered: bool
    total_nodes: int


def cluster_of(data: dict[str, Any]) -> str:
    """The group a predicate is drawn in when the graph is clustered: its rule file, or ``inputs``."""
    if data.get("kind") == "input":
        return "inputs"
    return str(data.get("file") or "rules")


def picture(g: nx.MultiDiGraph, open_cluster: str | None = None) -> Picture:
    """Lay out ``g``: node by node when it has at most :data:`MAX_NODES` nodes (or ``open_cluster`` names a group:
    its members and their direct neighbours), else as clusters."""
    total = g.number_of_nodes()
    if open_cluster is not None:
        # the group's members, then the neighbours most connected to them, at most MAX_NODES in all
        members = sorted(n for n, d in g.nodes(data=True) if cluster_of(d) == open_cluster)
        keep = set(members[:MAX_NODES])
        links: dict[str, int] = defaultdict(int)
        for n in keep:
            for m in list(g.predecessors(n)) + list(g.successors(n)):
                if m not in keep:
                    links[m] += 1
        for m, _ in sorted(links.items(), key=lambda kv: (-kv[1], str(kv[0])))[: MAX_NODES - len(keep)]:
            keep.add(m)
        sub = g.subgraph(keep).copy()
        return _layout(_boxes(sub), _lines(sub), clustered=False, total=total)
    if total <= MAX_NODES:
        return _layout(_boxes(g), _lines(g), clustered=False, total=total)
    groups: dict[str, list[str]] = defaultdict(list)
    for n, d in g.nodes(data=True):
        groups[cluster_of(d)].append(n)
    boxes = [
        Box(
            f"cluster:{name}",
            f"{name} ({len(ms)})",
            "cluster",
            members=sorted(str(g.nodes[m].get("label", m)) for m in ms),
            data={"cluster": name},
        )
        for name, ms in sorted(groups.items())
    ]
    where = {n: f"cluster:{name}" for name, ms in groups.items() for n in ms}
    counts: dict[tuple[str, str], int] = defaultdict(int)
    kinds: dict[tuple[str, str], set[str]] = defaultdict(set)
    for u, v, d in g.edges(data=True):
        a, b = where[u], where[v]
        if a != b:  # one line per pair of groups, drawn as a plain dependency unless all its edges are negations
            counts[(a, b)] += 1
            kinds[(a, b)].add(str(d.get("polarity", "positive")))
    lines = [
        Line(a, b, "positive" if "positive" in kinds[(a, b)] else sorted(kinds[(a, b)])[0], c)
        for (a, b), c in sorted(counts.items())
    ]
    return _layout(boxes, lines, clustered=True, total=total)


def _boxes(g: nx.MultiDiGraph) -> list[Box]:
    return [
        Box(
            str(n),
            str(d.get("label", n)),
            str(d.get("kind", "derived")),
            focus=bool(d.get("focus")),
            data={"pred": str(d.get("label", n)), "document": str(d.get("document", ""))},
        )
        for n, d in sorted(g.nodes(data=True), key=lambda nd: str(nd[0]))
    ]


def _lines(g: nx.MultiDiGraph) -> list[Line]:
    seen: dict[tuple[str, str, str], Line] = {}
    for u, v, d in g.edges(data=True):
        key = (str(u), str(v), str(d.get("polarity", "positive")))
        if key in seen:
            seen[key].count += 1
        else:
            seen[key] = Line(*key)
    return list(seen.values())


def _layout(boxes: list[Box], lines: list[Line], *, clustered: bool, total: int) -> Picture:
    """Graphviz's ``dot`` places the boxes and routes the edges when it is installed; else the layered layout."""
    for b in boxes:
        b.w = max(60.0, CHAR_PX * len(b.label) + 24)
    placed = _dot_layout(boxes, lines)
    if placed is not None:
        width, height = placed
        return Picture(boxes, lines, width, height, clustered, total)
    return _layered(boxes, lines, clustered=clustered, total=total)


def _dot_layout(boxes: list[Box], lines: list[Line]) -> tuple[float, float] | None:
    """Positions from ``dot -Tplain`` (left to right, boxes of the size their text needs), and each edge's spline
    as an SVG path; None when Graphviz is not installed or fails."""
    exe = shutil.which("dot")
    if exe is None or not boxes:
        return None
    ids = {b.id: f"n{i}" for i, b in enumerate(boxes)}
    back = {v: k for k, v in ids.items()}
    out = [
        "digraph g {",
        "rankdir=LR; nodesep=0.2; ranksep=0.8; splines=true;",
        'node [shape=box, fixedsize=true, label=""];',
    ]
    for b in boxes:
        out.append(f"{ids[b.id]} [width={b.w / 72:.3f}, height={b.h / 72:.3f}];")
    keep = [ln for ln in lines if ln.src in ids and ln.dst in ids and ln.src != ln.dst]
    for i, ln in enumerate(keep):
        out.append(f"{ids[ln.src]} -> {ids[ln.dst]} [id=e{i}];")
    out.append("}")
    try:
        res = subprocess.run([exe, "-Tplain"], input="\n".join(out), capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if res.returncode != 0:
        return None
    by_id = {b.id: b for b in boxes}
    height = 0.0
    width = 0.0
    edges: list[tuple[str, str, list[tuple[float, float]]]] = []
    for row in res.stdout.splitlines():
        parts = row.split()
        if not parts:
            continue
        if parts[0] == "graph":
            width, height = float(parts[2]) * 72, float(parts[3]) * 72
        elif parts[0] == "node" and parts[1] in back:
            b = by_id[back[parts[1]]]
            cx, cy = float(parts[2]) * 72, float(parts[3]) * 72
            b.x, b.y = cx - b.w / 2 + PAD, height - cy - b.h / 2 + PAD
        elif parts[0] == "edge":
            n = int(parts[3])
            pts = [(float(parts[4 + 2 * k]) * 72 + PAD, height - float(parts[5 + 2 * k]) * 72 + PAD) for k in range(n)]
            edges.append((parts[1], parts[2], pts))
    # match each routed edge to a line by its ends (merged edges, concentrate=true, share one route)
    waiting: dict[tuple[str, str], list[Line]] = defaultdict(list)
    for ln in keep:
        waiting[(ids[ln.src], ids[ln.dst])].append(ln)
    for tail, head, pts in edges:
        for ln in waiting.get((tail, head), []):
            if not ln.path:
                ln.path = "M " + " ".join(f"{x:.1f} {y:.1f}" + (" C" if i == 0 else "") for i, (x, y) in enumerate(pts))
                break
    return width + 2 * PAD, height + 2 * PAD


def _layered(boxes: list[Box], lines: list[Line], *, clustered: bool, total: int) -> Picture:
    by_id = {b.id: b for b in boxes}
    preds: dict[str, list[str]] = defaultdict(list)
    succs: dict[str, list[str]] = defaultdict(list)
    for ln in lines:
        if ln.src in by_id and ln.dst in by_id and ln.src != ln.dst:
            preds[ln.dst].append(ln.src)
            succs[ln.src].append(ln.dst)
    # layers: longest path from a source, cycles (recursion) broken by visiting order
    layer: dict[str, int] = {}
    state: dict[str, int] = {}

    def depth(n: str) -> int:
        if n in layer:
            return layer[n]
        if state.get(n) == 1:
            return 0
        state[n] = 1
        d = max((depth(p) + 1 for p in preds[n]), default=0)
        state[n] = 2
        layer[n] = d
        return d

    for b in boxes:
        b.layer = depth(b.id)
    columns: dict[int, list[Box]] = defaultdict(list)
    for b in boxes:
        columns[b.layer].append(b)
    order = {b.id: i for col in columns.values() for i, b in enumerate(col)}
    for sweep in range(6):  # barycentre sweeps, left to right, then right to left
        keys = sorted(columns) if sweep % 2 == 0 else sorted(columns, reverse=True)
        for k in keys:
            nbrs = preds if sweep % 2 == 0 else succs

            def bary(b: Box, nbrs: dict[str, list[str]] = nbrs) -> float:
                ps = [order[p] for p in nbrs[b.id] if p in order]
                return sum(ps) / len(ps) if ps else order[b.id]

            columns[k].sort(key=bary)
            for i, b in enumerate(columns[k]):
                order[b.id] = i
    x = float(PAD)
    height = 0.0
    for k in sorted(columns):
        col = columns[k]
        for b in col:
            b.w = max(60.0, CHAR_PX * len(b.label) + 24)
        width = max(b.w for b in col)
        y = float(PAD)
        for b in col:
            b.x, b.y = x, y
            y += b.h + GAP_Y
        height = max(height, y)
        x += width + GAP_X
    return Picture(boxes, lines, max(x - GAP_X + PAD, 200.0), max(height + PAD, 120.0), clustered, total)
