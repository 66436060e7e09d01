"""Issue 12, processes and signals, goal typing, engine-side errors (items 4, 5, 7, 16).

- Signals: `oerlog` stopped by SIGTERM / SIGINT / SIGHUP (or by `timeout`) while its engine child computes says
  "interrupted", exits 143 / 130 / 129, and leaves no process and no partial output file; a parent killed with
  SIGKILL takes its child with it. The engine is kept busy by a fixture KB whose transitive closure over a chain of
  400 links takes pyDatalog well over ten seconds (`fixtures/hardening/process/kb-slow`).
- Goals: constants are read by their field's type (student 42 is "42"); a constant that cannot be is exit 2.
- Bad input that used to be an internal error or an unlocated engine failure: OERLOG_TIMEOUT, a 5,000-term
  expression, dates out of range, huge --param values, --case / --kb that are not what they should be.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import wait_until

from oerlog.errors import Interrupted, ValidationError, raise_on_signals, signals_held
from oerlog.evaluation.goals import parse_goal, type_goal
from oerlog.kb.loader import load_kb
from oerlog.lang.parser import MAX_EXPR_OPERATIONS, parse_atom, parse_program


@pytest.fixture
def cli(cli_en):  # type: ignore[no-untyped-def]
    """These tests read the English error texts: the commands that have --lang run with --lang en."""
    return cli_en


HERE = Path(__file__).parent
ROOT = HERE.parent
FIX = HERE / "fixtures" / "hardening" / "process"
SLOW_KB = FIX / "kb-slow"
CHAIN = SLOW_KB / "chain.yaml"
NUMERIC = FIX / "numeric-student.yaml"
ANNA = ROOT / "kb" / "uu-gnk-ba-2025" / "cases" / "anna-excluded-low-grade.yaml"
MINI = HERE / "fixtures" / "kb-mini"
MINI_CASE = MINI / "mini-doc" / "cases" / "anna.yaml"

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")


# --- processes -----------------------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, None when it no longer exists."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie (a zombie has ended; only its exit status waits to be read)."""
    st = _stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            st = _stat(int(entry.name))
            if st is not None and st[1] == pid:
                out.append(int(entry.name))
    return out


def _start(*args: str, **popen: object) -> subprocess.Popen[str]:
    env = {**os.environ, "OERLOG_TIMEOUT": "120"}
    env.pop("OERLOG_DEBUG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "oerlog", "--kb", str(SLOW_KB), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
        **popen,  # type: ignore[arg-type]
    )


def _engine_child(proc: subprocess.Popen[str]) -> int:
    """The pid of the engine's child process once it runs (the command is then evaluating)."""
    found: list[int] = []
    assert wait_until(lambda: bool(found.extend(_children(proc.pid)) or found), 20), "the engine child never started"
    time.sleep(0.3)  # well inside the evaluation, which takes more than ten seconds
    return found[0]


def _slow_query(**popen: object) -> subprocess.Popen[str]:
    return _start("query", 'reaches("s0", X)', "--case", str(CHAIN), **popen)


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)], ids=["TERM", "INT", "HUP"]
)
def test_a_signal_ends_the_run_and_its_engine_child(sig: signal.Signals, code: int) -> None:
    proc = _slow_query()
    child = _engine_child(proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == code, err
    assert f"interrupted ({sig.name})" in err
    assert "internal error" not in err and "Traceback" not in err and "error:" not in err
    assert wait_until(lambda: not _alive(child), 3), f"engine child {child} outlived its parent"


def test_ctrl_c_reaches_the_whole_process_group_without_a_traceback() -> None:
    proc = _slow_query(start_new_session=True)
    child = _engine_child(proc)
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C: parent and child get it
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "interrupted (SIGINT)" in err and "Traceback" not in err
    assert wait_until(lambda: not _alive(child), 3)


def test_a_parent_killed_with_sigkill_takes_its_child_along() -> None:
    proc = _slow_query()
    child = _engine_child(proc)
    proc.kill()
    proc.communicate(timeout=20)
    assert wait_until(lambda: not _alive(child), 2), f"engine child {child} outlived its killed parent"


def test_timeout_leaves_no_process(tmp_path: Path) -> None:
    """`timeout 2 oerlog query ...`, as in ordinary use (timeout signals the command's process group)."""
    timeout = shutil.which("timeout")
    if timeout is None:
        pytest.skip("no timeout(1)")
    case = tmp_path / "chain-for-timeout.yaml"  # a path no other process names
    shutil.copy(CHAIN, case)
    env = {**os.environ, "OERLOG_TIMEOUT": "120"}
    cmd = [timeout, "2", sys.executable, "-m", "oerlog", "--kb", str(SLOW_KB)]
    done = subprocess.run(
        [*cmd, "query", 'reaches("s0", X)', "--case", str(case)], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert done.returncode == 124  # timeout's own code: the command was stopped
    assert "interrupted (SIGTERM)" in done.stderr and "Traceback" not in done.stderr

    def left() -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(case).encode() in cmdline and _alive(int(entry.name)):
                pids.append(int(entry.name))
        return pids

    assert wait_until(lambda: not left(), 3), f"processes left: {left()}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["TERM", "KILL"])
def test_a_killed_appeal_leaves_the_old_output_and_no_part_file(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "dossier.md"
    out.write_text("the dossier of an earlier run\n")
    proc = _start("appeal", "--case", str(CHAIN), "--decision", 'reaches("s0", "s5")', "-o", str(out))
    child = _engine_child(proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=20)
    if sig == signal.SIGTERM:
        assert proc.returncode == 143 and "interrupted (SIGTERM)" in err, err
    assert wait_until(lambda: not _alive(child), 3)
    assert out.read_text() == "the dossier of an earlier run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dossier.md"]  # no .dossier.md.*.part


def test_appeal_check_graph_and_witnesses_write_through_a_temporary_file(
    cli,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every output file is complete when it appears: written beside its target, then renamed into place."""
    import oerlog.outputs
    from oerlog.analysis.consistency import Finding, Report, Stats, write_witnesses

    renamed: list[str] = []
    real_replace = os.replace

    def replace(src: str, dst: str) -> None:
        assert Path(src).name.endswith(".part") and Path(src).parent == Path(dst).parent
        if Path(dst).is_relative_to(tmp_path):  # the outputs, not the parse cache in the user's cache folder
            renamed.append(Path(dst).name)
        real_replace(src, dst)

    monkeypatch.setattr(oerlog.outputs.os, "replace", replace)
    out = tmp_path / "out"
    short = tmp_path / "short.yaml"
    short.write_text(CHAIN.read_text().split("    - {from: s3,")[0])
    decision = 'reaches("s0", "s2")'
    r = cli("--kb", str(SLOW_KB), "appeal", "--case", str(short), "--decision", decision, "-o", str(out / "d.md"))
    assert r.code == 0, r.err
    for fmt in ("graphml", "dot"):
        r = cli("--kb", str(SLOW_KB), "graph", "--format", fmt, "-o", str(out / f"rules.{fmt}"))
        assert r.code == 0, r.err
    r = cli("--kb", str(MINI), "check", "--budget", "2", "-o", str(out / "memo.txt"), "--witness-dir", str(out))
    assert r.code == 1, r.err
    finding = Finding("contradiction", "t", ["mini-doc"], "resit_invited", [], witness="facts: {}\n")
    write_witnesses(Report(["mini-doc"], [], [finding], Stats()), out / "witnesses")
    assert renamed == ["d.md", "rules.graphml", "rules.dot", "memo.txt", f"{finding.id}.yaml"]
    assert (out / "d.md").read_text().startswith("# ") and "<graphml" in (out / "rules.graphml").read_text()
    assert (out / "witnesses" / f"{finding.id}.yaml").read_text() == "facts: {}\n"
    assert not list(tmp_path.rglob("*.part"))


def test_a_signal_in_a_held_section_is_raised_when_it_ends(tmp_path: Path) -> None:
    """The section that creates a temporary output file runs to its end; the interruption comes after it, where
    the file is known and is removed (a CI run once left a `.part` file: the signal fell between the two)."""
    from oerlog.outputs import atomic_path

    ran_on = False
    with raise_on_signals() as received, pytest.raises(Interrupted):
        with signals_held():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # the handler runs here, between bytecodes, and must not raise inside the section
            ran_on = True
    assert ran_on and received == [signal.SIGTERM]
    with raise_on_signals(), pytest.raises(Interrupted), atomic_path(tmp_path / "out.csv") as tmp:
        tmp.write_text("half", encoding="utf-8")
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_output_is_refused_before_the_work(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    start = time.monotonic()
    out = not_a_folder / "dossier.md"
    r = cli("--kb", str(SLOW_KB), "appeal", "--case", str(CHAIN), "--decision", 'reaches("s0", "s2")', "-o", str(out))
    assert r.code == 2 and f"{not_a_folder}: error: cannot create the output folder" in r.err
    assert time.monotonic() - start < 5  # the chain's evaluation takes more than ten seconds


# --- goals are typed by the vocabulary (item 7) --------------------------------------------------------------------


def test_a_numeric_student_id_in_a_goal_finds_the_student(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("query", "resit_excluded(42, C)", "--case", str(NUMERIC), "--format", "json", cwd=ROOT)
    assert r.code == 0, r.err
    assert '"vorm_en_functie"' in r.out
    r = cli("why", "resit_excluded(42, C)", "--case", str(NUMERIC), "--lang", "nl", cwd=ROOT)
    assert r.code == 0, r.err  # was exit 1: "does not hold"
    assert r.out.startswith("Waarom: 42 is uitgesloten van de herkansing van Vorm en functie")
    r = cli("whynot", "resit_excluded(42, C)", "--case", str(NUMERIC), "--lang", "en", cwd=ROOT)
    assert r.code == 0 and r.out.startswith("Why: 42 is excluded from the resit of Vorm en functie"), r.out


def test_goal_constants_are_read_like_case_values(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("query", 'test_result(42, T, "3,8")', "--case", str(NUMERIC), "--format", "json", cwd=ROOT)
    assert r.code == 0 and '"vf_bloktoets"' in r.out, r.err
    # a derived predicate: the type of its date column comes from its rules
    r = cli("query", 'registration_deadline(C, "2025-11-03")', "--case", str(NUMERIC), "--format", "json", cwd=ROOT)
    assert r.code == 0 and '"circulatie"' in r.out, r.err


@pytest.mark.parametrize(
    ("goal", "column", "bad", "example"),
    [
        ('test_result(42, T, "abc")', 20, '"abc"', "test_result(42, T, 5.45)"),
        ("test_result(42, T, 11)", 20, "11", "test_result(42, T, 5.45)"),
        ('course_start(C, Y, "2025-13-01")', 20, '"2025-13-01"', "course_start(C, Y, 2025-09-01)"),
        ('registration_deadline(C, "abc")', 26, '"abc"', "registration_deadline(C, 2025-09-01)"),
        ("resit_excluded(true, C)", 16, "true", 'resit_excluded("s1001", C)'),
    ],
)
def test_a_goal_constant_of_the_wrong_type_is_refused(cli, goal: str, column: int, bad: str, example: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("query", goal, "--case", str(NUMERIC), cwd=ROOT)
    assert r.code == 2, r.err
    assert f"<goal>:1:{column}: error: argument" in r.err
    assert f"bad value: {bad!r}" in r.err
    assert f"  | {goal}\n  | {' ' * (column - 1)}^" in r.err
    assert f"example: {example}" in r.err


def test_a_date_that_does_not_exist_in_a_goal(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("query", "course_start(C, Y, 2025-13-01)", "--case", str(NUMERIC), cwd=ROOT)
    assert r.code == 2 and "<goal>:1:20: error: 2025-13-01 is not a date that exists" in r.err
    assert 'example: resit_excluded("s1", C)' in r.err


def test_appeal_types_decision_and_wanted_outcome(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(
        "appeal",
        "--case",
        str(NUMERIC),
        "--decision",
        'resit_excluded(42, "vorm_en_functie")',
        "--format",
        "json",
        cwd=ROOT,
    )
    assert r.code == 0, r.err
    assert '"holds": true' in r.out
    r = cli(
        "appeal",
        *("--case", str(NUMERIC), "--decision", 'resit_excluded(42, "vorm_en_functie")'),
        *("--want", "resit_invited(42, true)"),
        cwd=ROOT,
    )
    assert r.code == 2 and "<goal>:1:19: error: argument 2 of resit_invited (course)" in r.err


def test_saved_queries_type_their_goal(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("run", str(FIX / "numeric-student-query.yaml"), "--format", "json", cwd=ROOT)
    assert r.code == 0 and '"vorm_en_functie"' in r.out, r.err
    query = FIX / "bad-grade-query.yaml"
    r = cli("run", str(query), cwd=ROOT)
    assert r.code == 2
    assert f"{query}:2:26: error: argument 3 of test_result (grade)" in r.err  # the line of goal: in the file
    assert '  | goal: test_result(42, T, "abc")\n  |                          ^^^^^' in r.err


def test_type_goal_is_a_library_function() -> None:
    kb = load_kb(ROOT / "kb")
    doc = kb.document("uu-gnk-ba-2025")
    typed = type_goal(doc, parse_atom('test_result(42, T, "5,45")'))
    assert [str(a) for a in typed.args] == ['"42"', "T", "5.45"]
    assert str(parse_goal(doc, "resit_excluded(42, C)")) == 'resit_excluded("42", C)'
    with pytest.raises(ValidationError) as exc:
        parse_goal(doc, 'test_result(42, T, "abc")')
    assert exc.value.location is not None and exc.value.location.column == 20


# --- errors that used to be internal errors or unlocated engine failures (item 16) ------------------------------


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "-1", "0"])
def test_a_bad_oerlog_timeout(cli, monkeypatch: pytest.MonkeyPatch, value: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OERLOG_TIMEOUT", value)
    r = cli("--kb", str(MINI), "query", "resit_invited(S, C)", "--case", str(MINI_CASE))
    assert r.code == 2, r.err
    assert f"OERLOG_TIMEOUT: error: OERLOG_TIMEOUT must be a positive number of seconds, not {value!r}" in r.err
    assert f"bad value: {value!r}" in r.err and "example: OERLOG_TIMEOUT=30" in r.err


def _long_expression_kb(tmp_path: Path, terms: int) -> tuple[Path, Path]:
    kb = tmp_path / "kb"
    shutil.copytree(SLOW_KB, kb)
    rules = kb / "slow-doc" / "long.dl"
    rules.write_text(f'@id(long_sum)\n@cite("1")\nlong_sum(X, N) :- link(X, _, _), N = {" + ".join(["1"] * terms)}.\n')
    return kb, rules


def test_a_5000_term_expression_is_refused_located(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kb, rules = _long_expression_kb(tmp_path, 5000)
    r = cli("--kb", str(kb), "query", 'long_sum("s0", N)', "--case", str(SLOW_KB / "date-underflow.yaml"))
    assert r.code == 2, r.err
    assert f"{rules}:3:38: error: expression too long or too deeply nested: 4999 operations" in r.err
    assert f"at most {MAX_EXPR_OPERATIONS}" in r.err and "internal error" not in r.err
    r = cli("--kb", str(kb), "lint")
    assert r.code == 1 and f"{rules}:3:38" in r.err + r.out and "internal error" not in r.err
    goal = "reaches(" + " + ".join(["1"] * 5000) + ", X)"  # a goal takes no expressions at all
    r = cli("--kb", str(SLOW_KB), "query", goal, "--case", str(CHAIN))
    assert r.code == 2 and "<goal>:1:11: error: unexpected '+'" in r.err


def test_expressions_up_to_the_limit_run_and_are_explained(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kb, _ = _long_expression_kb(tmp_path, MAX_EXPR_OPERATIONS + 1)
    short = tmp_path / "short.yaml"
    short.write_text(CHAIN.read_text().split("    - {from: s3,")[0])
    r = cli("--kb", str(kb), "why", f'long_sum("s0", {MAX_EXPR_OPERATIONS + 1})', "--case", str(short))
    assert r.code == 0, r.err
    nested = "abs(" * MAX_EXPR_OPERATIONS + "1" + ")" * MAX_EXPR_OPERATIONS
    assert parse_program(f"p(X) :- q(X), X = {nested}.").rules
    with pytest.raises(Exception, match="101 operations"):
        parse_program(f"p(X) :- q(X), X = abs({nested}).")


@pytest.mark.parametrize(
    ("case", "rule", "line", "value"),
    [("date-underflow.yaml", "day_before", 13, "0001-01-01"), ("date-overflow.yaml", "day_after", 17, "9999-12-31")],
)
def test_date_arithmetic_out_of_range_names_the_rule(cli, case: str, rule: str, line: int, value: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("--kb", str(SLOW_KB), "query", "reaches(X, Y)", "--case", str(SLOW_KB / case))
    assert r.code == 2, r.err
    rules = SLOW_KB / "slow-doc" / "rules.dl"
    assert f"{rules}:{line}:" in r.err and f"of rule {rule} ({rules}:{line})" in r.err
    assert "out of range" in r.err and f"Start = {value}" in r.err and "engine failure" not in r.err


@pytest.mark.parametrize(
    ("param", "why"),
    [
        ("resit_min_grade=1e400", "'1e400' is not a number"),
        ("resit_min_grade=99999999999999999999999999999", "out of range"),
        ("resit_min_grade=nan", "'nan' is not a number"),
        ("resit_min_grade=inf", "'inf' is not a number"),
        ("registration_lead_days=99999999999999999999999999999", "out of range"),
        ("registration_lead_days=-999999999999", "out of range"),
        ("resit_min_grade=0.0000000000000000000001", "too many decimals"),
    ],
)
def test_param_values_are_checked_by_type_and_range(cli, param: str, why: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("query", "resit_excluded(S, C)", "--case", str(ANNA), "--param", param, cwd=ROOT)
    assert r.code == 2, r.err
    name, value = param.split("=")
    assert f"error: --param {param}: {name} is " in r.err and why in r.err
    assert f"bad value: {value!r}" in r.err and f"example: --param {name}=" in r.err


def test_a_day_count_that_overflows_a_date_names_the_rule(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(
        "query", "resit_excluded(S, C)", "--case", str(ANNA), "--param", "registration_lead_days=999999999", cwd=ROOT
    )
    assert r.code == 2, r.err
    assert "registration.dl:" in r.err and "of rule registration_deadline_" in r.err
    assert "out of range" in r.err and "engine failure" not in r.err


def test_case_and_kb_paths_that_are_not_files_or_folders(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "missing.yaml"
    r = cli("query", "resit_excluded(S, C)", "--case", str(missing), cwd=ROOT)
    assert r.code == 2 and f"{missing}: error: file not found" in r.err
    r = cli("query", "resit_excluded(S, C)", "--case", str(tmp_path), cwd=ROOT)
    assert r.code == 2 and f"{tmp_path}: error: --case names a folder, not a case file" in r.err
    assert "example: --case " in r.err
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\xd0\xff\xfe" * 20)
    r = cli("query", "resit_excluded(S, C)", "--case", str(binary), cwd=ROOT)
    assert r.code == 2 and f"{binary}:" in r.err and "Traceback" not in r.err and "internal error" not in r.err
    r = cli("--kb", str(tmp_path / "no-kb"), "query", "resit_excluded(S, C)", "--case", str(ANNA))
    assert r.code == 2 and f"{tmp_path / 'no-kb'}: error: " in r.err and "is not a knowledge base" in r.err
