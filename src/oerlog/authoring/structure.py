"""Recognising the article structure of a regulation's text: articles, lids, headings, and what is left out.

Input is a list of lines as extracted (plain text, PDF or .docx, :mod:`oerlog.authoring.importing`); output is
a :class:`Structure`: every article with its lids, verbatim (hard line wraps joined with one space, the lid's own
number or bullet marker dropped: it is the key), each with the source lines it came from, and every line that is
not part of a provision (headings, table of contents, page headers and footers, page numbers, the title page),
listed with its kind so that nothing disappears silently.

Keys follow the text: ``Artikel 5.5`` is article ``"5.5"``; a numbered lid ``2.`` is lid ``"2"``; lettered items
``a.`` / ``a)`` / ``(a)``, bullets and table rows under lid 2 are ``"2a"``, ``"2b"`` (under no numbered lid:
``"a"``, ... for letters, ``"1"``, ``"2"`` ... for bullets); a numbered list under lid 2 is ``"2.1"``; a deeper bullet
under ``"2a"`` is ``"2a.1"``; paragraphs before lid 1 are lid ``"0"`` (``"0a"``, ``"0b"``); a paragraph after a lid
is an item of it, or ``"slot"`` when it closes the article; a heading inside an article is ``"kop1"``; a footnote
is ``"fn1"`` of the article that carries its marker. An annex (``Bijlage 2``) restarts the numbering: its articles
are keyed ``"B2.1"`` ... and its own text before any article is article ``"B2"``; a part after the articles that
the table of contents names (``1. Fraudeprotocol``) is ``"D1"``. Text before the first article is article ``"0"``.
A document without article numbers is keyed by its part letters and titled sections (``"A.1"`` is the first
titled section under ``A. ...``), paragraphs and bullets numbered in order. docs/importing.md has the details.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

SKIP_KINDS = ("title_page", "toc", "heading", "page_header", "page_number", "separator")


@dataclass(frozen=True)
class Line:
    """One line of the source: its 1-based number, its text, and the page it is on (0 when unknown)."""

    number: int
    text: str
    page: int = 0


@dataclass
class Lid:
    """One lid (or the whole text of an article without lids): key, text, source lines."""

    key: str | None
    parts: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    closing: bool = False  # a paragraph after a list: the article's closing paragraph ("slot") when it is the last

    @property
    def text(self) -> str:
        return " ".join(" ".join(p.split()) for p in self.parts if p.strip())


@dataclass
class Article:
    """An article: key, title, the section it stands in, the line of its heading, its lids."""

    key: str
    title: str
    section: str
    line: int
    lids: list[Lid] = field(default_factory=list)

    def text_only(self) -> bool:
        """An article of one block of text (no lids)."""
        return len(self.lids) == 1 and self.lids[0].key is None


@dataclass(frozen=True)
class Skipped:
    """A line left out of the provisions, and why (one of :data:`SKIP_KINDS`)."""

    kind: str
    line: int
    text: str


@dataclass
class Structure:
    """The recognised structure of one text."""

    articles: list[Article]
    skipped: list[Skipped]
    title_lines: list[Line]
    numbered: bool  # True when the text numbers its articles ("Artikel 5.5"); False: keyed by titled sections

    def provisions(self) -> list[tuple[str, str | None, str, list[int]]]:
        """(article, lid or None, text, lines) for every provision, in order."""
        out: list[tuple[str, str | None, str, list[int]]] = []
        for art in self.articles:
            for lid in art.lids:
                out.append((art.key, lid.key, lid.text, lid.lines))
        return out


_MD = r"(?:#{1,6}\s*)?(?:\*\*\s*)?"
ARTICLE_RE = re.compile(
    r"^\s*" + _MD + r"(?:Artikel|ARTIKEL|artikel|Art\.|art\.|ART\.)\s*[-–]?\s*(\d+(?:\.\d+)*[a-z]?)\.?"
    r"(?:\s*[-–:]\s*|\s+|$)(.*)$"
)
ANNEX_RE = re.compile(r"^\s*" + _MD + r"(?:Bijlage|BIJLAGE)\s+([0-9]+|[IVX]+)\b[:.]?\s*(.*)$")
SECTION_RE = re.compile(r"^\s*" + _MD + r"(?:Paragraaf|PARAGRAAF|Hoofdstuk|HOOFDSTUK|Titel|TITEL)\s+\d+\b.*$")
PART_RE = re.compile(r"^\s*" + _MD + r"([A-Z])\.\s+(\S.*)$")
TOC_TAIL_RE = re.compile(r"(?:\t\s*\d{1,3}|\.{3,}\s*\d{0,3}|…+\s*\d{0,3}|\s{2,}\d{1,3})\s*$")
TOC_HEAD_RE = re.compile(r"^\s*" + _MD + r"(?:Inhoud|INHOUD|Inhoudsopgave|INHOUDSOPGAVE)\s*:?\s*(?:\*\*)?\s*$")
PAGE_NUMBER_RE = re.compile(
    r"^\s*(?:[-–]\s*)?\d{1,3}(?:\s*[-–])?\s*$|^\s*(?:pagina|page|blz\.?)\s+\d+(?:\s+(?:van|of)\s+\d+)?\s*$"
    r"|^\s*\d{1,3}\s*/\s*\d{1,3}\s*$",
    re.IGNORECASE,
)
CAPS_ARTICLE_RE = re.compile(r"^\s*(\d{1,2})\.\s+([A-ZÀ-Ý][A-ZÀ-Ý ,&/()'’-]{5,})\s*$")  # "4. PROCEDURE ALS FRAUDE ..."
SUB_NUMBER_RE = re.compile(r"^\s*(?:[-•]\s*)?(\d{1,2})\.(\d{1,2})\.?\s+(?=\S)(.*)$")  # "- 4.1 De docent ..."
CHECKPOINT_RE = re.compile(r"^\s*(\d{1,2})\.?\t+([^\t]{2,60})\t+(\S.*)$")  # "7.<tab>Verweerschrift<tab>Indien ..."
BARE_ARTICLE_RE = re.compile(r"^\s*(?P<num>\d{1,2}\.\d{1,2})\.?\s+(?P<title>[A-Z][^.:]{2,80})\s*$")
LEAD_ARTICLE_RE = re.compile(
    r"^\s*(?P<lead>[A-Z][a-z]+(?: [a-z]+){0,2})\s+(?:Artikel|ARTIKEL)\s+(?P<num>\d{1,2}(?:\.\d{1,2})?)\.?\s+"
    r"(?P<title>[A-Z][^.;]{2,80})\s*$"
)
PART_NUMBER_RE = re.compile(r"^\s*(\d{1,2})\.\s+([A-Za-zÀ-ÿ][^.;:]{2,80})\s*$")
TABLE_ROW_RE = re.compile(r"^[^\t]*\S[^\t]*\t+\s*\S")  # cells separated by tabs
NUM_ITEM_RE = re.compile(r"^(\s*)(?:[-•]\s*)?(\d{1,2})(?:\.\.?(?!\.)\s*|\)\s*|\t+|\s+(?=[A-Z(]))(?=\S)(.*)$")
LETTER_ITEM_RE = re.compile(r"^(\s*)(?:[-•]\s*)?(?:\(([a-z]{1,2})\)|([a-z]{1,2})[.)])\s+(.*)$")
BULLET_RE = re.compile(r"^(\s*)(?:[-•●▪◦*]|o(?=\s))\s+(.*)$")
SEPARATOR_RE = re.compile(r"^\s*(?:[-–—*•·o_=~+#]\s*){3,}$")  # "o – o – o", "* * *", "-----": ornaments
SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
FOOTNOTE_RE = re.compile(r"^\s*(?:<sup>(\d+)</sup>|([⁰¹²³⁴⁵⁶⁷⁸⁹]+))\s*\S")
NOTE_RE = re.compile(r"^(?:NB|N\.B\.|Let op|Voorbeeld|Opmerking|Noot)\s*[:.]")
END_RE = re.compile(r"[.!?;:]\s*(?:\*\*)?\s*$|[.!?]\)\s*$")


def letters(n: int) -> str:
    """The n-th item letter (0 -> a, 25 -> z, 26 -> aa)."""
    return chr(ord("a") + n) if n < 26 else "a" + chr(ord("a") + n - 26)


def _next_letter(prev: str | None) -> str:
    if prev is None:
        return "a"
    if len(prev) == 1:
        return "aa" if prev == "z" else chr(ord(prev) + 1)
    return prev[0] + chr(ord(prev[1]) + 1)


def _clean_title(text: str) -> str:
    t = re.sub(r"^[\s#*]+|[\s*]+$", "", text)
    t = re.sub(r"^[-–:]\s*", "", t)
    return " ".join(t.split())


def _plain(text: str) -> str:
    """A line without Markdown heading marks and bold markers, whitespace collapsed (for headings)."""
    return _clean_title(text)


class _Builder:
    """The state machine that reads the lines of the body."""

    def __init__(self, items: str = "lids") -> None:
        self.items = items  # "lids": items a., b. and bullets under a lid are lids of their own; "text": in its text
        self.articles: list[Article] = []
        self.prefix = ""
        self.section = ""
        self.art: Article | None = None
        self.lid: Lid | None = None
        self.last_num: int | None = None  # the last numbered lid of the current article
        self.last_letter: str | None = None  # the last letter under it
        self.bullets = 0  # bullets under the current lid (lettered keys) or article (numbered keys)
        self.sub_bullets = 0
        self.bullet_indent = -1
        self.pending_break = False  # a blank line since the last text
        self.last_sub: int | None = None  # the last item of a numbered list under a lid ("2.3")
        self.sub_indent = 0
        self.sub_parent: str | None = None  # bullets go under this item ("1a" -> "1a.1")
        self.kops = 0  # sub-headings in the article ("kop1", ...)
        self.in_table = False
        self.in_checkpoint = False
        self.section_open = False  # a section heading that ends in "," goes on on the next line
        self.items_split = False  # with --items text: the current list's items are lids (see _joins)

    def open_article(self, key: str, title: str, line: int) -> None:
        self.art = Article(key, title, self.section, line)
        self.articles.append(self.art)
        self.lid = None
        self.last_num = None
        self.last_letter = None
        self.bullets = 0
        self.sub_bullets = 0
        self.bullet_indent = -1
        self.pending_break = False
        self.last_sub = None
        self.sub_parent = None
        self.kops = 0
        self.in_table = False
        self.items_split = False

    def ensure_article(self, line: int) -> Article:
        if self.art is None:
            key = self.prefix.rstrip(".") or "0"
            self.open_article(key, "", line)
        assert self.art is not None
        return self.art

    def new_lid(self, key: str | None, text: str, line: int) -> None:
        art = self.ensure_article(line)
        keys = {lid.key for lid in art.lids}
        while key in keys:  # the text repeats a number: keep both, the repeat as "1bis"
            key = f"{key}bis"
        self.lid = Lid(key, [text], [line])
        art.lids.append(self.lid)
        self.pending_break = False

    def add_text(self, text: str, line: int) -> None:
        if self.lid is None:
            self.new_lid(None, text, line)
            return
        self.lid.parts.append(text)
        self.lid.lines.append(line)
        self.pending_break = False

    def paragraph_lid(self, text: str, line: int) -> None:
        """An unnumbered paragraph: a lid of its own in an article without numbered lids, else continuation."""
        art = self.ensure_article(line)
        if self.last_num is not None:
            self.add_text(text, line)
            return
        numbers = [int(lid.key) for lid in art.lids if lid.key is not None and lid.key.isdigit()]
        n = max(numbers) + 1 if numbers else len(art.lids) + 1
        if n == 2 and art.lids[0].key is None:
            art.lids[0].key = "1"
        self.new_lid(None if n == 1 and not art.lids else str(n), text, line)

    def finish(self, keep_single_lid: bool = False) -> list[Article]:
        for art in self.articles:
            art.lids = [lid for lid in art.lids if lid.text]
            if len(art.lids) > 1 and art.lids[0].key is None:  # an opening line before numbered or lettered items
                art.lids[0].key = "0"
            last = next((lid for lid in reversed(art.lids) if not (lid.key or "").startswith("fn")), None)
            if last is not None and last.closing and "slot" not in {lid.key for lid in art.lids}:
                last.key = "slot"  # the paragraph after the article's last list closes it
            if len(art.lids) == 1 and art.lids[0].key is None and keep_single_lid:
                art.lids[0].key = "1"
        return [a for a in self.articles if a.lids or a.title]


def _is_toc_line(plain: str, raw: str) -> bool:
    return bool(
        (ARTICLE_RE.match(raw) or ANNEX_RE.match(raw) or SECTION_RE.match(raw) or re.match(r"^\s*\d", raw))
        and TOC_TAIL_RE.search(raw.rstrip())
    )


ITEMS = ("lids", "text")


def recognise(lines: list[Line], items: str = "lids") -> Structure:
    """The structure of a text; see the module docstring for the keys. ``items="text"`` keeps the lettered items
    and bullets under a numbered lid in the lid's text (with their letters) instead of making them lids."""
    skipped: list[Skipped] = []
    numbered = any(ARTICLE_RE.match(ln.text) and not TOC_TAIL_RE.search(ln.text.rstrip()) for ln in lines)
    kinds = _classify_noise(lines, numbered)
    body = [ln for ln in lines if ln.number not in kinds]
    for ln in lines:
        if ln.number in kinds:
            skipped.append(Skipped(kinds[ln.number], ln.number, ln.text.strip()))
    title_lines = [ln for ln in lines if kinds.get(ln.number) == "title_page"]
    if numbered:
        toc = [s.text for s in skipped if s.kind == "toc"]
        articles, heads = _read_numbered(body, _toc_parts(toc), items)
    else:
        articles, heads = _read_titled(body)
    place_footnotes(articles)
    skipped.extend(heads)
    skipped.sort(key=lambda s: s.line)
    return Structure(articles, skipped, title_lines, numbered)


def _classify_noise(lines: list[Line], numbered: bool) -> dict[int, str]:
    """Lines that are not provisions, by kind: page numbers, headers and footers, table of contents, title page."""
    kinds: dict[int, str] = {}
    texts = [ln.text.strip() for ln in lines]
    for ln, t in zip(lines, texts, strict=True):
        if not t:
            continue
        if PAGE_NUMBER_RE.match(t) and not re.match(r"^\s*\d{1,2}[.)]", t):
            kinds[ln.number] = "page_number"
        elif SEPARATOR_RE.match(t):
            kinds[ln.number] = "separator"
    # table of contents: heading-like lines ending in a page number, and the block under "Inhoud"
    in_toc = False
    seen: set[str] = set()
    for ln, t in zip(lines, texts, strict=True):
        if TOC_HEAD_RE.match(t):
            in_toc = True
            seen = set()
            kinds[ln.number] = "toc"
            continue
        if not t:
            continue
        if _is_toc_line(_plain(t), ln.text):
            kinds[ln.number] = "toc"
            in_toc = True
            continue
        if in_toc:
            short_entry = len(t) < 90 and not END_RE.search(t) and re.match(r"^\s*(?:[-•]\s*)?(?:\d+\.?\s|[A-Z])", t)
            number = re.match(r"^\s*(\d+)\.?\s", t)
            again = number is not None and number.group(1) in seen  # "1." once more: the text itself begins
            if short_entry and not again and not ARTICLE_RE.match(ln.text) and not ANNEX_RE.match(ln.text):
                kinds[ln.number] = "toc"
                if number:
                    seen.add(number.group(1))
                continue
            in_toc = False
    # page headers and footers: lines of the first page (or the first page's worth of text) that recur later,
    # and lines that recur at the top or bottom of several pages
    first_body = next(
        (i for i, ln in enumerate(lines) if ln.number not in kinds and ARTICLE_RE.match(ln.text)), len(lines)
    )
    pages = {ln.page for ln in lines}
    if len(pages) > 1:
        edge: Counter[str] = Counter()
        for p in pages:
            on_page = [t for ln, t in zip(lines, texts, strict=True) if ln.page == p and t]
            for t in {*on_page[:2], *on_page[-2:]}:
                edge[re.sub(r"\d+", "#", t)] += 1
        for ln, t in zip(lines, texts, strict=True):
            if t and edge[re.sub(r"\d+", "#", t)] >= 2 and not ARTICLE_RE.match(ln.text) and ln.number not in kinds:
                kinds[ln.number] = "page_header"
    front = {t for t in texts[:first_body] if t and not END_RE.search(t) and len(t) < 100}
    for ln, t in zip(lines[first_body:], texts[first_body:], strict=True):
        if t in front and len(t) >= 12 and ln.number not in kinds and not ARTICLE_RE.match(ln.text):
            kinds[ln.number] = "page_header"
    # the title page: the short lines before the first paragraph of running text
    for ln, t in zip(lines, texts, strict=True):
        if ln.number in kinds or not t:
            continue
        prose = len(t) >= 70 or (END_RE.search(t) and len(t.split()) > 6) or ARTICLE_RE.match(ln.text)
        bullet = BULLET_RE.match(ln.text) and len(t) > 60
        if prose or (not numbered and PART_RE.match(t)) or SECTION_RE.match(t) or bullet:
            break
        kinds[ln.number] = "title_page"
    return kinds


def _next_numbers(key: str) -> set[str]:
    """The numbers the article after ``key`` can have: "2.5" -> {"2.6", "3.1"}; "7" -> {"8"}."""
    parts = key.split(".")
    if not all(p.isdigit() for p in parts):
        return set()
    if len(parts) == 1:
        return {str(int(parts[0]) + 1)}
    return {f"{parts[0]}.{int(parts[1]) + 1}", f"{int(parts[0]) + 1}.1"}


def _next_section(b: _Builder) -> str:
    """The letter the next lettered section of the current annex or part has (A after none)."""
    if b.art is not None and b.art.key.startswith(b.prefix) and re.fullmatch(r"[A-Z]", b.art.key[len(b.prefix) :]):
        return chr(ord(b.art.key[len(b.prefix) :]) + 1)
    return "A"


def _toc_parts(toc: list[str]) -> dict[str, str]:
    """Numbered entries of a table of contents that are no articles ("1. Fraudeprotocol 2018-2019"): number ->
    first word. A line "1. Fraudeprotocol" after the articles opens that part of the document."""
    out: dict[str, str] = {}
    for line in toc:
        m = re.match(r"^\s*(\d{1,2})\.\s+([A-Za-zÀ-ÿ]+)", line)
        if m and not ARTICLE_RE.match(line):
            out.setdefault(m.group(1), m.group(2).lower())
    return out


def _read_numbered(
    body: list[Line], parts: dict[str, str] | None = None, items: str = "lids"
) -> tuple[list[Article], list[Skipped]]:
    b = _Builder(items)
    heads: list[Skipped] = []
    parts = parts or {}
    for i, ln in enumerate(body):
        raw = ln.text.rstrip()
        t = raw.strip()
        if not t:
            b.pending_break = True
            continue
        m = PART_NUMBER_RE.match(raw)
        in_annex = b.prefix.startswith("B")
        if m and b.art is not None and not in_annex and parts.get(m.group(1)) == m.group(2).split()[0].lower():
            # a part of the document after its articles, named in its table of contents ("1. Fraudeprotocol")
            b.prefix = f"D{m.group(1)}."
            b.section = _plain(t)
            b.open_article(f"D{m.group(1)}", _clean_title(m.group(2)), ln.number)
            heads.append(Skipped("heading", ln.number, t))
            continue
        m = PART_RE.match(raw)
        if m and b.prefix and len(t) < 100 and not END_RE.search(t) and m.group(1) == _next_section(b):
            # a lettered section of an annex or part ("A. Toegang tot en gedrag tijdens de toets")
            b.open_article(b.prefix + m.group(1), _clean_title(m.group(2)), ln.number)
            heads.append(Skipped("heading", ln.number, t))
            continue
        m = ANNEX_RE.match(raw)
        if m and len(t) < 120:
            b.prefix = f"B{m.group(1)}."
            b.section = _plain(t)
            b.art = None
            b.open_article(f"B{m.group(1)}", _clean_title(m.group(2)), ln.number)
            heads.append(Skipped("heading", ln.number, t))
            continue
        m = ARTICLE_RE.match(raw)
        if m:
            b.open_article(b.prefix + m.group(1).rstrip("."), _clean_title(m.group(2)), ln.number)
            heads.append(Skipped("heading", ln.number, t))
            continue
        m = BARE_ARTICLE_RE.match(raw) or LEAD_ARTICLE_RE.match(raw)
        if m and not b.prefix and b.art is not None and m.group("num") in _next_numbers(b.art.key) and len(t) < 100:
            # the next article's number without the word "Artikel" ("2.6  Toelatingsonderzoek"), or after a
            # heading on the same line ("Bijzondere gevallen Artikel 5.1 Tentamenvoorziening")
            lead = m.groupdict().get("lead")
            if lead:
                b.section = lead.strip()
            b.open_article(m.group("num"), _clean_title(m.group("title")), ln.number)
            heads.append(Skipped("heading", ln.number, t))
            continue
        nxt = next((x.text for x in body[i + 1 :] if x.text.strip()), None)
        m = CHECKPOINT_RE.match(raw)
        if m and _checkpoint(m):
            # a numbered row of a table of steps (number, title, text): an article of its own, titled by its row
            b.open_article(b.prefix + m.group(1), _clean_title(m.group(2)), ln.number)
            for part in _paragraphs(m.group(3)):
                b.paragraph_lid(part, ln.number)
            b.in_checkpoint = True
            continue
        if raw.startswith("\t") and b.in_checkpoint and t:
            for part in _paragraphs(t):
                b.paragraph_lid(part, ln.number)
            continue
        b.in_checkpoint = False
        if raw.startswith("\t") and nxt is not None and (m2 := CHECKPOINT_RE.match(nxt)) and _checkpoint(m2):
            heads.append(Skipped("heading", ln.number, t))  # the header row of a table of steps
            continue
        m = CAPS_ARTICLE_RE.match(raw)
        if m and len(t) < 100 and (b.prefix or b.art is None or b.art.key.split(".")[-1] != m.group(1)):
            b.open_article(b.prefix + m.group(1), _clean_title(m.group(2)), ln.number)
            heads.append(Skipped("heading", ln.number, t))
            continue
        if b.section_open and not ARTICLE_RE.match(raw) and len(t) < 60 and t[:1].islower():
            b.section = f"{b.section} {_plain(t)}"  # the heading goes on ("... van de opleiding,\nspecifieke ...")
            heads.append(Skipped("heading", ln.number, t))
            b.section_open = False
            continue
        b.section_open = False
        if SECTION_RE.match(raw) and len(t) < 120:
            b.section_open = t.endswith(",")
            b.section = _plain(t)
            b.art = None if b.art is None or b.art.key == "0" else b.art
            heads.append(Skipped("heading", ln.number, t))
            b.pending_break = True
            continue
        _read_body_line(b, raw, ln.number, nxt)
    return b.finish(), heads


def _read_body_line(b: _Builder, raw: str, number: int, nxt: str | None = None) -> None:
    """One line of running text inside an article: a numbered lid, a lettered item, a bullet or continuation
    (``nxt``: the next line that is not blank)."""
    t = raw.strip()
    after_table = b.in_table
    b.in_table = b.in_table and bool(TABLE_ROW_RE.match(raw) or raw.startswith("\t"))
    indent = len(raw) - len(raw.lstrip(" \t"))
    m = FOOTNOTE_RE.match(raw)
    if m and b.art is not None:
        n = m.group(1) or _from_superscript(m.group(2))
        before = b.lid
        b.new_lid(f"fn{n}", t, number)
        b.lid = before  # the text the footnote cut goes on after it
        b.pending_break = False
        return
    if raw.startswith("\t") and t and b.lid is not None and b.in_table:  # a table row's cell carried over
        b.add_text(t, number)
        return
    if _subheading(b, t, nxt):
        b.kops += 1
        b.new_lid(f"kop{b.kops}", t, number)  # the items go on lettered across sub-headings
        return
    m = SUB_NUMBER_RE.match(raw)
    if m and b.art is not None and b.art.key.split(".")[-1] == m.group(1):
        n = int(m.group(2))  # "4.1" in article 4: lid 1
        if n == (1 if b.last_num is None else b.last_num + 1):
            if n == 1:
                _opening_paragraphs(b.art)
            b.last_num = n
            b.last_letter = None
            b.last_sub = None
            b.sub_parent = None
            b.new_lid(str(n), m.group(3), number)
            return
    m = NUM_ITEM_RE.match(raw)
    if m and _numbered(b, m, indent, number):
        return
    m = TABLE_ROW_RE.match(raw)
    if m and b.art is not None:
        _table_row(b, t, number)
        return
    if b.items == "text" and _joins(b, raw):
        # an item of the lid, kept in its text with its letter (the bullet's dash dropped)
        b.add_text(re.sub(r"^\s*[-•]\s*", "", raw).strip(), number)
        return
    m = LETTER_ITEM_RE.match(raw)
    if m:
        letter = m.group(2) or m.group(3)
        if letter == _next_letter(b.last_letter) and (b.lid is not None or b.art is not None):
            b.last_letter = letter
            b.sub_bullets = 0
            b.sub_parent = None
            base = str(b.last_num) if b.last_num is not None else ""
            b.new_lid(base + letter, m.group(4), number)
            return
    m = BULLET_RE.match(raw)
    if m:
        _bullet(b, len(m.group(1).expandtabs(4)), m.group(2), number)
        return
    if b.pending_break and b.lid is not None and _ends(b) and b.last_num is None and b.last_letter is None:
        b.paragraph_lid(t, number)
        return
    label = b.lid is not None and len(b.lid.parts) == 1 and b.lid.parts[0].endswith(":") and len(b.lid.parts[0]) < 90
    ended = _ends(b) or after_table  # a table row ends where the table does
    after_lid = b.pending_break and b.lid is not None and ended and b.last_num is not None and t[:1].isupper()
    if after_lid and not label and b.items == "lids":
        # a paragraph of its own after a numbered lid: an item of that lid ("1a"), and a list under it ("1a.1")
        b.last_letter = _next_letter(b.last_letter)
        b.sub_bullets = 0
        key = f"{b.last_num}{b.last_letter}"
        b.new_lid(key, t, number)
        b.sub_parent = key if t.endswith(":") else None
        if b.lid is not None:
            b.lid.closing = True
        return
    after_items = b.pending_break and _ends(b) and b.last_num is None and b.last_letter is not None
    if after_items and t[:1].isupper() and b.lid is not None and not (b.lid.key or "").startswith("fn"):
        b.new_lid("slot", t, number)  # a paragraph after a lettered list closes the article
        b.last_letter = None
        return
    if b.lid is None:
        b.paragraph_lid(t, number)
        return
    b.add_text(t, number)


def _joins(b: _Builder, raw: str) -> bool:
    """With ``--items text``: whether a list item stays in the text of the lid above it. Items stay lids where
    they are citable on their own: a definition ("a. de wet: ..."), an item that carries a list of its own
    ("a) Het cijfer ... minima:"), and the items after such an item; a bullet under an item that is a lid joins it."""
    if b.lid is None:
        return False
    letter = LETTER_ITEM_RE.match(raw)
    bullet = BULLET_RE.match(raw)
    if not (letter or bullet):
        return False
    if bullet and not letter:
        if b.last_num is not None and b.lid.key == str(b.last_num):
            return True
        return b.lid.key is not None and bool(re.fullmatch(r"\d*[a-z]{1,2}", b.lid.key)) and b.items_split
    assert letter is not None
    name = letter.group(2) or letter.group(3)
    text = letter.group(4)
    if name != _next_letter(b.last_letter):
        return False
    if b.items_split or re.match(r"^[^:;,.]{1,40}:\s", text) or text.rstrip().endswith(":"):
        b.items_split = True  # this list's items are lids
        return False
    if b.last_num is not None:
        joins = b.lid.key == str(b.last_num)
    else:
        joins = b.lid.key is None or b.lid.key == "0" or (b.art is not None and len(b.art.lids) == 1)
    if joins:
        b.last_letter = name
    return joins


def _numbered(b: _Builder, m: re.Match[str], indent: int, number: int) -> bool:
    """A numbered line: the next lid, or an item of a numbered list under the lid ("2.1"); False: running text."""
    n = int(m.group(2))
    text = m.group(3)
    if n == 1 and b.items == "text" and b.last_num is None and b.lid and _colon(b) and _enumeration(b, text):
        return False  # "... de volgende onderwerpen: 1. de eindtermen; 2. ...": an enumeration in the text
    expected = 1 if b.last_num is None else b.last_num + 1
    next_lid = n == expected
    if n == expected + 1 and b.last_num is not None and indent == 0 and text[:1].isupper():
        next_lid = True  # a lid whose number the extraction lost lies between: keep the numbering of the text
    next_sub = b.last_sub is not None and n == b.last_sub + 1
    starts_sub = n == 1 and b.last_num is not None and indent > 0 and b.last_sub is None
    if next_sub and next_lid:
        next_lid = indent < b.sub_indent
        next_sub = not next_lid
    if (next_sub or starts_sub) and b.items == "text" and not next_lid:
        b.last_sub = n  # a numbered list under a lid stays in its text, with its numbers
        if starts_sub:
            b.sub_indent = indent
        b.add_text(m.group(0).strip(), number)
        return True
    if next_sub or starts_sub:
        b.last_sub = n
        if starts_sub:
            b.sub_indent = indent
        b.new_lid(f"{b.last_num}.{n}", text, number)
        return True
    if not next_lid and n == b.last_num and b.pending_break and _ends(b) and indent == 0 and text[:1].isupper():
        b.new_lid(str(n), text, number)  # the text gives the same number twice: the second is "1bis"
        return True
    if not next_lid:
        return False
    if n == 1 and b.art is not None:
        _opening_paragraphs(b.art)
    b.last_num = n
    b.last_letter = None
    b.last_sub = None
    b.sub_parent = None
    b.bullets = 0
    b.bullet_indent = -1
    b.items_split = False
    inline = LETTER_ITEM_RE.match(text)
    if inline and (inline.group(2) or inline.group(3)) == "a":  # "2. a. Wanneer ...": the lid opens with item a
        b.last_letter = "a"
        b.new_lid(f"{n}a", inline.group(4), number)
        return True
    b.new_lid(str(n), text, number)
    return True


def _enumeration(b: _Builder, text: str) -> bool:
    """Whether a "1." after a line ending in ":" enumerates in the text rather than opening lid 1: its item is no
    sentence (lower case: "1. de eindtermen;"), or the line before is a label ("Alternatieven:")."""
    last = b.lid.parts[-1].strip() if b.lid is not None and b.lid.parts else ""
    return text[:1].islower() or len(last.split()) <= 2


def _checkpoint(m: re.Match[str]) -> bool:
    title, text = m.group(2).strip(), m.group(3).strip()
    return len(title.split()) <= 10 and not END_RE.search(title) and len(text) > len(title) and "\t" not in text


def _paragraphs(cell: str) -> list[str]:
    """A table cell's paragraphs: the extraction marks them with ``<p>`` (kept, as every extraction artefact)."""
    parts = re.split(r"\s+(?=<p>)", cell.strip())
    return [p for p in parts if p.strip()]


def _opening_paragraphs(art: Article) -> None:
    """The paragraphs before lid 1 of an article: lid "0", or "0a", "0b", ... when there are several."""
    opening = [lid for lid in art.lids if lid.key is None or lid.key.isdigit()]
    if len(opening) != len(art.lids) or not opening:
        return
    for i, lid in enumerate(opening):
        lid.key = "0" if len(opening) == 1 else f"0{letters(i)}"


def _subheading(b: _Builder, t: str, nxt: str | None) -> bool:
    """A sub-heading inside an article (a short line, no sentence, after a blank line, over a list): lid "kopN"."""
    if not (b.pending_break and b.art is not None and nxt is not None and len(t) <= 40 and len(t.split()) <= 4):
        return False
    if END_RE.search(t) or not t[0].isupper() or NUM_ITEM_RE.match(t) or BULLET_RE.match(t):
        return False
    return bool(BULLET_RE.match(nxt) or re.match(r"\s*(?:[-•]\s*)?(?:\([a-z]\)|[a-z][.)])\s", nxt))


def _table_row(b: _Builder, text: str, number: int) -> None:
    """A row of a table (cells separated by tabs): an item of the lid above it ("2a", "2b", ...), or a lid of its
    own where the article has no numbered lids; the cells joined by one space."""
    row = " ".join(text.replace("\t", " ").split())
    b.in_table = True
    if b.last_num is not None:
        b.last_letter = _next_letter(b.last_letter)
        b.sub_parent = None
        b.new_lid(f"{b.last_num}{b.last_letter}", row, number)
        return
    _bullet_lid(b, row, number)


def _bullet(b: _Builder, indent: int, text: str, number: int) -> None:
    if b.items == "text" and b.lid is not None and b.bullets and indent > b.bullet_indent >= 0:
        b.add_text(re.sub(r"^o\s+", "", text), number)  # a nested bullet stays in the text of the bullet above
        return
    if b.sub_parent is not None:  # the list under an item that ends in ":"
        b.sub_bullets += 1
        b.new_lid(f"{b.sub_parent}.{b.sub_bullets}", text, number)
        return
    if (
        b.last_letter is not None
        and b.lid is not None
        and (indent > b.bullet_indent >= 0 or (b.bullet_indent < 0 and indent > 0))
    ):
        # a bullet under a lettered item: "2a.1"
        b.sub_bullets += 1
        parent = re.sub(r"\.\d+$", "", b.lid.key or "")
        b.new_lid(f"{parent}.{b.sub_bullets}", text, number)
        return
    if b.bullet_indent < 0:
        b.bullet_indent = indent
    if b.last_num is not None:
        b.last_letter = _next_letter(b.last_letter)
        b.sub_bullets = 0
        b.new_lid(f"{b.last_num}{b.last_letter}", text, number)
        return
    _bullet_lid(b, text, number)


def _from_superscript(text: str) -> str:
    return "".join(str(SUPERSCRIPTS.index(c)) for c in text)


def _superscript(n: str) -> str:
    return "".join(SUPERSCRIPTS[int(d)] for d in n)


def place_footnotes(articles: list[Article]) -> None:
    """Move each footnote ("fnN") to the article whose text carries its marker (``<sup>N</sup>`` or ``¹``), after
    the lid that carries it: a page break often prints a footnote inside a later article."""
    notes = [(art, lid) for art in articles for lid in art.lids if lid.key and re.fullmatch(r"fn\d+", lid.key)]
    for home, note in notes:
        n = (note.key or "fn")[2:]
        markers = (f"<sup>{n}</sup>", _superscript(n))
        target = None
        for art in articles:
            for i, lid in enumerate(art.lids):
                if lid is not note and not (lid.key or "").startswith("fn") and any(mk in lid.text for mk in markers):
                    target = (art, i)
                    break
            if target:
                break
        if target is None or target[0] is home and target[1] == home.lids.index(note) - 1:
            continue
        home.lids.remove(note)
        art, i = target
        if len(art.lids) == 1 and art.lids[0].key is None:
            art.lids[0].key = "1"
        art.lids.insert(i + 1, note)


def _bullet_lid(b: _Builder, text: str, number: int, intro_zero: bool = True) -> None:
    """A bullet in an article without numbered lids: numbered in order; an opening paragraph is lid "0"."""
    art = b.ensure_article(number)
    if intro_zero:
        if b.bullets == 0 and len(art.lids) == 1 and art.lids[0].key in (None, "1"):
            art.lids[0].key = "0"
        b.bullets += 1
        b.new_lid(str(b.bullets), text, number)
        return
    n = len(art.lids) + 1
    if n == 2 and art.lids[0].key is None:
        art.lids[0].key = "1"
    b.new_lid(str(n), text, number)


def _line_width(texts: list[str]) -> int:
    """The width of a full line of running text (the 90th percentile of line lengths)."""
    lengths = sorted(len(t) for t in texts if t)
    return lengths[int(len(lengths) * 0.9)] if lengths else 80


def _short(b: _Builder, wide: int) -> bool:
    """The current lid's last line ends well before the margin: the paragraph ended there."""
    return b.lid is not None and bool(b.lid.parts) and len(b.lid.parts[-1].strip()) < 0.6 * wide


def _url_end(b: _Builder) -> bool:
    return b.lid is not None and bool(b.lid.parts) and bool(re.search(r"\S*[/@]\S*\s*$", b.lid.parts[-1]))


def _colon(b: _Builder) -> bool:
    return b.lid is not None and bool(b.lid.parts) and b.lid.parts[-1].rstrip().endswith(":")


def _ends(b: _Builder) -> bool:
    return b.lid is not None and bool(b.lid.parts) and bool(END_RE.search(b.lid.parts[-1]))


def _is_title(t: str, prev_open: bool, next_text: str | None) -> bool:
    """A titled section heading in a text without article numbers: a short line that is no sentence."""
    if not prev_open or BULLET_RE.match(t) or len(t) > 60 or len(t.split()) > 7:
        return False
    if re.search(r"[.,;]\s*$", t) or (t.endswith(":") and len(t.split()) > 2):
        return False
    if not (t[0].isupper() or t[0].islower() and len(t) < 8):
        return False
    return next_text is not None and (next_text[0].isupper() or next_text[0] in "-•")


def _read_titled(body: list[Line]) -> tuple[list[Article], list[Skipped]]:
    b = _Builder()
    heads: list[Skipped] = []
    part = ""
    count = 0
    prev_blank = True
    texts = [ln.text.strip() for ln in body]
    wide = _line_width(texts)
    prev_raw = ""
    in_bullet = False
    for i, ln in enumerate(body):
        raw = ln.text.rstrip()
        t = texts[i]
        if not t:
            b.pending_break = True
            prev_blank = True
            continue
        nxt = next((x for x in texts[i + 1 :] if x), None)
        m = PART_RE.match(raw)
        if m and m.group(2).upper() == m.group(2) and len(t) < 80:
            part = m.group(1)
            count = 0
            b.section = _plain(t)
            b.art = None
            heads.append(Skipped("heading", ln.number, t))
            prev_blank = True
            continue
        prev_open = prev_blank or b.lid is None or _ends(b) or _url_end(b)
        if _is_title(t, prev_open, nxt):
            count += 1
            key = f"{part}.{count}" if part else str(count)
            b.open_article(key, _clean_title(t), ln.number)
            heads.append(Skipped("heading", ln.number, t))
            prev_blank = False
            in_bullet = False
            continue
        prev_blank = False
        m2 = BULLET_RE.match(raw)
        if m2:
            _bullet_lid(b, m2.group(2), ln.number, intro_zero=False)
            in_bullet = True
            prev_raw = ln.text
            continue
        intro = t.endswith(":") and nxt is not None and bool(BULLET_RE.match(nxt)) and _ends(b)
        if b.lid is not None and t[0].isupper() and (intro or _new_paragraph(b, t, prev_raw, in_bullet, wide)):
            b.paragraph_lid(t, ln.number)
            in_bullet = False
            prev_raw = ln.text
            continue
        if b.lid is None:
            b.paragraph_lid(t, ln.number)
            in_bullet = False
            prev_raw = ln.text
            continue
        b.add_text(t, ln.number)
        prev_raw = ln.text
    return b.finish(keep_single_lid=True), heads


def _new_paragraph(b: _Builder, t: str, prev_raw: str, in_bullet: bool, wide: int) -> bool:
    """In a text without article numbers, whether a line that starts with a capital starts a paragraph of its own:
    after a blank line that ends a sentence or a short line; after a sentence that ends a line which the
    extraction marks as a paragraph end (two trailing spaces), ends a bullet, or ends well before the margin; and
    always for a note ("NB:", "Let op:", "Voorbeeld:")."""
    if NOTE_RE.match(t):
        return True
    if b.pending_break and (_ends(b) or _short(b, wide)):
        return True
    return _ends(b) and (prev_raw.endswith("  ") or in_bullet or _short(b, wide))
