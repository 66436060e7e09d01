"""The what-if memo (issue 17): it summarises instead of listing every changed row: counts per conclusion gained and
lost, the rules and articles behind each change, a few example students with their one-line reason (from the
pyDatalog proof in the run where the conclusion holds), the full list left to CSV / JSON; in Dutch and English.
Goldens on a small seeded cohort of each of two documents, reviewed as a policy analyst reads them."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import BUNDLED, golden

from oerlog.cohort.generate import generate
from oerlog.cohort.whatif import WhatIfResult, whatif, whatif_csv, whatif_dict, whatif_markdown
from oerlog.kb.loader import KnowledgeBase, load_kb

GNK, GEO = "uu-gnk-ba-2025", "uu-geo-ma-oer-2019"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb(BUNDLED)


@pytest.fixture(scope="module")
def gnk(kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> WhatIfResult:
    folder = tmp_path_factory.mktemp("gnk") / "cohort"
    generate(kb, folder, 120, seed=3, doc_ids=[GNK])
    return whatif(kb, GNK, folder, {"resit_min_grade": Decimal("4.5")}, ["resit_excluded", "resit_invited"])


@pytest.fixture(scope="module")
def geo(kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, WhatIfResult]:
    folder = tmp_path_factory.mktemp("geo") / "cohort"
    generate(kb, folder, 150, seed=3, doc_ids=[GEO])
    res = whatif(kb, GEO, folder, {"pass_grade": Decimal("6.0")}, ["final_grade", "passed", "resit_allowed"], lang="en")
    return folder, res


def test_memo_golden_uu_gnk_nl(gnk: WhatIfResult) -> None:
    golden("whatif_uu-gnk-ba-2025_nl.md", whatif_markdown(gnk))


def test_memo_golden_uu_geo_en(geo: tuple[Path, WhatIfResult]) -> None:
    golden("whatif_uu-geo-ma-oer-2019_en.md", whatif_markdown(geo[1]))


def test_the_memo_summarises_and_the_csv_lists_every_change(gnk: WhatIfResult) -> None:
    memo = whatif_markdown(gnk)
    assert len(gnk.changes) > 40  # more changes than the memo shows
    shown = [line for line in memo.splitlines() if line.startswith("- **")]
    # at most three examples per conclusion and direction (excluded: gained, undetermined; invited: lost)
    assert len(shown) == 9 and len(memo.splitlines()) < 60
    rows = list(csv.DictReader(io.StringIO(whatif_csv(gnk))))
    assert len(rows) == len(gnk.changes)
    assert {(r["conclusion"], r["change"], r["arg1"], r["arg2"]) for r in rows} == {
        (c.conclusion, c.direction, str(c.args[0]), str(c.args[1])) for c in gnk.changes
    }
    counts = {c["conclusion"]: c for c in gnk.counts}
    gained = sum(ch.direction == "gained" for ch in gnk.changes if ch.conclusion == "resit_excluded")
    assert counts["resit_excluded"]["gained"] == gained
    # the summary row states it with Dutch digit grouping, and the rule behind it with its article
    assert f"| `resit_excluded` | {counts['resit_excluded']['before']} |" in memo
    assert "| `resit_excluded` | erbij | `resit_excluded_low_grade` | A.8 lid 2 |" in memo


def test_each_example_reason_is_the_proof_in_the_run_where_it_holds(gnk: WhatIfResult) -> None:
    by_kind = {(e.change.conclusion, e.change.direction): e for e in gnk.examples}
    excluded = by_kind["resit_excluded", "gained"]
    # gained: proved after the change, with the overridden bound in the rule's sentence
    assert excluded.rule == "resit_excluded_low_grade"
    assert excluded.reason.startswith("na de wijziging: ") and "lager dan 4,5" in excluded.reason
    assert excluded.reason.endswith("(art. A.8 lid 2)")
    invited = by_kind["resit_invited", "lost"]
    # lost: proved before the change, under the regulation's own bound
    assert invited.reason.startswith("vóór de wijziging: ") and "tenminste 4,0" in invited.reason
    assert all(e.reason for e in gnk.examples)


def test_the_json_has_the_full_list_typed_by_kind(geo: tuple[Path, WhatIfResult]) -> None:
    res = geo[1]
    data = whatif_dict(res)
    assert data["schema"] == "oerlog.whatif/1"
    assert data["overrides"] == [{"parameter": "pass_grade", "value": "6.0", "declared": "5.5"}]
    assert len(data["changes"]) == len(res.changes)
    grades = [ch["args"] for ch in data["changes"] if ch["conclusion"] == "final_grade"]
    # a final grade is a decimal: "5.0", "6.0", "4.3", never the number 6 and never "6.0000" from the DECIMAL column
    assert all(isinstance(a["grade"], str) and re.fullmatch(r"[0-9]+[.][0-9]", a["grade"]) for a in grades)
    assert {"5.0", "6.0"} <= {a["grade"] for a in grades}
    assert {e["language"] for e in data["examples"]} == {"en"}
    json.dumps(data)


def test_the_memo_in_english_and_without_examples(kb: KnowledgeBase, geo: tuple[Path, WhatIfResult]) -> None:
    folder, _ = geo
    res = whatif(kb, GEO, folder, {"pass_grade": Decimal("6.0")}, ["passed"], examples=0)
    memo = whatif_markdown(res, "en")
    assert memo.startswith("# What if: `pass_grade` 5.5 → 6.0\n")
    assert "## Examples" not in memo and res.examples == []
    assert "The full list (every changed conclusion, per student): `--format csv` or `--format json`" in memo
