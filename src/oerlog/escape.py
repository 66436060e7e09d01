"""Values are text, never markup: escaping for the Markdown, HTML, and script-embedded JSON that oerlog writes.

Everything that comes from a case, a cohort, the KB (templates, annotations, article text, titles, ids) or the
command line passes through one of these functions where it is put into an output document:

- :func:`md_text` for Markdown text (inline or at the start of a line), :func:`md_cell` for a table cell,
  :func:`md_code` for a code span, :func:`md_fence` for a fenced block, :func:`md_quote` for a block quote;
- :func:`html_text` for HTML text and attribute values;
- :func:`script_json` for data embedded in a ``<script>`` element.

Markdown escaping is minimal on purpose: a character is escaped only where Markdown would give it a meaning
(``<`` only before what could start a tag or autolink, ``_`` only where it could start or end emphasis, ``#``,
``-``, ``1.`` only at the start of a line), so ordinary Dutch text with commas, parentheses, ``3,8 < 4,0`` or
``rule_id`` reads the same in the Markdown source as in a viewer.
"""

from __future__ import annotations

import html
import html.entities
import json
import re

# '<' that could open an HTML tag, comment, declaration, processing instruction or autolink (a URI autolink
# starts with a scheme, i.e. a letter; an e-mail autolink may start with other characters, so it is matched)
_EMAIL = r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9-]+)*>"
_INLINE = re.compile(
    r"[\\`*|~]"  # backslash, code, emphasis, table cell, strikethrough (GFM): always
    r"|<(?=[A-Za-z/!?]|$|" + _EMAIL + r")"  # raw HTML and autolinks
    r"|\](?=[(\[])"  # the end of a link or image: ](url) and ][ref]
    r"|&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|([A-Za-z][A-Za-z0-9]{0,31};))"  # a (possible) entity reference
    r"|_+"  # emphasis, unless inside a word (see _inline)
)
# what a line may not start with (after up to three spaces): an ATX heading "# ", a block quote ">", a bullet
# "- " / "+ ", an ordered list item "1. " / "1) ", a setext underline or thematic break ("===", "---", "- - -"),
# a link reference definition "[label]: url"; the marker's first character is escaped
_LINE_START = re.compile(
    r"^([ \t]*)(?:(#{1,6}|[-+]|[0-9]{1,9}[.)])(?=[ \t]|$)|(>|\[|=+[ \t]*$|-[- \t]*$))", re.MULTILINE
)


def _inline(m: re.Match[str]) -> str:
    s = m.group(0)
    if s == "&" and m.group(1) and m.group(1) not in html.entities.html5:
        return s  # "R&A;" is no entity reference: it stays text
    if s[0] != "_":
        return "\\" + s
    text, start, end = m.string, m.start(), m.end()
    inside_word = start > 0 and end < len(text) and text[start - 1].isalnum() and text[end].isalnum()
    return s if inside_word else "\\_" * len(s)  # an underscore inside a word never starts or ends emphasis


def _line_start(m: re.Match[str]) -> str:
    indent, marker, other = m.groups()
    mark = marker or other
    if mark[0].isdigit():  # "1." -> "1\."
        return f"{indent}{mark[:-1]}\\{mark[-1]}"
    return f"{indent}\\{mark}"


def md_text(value: object) -> str:
    """``value`` as Markdown text that renders as exactly that text (no tags, links, emphasis or blocks)."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")  # CommonMark's line endings, all of them
    return _LINE_START.sub(_line_start, _INLINE.sub(_inline, text))


def md_cell(value: object) -> str:
    """``value`` as the text of a table cell: :func:`md_text` on one line (``|`` is escaped by md_text)."""
    return md_text(" ".join(str(value).splitlines()))


def md_code(value: object, cell: bool = False) -> str:
    """``value`` as a code span, whatever backticks it holds; ``cell``: inside a table (``|`` escaped)."""
    s = " ".join(str(value).splitlines())
    longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    if not s or s[0] == "`" or s[-1] == "`" or (s[0] == " " and s[-1] == " "):
        s = f" {s} "  # CommonMark strips one space on each side
    if cell:
        s = s.replace("|", "\\|")
    return f"{fence}{s}{fence}"


def md_fence(text: str, info: str = "") -> str:
    """``text`` as a fenced code block that no line of ``text`` can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def md_quote(text: str, indent: str = "") -> str:
    """``text`` as a block quote, every line of it inside the quote."""
    return "\n".join(f"{indent}> {md_text(line)}".rstrip() for line in (text.splitlines() or [""]))


def html_text(value: object) -> str:
    """``value`` as HTML text or a quoted attribute value."""
    return html.escape(str(value), quote=True)


def script_json(value: object) -> str:
    """``value`` as JSON safe inside a ``<script>`` element: ``<``, ``>``, ``&`` and the JavaScript line
    separators are written as ``\\uXXXX`` escapes, so no string in it can close the element."""
    text = json.dumps(value, ensure_ascii=False)
    for ch in "<>&\u2028\u2029":
        text = text.replace(ch, f"\\u{ord(ch):04x}")
    return text
