"""The text of a Word file (.docx) as lines, as a reader of the document sees them.

Paragraphs in order, a table as a line per row with its cells separated by a tab, and the numbers and bullets
that Word adds itself (automatic numbering, ``w:numPr`` on a paragraph or its style) written in front of the
paragraph as they are shown ("1.", "a)", "-"), a deeper level indented, so that lids and items are recognised
as in a plain text. python-docx reads the file; the numbering definitions are read from its numbering part.
"""

from __future__ import annotations

from typing import Any

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _val(el: Any, name: str) -> str | None:
    child = el.find(W + name) if el is not None else None
    return None if child is None else child.get(W + "val")


def _roman(n: int) -> str:
    out = ""
    for value, digits in (
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ):
        while n >= value:
            out += digits
            n -= value
    return out


def _letters(n: int) -> str:
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(ord("a") + r) + out
    return out


def _format(n: int, fmt: str) -> str:
    if fmt == "lowerLetter":
        return _letters(n)
    if fmt == "upperLetter":
        return _letters(n).upper()
    if fmt == "lowerRoman":
        return _roman(n)
    if fmt == "upperRoman":
        return _roman(n).upper()
    return str(n)


class Numbering:
    """Word's list definitions and the counters of one pass through the document."""

    def __init__(self, document: Any) -> None:
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}  # (numId, ilvl) -> (numFmt, lvlText, start)
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for an in root.findall(W + "abstractNum"):
            levels: dict[int, tuple[str, str, int]] = {}
            for lvl in an.findall(W + "lvl"):
                ilvl = int(lvl.get(W + "ilvl") or 0)
                levels[ilvl] = (
                    _val(lvl, "numFmt") or "decimal",
                    _val(lvl, "lvlText") or "",
                    int(_val(lvl, "start") or 1),
                )
            abstract[an.get(W + "abstractNumId") or ""] = levels
        for num in root.findall(W + "num"):
            num_id = num.get(W + "numId") or ""
            base = abstract.get(_val(num, "abstractNumId") or "", {})
            for ilvl, spec in base.items():
                self.levels[(num_id, ilvl)] = spec
            for override in num.findall(W + "lvlOverride"):
                ilvl = int(override.get(W + "ilvl") or 0)
                start = _val(override, "startOverride")
                if start is not None and (num_id, ilvl) in self.levels:
                    fmt, text, _ = self.levels[(num_id, ilvl)]
                    self.levels[(num_id, ilvl)] = (fmt, text, int(start))

    def label(self, num_id: str, ilvl: int) -> str | None:
        """The label Word shows for the next paragraph of list ``num_id`` at level ``ilvl`` ("2.", "b)", "-")."""
        spec = self.levels.get((num_id, ilvl))
        if spec is None:
            return None
        fmt, text, start = spec
        counts = self.counters.setdefault(num_id, [0] * 9)
        counts[ilvl] = counts[ilvl] + 1 if counts[ilvl] else start
        for deeper in range(ilvl + 1, 9):
            counts[deeper] = 0
        if fmt == "bullet" or fmt == "none":
            return "-" if fmt == "bullet" else ""
        out = text
        for level in range(9):
            token = f"%{level + 1}"
            if token in out:
                lfmt, _, lstart = self.levels.get((num_id, level), ("decimal", "", 1))
                out = out.replace(token, _format(counts[level] or lstart, lfmt))
        return out


def _num_pr(paragraph: Any, styles: dict[str, Any]) -> tuple[str, int] | None:
    """(numId, ilvl) of a paragraph's automatic numbering, from the paragraph or (in turn) its style."""
    ppr = paragraph.find(W + "pPr")
    num = ppr.find(W + "numPr") if ppr is not None else None
    style_id = _val(ppr, "pStyle") if ppr is not None else None
    ilvl_here = _val(num, "ilvl") if num is not None else None
    seen: set[str] = set()
    while (num is None or _val(num, "numId") is None) and style_id and style_id not in seen:
        seen.add(style_id)
        style = styles.get(style_id)
        if style is None:
            break
        sppr = style.find(W + "pPr")
        num = sppr.find(W + "numPr") if sppr is not None else None
        style_id = _val(style, "basedOn")
    if num is None:
        return None
    num_id = _val(num, "numId")
    if not num_id or num_id == "0":
        return None
    return num_id, int(ilvl_here or _val(num, "ilvl") or 0)


def lines(document: Any) -> list[str]:
    """The document's text as lines (see the module docstring)."""
    numbering = Numbering(document)
    styles: dict[str, Any] = {}
    try:
        for style in document.styles.element.findall(W + "style"):
            styles[style.get(W + "styleId") or ""] = style
    except AttributeError:
        pass
    out: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(t.text or "" for t in child.iter() if t.tag == W + "t")
            num = _num_pr(child, styles)
            label = numbering.label(*num) if num else None
            if label:
                text = "  " * num[1] + f"{label} {text}" if num else text
            out.append(text)
        elif tag == "tbl":  # a table: a line per row, the cells separated by a tab
            for row in child.iter(W + "tr"):
                cells = [
                    " ".join("".join(t.text or "" for t in cell.iter(W + "t")).split())
                    for cell in row.iterchildren(W + "tc")
                ]
                out.append("\t".join(cells))
    return out
