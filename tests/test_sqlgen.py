"""The shape of the compiled SQL: goal tables carry rule ids, other relations are sets (views where read once,
passed on with duplicates where their one reader removes them), output order by option, and the goal-restricted
program the pyDatalog side of the benchmark runs."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from oerlog.backends.pydatalog import evaluate
from oerlog.backends.sql import RULE_COLUMN, compile_plan
from oerlog.cohort.batch import batch
from oerlog.cohort.database import Cohort
from oerlog.cohort.generate import generate
from oerlog.kb.cases import load_case
from oerlog.kb.loader import KnowledgeBase, load_kb
from oerlog.lang import ir
from oerlog.lang.parser import parse_program
from oerlog.semantics.plan import build_plan, restrict_program

BUNDLED = Path(__file__).parent.parent / "kb"
DOC = "uu-gnk-ba-2025"
GOALS = ["resit_invited", "resit_excluded", "refer_to_study_adviser"]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb(BUNDLED)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory, kb: KnowledgeBase) -> Path:
    folder = tmp_path_factory.mktemp("sqlgen") / "cohort"
    generate(kb, folder, 80, seed=11, doc_ids=[DOC])
    return folder


def _columns(c: Cohort, table: str) -> list[str]:
    return [r[0] for r in c.con.execute(f"DESCRIBE {table}").fetchall()]


def test_goals_carry_rule_ids_and_other_relations_are_sets(kb: KnowledgeBase, cohort: Path) -> None:
    c = Cohort(kb, cohort)
    try:
        prog = c.compile(kb.document(DOC), GOALS, None, "derived")
        c.run(prog)
        assert prog.goals == GOALS and prog.views
        for pred in prog.derived:
            cols = _columns(c, prog.table(pred))
            # the goals, and what may hold of them (their status: holds / undetermined), carry the rule
            goal_like = set(GOALS) | {ir.possible_name(g) for g in GOALS}
            assert (RULE_COLUMN in cols) == (pred in goal_like), pred
            if pred not in GOALS and pred not in prog.views:  # a stored set: no duplicate rows
                n, d = c.con.execute(f"SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT * FROM "
                                     f"{prog.table(pred)})) FROM {prog.table(pred)}").fetchone()  # fmt: skip
                assert n == d, pred
        kinds = dict(
            c.con.execute(
                "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'derived'"
            ).fetchall()
        )
        assert {p for p, k in kinds.items() if k == "VIEW"} == set(prog.views)
        # the goal tables: one row per fact and deriving rule
        rules = {r[-1] for r in c.rows(prog, "resit_excluded", with_rule=True)}
        assert rules <= {cr.id for cr in prog.plan.rules if cr.head.pred == "resit_excluded"} and rules
    finally:
        c.close()


def test_views_are_relations_read_once_and_bags_only_under_a_deduplicating_reader() -> None:
    program = parse_program(
        """
        @id(a1) a(X, Y) :- e(X, Y).
        @id(a2) a(X, Y) :- f(X, Y, _).
        @id(b1) b(X, Z) :- a(X, Y), g(Y, Z).
        @id(c1) c(X) :- e(X, _).
        @id(n1) n(X) :- c(X), c(X).
        @id(k1) k(X) :- e(X, _), not h(X).
        @id(h1) h(X) :- f(X, _, _).
        @id(s1) s(X) :- e(X, _).
        @id(t1) t(X) :- s(X).
        @id(q1) q(X, N) :- e(X, _), N = count : { m(X, Y) }.
        @id(m1) m(X, Y) :- e(X, Y).
        """,
        "v.dl",
    )
    types = {"e": ["str", "str"], "f": ["str", "str", "str"], "g": ["str", "str"]}
    prog = compile_plan(build_plan(program), None, ["b", "n", "k", "t", "q"], input_types=types)
    sql = {st.preds[0]: st.sql for st in prog.statements}
    assert set(prog.views) == {"a", "h", "s", "m", "_agg_0"}  # c is read twice (n1): stored
    # a: read by a join of b (a stored goal), h: by a negation of k, s: by t: their rows may repeat
    assert "UNION ALL" in sql["a"] and "DISTINCT" not in sql["a"]
    assert "DISTINCT" not in sql["h"] and "DISTINCT" not in sql["s"]
    # m is read by a view (_agg_0), _agg_0 by an aggregate: both stay sets
    assert "SELECT DISTINCT" in sql["m"] and "SELECT DISTINCT" in sql["_agg_0"]
    assert "CREATE OR REPLACE TABLE" in sql["c"] and RULE_COLUMN not in sql["c"]
    for goal in ("b", "n", "k", "t", "q"):
        assert RULE_COLUMN in sql[goal] and "CREATE OR REPLACE TABLE" in sql[goal]


def test_the_results_are_the_same_whatever_is_inlined(kb: KnowledgeBase, cohort: Path) -> None:
    """Asking for every derived relation as a goal (nothing inlined, everything stored with rule ids) and
    asking for three conclusions (most relations inlined) give the same facts for those three."""
    doc = kb.document(DOC)
    c = Cohort(kb, cohort)
    try:
        small = c.compile(doc, GOALS, None, "small")
        every = c.compile(doc, None, None, "every")
        assert small.views and not set(every.views) & set(every.goals)
        c.run(small)
        c.run(every)
        for g in GOALS:
            assert set(c.rows(small, g)) == set(c.rows(every, g)) and c.rows(small, g), g
    finally:
        c.close()


def test_csv_output_is_sorted_and_parquet_on_request(kb: KnowledgeBase, cohort: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    batch(kb, DOC, cohort, GOALS, out)
    rows = [tuple(r) for r in csv.reader(out.open())][1:]
    key = [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
    assert len(rows) > 20 and key == sorted(key)
    pq = tmp_path / "r.parquet"
    batch(kb, DOC, cohort, GOALS, pq, sort=True)
    got = duckdb.connect().execute(f"SELECT * FROM read_parquet('{pq}')").fetchall()
    as_text = [tuple("" if v is None else str(v) for v in r) for r in got]
    assert as_text == [tuple(r) for r in rows]  # the same rows, in the same order
    unsorted = tmp_path / "u.parquet"
    batch(kb, DOC, cohort, GOALS, unsorted)
    again = duckdb.connect().execute(f"SELECT * FROM read_parquet('{unsorted}')").fetchall()
    assert sorted(again, key=str) == sorted(got, key=str)


def test_restricted_program_derives_the_same_goal_facts(kb: KnowledgeBase) -> None:
    doc = kb.document(DOC)
    case = load_case(BUNDLED / DOC / "cases" / "anna-excluded-low-grade.yaml", kb.vocabulary)
    sub = restrict_program(doc.program, ["resit_excluded"])
    assert 0 < len(sub.rules) < len(doc.program.rules)
    assert all(r.head.pred != "resit_invited" for r in sub.rules)
    full = evaluate(doc.plan(), case.facts)
    part = evaluate(build_plan(sub), case.facts)
    assert part.tuples("resit_excluded") == full.tuples("resit_excluded") and full.tuples("resit_excluded")


def test_a_second_run_into_the_same_schema_replaces_tables_by_views(kb: KnowledgeBase, cohort: Path) -> None:
    doc = kb.document(DOC)
    c = Cohort(kb, cohort)
    try:
        every = c.compile(doc, None, None, "x")
        c.run(every)
        first = set(c.rows(every, "resit_excluded"))
        small = c.compile(doc, ["resit_excluded"], None, "x")
        assert set(small.views) & set(every.derived)  # stored the first time, a view now
        c.run(small)
        assert set(c.rows(small, "resit_excluded")) == first and first
    finally:
        c.close()


def test_whatif_recomputes_only_what_depends_on_the_change(kb: KnowledgeBase, cohort: Path) -> None:
    """A relation whose statement does not change with the override, and reads only relations that do not
    change either, is read from the baseline run; everything downstream of a change is evaluated again, and the
    result equals two independent runs."""
    from decimal import Decimal

    from oerlog.cohort.whatif import whatif

    doc = kb.document(DOC)
    res = whatif(kb, DOC, cohort, {"resit_min_grade": Decimal("4.5")}, ["resit_excluded", "refer_to_study_adviser"])
    # the exclusion's grounds read the threshold; the referral and the acceptance of overmacht read the grounds
    assert {"resit_excluded", "refer_to_study_adviser"} <= set(res.recomputed())
    assert not {"registered", "year12_course", "registration_deadline"} & set(res.recomputed())
    assert "registered" in res.shared and set(res.shared) | set(res.recomputed()) | set(res.internal) == set(
        res.relations
    )
    up = whatif(kb, DOC, cohort, {"registration_lead_days": 3}, ["resit_excluded"])
    assert {"registration_deadline", "registered", "resit_excluded"} <= set(up.recomputed())
    assert "year12_course" in up.shared
    c = Cohort(kb, cohort)
    try:
        runs = []
        for schema, ov in (("b", None), ("a", {"registration_lead_days": 3})):
            prog = c.compile(doc, ["resit_excluded"], ov, schema)
            c.run(prog)
            runs.append(set(c.rows(prog, "resit_excluded")))
    finally:
        c.close()
    gained = {ch.args for ch in up.changes if ch.direction == "gained"}
    lost = {ch.args for ch in up.changes if ch.direction == "lost"}
    assert gained == runs[1] - runs[0] and lost == runs[0] - runs[1] and gained | lost


def test_a_relation_waiting_for_an_unfilled_choice_keeps_its_column_types() -> None:
    """``cut`` needs the unfilled ``$years`` (its head holds a value computed from it), so no rule fills it; its empty
    table must still have a DATE column for ``h`` to compare with (it was VARCHAR: DuckDB refused the comparison),
    and a count compared with a value bound before it must compare (``N = 1`` then the count)."""
    program = parse_program(
        """
        param years : integer = unfilled.
        @id(cut) cut(S, D) :- r(S, R), D = add_months(R, 0 - 12 * $years).
        @id(h) h(S) :- cut(S, D), s(S, E), D >= E.
        @id(one) one(S) :- r(S, _), N = 1, N = count : { r(S, _R) }.
        """,
        "w.dl",
    )
    types = {"r": ["str", "date"], "s": ["str", "date"]}
    prog = compile_plan(build_plan(program), None, ["h", "one"], input_types=types)
    con = duckdb.connect()
    con.execute('CREATE SCHEMA "input"')
    con.execute('CREATE TABLE "input"."r" (a1 VARCHAR, a2 DATE)')
    con.execute('CREATE TABLE "input"."s" (a1 VARCHAR, a2 DATE)')
    rows = "('x', DATE '2020-01-01'), ('y', DATE '2020-01-01'), ('y', DATE '2021-01-01')"
    con.execute(f'INSERT INTO "input"."r" VALUES {rows}')
    con.execute("INSERT INTO \"input\".\"s\" VALUES ('x', DATE '2019-01-01')")
    con.execute(f'CREATE SCHEMA "{prog.schema}"')
    for st in prog.statements:
        for q in st.sqls:
            con.execute(q)
    assert con.execute(f'SELECT count(*) FROM "{prog.schema}"."h"').fetchone() == (0,)
    assert con.execute(f'SELECT DISTINCT s FROM "{prog.schema}"."one"').fetchall() == [("x",)]
