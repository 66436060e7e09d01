"""Appeal dossiers: golden renderings per document (nl, en) read by a scan for what a letter must not hold; the
student's side and the argument answered first; counterfactuals that change only contestable fields, minimal and
verified by pyDatalog; a decision that does not hold (exit 1, no dossier); the route and term from the document,
its frame OER or the law, with the Awb start and the Algemene termijnenwet extension; the HTML page (one numbered
list) and the A4 PDF with page numbers, checked in headless Chromium and with pypdf."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import BUNDLED, GOLDEN, MINI, chromium_flags, golden
from test_graph_lint import need
from test_readers import _logical_lines, _problems

from oerlog.appeal.dossier import build, contested_fields, reader_text, why_not_holding
from oerlog.appeal.route import load_statute, term_end
from oerlog.backends.pydatalog import evaluate
from oerlog.errors import ValidationError
from oerlog.evaluation.judge import judge
from oerlog.explain.counterfactual import _apply
from oerlog.kb.cases import load_case
from oerlog.kb.loader import open_kb
from oerlog.kb.vocabulary import load_vocabulary
from oerlog.lang.parser import parse_atom
from oerlog.semantics.model import Status

ROOT = BUNDLED.parent
ANNA = BUNDLED / "uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml"
FEMKE = BUNDLED / "uu-gnk-ba-2025/cases/femke-no-show-overmacht.yaml"
BAS = BUNDLED / "uu-geo-ma-oer-2019/cases/bas-grade-5-45.yaml"
MINI_CASE = MINI / "mini-doc/cases/anna.yaml"


def stable(text: str) -> str:
    """Hashes change with every KB edit: keep them out of the golden comparison."""
    return re.sub(r"[0-9a-f]{64}", "<sha256>", text).replace(str(ROOT) + "/", "")


_BUILT: dict[tuple[object, ...], tuple[object, object]] = {}


def dossier(kb, case_path, decision, lang="nl", want=None, argument=None):  # type: ignore[no-untyped-def]
    """The judgement and the dossier, built once per module for the same KB, case and question (the tests only
    read them)."""
    key = (id(kb), str(case_path), decision, lang, want, argument)
    if key not in _BUILT:
        case = load_case(case_path, kb.vocabulary)
        j = judge(kb, case)
        _BUILT[key] = (j, build(j, parse_atom(decision), lang, parse_atom(want) if want else None, argument=argument))
    return _BUILT[key]


DECISIONS = [  # one decision per encoded document
    ("uu-gnk-ba-2025", "anna-excluded-low-grade.yaml", 'resit_excluded("anna", "vorm_en_functie")'),
    ("rug-ma-oer-2019", "milan-resit-refused.yaml", 'resit_excluded("milan", "c1")'),
    ("rug-tg-ra-2018", "daan-resit-refused.yaml", 'resit_excluded("daan", "celbiologie")'),
    ("vumc-gnk-ma-rr-2018", "carmen-late-for-vgt.yaml", 'late_admission_refused("carmen", "vgt_0123")'),
    ("uu-geo-ma-oer-2019", "bas-grade-5-45.yaml", 'failed("bas", "geochemistry")'),
]
SECTIONS = {
    "nl": ["## Besluit", "## Feiten", "## Redenering, stap voor stap", "## Uitzonderingen en routes voor de student",
           "## Beroep: route en termijn", "## Bijlage: tekst van de toegepaste bepalingen", "## Verantwoording"],
    "en": ["## Decision", "## Facts", "## Reasoning, step by step", "## Exceptions and routes for the student",
           "## Appeal: route and term", "## Annex: text of the provisions applied", "## Receipt"],
}  # fmt: skip


@pytest.mark.parametrize("doc, case, decision", DECISIONS, ids=[d[0] for d in DECISIONS])
def test_dossier_golden_per_document_in_dutch_and_english(cli, doc, case, decision):  # type: ignore[no-untyped-def]
    for lang in ("nl", "en"):
        r = cli(
            "appeal", "--case", str(BUNDLED / doc / "cases" / case), "--decision", decision, "--lang", lang, cwd=ROOT
        )
        assert r.code == 0, r.err
        assert decision not in r.out  # the decision in words, not as an atom
        positions = [r.out.index(s) for s in SECTIONS[lang]]
        assert positions == sorted(positions)  # every section, in reading order, the receipt last
        golden(f"dossier_{doc}_{lang}.md", stable(r.out))


def test_dossier_golden_of_an_undetermined_decision_with_the_students_argument(cli):  # type: ignore[no-untyped-def]
    for lang in ("nl", "en"):
        r = cli("appeal", "--case", str(FEMKE), "--decision", 'resit_excluded("femke", "vorm_en_functie")',
                "--argument", "overmacht", "--lang", lang, cwd=ROOT)  # fmt: skip
        assert r.code == 0, r.err
        golden(f"dossier_uu-gnk-ba-2025-undetermined_{lang}.md", stable(r.out))


def _dossier_goldens() -> list[Path]:
    return sorted(GOLDEN.glob("dossier_*"))


def test_dossier_goldens_hold_no_placeholders_atoms_paths_helper_names_or_english_in_dutch() -> None:
    """Every dossier golden as a secretary reads it: no {placeholder}, no atom, no path or file name (kb/, .yaml),
    no name of a rule or relation of the document (helper names), no English sentence in a Dutch dossier; the
    verbatim provisions (block quotes) are the regulation's own words and are not scanned for names."""
    kb = open_kb(BUNDLED)
    names: set[str] = set(kb.vocabulary.relations) | set(kb.vocabulary.concepts)
    for doc_id in kb.document_ids:
        doc = kb.document(doc_id)
        names |= {r.id for r in doc.program.rules} | {r.head.pred for r in doc.program.rules}
    names = {n for n in names if "_" in n}  # one-word names ("failed", "course") are Dutch or English words too
    helper = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\b")
    files = _dossier_goldens()
    assert len(files) == 12  # five documents and one undetermined decision, two languages
    bad: list[str] = []
    for path in files:
        for line in _logical_lines(path):
            if line.startswith(">"):
                continue
            found = _problems(line, "_nl." in path.name)
            if re.search(r"\bkb/|\.ya?ml\b|\.dl\b", line):
                found.append("file")
            if m := helper.search(line):
                found.append(f"helper name {m.group(0)}")
            bad += [f"{path.name}: {line[:160]}  <- {'; '.join(found)}"] if found else []
    assert not bad, "\n".join(bad)


def test_the_reader_text_of_a_note_drops_helper_names_only() -> None:
    note = (
        "Zolang de beslissing van de studieadviseur niet is vastgelegd (discretionary_decision(study_adviser, "
        "force_majeure, student, course)), zijn de uitsluiting en de toelating onbepaald. Vastgelegd als "
        "discretionary_decision(programme, x, student, course)."
    )
    assert reader_text(note, "nl") == (
        "Zolang de beslissing van de studieadviseur niet is vastgelegd, zijn de uitsluiting en de toelating onbepaald."
    )
    assert reader_text("De examencommissie 'kan ... besluiten' af te wijken (y3_rule_id).", "nl") == (
        "De examencommissie 'kan ... besluiten' af te wijken."
    )
    assert reader_text("zie overmacht_refer_no_show", "nl") is None  # nothing readable left


def test_dossier_sections_and_the_statutory_route(bundled_kb) -> None:  # type: ignore[no-untyped-def]
    _, d = dossier(bundled_kb, ANNA, 'resit_excluded("anna", "vorm_en_functie")')
    assert d.holds and d.student == "anna" and d.programme == "gnk-ba"
    assert any(b.startswith("cijfer 3,8 is lager dan 4,0") for s in d.steps for b in s.because)
    assert d.steps[-1].citations == ["art. A.8 lid 2"]
    assert d.wanted == 'resit_allowed("anna", "vorm_en_functie")'
    # the test by its display name (kb/vocabulary.yaml names:), the fact with where the case states it
    assert (
        "anna behaalde een 3,8 voor de bloktoets Vorm en functie",
        "casus anna-excluded-low-grade, regel 24",
    ) in d.facts
    # the guide names no route and has no frame: the statutory route, cited, with the Atw extension
    a = d.appeal
    assert a is not None and (a.body_from, a.term_from, a.weeks) == ("statute", "statute", 6)
    assert a.term_cites == ["art. 6:7 Awb"] and a.start_cites == ["art. 6:8 lid 1 Awb"]
    assert (a.known, a.end, a.deadline) == (dt.date(2025, 11, 20), dt.date(2026, 1, 1), dt.date(2026, 1, 2))
    assert any(q.label == "art. 6:7 Awb" and "zes weken" in q.text for q in d.annex)
    # the student's side: overmacht is a route to the study adviser, which the case does not contain
    force = next(r for r in d.routes if r.rule == "overmacht_lifts_low_grade_exclusion")
    assert force.status == "missing" and "te beslissen door de studieadviseur" in force.parties
    assert "aan te voeren door de student: beroep op overmacht" in force.parties


def test_route_and_term_from_the_document_and_from_its_frame(bundled_kb) -> None:  # type: ignore[no-untyped-def]
    for doc, case, decision, body_from, term_from in (
        ("rug-ma-oer-2019", "milan-resit-refused.yaml", 'resit_excluded("milan", "c1")', "document", "document"),
        ("rug-tg-ra-2018", "daan-resit-refused.yaml", 'resit_excluded("daan", "celbiologie")', "document", "frame"),
        ("vumc-gnk-ma-rr-2018", "carmen-late-for-vgt.yaml", 'late_admission_refused("carmen", "vgt_0123")',
         "document", "statute"),
    ):  # fmt: skip
        _, d = dossier(bundled_kb, BUNDLED / doc / "cases" / case, decision)
        assert d.appeal is not None and (d.appeal.body_from, d.appeal.term_from) == (body_from, term_from), doc
        assert d.appeal.weeks == 6
    _, d = dossier(bundled_kb, BUNDLED / "rug-tg-ra-2018/cases/daan-resit-refused.yaml", DECISIONS[2][2])
    assert d.appeal is not None and d.appeal.term_cites == ["art. 4.9 lid 4"]  # the frame OER's article
    assert any(p.label == "art. 4.9 lid 4" and "6 weken" in p.text for p in d.annex)


def test_deadline_from_the_decision_date_and_the_documents_own_term(tmp_path: Path) -> None:
    from oerlog.kb.loader import load_kb

    kb_dir = tmp_path / "kb"
    shutil.copytree(MINI, kb_dir)
    case = kb_dir / "mini-doc/cases/anna.yaml"
    # a KB without kb/statutory-appeal.yaml and a document without a route: the dossier says it has none
    _, d = dossier(load_kb(kb_dir), case, 'resit_excluded("anna", "bio")')
    assert d.appeal is None
    meta = kb_dir / "mini-doc/document.yaml"
    meta.write_text(
        meta.read_text() + "appeal:\n  body: College van Beroep voor de Examens\n  via: CLRS\n"
        '  term: {weeks: 6}\n  cite: {article: "4"}\n'
    )
    case.write_text(
        case.read_text().replace("reference_date: 2025-11-03", "reference_date: 2025-11-03\ndecision_date: 2025-11-14")
    )
    _, d = dossier(load_kb(kb_dir), case, 'resit_excluded("anna", "bio")')
    a = d.appeal
    assert a is not None and (a.body_from, a.term_from, a.weeks) == ("document", "document", 6)
    assert (a.known, a.end, a.deadline) == (dt.date(2025, 11, 14), dt.date(2025, 12, 26), dt.date(2025, 12, 26))
    assert not a.known_is_reference_date and a.start_cites == []  # no statute in this KB: no Awb to cite


def test_term_starts_the_day_after_and_is_extended_past_weekends_and_holidays() -> None:
    assert term_end(dt.date(2025, 11, 10), 6) == (dt.date(2025, 12, 22), dt.date(2025, 12, 22))  # a Monday
    assert term_end(dt.date(2025, 11, 14), 6) == (dt.date(2025, 12, 26), dt.date(2025, 12, 29))  # 2nd Christmas day
    assert term_end(dt.date(2026, 2, 20), 6) == (dt.date(2026, 4, 3), dt.date(2026, 4, 7))  # Good Friday, Easter
    assert term_end(dt.date(2025, 3, 24), 6)[1] == dt.date(2025, 5, 6)  # Monday 5 May (Atw art. 3) moves it


def test_the_statute_is_data_with_each_provision_quoted(tmp_path: Path) -> None:
    statute = load_statute(BUNDLED)
    assert statute is not None and statute.weeks == 6
    assert statute.cite(statute.term) == "art. 6:7 Awb"
    assert statute.quoted("awb-6:8-1", "nl").text.startswith("De termijn vangt aan met ingang van de dag na die")
    bad = tmp_path / "statutory-appeal.yaml"
    text = (BUNDLED / "statutory-appeal.yaml").read_text().replace("provisions: [awb-6:7]", "provisions: [awb-6:77]")
    bad.write_text(text)
    with pytest.raises(ValidationError) as err:
        load_statute(tmp_path)
    assert err.value.location is not None and err.value.location.line and "awb-6:77" in str(err.value)


def test_the_vocabulary_checks_contest(tmp_path: Path) -> None:
    voc = load_vocabulary(BUNDLED / "vocabulary.yaml")
    assert voc.relations["test_result"].contested_by("grade") == "body"
    assert voc.relations["test_result"].contested_by() == "none"  # a result cannot be taken away
    assert voc.relations["force_majeure_claim"].contested_by() == "student"
    assert voc.relations["enrolment"].contested_by() == "none" and voc.relations["course"].contested_by() == "none"
    src = (MINI / "vocabulary.yaml").read_text()
    path = tmp_path / "vocabulary.yaml"
    path.write_text(src.replace("contest: body}", "contest: maybe}", 1))  # not one of the values
    with pytest.raises(ValidationError) as err:
        load_vocabulary(path)
    assert "contest must be one of none, student, body" in str(err.value) and err.value.location is not None
    assert err.value.location is not None and err.value.location.line == 15
    concept = src.replace("fields: [{name: student, type: id}", "fields: [{name: student, type: id, contest: body}", 1)
    path = tmp_path / "vocabulary.yaml"
    path.write_text(concept)
    with pytest.raises(ValidationError, match="only a field of an input relation can be contested"):
        load_vocabulary(path)


def _flips(j, changes, atom) -> bool:  # type: ignore[no-untyped-def]
    return evaluate(j.model.plan, _apply(j.case.facts, changes)).answer(atom) is not Status.HOLDS


@pytest.mark.parametrize(
    "doc, case, decision", DECISIONS[:3] + DECISIONS[4:], ids=["uu-gnk", "rug-ma", "rug-tg", "geo"]
)
def test_counterfactuals_change_only_contestable_fields_and_are_minimal_and_verified(bundled_kb, doc, case, decision):  # type: ignore[no-untyped-def]
    j, d = dossier(bundled_kb, BUNDLED / doc / "cases" / case, decision)
    atom = parse_atom(decision)
    assert d.counterfactuals and d.counterfactual_stats["found"] == len(d.counterfactuals)
    for cf in d.counterfactuals:
        for c in cf.changes:
            _, fld, who = contested_fields(bundled_kb.vocabulary, c)
            assert who in ("student", "body"), c
            assert c.pred not in ("enrolment", "course", "test", "course_registration") or c.kind == "add"
            assert c.kind != "remove" or who == "body"
        assert _flips(j, cf.changes, atom)  # proved by pyDatalog
        for c in cf.changes if len(cf.changes) > 1 else ():
            assert not _flips(j, [c], atom)  # minimal: no smaller set flips the outcome


def test_grade_thresholds_through_a_weighted_mean_and_a_rounding(bundled_kb) -> None:  # type: ignore[no-untyped-def]
    _, d = dossier(bundled_kb, BAS, 'failed("bas", "geochemistry")')
    c = d.counterfactuals[0].changes[0]
    assert (c.pred, c.field, str(c.old), str(c.new)) == ("test_result", "grade", "5.45", "5.5")
    assert d.counterfactuals[0].wanted_after
    _, d = dossier(bundled_kb, BUNDLED / "rug-tg-ra-2018/cases/daan-resit-refused.yaml", DECISIONS[2][2])
    assert d.counterfactual_texts[0].text.startswith("cijfer 5,49 in plaats van 5,50")


def test_counterfactual_on_the_mini_kb_adds_a_request(mini_kb) -> None:  # type: ignore[no-untyped-def]
    _, d = dossier(mini_kb, MINI_CASE, 'resit_excluded("dirk", "bio")')
    assert d.exceptions and d.exceptions[0]["rule"] == "resit_only_exception"
    kinds = {(c.kind, c.pred) for cf in d.counterfactuals for c in cf.changes}
    assert ("add", "resit_only") in kinds  # "had dirk asked to take only the resit"
    assert ("remove", "registered") not in kinds  # his registration is not something to take back


def test_the_students_argument_is_answered_first_for_an_undetermined_decision(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(
        "appeal", "--case", str(FEMKE), "--decision", 'resit_excluded("femke", "vorm_en_functie")',
        "--argument", "overmacht", cwd=ROOT,
    )  # fmt: skip
    assert r.code == 0, r.err
    out = r.out
    assert "Over dit besluit is nog niet beslist" in out
    assert "- ‘de studieadviseur besliste ten gunste van femke: overmacht (Vorm en functie)’ (niet vastgelegd)" in out
    assert "Wie daarover beslist:\n\n- de studieadviseur (art. A.8 lid 3)" in out
    sections = re.findall(r"^## (.+)$", out, flags=re.M)
    assert sections[:3] == ["Besluit", "Het argument van de student: overmacht", "Feiten"]
    argument = out.split("## Het argument van de student: overmacht")[1].split("## Feiten")[0]
    assert "te beslissen door de studieadviseur" in argument and "(art. A.8 lid 3)" in argument
    # the withdrawal form in the case is a fact of the dossier, with its source
    assert "femke meldde zich op 31 oktober 2025 af voor bloktoets Vorm en functie, via het afmeldformulier" in out
    r = cli("appeal", "--case", str(FEMKE), "--decision", 'resit_excluded("femke", "vorm_en_functie")',
            "--argument", "topsport", cwd=ROOT)  # fmt: skip
    assert "De regeling kent voor dit argument geen uitzondering" in r.out


def test_the_argument_by_key_or_word(bundled_kb) -> None:  # type: ignore[no-untyped-def]
    _, d = dossier(bundled_kb, ANNA, 'resit_excluded("anna", "vorm_en_functie")', argument="force_majeure")
    assert [r.rule for r in d.argument_routes] == ["overmacht_lifts_low_grade_exclusion"]
    assert d.routes[0] is d.argument_routes[0]  # answered first
    milan = BUNDLED / "rug-ma-oer-2019/cases/milan-resit-refused.yaml"
    _, d = dossier(bundled_kb, milan, DECISIONS[1][2], argument="hardheidsclausule")
    assert d.argument_routes and "te beslissen door de examencommissie" in d.argument_routes[0].parties
    _, d = dossier(bundled_kb, ANNA, 'resit_excluded("anna", "vorm_en_functie")', argument="topsport")
    assert d.argument_routes == []  # the guide has no route for it: the dossier says so


def test_a_decision_that_does_not_hold_exits_1_with_a_why_not_and_no_dossier(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "d.md"
    r = cli("appeal", "--case", str(ANNA), "--decision", 'resit_excluded("anna", "circulatie")', "-o", str(out),
            cwd=ROOT)  # fmt: skip
    assert r.code == 1
    assert r.out.startswith("Waarom niet: anna is uitgesloten van de herkansing van Circulatie — geldt niet")
    assert "Dichtstbij: art. A.8 lid 2" in r.out and "# Dossier" not in r.out
    assert "Geen dossier" in r.err and not out.exists()
    r = cli("appeal", "--case", str(ANNA), "--decision", 'resit_excluded("anna", "circulatie")', "--format", "json",
            cwd=ROOT)  # fmt: skip
    data = json.loads(r.out)
    assert r.code == 1 and data["status"] == "does_not_hold" and data["why_not"][0].startswith("Waarom niet: anna")


def test_why_not_holding_is_none_for_a_decision_that_holds(bundled_kb) -> None:  # type: ignore[no-untyped-def]
    j = judge(bundled_kb, load_case(ANNA, bundled_kb.vocabulary))
    assert why_not_holding(j, parse_atom('resit_excluded("anna", "vorm_en_functie")'), "nl") is None


def test_json_form(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("appeal", "--case", str(ANNA), "--decision", 'resit_excluded("anna", "vorm_en_functie")',
            "--format", "json", cwd=ROOT)  # fmt: skip
    data = json.loads(r.out)
    assert data["schema"] == "oerlog.dossier/3" and data["holds"]
    first = data["counterfactuals"][0]
    assert first["changes"][0].startswith("grade 4,0 in plaats van 3,8")
    assert first["fields"] == [{"relation": "test_result", "field": "grade", "by": "body"}]
    assert data["appeal"]["deadline"] == "2026-01-02" and data["appeal"]["term_from"] == "statute"
    assert data["proof"]["rule"]["id"] == "resit_excluded_low_grade"


def test_html_dossier_in_headless_chromium(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    chromium = need("chromium")
    page = tmp_path / "d.html"
    r = cli("appeal", "--case", str(BAS), "--decision", 'failed("bas", "geochemistry")', "--format", "html",
            "-o", str(page), cwd=ROOT)  # fmt: skip
    assert r.code == 0, r.err
    text = page.read_text()
    assert "<link" not in text and "<script" not in text and "://" not in text  # self-contained, no script
    reasoning = text.split("<h2>Redenering, stap voor stap</h2>")[1].split("</section>")[0]
    assert reasoning.count("<ol") == 1 and "start=" not in reasoning  # one list: numbering runs on past 10
    assert reasoning.count("<li>") - reasoning.count('<ul class="sub">') >= 16  # the 16 steps, subs nested
    flags = chromium_flags(tmp_path)
    shot = tmp_path / "d.png"
    subprocess.run(
        [chromium, *flags, f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", page.as_uri()], capture_output=True, timeout=120, check=True, text=True
    ).stdout
    assert "<h1>Dossier bezwaar en beroep</h1>" in dom
    assert "<details open=" in dom  # the collapsible proof tree
    assert "Het eindcijfer 5 wordt niet van decimalen voorzien" in dom


@pytest.mark.slow  # Chromium prints seven pages: a few seconds (CI's second step)
def test_pdf_is_a4_with_page_numbers_continuous_numbering_and_the_receipt_last(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    need("chromium")
    pypdf = pytest.importorskip("pypdf")
    out = tmp_path / "d.pdf"
    r = cli("appeal", "--case", str(BAS), "--decision", 'failed("bas", "geochemistry")', "--format", "pdf",
            "-o", str(out), cwd=ROOT)  # fmt: skip
    assert r.code == 0, r.err
    reader = pypdf.PdfReader(str(out))
    n = len(reader.pages)
    assert n >= 3
    texts = []
    for i, page in enumerate(reader.pages, 1):
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(w), round(h)) == (595, 842)  # A4 in points
        starts: list[tuple[float, float]] = []

        def visit(text, cm, tm, _font, _size, starts=starts):  # type: ignore[no-untyped-def]
            if text.strip():
                starts.append((cm[0] * tm[4] + cm[4], cm[3] * tm[5] + cm[5]))

        text = page.extract_text(visitor_text=visit)
        texts.append(text)
        assert f"pagina {i} van {n}" in text  # the page number in the footer
        assert all(0 <= x <= w and 0 <= y <= h for x, y in starts)  # nothing outside the page
        assert max(len(line) for line in text.splitlines()) < 140  # lines wrap within the page width
    whole = "\n".join(texts)
    numbers = [int(m) for m in re.findall(r"^(\d+)\. ", whole.split("Uitzonderingen en routes")[0], flags=re.M)]
    assert numbers == list(range(1, 17))  # 1 to 16, continuous past 10
    assert "Verantwoording" in texts[-1] and "Verantwoording" not in "".join(texts[:-1])  # the receipt last


def test_pdf_without_a_browser_is_bad_input(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OERLOG_CHROMIUM", str(tmp_path / "no-such-browser"))
    out = tmp_path / "d.pdf"
    r = cli("appeal", "--case", str(ANNA), "--decision", 'resit_excluded("anna", "vorm_en_functie")',
            "--format", "pdf", "-o", str(out), cwd=ROOT)  # fmt: skip
    assert r.code == 2 and "OERLOG_CHROMIUM" in r.err and "Traceback" not in r.err and not out.exists()
    monkeypatch.delenv("OERLOG_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium on the PATH
    if shutil.which("chromium") is None:
        r = cli("appeal", "--case", str(ANNA), "--decision", 'resit_excluded("anna", "vorm_en_functie")',
                "--format", "pdf", "-o", str(out), cwd=ROOT)  # fmt: skip
        assert r.code == 2 and "needs Chromium" in r.err and "apt-get install chromium" in r.err


def test_the_argument_is_text_never_markup(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "d.html"
    argument = "<script>alert(1)</script> **overmacht** [x](http://e.nl)"
    r = cli("appeal", "--case", str(ANNA), "--decision", 'resit_excluded("anna", "vorm_en_functie")',
            "--argument", argument, "--format", "html", "-o", str(page), cwd=ROOT)  # fmt: skip
    assert r.code == 0, r.err
    html = page.read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; **overmacht** [x](http://e.nl)" in html
    r = cli("appeal", "--case", str(ANNA), "--decision", 'resit_excluded("anna", "vorm_en_functie")',
            "--argument", argument, cwd=ROOT)  # fmt: skip
    assert "## Het argument van de student: \\<script>alert(1)\\</script> \\*\\*overmacht\\*\\*" in r.out


def test_pdf_needs_an_output_file(cli) -> None:  # type: ignore[no-untyped-def]
    if shutil.which("chromium") is None:
        pytest.skip("chromium not installed: the missing browser is reported first")
    r = cli("appeal", "--case", str(ANNA), "--decision", 'resit_excluded("anna", "vorm_en_functie")',
            "--format", "pdf", "--lang", "en", cwd=ROOT)  # fmt: skip
    assert r.code == 2 and "--format pdf writes a file: give -o" in r.err and "--format pdf -o dossier.pdf" in r.err


def test_unknown_decision_is_bad_input(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("appeal", "--case", str(ANNA), "--decision", "resit_exclud(S, C)", "--lang", "en", cwd=ROOT)
    assert r.code == 2 and "did you mean resit_excluded" in r.err
