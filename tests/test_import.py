"""`oerlog import`: plain text, PDF and Word give the same provisions; page headers, footers and page numbers are
recognised and listed; bad input (a scan without text layer, an encoding that is neither UTF-8 nor
Windows-1252, a text without article structure) is exit 2 with what was found and what to do, and no folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from oerlog.authoring.importing import read_source, structure_of
from oerlog.kb.loader import open_kb

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "tests" / "fixtures" / "sources"
GNK = SOURCES / "000_c7721552d17f1bae.txt"


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A copy of the bundled KB to import into."""
    root = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", root)
    return root


def _provisions(path: Path) -> list[tuple[str, str | None, str]]:
    return [(a, lid, text) for a, lid, text, _ in structure_of(read_source(path)).provisions()]


def test_docx_gives_the_provisions_of_the_text() -> None:
    assert _provisions(SOURCES / "000_c7721552d17f1bae.docx") == _provisions(GNK)


def test_pdf_gives_the_provisions_of_the_text_and_lists_headers_and_page_numbers() -> None:
    pdf = structure_of(read_source(SOURCES / "000_c7721552d17f1bae.pdf"))
    text = set(_provisions(GNK))
    got = [(a, lid, t) for a, lid, t, _ in pdf.provisions()]
    same = sum(1 for p in got if p in text)
    assert same / len(text) >= 0.95  # measured 65/68: a PDF has no trailing spaces that end a paragraph
    assert not any("Pagina" in t or "2025-2026 ·" in t for _, _, t in got)  # no header or footer in a provision
    skipped = {(s.kind, s.text) for s in pdf.skipped}
    assert ("page_number", "Pagina 1 van 4") in skipped
    assert ("page_header", "Bachelor Geneeskunde 2025-2026 · In- en uitschrijving") in skipped


def test_import_writes_a_document_the_kb_loads(cli, kb: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("--kb", str(kb), "import", str(SOURCES / "004_c5338686a078a0e6.txt"), "--id", "geo-2019-import")
    assert r.code == 0, r.err
    assert "53 articles" in r.out and "toc" in r.out
    folder = kb / "geo-2019-import"
    meta = yaml.safe_load((folder / "document.yaml").read_text(encoding="utf-8"))
    assert meta["academic_year"] == 2019 and meta["institution"] == "Universiteit Utrecht"
    assert "TO CONFIRM: read from source line 14" in (folder / "document.yaml").read_text(encoding="utf-8")
    arts = yaml.safe_load((folder / "articles.yaml").read_text(encoding="utf-8"))["articles"]
    assert arts["5.5"]["title"] == "reparatie: aanvullende (deel)toets"
    assert arts["5.5"]["lids"]["1"].startswith("Bij een onvoldoende eindbeoordeling van tenminste 4,00")
    assert "# source line" in (folder / "articles.yaml").read_text(encoding="utf-8")
    report = yaml.safe_load((folder / "import-report.yaml").read_text(encoding="utf-8"))
    toc = [x for x in report["left_out"] if x["kind"] == "toc"]
    assert any(x["text"].startswith("art. 5.5 – reparatie") for x in toc)  # the table of contents, listed
    doc = open_kb(kb).document("geo-2019-import")  # the new document loads with the rest of the KB
    assert doc.articles["8.4"].lids or doc.articles["8.4"].text


def test_metadata_the_text_does_not_state_is_marked_to_fill_in(cli, kb: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli(
        "--kb", str(kb), "import", str(SOURCES / "000_c7721552d17f1bae.pdf"), "--id", "gnk-pdf-2025", "--kind", "guide"
    )
    assert r.code == 0, r.err
    assert "PDF (pypdf, 4 pages)" in r.out and "4 page header" in r.out and "4 page number" in r.out
    text = (kb / "gnk-pdf-2025" / "document.yaml").read_text(encoding="utf-8")
    assert "programmes: []   # TO FILL IN: the programme codes this document applies to" in text
    assert "institution: ''   # TO FILL IN: the text does not state the institution" in text
    assert "academic_year: 2025   # TO CONFIRM: read from source line" in text
    assert "kind: guide" in text
    meta = yaml.safe_load(text)
    assert meta["title"] == "Bachelor Geneeskunde In- en uitschrijving cursussen, toetsen en herkansingen 2025-2026"


def test_import_refuses_an_existing_folder(cli, kb: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("--kb", str(kb), "import", str(GNK), "--id", "uu-gnk-ba-2025")
    assert r.code == 2 and "already exists" in r.err


def test_a_pdf_without_text_layer_is_refused(cli, kb: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("--kb", str(kb), "import", str(SOURCES / "004_scan.pdf"), "--id", "scan-2019")
    assert r.code == 2
    assert "2 page(s) but no text layer" in r.err and "OCR" in r.err and "Traceback" not in r.err
    assert not (kb / "scan-2019").exists() and not list(kb.glob(".scan-2019*"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("Artikel 1 Toets\n1. Een tekst.\n".encode("utf-16"), "UTF-16"),
        (b"Artikel 1 Toets\n1. Een \x81 tekst.\n", "byte 0x81"),
        (b"Artikel 1 Toets\n1. Een\x00\x01 tekst.\n", "is neither"),
    ],
    ids=["utf-16", "undefined-in-windows-1252", "control-bytes"],
)
def test_an_encoding_that_is_neither_utf8_nor_windows_1252_is_refused(  # type: ignore[no-untyped-def]
    cli, kb: Path, tmp_path: Path, data: bytes, message: str
) -> None:
    src = tmp_path / "oer.txt"
    src.write_bytes(data)
    r = cli("--kb", str(kb), "import", str(src), "--id", "bad-2026")
    assert r.code == 2 and message in r.err and "UTF-8" in r.err and "iconv" in r.err
    assert not (kb / "bad-2026").exists()


def test_windows_1252_is_read(tmp_path: Path) -> None:
    src = tmp_path / "oer.txt"
    src.write_bytes(GNK.read_text(encoding="utf-8").encode("cp1252"))
    source = read_source(src)
    assert source.reader == "text (Windows-1252)"
    assert [(a, lid, t) for a, lid, t, _ in structure_of(source).provisions()] == _provisions(GNK)


def test_a_text_without_article_structure_is_refused(cli, kb: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "brief.txt"
    src.write_text("Geachte decaan,\n\nHierbij zend ik u de nieuwe regeling toe.\n\nMet vriendelijke groet,\n")
    r = cli("--kb", str(kb), "import", str(src), "--id", "brief-2026")
    assert r.code == 2 and "no article structure found" in r.err and "3 lines of text" in r.err
    assert "Artikel 5.5 Herkansing" in r.err  # a valid example
    assert not (kb / "brief-2026").exists()


def test_word_automatic_numbering_is_read_as_the_reader_sees_it(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Artikel 5.5 Herkansing")
    document.add_paragraph("Een student die een onvoldoende behaalt, mag herkansen.", style="List Number")
    document.add_paragraph("De examencommissie kan:", style="List Number")
    document.add_paragraph("uitstel verlenen;", style="List Bullet")
    document.add_paragraph("een extra gelegenheid bieden.", style="List Bullet")
    src = tmp_path / "oer.docx"
    document.save(str(src))
    source = read_source(src)
    assert [ln.text for ln in source.lines][1:3] == [
        "1. Een student die een onvoldoende behaalt, mag herkansen.",
        "2. De examencommissie kan:",
    ]
    assert [(a, lid, t) for a, lid, t, _ in structure_of(source).provisions()] == [
        ("5.5", "1", "Een student die een onvoldoende behaalt, mag herkansen."),
        ("5.5", "2", "De examencommissie kan:"),
        ("5.5", "2a", "uitstel verlenen;"),
        ("5.5", "2b", "een extra gelegenheid bieden."),
    ]


def test_a_folder_being_built_is_no_document_of_the_kb(kb: Path) -> None:
    """`oerlog import` builds kb/.ID.*.part and renames it when whole: the KB never reads a half-built folder."""
    part = kb / ".uu-gnk-ba-2025.x1.part"
    part.mkdir()
    shutil.copy(kb / "uu-gnk-ba-2025" / "document.yaml", part / "document.yaml")  # the same id: two would clash
    assert "uu-gnk-ba-2025" in open_kb(kb).document_ids
