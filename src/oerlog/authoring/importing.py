"""Importing a regulation's text into a new KB document: reading the source (plain text, PDF, .docx), recognising
its structure (:mod:`oerlog.authoring.structure`) and writing ``kb/ID/`` (``document.yaml``, ``articles.yaml``,
``import-report.yaml``) as a whole or not at all.

Bad input is a located :class:`~oerlog.errors.ValidationError` (exit 2) that says what was found and what to do:
an encoding that is neither UTF-8 nor Windows-1252, a PDF without a text layer, a text in which no article
structure is found. Nothing is written then: never an empty document, never half a folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from oerlog.authoring import wordfile
from oerlog.authoring.structure import Line, Structure, recognise
from oerlog.errors import Location, UsageError, ValidationError, signals_held

FORMATS = (".txt", ".md", ".pdf", ".docx")
_CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")


@dataclass
class Source:
    """A source text as lines, with how it was read."""

    path: Path
    lines: list[Line]
    reader: str  # "text (UTF-8)", "text (Windows-1252)", "PDF (pypdf, 12 pages)", ".docx (python-docx)"


def read_source(path: Path) -> Source:
    """Read a source file into lines (a located error for a file that cannot be read as a regulation's text)."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(
            "no such file", Location(str(path)), value=str(path), example="oerlog import oer-2026.pdf --id my-oer-2026"
        )
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _read_pdf(path)
    if suffix == ".docx":
        return _read_docx(path)
    if suffix not in (".txt", ".md", ""):
        raise UsageError(
            f"cannot import a {suffix} file",
            Location(str(path)),
            value=path.name,
            hint="import plain text (.txt, .md), PDF (.pdf) or Word (.docx); save other formats as one of these",
            example="oerlog import oer-2026.docx --id my-oer-2026",
        )
    text, encoding = decode(path.read_bytes(), str(path))
    return Source(path, _lines(text), f"text ({encoding})")


def decode(data: bytes, name: str) -> tuple[str, str]:
    """The text of a file read as UTF-8 (a byte-order mark is fine) or else Windows-1252; anything else is an
    error that names the first byte no such text has."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) > 1 and data.count(b"\x00") > len(data) // 8):
        raise ValidationError(
            "the file is not UTF-8 or Windows-1252 text: it looks like UTF-16 (byte-order mark or NUL bytes)",
            Location(name, 1, 1),
            value=data[:8].hex(" "),
            hint="save the text as UTF-8 (in an editor: 'Save as', encoding UTF-8), then import it again",
            example="iconv -f UTF-16 -t UTF-8 oer.txt > oer-utf8.txt",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    else:
        ctrl = re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", text)
        if ctrl is None:
            return text, "UTF-8"
        line = text.count("\n", 0, ctrl.start()) + 1
        raise ValidationError(
            f"the file is not UTF-8 or Windows-1252 text: it holds the control character "
            f"U+{ord(ctrl.group()):04X}, which is neither (a binary file, or text in another encoding)",
            Location(name, line, ctrl.start() - (text.rfind("\n", 0, ctrl.start()) + 1) + 1),
            value=f"U+{ord(ctrl.group()):04X}",
            hint="export the regulation as UTF-8 text, PDF or Word and import that",
            example="iconv -f UTF-16 -t UTF-8 oer.txt > oer-utf8.txt",
        )
    bad = next((i for i, b in enumerate(data) if b in _CP1252_UNDEFINED or (b < 0x20 and b not in b"\t\n\r\f")), None)
    if bad is not None:
        line = data.count(b"\n", 0, bad) + 1
        col = bad - (data.rfind(b"\n", 0, bad) + 1) + 1
        raise ValidationError(
            f"the file is not UTF-8 or Windows-1252 text: byte 0x{data[bad]:02x} at offset {bad} is neither "
            f"(the first byte that is not UTF-8 is at offset {utf8_error.start})",
            Location(name, line, col),
            value=f"0x{data[bad]:02x}",
            hint="convert the file to UTF-8 from the encoding it was saved in, then import it again",
            example="iconv -f ISO-8859-2 -t UTF-8 oer.txt > oer-utf8.txt",
        )
    return data.decode("cp1252"), "Windows-1252"


def _lines(text: str, page: int = 0) -> list[Line]:
    out: list[Line] = []
    page_no = page
    for i, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
        if "\f" in raw:  # a form feed: a new page (page headers and footers are found per page)
            page_no += raw.count("\f")
            raw = raw.replace("\f", "")
        out.append(Line(i + 1, unicodedata.normalize("NFC", raw), page_no))
    return out


def _read_pdf(path: Path) -> Source:
    # deferred: pypdf only for an import of a PDF
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [_page_text(page) for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise ValidationError(
            f"cannot read the PDF: {exc}",
            Location(str(path)),
            value=path.name,
            hint="check that the file is a complete PDF (open it in a viewer), or import its text as .txt",
            example="oerlog import oer-2026.txt --id my-oer-2026",
        ) from None
    chars = sum(len("".join(p.split())) for p in pages)
    if chars < 20 * max(1, len(pages)) // 4 or chars == 0:
        raise ValidationError(
            f"the PDF has {len(pages)} page(s) but no text layer ({chars} characters of text): it is a scan or an "
            "image",
            Location(str(path)),
            value=path.name,
            hint="run text recognition (OCR) first, e.g. 'ocrmypdf -l nld in.pdf out.pdf', or ask the faculty for "
            "the Word or PDF original, then import that",
            example="ocrmypdf -l nld oer-2026.pdf oer-2026-ocr.pdf && oerlog import oer-2026-ocr.pdf --id my-oer-2026",
        )
    lines: list[Line] = []
    for n, text in enumerate(pages, 1):
        for ln in _lines(text, n):
            lines.append(Line(len(lines) + 1, ln.text, n))
    return Source(path, lines, f"PDF (pypdf, {len(pages)} pages)")


def _page_text(page: object) -> str:
    """A page's text in layout mode (it keeps the blank lines between paragraphs, which the structure needs),
    else in plain mode."""
    try:
        text = page.extract_text(extraction_mode="layout")  # type: ignore[attr-defined]
    except Exception:  # a page that layout mode cannot read is read in plain mode
        text = None
    if not text or not text.strip():
        text = page.extract_text()  # type: ignore[attr-defined]
    return str(text or "")


def _read_docx(path: Path) -> Source:
    import docx  # deferred: python-docx (and lxml) only for an import of a .docx

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationError(
            f"cannot read the Word file: {exc}",
            Location(str(path)),
            value=path.name,
            hint="check that the file is a .docx (Word 2007 or later; an old .doc must be saved as .docx first)",
            example="oerlog import oer-2026.docx --id my-oer-2026",
        ) from None
    return Source(path, _lines("\n".join(wordfile.lines(document))), ".docx (python-docx)")


def structure_of(source: Source, items: str = "lids") -> Structure:
    """The recognised structure, or an error when the text has none (never an empty document). ``items``: see
    :func:`oerlog.authoring.structure.recognise`."""
    found = recognise(source.lines, items)
    count = len(found.provisions())
    nonblank = sum(1 for ln in source.lines if ln.text.strip())
    headings = sum(1 for s in found.skipped if s.kind == "heading")
    if nonblank == 0:
        raise ValidationError(
            "the text is empty: nothing to import",
            Location(str(source.path)),
            value=source.path.name,
            hint="check the export: a PDF or Word file that shows text should give lines of text here",
            example="oerlog import oer-2026.pdf --id my-oer-2026",
        )
    if headings == 0 or count < 2:
        raise ValidationError(
            f"no article structure found: {nonblank} lines of text read ({source.reader}), but no article headings "
            "('Artikel 5.1', 'art. 5.1 – ...') and no titled sections under part headings ('A. ...')",
            Location(str(source.path), 1, 1),
            value=source.lines[next(i for i, ln in enumerate(source.lines) if ln.text.strip())].text.strip()[:80],
            hint="check that this is the regulation itself (not a cover letter or a table); if its articles are "
            "numbered differently, put each article heading on a line of its own as 'Artikel N Titel'",
            example="Artikel 5.5 Herkansing",
        )
    return found


# ---------------------------------------------------------------------------------------------------- metadata


@dataclass(frozen=True)
class Found:
    """A metadata value read from the text, with the line it was read from (None: not stated, fill in)."""

    value: object
    line: int | None


def read_metadata(source: Source, structure: Structure) -> dict[str, Found]:
    """Title, institution, academic year and programmes, where the text states them."""
    lines = source.lines
    title_lines = [ln for ln in structure.title_lines if ln.text.strip() and not re.match(r"\s*[-•]\s", ln.text)]
    title = Found(None, None)
    if title_lines:
        text = " ".join(" ".join(re.sub(r"[#*]", "", ln.text).split()) for ln in title_lines[:3])
        title = Found(" ".join(text.split())[:160], title_lines[0].number)
    else:  # no title page: the first line, when it is a heading rather than the start of a paragraph
        first = next((ln for ln in lines if ln.text.strip()), None)
        if first is not None and not re.search(r"[.,;:]\s*$", first.text) and len(first.text.strip()) <= 200:
            words = " ".join(re.sub(r"[#*]", "", first.text).split())
            if words[:1].isupper() and not re.search(r"\b(?:en|de|het|van|per|voor)\s*$", words):
                title = Found(words[:160], first.number)
    year = Found(None, None)
    for ln in lines:
        m = re.search(r"\b(20\d\d)\s*[-–/]\s*(20\d\d)\b", ln.text)
        if m and int(m.group(2)) == int(m.group(1)) + 1:
            year = Found(int(m.group(1)), ln.number)
            break
    inst = Found(None, None)
    inst_re = re.compile(
        r"\b((?:Rijks)?[Uu]niversiteit(?: van)? [A-Z][a-z]+|[A-Z][a-z]+ Universiteit(?: [A-Z][a-z]+)?|"
        r"Universiteit Utrecht|VUmc|UMC Utrecht|UMCG|Hogeschool [A-Z][\w-]+|Erasmus Universiteit Rotterdam)"
    )
    for ln in lines:
        m = inst_re.search(ln.text)
        if m:
            inst = Found(m.group(1), ln.number)
            break
    progs: list[str] = []
    prog_line: int | None = None
    prog_re = re.compile(r"\b((?:bachelor|master)opleiding(?:en)?)\s+([A-Z][\w'’-]+(?:\s+[A-Z&][\w'’-]+)*)")
    for ln in lines[:200]:
        for m in prog_re.finditer(ln.text):
            name = m.group(2).strip()
            if name not in progs:
                progs.append(name)
                prog_line = prog_line or ln.number
    return {
        "title": title,
        "institution": inst,
        "academic_year": year,
        "programmes": Found(progs, prog_line) if progs else Found(None, None),
    }


def _slug(text: str) -> str:
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")[:40]


def document_yaml(doc_id: str, kind: str, frame: str | None, source: Source, meta: dict[str, Found]) -> str:
    """The ``document.yaml`` skeleton: what the text states, with the line; what it does not, marked to fill in."""

    def q(value: object) -> str:
        return (
            yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10_000)
            .strip()
            .removesuffix("\n...")
        )

    def note(found: Found, what: str) -> str:
        if found.line is not None:
            return f"# TO CONFIRM: read from source line {found.line}"
        return f"# TO FILL IN: the text does not state {what}"

    title, inst, year, progs = meta["title"], meta["institution"], meta["academic_year"], meta["programmes"]
    year_value = year.value if isinstance(year.value, int) else dt.date.today().year
    codes = [f"{doc_id.split('-')[0]}-{_slug(str(p))}" for p in (progs.value or [])]  # type: ignore[attr-defined]
    out = [
        f"# Imported by `oerlog import` from {source.path.name} ({source.reader}) on {dt.date.today().isoformat()}.",
        "# Every value marked TO CONFIRM was read from the text; every value marked TO FILL IN was not found in it.",
        f"id: {doc_id}",
        f"title: {q(title.value or doc_id)}   {note(title, 'a title')}",
        f"institution: {q(inst.value or '')}   {note(inst, 'the institution')}",
        f"kind: {kind}",
        f"academic_year: {year_value}   {note(year, 'the academic year (studiejaar); the current year is filled in')}",
        f"valid_from: {year_value}-09-01   # TO CONFIRM: the studiejaar runs from 1 September",
        f"valid_to: {year_value + 1}-08-31",
        "language: nl",
        f"source: {q(source.path.name)}",
    ]
    if progs.value:
        out.append(
            f"# programmes named in the text (source line {progs.line}): {', '.join(map(str, progs.value))}"  # type: ignore[call-overload]
        )
        out.append(f"programmes: {q(codes)}   # TO CONFIRM: the codes your enrolment data uses")
    else:
        out.append("programmes: []   # TO FILL IN: the programme codes this document applies to (kb/scope.dl)")
    out.append(f"frame: {frame or 'null'}" + ("   # the OER this document works within" if frame else ""))
    out.append("template: false")
    out.append('version: "1"')
    return "\n".join(out) + "\n"


def articles_yaml(source: Source, structure: Structure) -> str:
    """``articles.yaml``: every article and lid verbatim, keyed, with its source lines; status not_encoded."""
    out = [
        f"# Verbatim text of {source.path.name}, imported by `oerlog import` ({source.reader}).",
        "# Keys are the numbers the text gives (article, lid; items a., b. as '1a', '1b'); text before the first",
        "# article is article '0', an annex's articles are 'B<n>.<m>'. Hard line wraps are joined with one space and",
        "# the lid's own number or bullet is dropped (it is the key). The source lines are given per lid.",
        "# Headings, the table of contents, page headers and footers are left out: see import-report.yaml.",
        "articles:",
    ]
    for art in structure.articles:
        out.append(f"  {_yq(art.key)}:")
        out.append(f"    title: {_yq(art.title)}")
        out.append(f"    section: {_yq(art.section)}")
        if art.text_only():
            lid = art.lids[0]
            out.append(f"    text: {_yq(lid.text)}   # {_lines_note(lid.lines)}")
        else:
            out.append("    lids:")
            for lid in art.lids:
                out.append(f"      {_yq(lid.key or '')}: {_yq(lid.text)}   # {_lines_note(lid.lines)}")
        out.append("    status: not_encoded")
        out.append("    reason: null")
    return "\n".join(out) + "\n"


def _yq(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lines_note(lines: list[int]) -> str:
    if not lines:
        return "source line ?"
    ranges: list[str] = []
    start = prev = lines[0]
    for n in [*lines[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        ranges.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ("source line " if len(lines) == 1 else "source lines ") + ",".join(ranges)


def report_yaml(source: Source, structure: Structure, items: str = "lids") -> str:
    """``import-report.yaml``: what was left out of the provisions, by kind, with its line: nothing disappears."""
    data = {
        "source": source.path.name,
        "reader": source.reader,
        "items": items,
        "articles": len(structure.articles),
        "provisions": len(structure.provisions()),
        "left_out": [{"line": s.line, "kind": s.kind, "text": s.text} for s in structure.skipped],
    }
    header = (
        "# What `oerlog import` left out of articles.yaml, line by line: headings (their text is the article's\n"
        "# title and section), the table of contents, page headers and footers, page numbers, separator lines\n"
        '# ("o – o – o") and the title page.\n'
    )
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


@dataclass
class ImportResult:
    folder: Path
    source: Source
    structure: Structure
    meta: dict[str, Found]


def import_document(
    source_path: Path, kb_root: Path, doc_id: str, kind: str = "oer", frame: str | None = None, items: str = "lids"
) -> ImportResult:
    """Import a source text as ``kb_root/doc_id/``, built in a temporary folder and moved into place when whole.
    ``items``: "lids" (lettered items and bullets under a lid are lids of their own) or "text" (they stay in the
    lid's text, except definitions and items that carry a list of their own)."""
    if not ID_RE.match(doc_id):
        raise UsageError(
            "a document id is lower-case letters, digits and hyphens (3 to 64 characters)",
            value=doc_id,
            example="--id uu-geo-ma-oer-2020",
        )
    target = Path(kb_root) / doc_id
    if target.exists():
        raise UsageError(
            f"{target} already exists",
            Location(str(target)),
            value=doc_id,
            hint="choose another --id, or remove the folder first",
            example=f"--id {doc_id}-new",
        )
    if not (Path(kb_root) / "vocabulary.yaml").is_file():
        raise UsageError(
            f"{kb_root} is not a knowledge base (no vocabulary.yaml)",
            Location(str(kb_root)),
            value=str(kb_root),
            example="oerlog --kb kb import oer.txt --id my-oer-2026",
        )
    source = read_source(Path(source_path))
    structure = structure_of(source, items)
    meta = read_metadata(source, structure)
    files = {
        "document.yaml": document_yaml(doc_id, kind, frame, source, meta),
        "articles.yaml": articles_yaml(source, structure),
        "import-report.yaml": report_yaml(source, structure, items),
    }
    tmp = Path(tempfile.mkdtemp(prefix=f".{doc_id}.", suffix=".part", dir=kb_root))
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        with signals_held():
            tmp.rename(target)
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
        raise
    return ImportResult(target, source, structure, meta)
