"""Export rule-dependency graphs: DOT, GraphML, JSON, SVG/PNG (Graphviz ``dot``) and one self-contained
HTML page (the SVG inline, with pan, zoom and a details panel; no network access needed).

Style: input relations are grey boxes, shared concepts bold blue ellipses, other conclusions ellipses;
negation edges are dashed red, exception edges dotted orange with the exception's id; nodes are clustered by
document and stratum.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import networkx as nx

from oerlog.errors import UsageError
from oerlog.escape import html_text, script_json
from oerlog.outputs import atomic_path, prepare_target, write_bytes

FORMATS = ("dot", "graphml", "json", "svg", "png", "html")

NODE_STYLE = {
    "input": 'shape=box, style="filled", fillcolor="#eeeeee", color="#888888"',
    "concept": 'shape=ellipse, style="bold,filled", fillcolor="#dbe9ff", color="#1f5fbf"',
    "derived": 'shape=ellipse, style="filled", fillcolor="#ffffff"',
    "rule": 'shape=box, style="rounded,filled", fillcolor="#ffffff"',
    "exception": 'shape=box, style="rounded,filled,dashed", fillcolor="#fff1dc", color="#d9822b"',
    "article": 'shape=note, style="filled", fillcolor="#fffbe6"',
}
EDGE_STYLE = {
    "positive": 'color="#333333"',
    "negative": 'color="#c0392b", style=dashed, arrowhead=odot',
    "exception": 'color="#d9822b", style=dotted, penwidth=2, arrowhead=tee',
}


def _q(s: object) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(g: nx.MultiDiGraph, title: str = "oerlog") -> str:
    """Graphviz DOT text with clusters per document and stratum."""
    lines = [
        f"digraph {_q(title)} {{",
        "  rankdir=LR; newrank=true;",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    clusters: dict[str, dict[int, list[str]]] = {}
    for n, d in g.nodes(data=True):
        clusters.setdefault(str(d.get("document", "")), {}).setdefault(int(d.get("stratum", 0)), []).append(n)
    for i, (doc, strata) in enumerate(sorted(clusters.items())):
        lines.append(f"  subgraph cluster_doc{i} {{")
        lines.append(f'    label={_q(doc)}; style=rounded; color="#999999";')
        for s, nodes in sorted(strata.items()):
            lines.append(
                f'    subgraph cluster_doc{i}_s{s} {{ label={_q(f"stratum {s}")}; style=dotted; color="#cccccc";'
            )
            for n in sorted(nodes):
                d = g.nodes[n]
                style = NODE_STYLE.get(str(d.get("kind")), NODE_STYLE["derived"])
                extra = ', penwidth=3, color="#27ae60"' if d.get("focus") else ""
                tip = d.get("cites") or d.get("kind")
                lines.append(
                    f"      {_q(n)} [label={_q(d.get('label', n))}, id={_q(n)}, tooltip={_q(tip)}, {style}{extra}];"
                )
            lines.append("    }")
        lines.append("  }")
    merged: dict[tuple[str, str, str], set[str]] = {}
    for u, v, d in g.edges(data=True):  # one drawn edge per (from, to, polarity); rule ids in the tooltip
        merged.setdefault((u, v, str(d.get("polarity"))), set()).add(str(d.get("label") or ""))
    for (u, v, pol), labels in sorted(merged.items()):
        style = EDGE_STYLE.get(pol, EDGE_STYLE["positive"])
        names = ", ".join(sorted(x for x in labels if x))
        label = f", label={_q(names)}" if pol == "exception" and names else ""
        lines.append(f"  {_q(u)} -> {_q(v)} [{style}{label}, tooltip={_q(names or pol)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_json(g: nx.MultiDiGraph) -> str:
    """Node-link JSON."""
    data = nx.node_link_data(g, edges="edges")
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def to_graphml(g: nx.MultiDiGraph, path: Path) -> None:
    """GraphML (attributes as strings / ints)."""
    h = nx.MultiDiGraph()
    for n, d in g.nodes(data=True):
        h.add_node(n, **{k: (v if isinstance(v, (int, str)) else str(v)) for k, v in d.items()})
    for u, v, d in g.edges(data=True):
        h.add_edge(u, v, **{k: (x if isinstance(x, (int, str)) else str(x)) for k, x in d.items()})
    nx.write_graphml(h, str(path))


def dot_program() -> str:
    """Path of Graphviz ``dot``, or a usage error telling how to install it."""
    exe = shutil.which("dot")
    if exe is None:
        raise UsageError(
            "Graphviz 'dot' is not installed; it is needed for svg, png and html output",
            hint="install it: apt-get install graphviz (or use --format dot / graphml / json)",
            example="oerlog graph --format dot -o rules.dot",
        )
    return exe


def render_dot(dot: str, fmt: str) -> bytes:
    """Run ``dot -T<fmt>`` on DOT text."""
    res = subprocess.run([dot_program(), f"-T{fmt}"], input=dot.encode(), capture_output=True, timeout=300)
    if res.returncode != 0:
        raise UsageError(f"dot failed: {res.stderr.decode(errors='replace')[:500]}")
    return res.stdout


def to_html(g: nx.MultiDiGraph, title: str) -> str:
    """One offline HTML page: the Graphviz SVG inline, pan (drag), zoom (wheel), click a node for its rules and
    the article text.

    Every label, rule text and quote is text: the SVG is Graphviz's (which escapes them), the node details are
    JSON in a data block that no string can close (:func:`script_json`), and the page puts them into the DOM with
    ``textContent``. Its Content-Security-Policy allows its own script (by hash) and nothing else."""
    svg = render_dot(to_dot(g, title), "svg").decode()
    svg = svg[svg.find("<svg") :]
    details: dict[str, dict[str, Any]] = {
        n: {
            k: str(v)
            for k, v in d.items()
            if k in ("label", "kind", "document", "stratum", "text", "quote", "cites", "rules")
        }
        for n, d in g.nodes(data=True)
    }
    fields = {
        "TITLE": html_text(title),
        "CSP": html_text(PAGE_CSP),
        "SVG": svg,
        "DATA": script_json(details),
        "COUNT": str(g.number_of_nodes()),
        "SCRIPT": _SCRIPT,
    }
    # one pass: a value that happens to contain "__DATA__" is not substituted again
    return re.sub(r"__(TITLE|CSP|SVG|DATA|COUNT|SCRIPT)__", lambda m: fields[m.group(1)], _PAGE)


def write(g: nx.MultiDiGraph, fmt: str, path: Path | None, title: str) -> bytes | None:
    """Export in ``fmt``; returns the bytes when ``path`` is None (stdout). A file is written whole or not at
    all (:mod:`oerlog.outputs`)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", value=fmt, hint="formats: " + ", ".join(FORMATS))
    if path is not None:
        prepare_target(path)  # before rendering: an unwritable path is reported at once
    if fmt == "graphml":
        if path is None:
            raise UsageError("GraphML needs -o FILE", example="oerlog graph --format graphml -o rules.graphml")
        with atomic_path(path) as tmp:
            to_graphml(g, tmp)
        return None
    if fmt == "dot":
        out = to_dot(g, title).encode()
    elif fmt == "json":
        out = to_json(g).encode()
    elif fmt in ("svg", "png"):
        out = render_dot(to_dot(g, title), fmt)
    else:
        out = to_html(g, title).encode()
    if path is None:
        return out
    write_bytes(path, out)
    return None


_PAGE = """<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="__CSP__">
<title>__TITLE__</title>
<style>
 body{margin:0;font-family:Helvetica,Arial,sans-serif;display:flex;height:100vh}
 #view{flex:1;overflow:hidden;cursor:grab;background:#fafafa}
 #view svg{width:100%;height:100%}
 #panel{width:380px;padding:12px;border-left:1px solid #ccc;overflow:auto;font-size:13px}
 #panel pre{white-space:pre-wrap;background:#f4f4f4;padding:6px}
 .legend span{display:inline-block;margin-right:10px}
 g.node{cursor:pointer} g.node.sel polygon, g.node.sel ellipse, g.node.sel path{stroke:#27ae60;stroke-width:3}
</style></head><body>
<div id="view">__SVG__</div>
<div id="panel"><h3>__TITLE__</h3>
<p class="legend"><span>▭ invoerrelatie</span><span>⬭ conclusie</span><span style="color:#c0392b">- - negatie</span>
<span style="color:#d9822b">··· uitzondering</span></p>
<p><span id="count">__COUNT__</span> knopen. Sleep om te verschuiven, scroll om te zoomen, klik op een knoop.</p>
<div id="info"></div></div>
<script type="application/json" id="oerlog-data">__DATA__</script>
<script>__SCRIPT__</script></body></html>
"""

# the page's own script: constant (the data comes from the JSON block), so the CSP can name it by its hash
_SCRIPT = """
const DATA = JSON.parse(document.getElementById('oerlog-data').textContent);
const svg = document.querySelector('#view svg');
let vb = svg.viewBox.baseVal; let box = {x: vb.x, y: vb.y, w: vb.width, h: vb.height};
function apply(){ svg.setAttribute('viewBox', box.x+' '+box.y+' '+box.w+' '+box.h); }
svg.removeAttribute('width'); svg.removeAttribute('height');
document.getElementById('view').addEventListener('wheel', e => { e.preventDefault();
  const f = e.deltaY > 0 ? 1.15 : 1/1.15; const r = svg.getBoundingClientRect();
  const mx = box.x + (e.clientX - r.left) / r.width * box.w, my = box.y + (e.clientY - r.top) / r.height * box.h;
  box.x = mx - (mx - box.x) * f; box.y = my - (my - box.y) * f; box.w *= f; box.h *= f; apply(); }, {passive:false});
let drag = null;
svg.addEventListener('mousedown', e => { drag = {x: e.clientX, y: e.clientY, bx: box.x, by: box.y}; });
window.addEventListener('mouseup', () => { drag = null; });
window.addEventListener('mousemove', e => { if (!drag) return; const r = svg.getBoundingClientRect();
  box.x = drag.bx - (e.clientX - drag.x) / r.width * box.w;
  box.y = drag.by - (e.clientY - drag.y) / r.height * box.h; apply(); });
// every value goes into the DOM as text, never as markup
function el(tag, text){ const e = document.createElement(tag); if (text !== undefined) e.textContent = text; return e; }
function labelled(label, text){ const p = el('p'); p.append(el('b', label), ' ' + text); return p; }
function block(label, text){ const p = el('p'); p.append(el('b', label)); return [p, el('pre', text)]; }
document.querySelectorAll('g.node').forEach(g => g.addEventListener('click', () => {
  document.querySelectorAll('g.node.sel').forEach(x => x.classList.remove('sel')); g.classList.add('sel');
  const d = Object.prototype.hasOwnProperty.call(DATA, g.id) ? DATA[g.id] : {};
  const parts = [el('h4', d.label || g.id),
    el('p', (d.kind || '') + ' · ' + (d.document || '') + ' · stratum ' + (d.stratum || '0'))];
  if (d.cites) parts.push(labelled('Artikelen:', d.cites));
  if (d.text) parts.push(...block('Regel(s)', d.text));
  if (d.quote) parts.push(...block('Tekst', d.quote));
  document.getElementById('info').replaceChildren(...parts); }));
// deep link: page.html#node=<node id> opens with that node selected
if (location.hash.startsWith('#node=')) {
  const node = document.getElementById(decodeURIComponent(location.hash.slice(6)));
  if (node) node.dispatchEvent(new MouseEvent('click', {bubbles: true}));
}
"""
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    f"script-src 'sha256-{base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()}'"
)
