"""Comparable conclusions (issue 16): where documents decide the same question, they derive one shared concept of
the vocabulary, so that ``oerlog check`` can compare them. Which documents derive which shared concept, and that the
same case gives comparable answers (the same kind of exam-room breach, late admission, result term) under each."""

from __future__ import annotations

from pathlib import Path

import pytest

from oerlog.evaluation.judge import judge
from oerlog.kb.cases import load_case
from oerlog.kb.loader import KnowledgeBase
from oerlog.semantics.model import Status

# shared concept -> the documents that derive it (the per-document names they had before issue 16 in comments)
SHARED = {
    "late_admission_granted": {"rug-tg-ra-2018", "vumc-gnk-ma-rr-2018"},  # vumc late_entry_admitted
    "late_admission_refused": {
        "rug-tg-ra-2018",
        "vumc-gnk-ma-rr-2018",
    },  # rug-tg access_refused, vumc late_entry_refused
    "exam_order_breach": {"rug-tg-ra-2018", "vumc-gnk-ma-rr-2018"},  # good_order_breach, order_breach
    "fraud_sanction_exceeds_maximum": {"rug-ma-oer-2019", "uu-geo-ma-oer-2019"},  # uu-geo fraud_sanction_excessive
    "result_timely": {"rug-ma-oer-2019", "rug-tg-ra-2018"},  # rug-tg result_announced_timely
    "result_late": {"rug-ma-oer-2019", "rug-tg-ra-2018", "uu-geo-ma-oer-2019"},  # assessment_term_exceeded ...
    "exam_passed": {"rug-tg-ra-2018", "vumc-gnk-ma-rr-2018", "uu-geo-ma-oer-2019"},  # uu-geo exam_conditions_met
    "postponement_granted": {"rug-ma-oer-2019", "rug-tg-ra-2018", "uu-geo-ma-oer-2019"},  # rug-ma exam_postponed
    "test_facilities_granted": {"rug-ma-oer-2019", "uu-geo-ma-oer-2019"},  # uu-geo test_facility_granted
    "degree_awarded": {"rug-ma-oer-2019", "uu-geo-ma-oer-2019"},  # rug-ma degree_conferred
    "certificate_date": {"rug-tg-ra-2018", "vumc-gnk-ma-rr-2018"},  # rug-tg diploma_date
    "exemption_request_late": {"rug-tg-ra-2018", "vumc-gnk-ma-rr-2018"},
    "exemption_granted": {"rug-ma-oer-2019", "rug-tg-ra-2018", "vumc-gnk-ma-rr-2018"},
    "appeal_late": {"rug-ma-oer-2019", "uu-geo-ma-oer-2019"},
    "test_invalidated": {"rug-ma-oer-2019", "rug-tg-ra-2018"},
    "cum_laude_conditions_met": {"rug-ma-oer-2019", "uu-geo-ma-oer-2019", "vumc-gnk-ma-rr-2018"},
    "admission_request_considered": {"rug-ma-oer-2019", "uu-geo-ma-oer-2019"},
    "extra_time": {"rug-tg-ra-2018", "vumc-gnk-ma-rr-2018"},
    "identified": {"rug-tg-ra-2018", "vumc-gnk-ma-rr-2018"},
}
RETIRED = [
    "access_refused",
    "late_entry_admitted",
    "late_entry_refused",
    "good_order_breach",
    "order_breach",
    "fraud_sanction_excessive",
    "result_announced_timely",
    "result_announced_late",
    "result_overdue",
    "assessment_term_exceeded",
    "exam_conditions_met",
    "exam_postponed",
    "test_facility_granted",
    "degree_conferred",
    "diploma_date",
]


def _deriving(kb: KnowledgeBase, pred: str) -> set[str]:
    return {d for d, doc in kb.documents.items() if any(r.head.pred == pred for r in doc.program.rules)}


def test_each_shared_concept_is_derived_by_the_documents_that_decide_it(bundled_kb: KnowledgeBase) -> None:
    for concept, docs in SHARED.items():
        assert concept in bundled_kb.vocabulary.concepts, concept
        assert bundled_kb.vocabulary.concepts[concept].doc, concept
        assert _deriving(bundled_kb, concept) == docs, concept
    for old in RETIRED:
        assert _deriving(bundled_kb, old) == set(), f"{old} is still derived: the shared concept replaces it"
    concepts = bundled_kb.vocabulary.concepts
    for a, b in [
        ("late_admission_granted", "late_admission_refused"),
        ("result_timely", "result_late"),
        ("exemption_request_timely", "exemption_request_late"),
        ("appeal_timely", "appeal_late"),
    ]:
        assert b in concepts[a].exclusive_with and a in concepts[b].exclusive_with


EXAM_ROOM = """
reference_date: 2019-01-20
facts:
  test:
    - {test: t1, course: c1, sitting: regular, date: 2019-01-15}
  test_session:
    - {test: t1, duration_minutes: 180}
  exam_event:
    - {student: s1, test: t1, event: toilet_visit, minutes: 45}
    - {student: s2, test: t1, event: toilet_visit, minutes: 75}
    - {student: s3, test: t1, event: arrived, minutes: 20}
    - {student: s4, test: t1, event: arrived, minutes: 40}
"""


def _statuses(
    kb: KnowledgeBase, tmp_path: Path, text: str, doc: str, atoms: list[tuple[str, tuple[str, ...]]]
) -> list[str]:
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    model = judge(kb, load_case(path, kb.vocabulary), doc).model
    return [str(model.status(pred, args)) for pred, args in atoms]


@pytest.mark.parametrize(
    "doc, expected",
    [
        # RUG protocol: no toilet in the first hour; a late student in principle not admitted, the examiner decides
        ("rug-tg-ra-2018", ["holds", "does_not_hold", "undetermined", "undetermined", "undetermined", "undetermined"]),
        # VUmc reglement van orde: no toilet before an hour and a half; admitted up to 30 minutes after the start
        ("vumc-gnk-ma-rr-2018", ["holds", "holds", "holds", "does_not_hold", "does_not_hold", "holds"]),
    ],
)
def test_one_exam_room_case_gives_comparable_answers(
    bundled_kb: KnowledgeBase, tmp_path: Path, doc: str, expected: list[str]
) -> None:
    atoms = [
        ("exam_order_breach", ("s1", "t1", "toilet_too_early")),
        ("exam_order_breach", ("s2", "t1", "toilet_too_early")),
        ("late_admission_granted", ("s3", "t1")),
        ("late_admission_refused", ("s3", "t1")),
        ("late_admission_granted", ("s4", "t1")),
        ("late_admission_refused", ("s4", "t1")),
    ]
    assert _statuses(bundled_kb, tmp_path, EXAM_ROOM, doc, atoms) == expected


ORAL = """
reference_date: 2019-11-20
facts:
  test:
    - {test: o1, course: c1, sitting: regular, date: 2019-11-04}
  test_form:
    - {test: o1, form: oral}
  test_result:
    - {student: s1, test: o1, grade: 7.0}
  result_announcement:
    - {student: s1, test: o1, date: 2019-11-05}
"""


def test_an_oral_result_the_next_day_is_late_under_the_oer_and_timely_under_its_ra(
    bundled_kb: KnowledgeBase, tmp_path: Path
) -> None:
    atoms = [("result_timely", ("s1", "o1")), ("result_late", ("s1", "o1"))]
    # model OER art. 4.9 lid 1: 'terstond' (read as the same day); R&A art. 7 lid 11: within 24 hours
    assert _statuses(bundled_kb, tmp_path, ORAL, "rug-ma-oer-2019", atoms) == [Status.NOT, Status.HOLDS]
    assert _statuses(bundled_kb, tmp_path, ORAL, "rug-tg-ra-2018", atoms) == [Status.HOLDS, Status.NOT]
