"""`oerlog diff`: realistic next-year variants made by editing a copy of a source (a changed threshold, a
renumbered article, an inserted lid, a deleted article) give exactly the changes made, with a word-level diff and
what in the KB cites each change; `--carry-over` fills the new document from the old one."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from oerlog.authoring.diff import compare, numbers_changed, version_of_document, version_of_structure
from oerlog.authoring.importing import read_source, structure_of
from oerlog.authoring.render import to_html, to_json, to_markdown
from oerlog.kb.loader import open_kb

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "tests" / "fixtures" / "sources"
GNK = SOURCES / "000_c7721552d17f1bae.txt"
GEO = SOURCES / "004_c5338686a078a0e6.txt"


def _variant(tmp_path: Path, source: Path, edit, name: str = "next.txt") -> Path:  # type: ignore[no-untyped-def]
    lines = source.read_text(encoding="utf-8").split("\n")
    out = tmp_path / name
    out.write_text("\n".join(edit(lines)), encoding="utf-8")
    return out


def _threshold(lines: list[str]) -> list[str]:  # A.8 lid 2: "lager dan een 4,0" becomes "lager dan een 4,5"
    assert "lager dan een 4,0" in lines[92]
    lines[92] = lines[92].replace("lager dan een 4,0", "lager dan een 4,5")
    return lines


def _inserted_lid(lines: list[str]) -> list[str]:  # a new bullet after A.8 lid 1
    assert lines[91].startswith("als je tenminste een 4,0")
    return lines[:92] + ["- De uitslag van de herkansing ontvang je binnen 15 werkdagen. "] + lines[92:]


def _deleted_article(lines: list[str]) -> list[str]:  # the Jokerregeling of part A (A.7) is gone
    assert lines[79].startswith("Jokerregeling")
    return lines[:79] + lines[88:]


def _renumbered_article(lines: list[str]) -> list[str]:  # a new art. 8.3: 8.3 and 8.4 become 8.4 and 8.5
    i = next(n for n, ln in enumerate(lines) if ln.startswith("### **art. 8.3"))
    new = [
        "### **art. 8.3 – overgangsregeling**",
        "",
        "Voor studenten die voor 1 september 2019 zijn begonnen, "
        "geldt de regeling van het studiejaar waarin zij zijn begonnen.",
        "",
    ]
    rest = [
        ln.replace("art. 8.3 –", "art. 8.4 –")
        if ln.startswith("### **art. 8.3")
        else ln.replace("art. 8.4 –", "art. 8.5 –")
        if ln.startswith("### **art. 8.4")
        else ln
        for ln in lines[i:]
    ]
    return lines[:i] + new + rest


def _texts(source: Path, variant: Path):  # type: ignore[no-untyped-def]
    old = version_of_structure(source.name, structure_of(read_source(source)))
    new = version_of_structure(variant.name, structure_of(read_source(variant)))
    return compare(old, new)


def test_a_changed_threshold_is_one_changed_lid_with_its_words(tmp_path: Path) -> None:
    d = _texts(GNK, _variant(tmp_path, GNK, _threshold))
    assert [(c.kind, c.old, c.new) for c in d.changes] == [("changed", ("A.8", "2"), ("A.8", "2"))]
    c = d.changes[0]
    assert ("delete", "4,0") in c.words and ("insert", "4,5") in c.words
    assert numbers_changed(c) == [("4,0", "4,5")]
    assert d.counts()["unchanged"] == len(d.old.provisions) - 1


def test_an_inserted_lid_is_added_and_the_lids_after_it_renumbered(tmp_path: Path) -> None:
    d = _texts(GNK, _variant(tmp_path, GNK, _inserted_lid))
    assert [(c.kind, c.new) for c in d.changes if c.kind == "added"] == [("added", ("A.8", "2"))]
    moved = [(c.old, c.new) for c in d.changes if c.kind == "renumbered"]
    assert moved == [(("A.8", str(n)), ("A.8", str(n + 1))) for n in range(2, 9)]
    assert not any(c.text_changed for c in d.changes if c.kind == "renumbered")
    assert {c.kind for c in d.changes} == {"added", "renumbered"}


def test_a_deleted_article_is_removed_and_the_articles_after_it_renumbered(tmp_path: Path) -> None:
    d = _texts(GNK, _variant(tmp_path, GNK, _deleted_article))
    assert sorted(c.old for c in d.changes if c.kind == "removed") == [("A.7", "1"), ("A.7", "2"), ("A.7", "3")]
    moved = {c.old: c.new for c in d.changes if c.kind == "renumbered"}
    assert moved[("A.8", "2")] == ("A.7", "2") and moved[("A.10", "7")] == ("A.9", "7")
    assert not any(c.kind in ("changed", "added") for c in d.changes)


def test_a_renumbered_article(tmp_path: Path) -> None:
    d = _texts(GEO, _variant(tmp_path, GEO, _renumbered_article))
    assert [(c.kind, c.old, c.new) for c in d.changes] == [
        ("added", None, ("8.3", None)),
        ("renumbered", ("8.3", None), ("8.4", None)),
        ("renumbered", ("8.4", None), ("8.5", None)),
    ]


def test_changes_name_what_cites_them_in_the_kb(tmp_path: Path) -> None:
    kb = open_kb(ROOT / "kb")
    d = compare(
        version_of_document(kb.document("uu-gnk-ba-2025")),
        version_of_structure("next.txt", structure_of(read_source(_variant(tmp_path, GNK, _threshold)))),
    )
    lid2 = next(c for c in d.changes if c.old == ("A.8", "2"))
    assert lid2.kind == "changed"
    assert "resit_excluded_low_grade" in lid2.citing.rules
    assert "resit_min_grade" in lid2.citing.parameters
    assert ("resit.yaml", "grade 3.8: excluded from the resit") in lid2.citing.scenarios
    assert any("onafgerond" in nl and "unrounded" in en for _, en, nl in lid2.citing.interpretations)
    md = to_markdown(d)
    assert "| art. A.8 lid 2 | gewijzigd | " in md and "~~4,0~~ **4,5**" in md
    assert "- scenario resit.yaml: grade 3.8: excluded from the resit" in md
    data = to_json(d)
    schema = json.loads(resources.files("oerlog.schemas").joinpath("diff.schema.json").read_text())
    jsonschema.validate(data, schema)


def test_text_from_the_documents_is_escaped(tmp_path: Path) -> None:
    def edit(lines: list[str]) -> list[str]:
        lines[92] = lines[92].replace("lager dan een 4,0", "lager dan <script>alert(1)</script> *een* 4,0")
        return lines

    d = _texts(GNK, _variant(tmp_path, GNK, edit))
    html = to_html(d)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<ins>" in html
    md = to_markdown(d, "en")
    assert "\\*een\\*" in md and "1 changed" in md


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", root, ignore=shutil.ignore_patterns("rug-*", "vumc-*", "uu-geo-*"))
    return root


def test_carry_over_copies_renumbers_marks_and_runs_the_scenarios(cli, kb: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    new = _variant(tmp_path, GNK, _deleted_article)
    assert cli("--kb", str(kb), "import", str(new), "--id", "uu-gnk-ba-2026", "--kind", "guide").code == 0
    r = cli("--kb", str(kb), "diff", "uu-gnk-ba-2025", "uu-gnk-ba-2026", "--carry-over", "--format", "json")
    assert r.code in (0, 1), r.err
    data = json.loads(r.out)
    schema = json.loads(resources.files("oerlog.schemas").joinpath("diff.schema.json").read_text())
    jsonschema.validate(data, schema)
    carry = data["carry_over"]
    folder = kb / "uu-gnk-ba-2026"
    # the joker rules cite the Jokerregeling, which is gone: copied as comments, marked
    joker = (folder / "joker.dl").read_text(encoding="utf-8")
    assert "% UITGESCHAKELD: art. A.7 lid 1 is removed in the new text" in joker
    assert {d["rule"] for d in carry["disabled"]} >= {"joker_window", "joker_not_for_plo"}
    # the resit rules cite A.8, whose text is now A.7: renumbered
    resit = (folder / "resit.dl").read_text(encoding="utf-8")
    assert '@cite("A.7", "2")' in resit and '@cite("A.8", "2")' not in resit
    assert {
        "rule": "resit_excluded_low_grade",
        "from": {"article": "A.8", "lid": "2"},
        "to": {"article": "A.7", "lid": "2"},
    } in carry["citations_renumbered"]
    report = yaml.safe_load((folder / "carry-over.yaml").read_text(encoding="utf-8"))
    assert report["carried_over_from"] == "uu-gnk-ba-2025" and report["disabled"]
    # the scenarios were copied for the new document and run
    assert (folder / "tests" / "resit.yaml").is_file()
    assert "uu-gnk-ba-2025" not in (folder / "tests" / "resit.yaml").read_text(encoding="utf-8")
    assert carry["scenarios_passed"] > 100
    assert carry["rules_copied"] > 90
    # a second carry-over into a document that has rules is refused
    again = cli("--kb", str(kb), "diff", "uu-gnk-ba-2025", "uu-gnk-ba-2026", "--carry-over")
    assert again.code == 2 and "already has rules" in again.err


def test_carry_over_of_next_year_renumbers_marks_and_passes(cli, kb: Path) -> None:  # type: ignore[no-untyped-def]
    """The README's next year: the lower bound raised to 4,5 in A.8 lid 2, and a lid inserted before it."""
    new = SOURCES / "uu-gnk-ba-2026.txt"
    assert cli("--kb", str(kb), "import", str(new), "--id", "uu-gnk-ba-2026", "--kind", "guide").code == 0
    r = cli("--kb", str(kb), "diff", "uu-gnk-ba-2025", "uu-gnk-ba-2026", "--carry-over", "--lang", "en")
    assert r.code == 0, r.out + r.err  # lint clean and every copied scenario passes: a working KB for the new year
    assert "251 passed, 0 failed" in r.err
    params = (kb / "uu-gnk-ba-2026" / "params.dl").read_text(encoding="utf-8")
    block = params[params.index("% TE HERZIEN: art. A.8 lid 2 → art. A.8 lid 3 changed: '4,0' → '4,5'") :]
    block = block[: block.index("param resit_min_grade")]
    assert '@cite("A.8", "3")' in block and '@cite("A.8", "1")' in block  # the changed lid, renumbered
    resit = (kb / "uu-gnk-ba-2026" / "resit.dl").read_text(encoding="utf-8")
    invited = resit[resit.index("@id(resit_invited)") :][:200]
    assert '@cite("A.8", "8")' in invited and "TE HERZIEN" not in invited  # lid 7 is lid 8 now, text unchanged
    assert "## Carried over into uu-gnk-ba-2026" in r.out
    assert "| art. A.8 lid 2 → art. A.8 lid 3 | renumbered and changed |" in r.out
    assert "| art. A.8 lid 7 → art. A.8 lid 8 | resit_invited |" in r.out
