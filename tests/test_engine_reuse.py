"""Issue 15, item 2: the pyDatalog engine keeps each plan's program loaded and reuses it case after case.

- A reused program gives exactly the model of a fresh one (every relation, every rule instance), for every
  document and its example cases, in the orders A, B, A and shuffled, with the documents interleaved (so the
  worker switches between programs and drops the least recently used), in the worker and in this process.
- Nothing of one case reaches the next: a fact, a derived fact, an aggregate's rows. The leak check fails when
  the reused program does not retract the case's facts (checked by switching the retraction off).
- The worker obeys the hardening rules: a time limit kills it and names the relation being computed, the next
  evaluation starts a fresh one; an error in a case keeps it; it ends with its parent (killed or not).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import wait_until

from oerlog.backends import pydatalog
from oerlog.backends.pydatalog import LoadedProgram, worker
from oerlog.errors import EvaluationError, EvaluationTimeout
from oerlog.evaluation.judge import select_document
from oerlog.kb.cases import Case, load_case
from oerlog.kb.loader import Document, KnowledgeBase
from oerlog.lang.parser import parse_program
from oerlog.semantics.model import Model, Row
from oerlog.semantics.plan import Plan, build_plan

ROOT = Path(__file__).parent.parent
KB = ROOT / "kb"
DOCS = sorted({p.parent.parent.name for p in KB.glob("*/cases/*.yaml")})

CHAIN = "@id(b) reach(X, Y) :- edge(X, Y).\n@id(s) reach(X, Y) :- reach(X, Z), edge(Z, Y).\n"
LEAK = (
    "@id(p) p(X) :- q(X).\n"
    "@id(r) r(X) :- p(X), not s(X).\n"
    "@id(n) n(S, N) :- reg(S), N = count : { q(X) }.\n"
    "@id(m) high(S, M) :- reg(S), M = max G : { g(S, G) }.\n"
)


def _same(a: Model, b: Model) -> bool:
    return a.relations == b.relations and a.instances == b.instances


def _diff(a: Model, b: Model) -> str:
    preds = sorted(p for p in set(a.relations) | set(b.relations) if a.tuples(p) != b.tuples(p))
    rules = sorted(i for i in set(a.instances) | set(b.instances) if a.instances.get(i) != b.instances.get(i))
    return f"relations that differ: {preds[:10]}; rule instances that differ: {rules[:10]}"


@pytest.fixture(scope="module")
def cases(bundled_kb: KnowledgeBase) -> dict[str, list[tuple[str, Document, Case]]]:
    """Every document's example cases (kb/<doc>/cases/*.yaml), each with the document that judges it."""
    out: dict[str, list[tuple[str, Document, Case]]] = {}
    for path in sorted(KB.glob("*/cases/*.yaml")):
        case = load_case(path, bundled_kb.vocabulary)
        doc, _, _ = select_document(bundled_kb, case)
        assert doc.id == path.parent.parent.name
        out.setdefault(doc.id, []).append((path.name, doc, case))
    return out


@pytest.fixture(scope="module")
def fresh(cases: dict[str, list[tuple[str, Document, Case]]]) -> dict[tuple[str, str], Model]:
    """The model of every example case (by document and file name), each from a program loaded afresh (in this
    process)."""
    return {
        (doc.id, name): pydatalog.evaluate(doc.plan(), case.facts, isolate=False, reuse=False)
        for doc_cases in cases.values()
        for name, doc, case in doc_cases
    }


def _orders(n: int, seed: int) -> Iterator[list[int]]:
    """A, B, A (each case, then the first again) and a shuffled order with repeats."""
    yield [*range(n), 0]
    rnd = random.Random(seed)
    yield rnd.sample(range(n), n) + rnd.sample(range(n), n)


@pytest.mark.parametrize("doc_id", DOCS)
def test_a_reused_program_gives_the_fresh_model_in_any_order(
    doc_id: str, cases: dict[str, list[tuple[str, Document, Case]]], fresh: dict[tuple[str, str], Model]
) -> None:
    doc_cases = cases[doc_id]
    assert len(doc_cases) >= 2, "a document needs two example cases to test reuse"
    for order in _orders(len(doc_cases), seed=len(doc_id)):
        for i in order:
            name, doc, case = doc_cases[i]
            model = pydatalog.evaluate(doc.plan(), case.facts)  # this thread's worker
            want = fresh[doc.id, name]
            assert _same(model, want), f"{name} after {order}: {_diff(model, want)}"


def test_documents_interleaved_in_one_worker_and_in_this_process(
    cases: dict[str, list[tuple[str, Document, Case]]], fresh: dict[tuple[str, str], Model]
) -> None:
    """All example cases of all documents, shuffled: the worker holds several programs and drops some (more
    documents than it keeps); a plan built again (equal, not the same object) finds its program."""
    every = [c for doc_cases in cases.values() for c in doc_cases]
    order = random.Random(15).sample(every, len(every))
    for isolate in (True, False):
        for i, (name, doc, case) in enumerate(order):
            plan = doc.plan() if i % 2 else build_plan(doc.program)
            model = pydatalog.evaluate(plan, case.facts, isolate=isolate)
            want = fresh[doc.id, name]
            assert _same(model, want), f"{doc.id}/{name} (isolate={isolate}): {_diff(model, want)}"


# --- nothing of one case reaches the next ------------------------------------------------------------------


def _leak_plan() -> Plan:
    return build_plan(parse_program(LEAK, "leak.dl"))


CASE_A: dict[str, set[Row]] = {
    "q": {("1",), ("2",)},
    "s": {("2",)},
    "reg": {("anna",)},
    "g": {("anna", Decimal("7.5")), ("anna", Decimal("9"))},
}
CASE_B: dict[str, set[Row]] = {"q": {("3",)}, "reg": {("anna",), ("bram",)}, "g": {("bram", Decimal("6"))}}


@pytest.mark.parametrize("isolate", [True, False], ids=["worker", "in-process"])
def test_no_fact_of_one_case_reaches_the_next(isolate: bool) -> None:
    plan = _leak_plan()
    a1 = pydatalog.evaluate(plan, CASE_A, isolate=isolate)
    b = pydatalog.evaluate(plan, CASE_B, isolate=isolate)
    a2 = pydatalog.evaluate(plan, CASE_A, isolate=isolate)
    assert b.tuples("p") == {("3",)} and b.tuples("r") == {("3",)}
    assert b.tuples("n") == {("anna", 1), ("bram", 1)}
    assert b.tuples("high") == {("bram", Decimal("6"))}
    assert a1.tuples("r") == {("1",)} and a1.tuples("n") == {("anna", 2)}
    assert a1.tuples("high") == {("anna", Decimal("9"))}
    assert _same(a1, a2) and _same(b, pydatalog.evaluate(plan, CASE_B, isolate=False, reuse=False))


def test_the_leak_check_fails_when_facts_are_not_retracted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above has teeth: with the retraction switched off, case B sees case A's facts."""
    program = LoadedProgram(_leak_plan())
    program.solve(CASE_A, None)
    monkeypatch.setattr(program, "_asserted", [])  # forget what to retract
    relations, _ = program.solve(CASE_B, None)
    assert ("1",) in relations["p"]  # leaked from A


def test_a_string_constant_stays_a_string() -> None:
    """Facts go to pyDatalog as constants as they are: the text "True" is not read as the boolean."""
    plan = build_plan(parse_program('@id(p) p(X) :- q(X).\n@id(t) t(X) :- q(X), X = "True".', "t.dl"))
    model = pydatalog.evaluate(plan, {"q": {("True",), ("??",)}})
    assert model.tuples("p") == {("True",), ("??",)} and model.tuples("t") == {("True",)}


# --- plans as keys --------------------------------------------------------------------------------------


def test_a_plan_built_again_finds_its_program_and_a_differently_written_value_does_not() -> None:
    src = "param lo : decimal = 4.0.\n@id(inv) inv(S, L) :- g(S, G), G >= $lo, L = $lo."
    program = parse_program(src, "t.dl")
    cache: worker.PlanCache[str] = worker.PlanCache(size=2)
    first = build_plan(program)
    cache.put(first, "first")
    assert cache.get(first) == "first"
    assert cache.get(build_plan(program)) == "first"  # equal, not the same object
    assert cache.get(build_plan(program, {"lo": Decimal("4.00")})) is None  # equal value, written otherwise
    cache.put(build_plan(program, {"lo": Decimal("4.5")}), "second")
    assert cache.put(build_plan(program, {"lo": Decimal("5")}), "third") == ["first"]  # least recently used
    facts = {"g": {("a", Decimal("4.2"))}}
    assert pydatalog.evaluate(build_plan(program, {"lo": Decimal("4.00")}), facts).tuples("inv") == {
        ("a", Decimal("4.00"))
    }
    assert pydatalog.evaluate(build_plan(program), facts).tuples("inv") == {("a", Decimal("4.0"))}


# --- the worker process ---------------------------------------------------------------------------------


def _run(src: str, facts: dict[str, set[Row]], **kw: object) -> Model:
    return pydatalog.evaluate(build_plan(parse_program(src, "t.dl")), facts, **kw)  # type: ignore[arg-type]


def _worker_pid() -> int:
    shared = worker.shared_worker()
    assert shared is not None and shared.proc is not None and shared.proc.pid is not None
    return shared.proc.pid


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_the_worker_is_kept_between_cases() -> None:
    _run(CHAIN, {"edge": {(1, 2)}})
    pid = _worker_pid()
    model = _run(CHAIN, {"edge": {(1, 2), (2, 3)}})
    assert model.tuples("reach") == {(1, 2), (2, 3), (1, 3)}
    assert _worker_pid() == pid


def test_a_time_limit_in_a_reused_worker_names_the_relation_and_the_next_case_works() -> None:
    small = {"edge": {(1, 2), (2, 3)}}
    _run(CHAIN, small)  # the program is loaded: the slow case below reuses it
    pid = _worker_pid()
    with pytest.raises(EvaluationTimeout) as err:
        # loaded already, the base rule is quick; the closure of 3,000 edges is not (see test_engine)
        _run(CHAIN, {"edge": {(i, i + 1) for i in range(3000)}}, timeout=2.0)
    assert "while computing reach (rule s)" in err.value.message
    assert wait_until(lambda: not _alive(pid), 3), "the worker outlived its time limit"
    assert _run(CHAIN, small).tuples("reach") == {(1, 2), (2, 3), (1, 3)}
    assert _worker_pid() != pid


def test_an_error_in_a_case_keeps_the_worker_and_drops_only_that_program() -> None:
    _run(CHAIN, {"edge": {(1, 2)}})
    pid = _worker_pid()
    with pytest.raises(EvaluationError, match="cannot compare"):
        _run("@id(r) p(S) :- g(S, G), G > 4.0.", {"g": {("a", "x")}})
    assert _run("@id(r) p(S) :- g(S, G), G > 4.0.", {"g": {("a", Decimal(5))}}).tuples("p") == {("a",)}
    assert _run(CHAIN, {"edge": {(1, 2)}}).tuples("reach") == {(1, 2)}
    assert _worker_pid() == pid


def test_each_thread_has_its_own_worker() -> None:
    _run(CHAIN, {"edge": {(1, 2)}})
    reach: set[Row] = set()
    pids: list[int] = []

    def other() -> None:
        reach.update(_run(CHAIN, {"edge": {(5, 6)}}).tuples("reach"))
        pids.append(_worker_pid())

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(30)
    assert reach == {(5, 6)} and pids and pids[0] != _worker_pid()
    assert wait_until(lambda: not _alive(pids[0]), 3), "a thread's worker outlived its thread"


PARENT = """
import sys, time
from oerlog.backends import pydatalog
from oerlog.backends.pydatalog import worker
from oerlog.lang.parser import parse_program
from oerlog.semantics.plan import build_plan
plan = build_plan(parse_program({src!r}, "t.dl"))
pydatalog.evaluate(plan, {{"edge": {{(1, 2)}}}})
pydatalog.evaluate(plan, {{"edge": {{(2, 3)}}}})
print(worker.shared_worker().proc.pid, flush=True)
if sys.argv[1] == "wait":
    time.sleep(60)
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "exit"])
def test_no_worker_outlives_its_parent(how: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    mode = "exit" if how == "exit" else "wait"
    proc = subprocess.Popen(
        [sys.executable, "-c", PARENT.format(src=CHAIN), mode], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    pid = int(proc.stdout.readline())
    assert _alive(pid)
    if how != "exit":
        proc.send_signal(getattr(signal, how))
    proc.wait(20)
    assert wait_until(lambda: not _alive(pid), 3), f"worker {pid} outlived its parent ({how})"
