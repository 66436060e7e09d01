"""`oerlog import` measured on the five bundled sources: each source text (tests/fixtures/sources/, the texts the
KB quotes) is imported and compared with the hand-made kb/<doc>/articles.yaml, provision by provision, aligned by
normalised text (oerlog.authoring.measure), with the editorial keys mapped (tests/fixtures/sources/key-map.yaml).

The share of provisions whose number and text both match must be at least 95 % per document (GOAL); the measured
shares are in docs/importing.md. Every difference is printed (pytest -s)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from oerlog.authoring.importing import read_source, structure_of
from oerlog.authoring.measure import KeyMap, label, measure
from oerlog.kb.loader import open_kb

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "tests" / "fixtures" / "sources"
DOCS = {
    "uu-gnk-ba-2025": "000_c7721552d17f1bae.txt",
    "vumc-gnk-ma-rr-2018": "001_bb9a6265157a06b5.txt",
    "rug-ma-oer-2019": "002_272978feb8b38e19.txt",
    "rug-tg-ra-2018": "003_4ef9cdaa21932ee7.txt",
    "uu-geo-ma-oer-2019": "004_c5338686a078a0e6.txt",
}
GOAL = 0.95  # exact number and text / hand-made provisions, per document


def _options(doc: str) -> tuple[KeyMap, str]:
    """The editorial key mapping of a document, and the --items option it is imported with."""
    data = yaml.safe_load((SOURCES / "key-map.yaml").read_text(encoding="utf-8"))[doc] or {}
    return KeyMap(data.get("articles") or {}, data.get("provisions") or {}), data.get("items", "lids")


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_import_matches_the_hand_made_articles(doc: str) -> None:
    kb = open_kb(ROOT / "kb")
    assert kb.metas[doc]["source"] == DOCS[doc]  # the fixture is the text the document quotes
    hand = kb.document(doc).articles
    expected = [((p.article, p.lid), p.text) for a in hand.values() for p in a.provisions()]
    keymap, items = _options(doc)
    structure = structure_of(read_source(SOURCES / DOCS[doc]), items)
    imported = [((a, lid), text) for a, lid, text, _ in structure.provisions()]
    m = measure(expected, imported, keymap)
    print(f"\n{doc}: {m.exact}/{m.total} exact ({m.share:.1%}); differences:")
    for d in m.differences:
        print(f"  {d.kind:6} {label(d.expected)} -> {label(d.got)}: {d.expected_text[:80]!r}")
    assert m.total == len(expected) and m.exact + len(m.differences) == m.total  # every difference is listed
    assert m.share >= GOAL, f"{doc}: {m.share:.1%} exact, below the goal of {GOAL:.0%}"


def test_measure_counts_numbers_and_texts() -> None:
    expected = [(("1", "1"), "Een  tekst."), (("1", "2"), "b) Twee."), (("F.3", None), "Drie.")]
    imported = [(("1", "1"), "Een tekst."), (("1", "3"), "Twee."), (("B2", "3"), "Drie.")]
    m = measure(expected, imported, KeyMap({"F.": "B2."}, {"F.3": "B2 3"}))
    assert m.exact == 2  # whitespace and the item marker "b)" are normalised; F.3 maps to B2 lid 3
    assert [(d.kind, d.expected, d.got) for d in m.differences] == [("number", ("1", "2"), ("1", "3"))]
