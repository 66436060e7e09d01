"""Issue 12 item 1: every value from a case, the KB or the command line is text, never markup.

The mini KB is copied with markup in a student id, a course id (with backticks), a document title, an article
title and text, a template, an @interpretation, a @discretion and a string constant of a rule
(tests/fixtures/hardening/injection/). The Markdown outputs, rendered as a viewer would (raw HTML on), must hold
no element from them; the HTML dossier and the graph page, opened in headless Chromium, must run none of them and
show them as text.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pytest
from conftest import MINI, chromium_flags
from markdown_it import MarkdownIt

from oerlog.analysis.graph_export import to_dot
from oerlog.escape import md_cell, md_code, md_fence, md_quote, md_text, script_json

FIXTURES = Path(__file__).parent / "fixtures" / "hardening" / "injection"
STUDENT = '<img src=x onerror="window.__x=1">'
COURSE = "c`<img src=x onerror=window.__x=6>`"
SCRIPT = "<script>window.__x=2</script>"
CLOSE_SCRIPT = "</script><script>window.__x=3</script>"
IMG = "<img src=x onerror=window.__x=4>"
DECISION = "flagged(S, C)"
CI = os.environ.get("CI") is not None  # CI installs chromium and playwright: there the browser tests must run


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini KB with the payloads."""
    root = tmp_path_factory.mktemp("injection") / "kb"
    shutil.copytree(MINI, root)
    doc = root / "mini-doc"
    shutil.copy(FIXTURES / "document.yaml", doc / "document.yaml")
    shutil.copy(FIXTURES / "rules.dl", doc / "injection.dl")
    shutil.copy(FIXTURES / "case.yaml", doc / "cases" / "payload.yaml")
    with (doc / "articles.yaml").open("a", encoding="utf-8") as f:
        f.write((FIXTURES / "articles.yaml").read_text(encoding="utf-8"))
    return root


def _case(kb: Path) -> str:
    return str(kb / "mini-doc" / "cases" / "payload.yaml")


class _Elements(HTMLParser):
    """The elements (with attributes) and the text of an HTML fragment."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _assert_inert_markdown(md: str, payloads: list[str]) -> None:
    """Rendered as a viewer would (CommonMark, raw HTML on), the Markdown holds no element from a payload, and
    every payload reads as text."""
    page = _Elements(MarkdownIt("commonmark", {"html": True}).render(md))
    names = {tag for tag, _ in page.tags}
    assert not names & {"img", "script", "a", "svg", "iframe"}, names
    assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs)
    text = "".join(page.text)
    for p in payloads:
        assert p in text, p


def _out(cli, *args: str) -> str:  # type: ignore[no-untyped-def]
    r = cli(*args)
    assert r.code == 0, r.err
    return str(r.out)


# --- Markdown -------------------------------------------------------------------------------------------------


def test_markdown_dossier_holds_no_markup_from_values(cli, kb):
    md = _out(cli, "--kb", str(kb), "appeal", "--case", _case(kb), "--decision", DECISION, "--format", "md")
    assert STUDENT not in md and SCRIPT not in md and IMG not in md  # escaped in the Markdown source
    _assert_inert_markdown(md, [STUDENT, COURSE, SCRIPT, CLOSE_SCRIPT, IMG, "[klik](javascript:window.__x=5)"])
    assert "(art. 5 lid \\_\\_DATA\\_\\_)" in md  # text stays readable: emphasis markers escaped, no more


def test_markdown_proof_holds_no_markup_from_values(cli, kb):
    md = _out(cli, "--kb", str(kb), "why", DECISION, "--case", _case(kb), "--format", "md")
    _assert_inert_markdown(md, [STUDENT, COURSE, SCRIPT, CLOSE_SCRIPT, IMG, "Mini regeling " + SCRIPT])


def test_markdown_coverage_holds_no_markup_from_the_kb(cli, kb):
    md = _out(cli, "--kb", str(kb), "coverage", "mini-doc", "--format", "md")
    _assert_inert_markdown(md, [SCRIPT, "de examencommissie kan afwijken"])
    assert "<script>window.\\_\\_x=2\\</script> \\| de examencommissie kan afwijken" in md  # "|" is no cell border


def test_md_text_escapes_only_what_markdown_would_read():
    ordinary = "Als je lager dan een 4,0 (onafgerond) hebt behaald: 3,8 < 4,0; 1 <= 2; R&A; excluded_low, 5.45"
    assert md_text(ordinary) == ordinary
    assert md_text("<b>x</b> *y* `z` [a](b) a|b _c_ &amp;") == (
        "\\<b>x\\</b> \\*y\\* \\`z\\` [a\\](b) a\\|b \\_c\\_ \\&amp;"
    )
    assert md_text("# kop\n- punt\n1. een\n> citaat\n===\n[x]: javascript:y") == (
        "\\# kop\n\\- punt\n1\\. een\n\\> citaat\n\\===\n\\[x]: javascript:y"
    )
    assert md_text("a\r# b") == "a\n\\# b"  # a carriage return is a line ending in CommonMark
    assert md_cell("a|b\nc") == "a\\|b c"
    assert md_code("x`y") == "``x`y``" and md_code("`x`") == "`` `x` ``"
    assert md_fence("```\n<b>", "yaml") == "````yaml\n```\n<b>\n````"
    assert md_quote("eerste\n# tweede", "  ") == "  > eerste\n  > \\# tweede"
    for s in ("a|b\nc", "x`y", "`x`", "<b>x</b> [a](b)"):  # each renders as exactly the text
        html = MarkdownIt("commonmark", {"html": True}).render(md_text(s) if "`" not in s else md_code(s))
        assert not {t for t, _ in _Elements(html).tags} - {"p", "code"}


def test_script_json_cannot_close_its_element():
    text = script_json({"k": "</script><!-- \u2028 & >"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert text == '{"k": "\\u003c/script\\u003e\\u003c!-- \\u2028 \\u0026 \\u003e"}'


def test_dot_labels_cannot_add_attributes(tmp_path):
    g = nx.MultiDiGraph()
    evil = 'x", URL="javascript:window.__x=7", label="y\\'
    g.add_node(evil, label=evil, kind="rule", document="d", stratum=0, cites=evil)
    dot = to_dot(g, evil)
    assert 'URL="javascript' not in dot and '\\"' in dot and "\\\\" in dot
    if shutil.which("dot"):
        svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True).stdout
        assert "href" not in svg  # no URL attribute was made: no link
        assert "x&quot;, URL=&quot;javascript:window.__x=7&quot;, label=&quot;y\\</text>" in svg  # the label


# --- HTML in headless Chromium --------------------------------------------------------------------------------


def _browser():  # type: ignore[no-untyped-def]
    """Playwright's sync API and Debian's chromium, or a skip (a failure on CI, which installs both)."""
    exe = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    missing = "chromium" if exe is None else "playwright" if sync_playwright is None else None
    if missing:
        if CI:
            pytest.fail(f"{missing} is not installed but CI must have it")
        pytest.skip(f"{missing} is not installed")
    return sync_playwright, exe


def _open(pages: list[tuple[Path, str]], tmp_path: Path, screenshot: Path | None = None) -> list[tuple[object, str]]:
    """Load each page (file:// URL plus fragment); return window.__x and the visible text of each."""
    sync_playwright, exe = _browser()
    args = [f for f in chromium_flags(tmp_path) if not f.startswith(("--user-data-dir", "--headless"))]
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=args)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400})
            for path, fragment in pages:
                page.goto(path.as_uri() + fragment, wait_until="load")
                page.wait_for_timeout(100)  # an onerror handler of a broken image would have run by now
                out.append((page.evaluate("window.__x"), page.inner_text("body")))
                if screenshot is not None:
                    page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return out


def test_html_dossier_runs_no_script_and_shows_the_payloads_as_text(cli, kb, tmp_path):
    page = tmp_path / "dossier.html"
    r = cli("--kb", str(kb), "appeal", "--case", _case(kb), "--decision", DECISION, "--format", "html", "-o", str(page))
    assert r.code == 0, r.err
    html = page.read_text(encoding="utf-8")
    elements = _Elements(html)
    csp = [a for t, a in elements.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and csp[0]["content"] == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert not {t for t, _ in elements.tags} & {"img", "script", "a", "iframe"}
    shot = tmp_path / "dossier.png"
    [(x, text)] = _open([(page, "")], tmp_path, shot)
    assert x is None  # no handler ran
    for payload in (STUDENT, COURSE, SCRIPT, CLOSE_SCRIPT, IMG, "Mini regeling " + SCRIPT):
        assert payload in text, payload
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_page_runs_no_script_and_shows_the_payloads_as_text(cli, kb, tmp_path):
    if shutil.which("dot") is None:
        if CI:
            pytest.fail("Graphviz is not installed but CI must have it")
        pytest.skip("Graphviz is not installed")
    pages = []
    for level in ("rule", "article"):
        page = tmp_path / f"graph-{level}.html"
        _out(cli, "--kb", str(kb), "graph", "--level", level, "--format", "html", "-o", str(page))
        html = page.read_text(encoding="utf-8")
        assert "script-src 'sha256-" in html.replace("&#x27;", "'")  # only the page's own script may run
        assert CLOSE_SCRIPT not in html and IMG not in html
        pages.append(page)
    rule, article = _open(
        [(pages[0], "#node=mini-doc::rule:flagged_low"), (pages[1], "#node=mini-doc::art:5")], tmp_path
    )
    for x, _ in (rule, article):
        assert x is None
    assert "flagged_low" in rule[1] and CLOSE_SCRIPT in rule[1] and IMG in rule[1]  # the details panel, as text
    assert "Signalering " + SCRIPT in article[1]
