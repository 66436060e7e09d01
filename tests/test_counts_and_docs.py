"""Counts that agree and docs for case writers (issue 17): ``docs``, ``docs --stats`` and ``lint`` count the rules,
exceptions and facts of the files one way (compiled rules labelled apart); ``batch`` says from how many of the tables
it read its input rows, which with the tables not read adds up to what ``generate`` wrote; ``docs --vocabulary``
lists every enum field's values and example values; ``docs DOC`` names the programme codes a case's enrolment
uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import BUNDLED

from oerlog.analysis.describe import lint_summary, rule_counts
from oerlog.cohort.generate import generate
from oerlog.kb.loader import KnowledgeBase
from oerlog.values import counted

ROOT = BUNDLED.parent


def test_docs_stats_and_lint_count_the_same_rules(cli, bundled_kb: KnowledgeBase) -> None:  # type: ignore[no-untyped-def]
    docs = {d["id"]: d for d in json.loads(cli("docs", "--format", "json", cwd=ROOT).out)["documents"]}
    stats = {
        d["document"]: d for d in json.loads(cli("docs", "--stats", "--format", "json", cwd=ROOT).out)["documents"]
    }
    assert set(docs) == set(stats) == set(bundled_kb.documents)
    for doc_id, d in docs.items():
        s = stats[doc_id]
        assert (d["rules"], d["exceptions"], d["facts"]) == (s["rules"], s["exceptions"], s["facts"]), doc_id
        # every statement of the files is one of the three
        assert d["rules"] + d["exceptions"] + d["facts"] == len(bundled_kb.document(doc_id).program.rules)
        assert s["compiled_rules"] >= d["rules"] + d["exceptions"]  # options, exceptions and aggregates expanded
    geo = rule_counts(bundled_kb.document("uu-geo-ma-oer-2019"))
    text = cli("docs", "--stats", cwd=ROOT).out
    assert f"{geo['rules']:>6}{geo['exceptions']:>5}{geo['facts']:>6}" in text
    assert "as written in the .dl files" in text and "compiled: the rules the engine runs" in text
    listing = cli("docs", cwd=ROOT).out
    assert f"{geo['rules']} rules, {geo['exceptions']} exceptions, {geo['facts']:>3} facts" in listing
    total = {k: sum(rule_counts(d)[k] for d in bundled_kb.documents.values()) for k in geo}
    summary = lint_summary(bundled_kb, [])  # the line `oerlog lint` ends with (tests/test_bundled.py runs it)
    assert summary == (
        f"5 documents ({total['rules']:,} rules, {total['exceptions']} exceptions, {total['facts']} facts): no findings"
    )


def test_dutch_and_english_counts() -> None:
    assert counted(1, "resultaat", "resultaten") == "1 resultaat"
    assert counted(0, "resultaat", "resultaten") == "0 resultaten"
    assert counted(304555, "invoerrij", "invoerrijen") == "304.555 invoerrijen"
    assert counted(304555, "input row", "input rows", "en") == "304,555 input rows"


def test_batch_reads_what_generate_wrote_for_the_tables_it_needs(
    cli, bundled_kb: KnowledgeBase, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "cohort"
    written = generate(bundled_kb, folder, 50, seed=4, doc_ids=["uu-gnk-ba-2025"])
    r = cli("batch", "--doc", "uu-gnk-ba-2025", "--data", str(folder), "--goal", "resit_excluded", "--format", "json",
            cwd=ROOT)  # fmt: skip
    data = json.loads(r.out)
    read, unread = data["input_rows"], data["not_read"]
    assert read == {t: written[t] for t in read} and set(read) | set(unread) == set(written)
    assert sum(read.values()) + sum(written[t] for t in unread) == sum(written.values())
    text = cli("batch", "--doc", "uu-gnk-ba-2025", "--data", str(folder), "--goal", "resit_excluded", cwd=ROOT).out
    assert text.startswith(
        f"uu-gnk-ba-2025: {counted(sum(read.values()), 'invoerrij', 'invoerrijen')} gelezen uit {len(read)} van de "
        f"{len(written)} tabellen; "
    )
    assert "niet gelezen, want de doelen hangen er niet van af: " + ", ".join(sorted(unread)) in text


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_vocabulary_lists_enum_values_and_examples(cli, fmt: str) -> None:  # type: ignore[no-untyped-def]
    out = cli("docs", "--vocabulary", "--format", fmt, cwd=ROOT).out
    if fmt == "text":
        assert "      - kind (enum: one of block, line, plo, tutorial, intro, theory, link, ivtg, other): " in out
        # example values from the bundled case files, as written there
        assert "      - grade (grade): unrounded grade as recorded, e.g. 5.45; examples: " in out
        assert "      - test (id): test code naming this one sitting; examples: " in out
        return
    rel = json.loads(out)["relations"]["test"]
    sitting = next(f for f in rel["fields"] if f["name"] == "sitting")
    assert sitting["values"] == ["regular", "resit", "extra_resit"] and sitting["examples"][0] == "regular"


def test_docs_of_a_document_name_its_programme_codes(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("docs", "uu-gnk-ba-2025", cwd=ROOT).out
    assert "Programmes: gnk-ba\n" in out
    assert "  enrolment: [{student: s1, programme: gnk-ba, academic_year: 2025, study_year: 1}]" in out
    data = json.loads(cli("docs", "vumc-gnk-ma-rr-2018", "--format", "json", cwd=ROOT).out)
    assert data["programmes"] and all(isinstance(p, str) for p in data["programmes"])
