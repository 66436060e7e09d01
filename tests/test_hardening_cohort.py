"""Hardening of the cohort commands (issue 12): ``batch``, ``whatif`` and ``generate`` write whole files or none,
refuse outputs that would overwrite or pollute their inputs, refuse ids a spreadsheet or a terminal would obey,
honour goal constants, require the relations the goals read, exactly one reference date, one row per key, and
never end in an internal error on a mutated export (a property-based test).

The base cohort (tests/fixtures/hardening/cohort/base) is ``oerlog generate --students 6 --doc uu-gnk-ba-2025
--seed 3``; each test works on a copy.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oerlog.cli.main import main
from oerlog.cohort.database import Cohort
from oerlog.cohort.generate import generate
from oerlog.kb.loader import KnowledgeBase

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@pytest.fixture
def cli(cli_en):  # type: ignore[no-untyped-def]
    """These tests read the English error texts: the commands that have --lang run with --lang en."""
    return cli_en


HERE = Path(__file__).parent
BUNDLED = HERE.parent / "kb"
BASE = HERE / "fixtures" / "hardening" / "cohort" / "base"
DOC = "uu-gnk-ba-2025"
LOCATED = re.compile(r"\.(csv|parquet):\d+")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of the base cohort."""
    folder = tmp_path / "cohort"
    shutil.copytree(BASE, folder)
    return folder


def batch(cli, folder: Path, *args: str, goal: str = "resit_excluded"):  # type: ignore[no-untyped-def]
    return cli("--kb", str(BUNDLED), "batch", "--doc", DOC, "--data", str(folder), "--goal", goal, *args)


def append(path: Path, *rows: str) -> list[int]:
    """Append lines; their line numbers."""
    n = len(path.read_text(encoding="utf-8").splitlines())
    with path.open("a", encoding="utf-8", newline="") as fh:
        for r in rows:
            fh.write(r + "\n")
    return [n + 1 + i for i in range(len(rows))]


def first_row(path: Path) -> list[str]:
    return next(r for i, r in enumerate(csv.reader(path.open(encoding="utf-8"))) if i == 1)


# --- item 4: whole files or none --------------------------------------------------------------------------------


def parts(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part") or p.name.startswith("tmp_"))


def test_generate_interrupted_leaves_the_old_folder(bundled_kb: KnowledgeBase, tmp_path: Path) -> None:
    out = tmp_path / "cohort"
    generate(bundled_kb, out, 5, seed=1, doc_ids=[DOC])
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def stop(i: int, n: int, what: str) -> None:
        if i >= 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate(bundled_kb, out, 50, seed=2, doc_ids=[DOC], progress=stop, force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort"]  # no temporary folder left


def test_generate_refuses_a_non_empty_folder_and_force_replaces_it(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "cohort"
    gen = ("--kb", str(BUNDLED), "generate", "--students", "3", "--doc", DOC, "-o", str(out), "--no-progress")
    assert cli(*gen).code == 0
    (out / "withdrawal.parquet").write_bytes(b"old")  # a table of an earlier run in another format
    r = cli(*gen)
    # generate has no --lang: its errors are in Dutch
    assert r.code == 2 and f"{out}: fout: de uitvoermap {out} is niet leeg" in r.err and "--force" in r.err
    assert (out / "withdrawal.parquet").read_bytes() == b"old"
    r = cli(*gen, "--force")
    assert r.code == 0, r.err
    assert not (out / "withdrawal.parquet").exists() and (out / "test_result.csv").is_file()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    r = cli(*gen, "--force")
    assert r.code == 2 and "notes.txt" in r.err and (out / "notes.txt").is_file()  # --force deletes only tables


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory, bundled_kb: KnowledgeBase) -> Path:
    """A cohort whose batch run writes for a while (about a second here)."""
    folder = tmp_path_factory.mktemp("large") / "cohort"
    generate(bundled_kb, folder, 30000, seed=5, doc_ids=[DOC])
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_killed_batch_leaves_no_partial_output(large: Path, tmp_path: Path, sig: signal.Signals) -> None:
    """Kill `oerlog batch` while it writes its output: the previous file stays (or a complete new one, when the
    signal came after the rename), no temporary file remains, and the run says it was interrupted."""
    out = tmp_path / "out.csv"
    out.write_text("previous\n", encoding="utf-8")
    goals = ["--goal", "resit_excluded", "--goal", "resit_invited", "--goal", "may_take_test"]
    cmd = [sys.executable, "-m", "oerlog", "--kb", str(BUNDLED), "batch", "--doc", DOC, "--data", str(large), *goals,
           "-o", str(out)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not parts(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert parts(tmp_path), "the run ended before writing its output"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (128 + sig, 0), err  # 0: the signal came after the file was complete
    content = out.read_text(encoding="utf-8")
    if proc.returncode:
        assert content == "previous\n" and "interrupted" in err and "internal error" not in err, err
    else:
        assert content.startswith("conclusion,arg1,arg2,rule,articles,status\n")
    assert parts(tmp_path) == []


# --- item 6: outputs that are inputs, stale companions, missing folders ------------------------------------------


def test_output_that_is_an_input_or_in_the_data_folder_is_refused(data: Path, cli) -> None:  # type: ignore[no-untyped-def]
    before = (data / "test_result.csv").read_bytes()
    r = batch(cli, data, "-o", str(data / "x" / ".." / "test_result.csv"))
    assert r.code == 2 and "is an input of this run" in r.err and "test_result.csv" in r.err
    assert (data / "test_result.csv").read_bytes() == before
    r = batch(cli, data, "-o", str(data / "results.csv"))
    assert r.code == 2 and "would read it as the input relation 'results'" in r.err
    assert not (data / "results.csv").exists()
    r = cli("--kb", str(BUNDLED), "whatif", "--doc", DOC, "--data", str(data), "--set", "resit_min_grade=4.5",
            "--goal", "resit_excluded", "--format", "csv", "-o", str(data / "memo.csv"))  # fmt: skip
    assert r.code == 2 and "memo.csv" in r.err and not (data / "memo.csv").exists()


def test_a_clean_run_removes_the_stale_rejects_file(data: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "res" / "out.csv"  # a folder that does not exist yet
    (line,) = append(data / "enrolment.csv", "s9,gnk-ba,2025,two")
    r = batch(cli, data, "--on-error", "reject", "-o", str(out))
    assert r.code == 0, r.err
    rejects = out.with_suffix(".rejects.csv")
    assert f"{data / 'enrolment.csv'},{line},enrolment,study_year,two," in rejects.read_text(encoding="utf-8")
    lines = (data / "enrolment.csv").read_text(encoding="utf-8").splitlines()
    (data / "enrolment.csv").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    r = batch(cli, data, "--on-error", "reject", "-o", str(out))
    assert r.code == 0 and not rejects.exists()
    assert f"removed {rejects}: the rejects of an earlier run" in r.err


def test_an_output_folder_that_cannot_be_created_is_located(data: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    r = batch(cli, data, "-o", str(tmp_path / "afile" / "out.csv"))
    assert r.code == 2 and "cannot create the output folder" in r.err and "internal error" not in r.err


# --- items 8, 15: reference date, missing relations ------------------------------------------------------------


def test_two_reference_dates_are_refused_naming_both_lines(data: Path, cli) -> None:  # type: ignore[no-untyped-def]
    ref = data / "reference_date.csv"
    (line,) = append(ref, "2026-03-01")
    r = batch(cli, data)
    assert r.code == 2, r.err
    assert f"{ref}:{line - 1}: error: reference_date.date: {ref}:{line} has date 2026-03-01" in r.err
    assert "reference_date has at most one row" in r.err and "'2026-02-02'" in r.err
    r = batch(cli, data, "--on-error", "reject")  # both rows rejected: no reference date left
    assert r.code == 2 and "no reference date is left" in r.err
    r = batch(cli, data, "--reference-date", "2026-02-02")  # the option overrides the file, and says so
    assert r.code == 0 and f"--reference-date 2026-02-02 overrides {ref} (not read)" in r.err
    ref.write_text("date\n", encoding="utf-8")
    r = batch(cli, data)
    assert r.code == 2 and f"{ref}:1: error: reference_date: {ref} has no row" in r.err


def test_missing_relations_and_an_empty_folder_are_refused(data: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (data / "test_taken.csv").unlink()
    (data / "reference_date.csv").unlink()
    r = batch(cli, data)
    assert r.code == 2 and "no input for reference_date, test_taken: the goals depend on them" in r.err
    assert str(data / "test_taken.csv") in r.err and "--reference-date" in r.err
    assert "test_taken.csv with the header student,test" in r.err
    (data / "test_taken.csv").write_text("student,test\n", encoding="utf-8")  # header only: an empty relation
    r = batch(cli, data, "--reference-date", "2026-02-02")
    assert r.code == 0, r.err
    note = next(
        line for line in r.err.splitlines() if line.startswith("note: not read (the goals do not depend on them): ")
    )
    assert {"study_adviser_approval", "test_registration"} <= set(note.split(": ", 1)[1].split(", ")), note
    empty = tmp_path / "empty"
    empty.mkdir()
    r = batch(cli, empty)
    assert r.code == 2 and "holds no <relation>.csv / .parquet file at all" in r.err


# --- item 9: relations data may not state ----------------------------------------------------------------------


def test_engine_and_derived_relations_are_refused_as_files(data: Path, cli) -> None:  # type: ignore[no-untyped-def]
    scope = data / "document_scope.csv"
    scope.write_text("document,programme,academic_year\nuu-gnk-ba-2025,other,2025\n", encoding="utf-8")
    r = batch(cli, data)
    assert r.code == 2 and f"{scope}: error: document_scope cannot be stated by data" in r.err
    scope.unlink()
    (data / "resit_excluded.csv").write_text("student,course\ns1,c1\n", encoding="utf-8")
    r = batch(cli, data)
    assert r.code == 2 and "resit_excluded is a conclusion the rules derive" in r.err


# --- item 13: goal constants --------------------------------------------------------------------------------------


def test_goal_constants_select_exactly_their_rows(data: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    every, one = tmp_path / "all.csv", tmp_path / "one.csv"
    assert batch(cli, data, "-o", str(every)).code == 0
    rows = list(csv.DictReader(every.open(encoding="utf-8")))
    student = rows[0]["student"]
    r = batch(cli, data, "-o", str(one), "--format", "json", goal=f'resit_excluded("{student}", C)')
    assert r.code == 0, r.err
    mine = list(csv.DictReader(one.open(encoding="utf-8")))
    assert mine == [x for x in rows if x["student"] == student] and len(mine) < len(rows)
    assert f'"facts": {len({x["course"] for x in mine if x["status"] == "holds"})}' in r.out
    # a repeated variable constrains too: no student is a course
    r = batch(cli, data, "--format", "json", goal="resit_excluded(X, X)")
    assert r.code == 0 and '"facts": 0' in r.out
    # a constant is read by its field's type: the date text is a date
    r = batch(cli, data, "--format", "json", goal='registration_deadline(C, "2025-10-20")')
    assert r.code == 0, r.err
    r = batch(cli, data, goal='registration_deadline(C, "soon")')
    assert r.code == 2 and "<goal>:1:26: error: argument 2 of registration_deadline (d)" in r.err, r.err
    assert "not a date" in r.err and "soon" in r.err and "example: registration_deadline(C, 2025-09-01)" in r.err
    r = cli("--kb", str(BUNDLED), "whatif", "--doc", DOC, "--data", str(data), "--set", "resit_min_grade=9",
            "--goal", f'resit_excluded("{student}", C)', "--format", "csv")  # fmt: skip
    assert r.code == 0, r.err
    assert {line.split(",")[2] for line in r.out.splitlines()[1:]} == {student}


# --- items 3, 11: ids a spreadsheet or a terminal would obey -----------------------------------------------------


@pytest.mark.parametrize(
    "bad, reason",
    [
        ("=1+1", "cannot start with = + - @"),
        ("@SUM(A1)", "cannot start with = + - @"),
        (" s0000001", "cannot start or end with a space"),
        ("s0000001\u00a0", "cannot start or end with a space"),
        ("s\x1b[31m1", "control or invisible character"),
        ("s\u202e1", "control or invisible character"),
        ("s\u200b1", "control or invisible character"),
    ],
)
def test_bad_ids_are_bad_rows(data: Path, tmp_path: Path, cli, bad: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    path = data / "test_result.csv"
    (line,) = append(path, f'"{bad}",c1blo2_2025_r1,5.5')
    r = batch(cli, data)
    assert r.code == 2 and f"{path}:{line}: error: test_result.student: an identifier " in r.err, r.err
    assert reason in r.err and f"bad value: {bad!r}" in r.err and "\x1b" not in r.err and "\u202e" not in r.err
    out = tmp_path / "out.csv"
    r = batch(cli, data, "--on-error", "reject", "-o", str(out))
    assert r.code == 0, r.err
    (row,) = list(csv.DictReader(out.with_suffix(".rejects.csv").open(encoding="utf-8")))
    assert row["line"] == str(line) and row["field"] == "student"
    assert row["value"][:1] not in "=+-@" and not any(c in row["value"] for c in "\x1b\u202e\u200b")


# --- item 14: one row per key -------------------------------------------------------------------------------------


def test_duplicates_are_noted_and_conflicting_rows_are_bad(data: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = data / "test_result.csv"
    student, test, grade = first_row(path)
    lines = append(path, f"{student},{test},{grade}")
    r = batch(cli, data)
    assert r.code == 0, r.err
    assert "test_result: 1 identical duplicate row(s), counted once" in r.err and f"{path} lines 2, {lines[0]}" in r.err
    other = "9.9" if grade != "9.9" else "1.0"
    (line,) = append(path, f"{student},{test},{other}")
    r = batch(cli, data)
    assert r.code == 2, r.err
    assert f"{path}:2: error: test_result.grade: {path}:{line} has the same student {student}, test {test} with " \
           f"grade {other}: test_result has one row per student, test" in r.err  # fmt: skip
    assert f"bad value: '{grade}'" in r.err
    out = tmp_path / "out.csv"
    r = batch(cli, data, "--on-error", "reject", "-o", str(out))
    assert r.code == 0 and "3 bad row(s) rejected" in r.err  # every row of the key, the duplicate too
    rejected = {x["line"] for x in csv.DictReader(out.with_suffix(".rejects.csv").open(encoding="utf-8"))}
    assert rejected == {"2", str(lines[0]), str(line)}


def test_rejecting_a_conflict_keeps_the_other_rows(bundled_kb: KnowledgeBase, data: Path) -> None:
    path = data / "test_result.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))[1:]
    student, test, grade = rows[0]
    append(path, ",".join(rows[1]), f"{student},{test},{'9.9' if grade != '9.9' else '1.0'}")  # a duplicate, a conflict
    c = Cohort(bundled_kb, data, on_error="reject")
    try:
        c.load(["test_result"])
        kept = c.con.execute("SELECT student, test FROM input.test_result").fetchall()
    finally:
        c.close()
    assert (student, test) not in kept  # both rows of the conflicting key are out
    assert kept.count(tuple(rows[1][:2])) == 2 and len(kept) == len(rows) + 1 - 1  # the duplicate is not


# --- item 17: Parquet input -----------------------------------------------------------------------------------


def test_parquet_input_has_no_spurious_notes(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pq"
    assert cli("--kb", str(BUNDLED), "generate", "--students", "5", "--doc", DOC, "--format", "parquet",
               "-o", str(out), "--no-progress").code == 0  # fmt: skip
    r = batch(cli, out)
    assert r.code == 0, r.err
    assert "file_row_number" not in r.err and "ignored" not in r.err


# --- found by the property test below ------------------------------------------------------------------------


def test_a_stray_carriage_return_is_located(data: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = data / "test_taken.csv"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2][:5] + b"\r\n" + lines[2][5:]  # DuckDB names no line for this one
    path.write_bytes(b"\n".join(lines))
    r = batch(cli, data)
    assert r.code == 2 and f"{path}:3: error: test_taken: {path} cannot be read as a table: a carriage return" in r.err
    path.write_bytes(b"stu\rdent,test\ns1,t1\n")  # in the header: Python's csv module refused it (exit 3)
    r = batch(cli, data)
    assert r.code == 2 and f"{path}:1: error: {path}: the header line cannot be read" in r.err, r.err


# --- property: mutated exports never end in an internal error -----------------------------------------------------

PAYLOADS = [
    "=1+1", " s1", "s1 ", "\x1b[31m", "\u202e", "\u200b", "2025-02-30", "1e1", "5,45", "-0", "", '"', '""', ",", ";",
    "\r", "\n", "\r\n", "\t", "\x00", "\ufeff", "\u00a0", "NaN", "10.00001", "9" * 30, "0000-01-01", "s0000001",
]  # fmt: skip
ODD_BYTES = [b"\xff", b"\xfe\xff", b"\xc3", b"\x80", b"\xef\xbb\xbf", b"\x00"]
FILES = sorted(p.name for p in BASE.glob("*.csv"))


@st.composite
def mutations(draw: st.DrawFn) -> list[tuple[str, str, int, bytes]]:
    out = []
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(FILES))
        kind = draw(st.sampled_from(["delete", "insert", "replace", "drop_line", "dup_line", "odd", "field"]))
        pos = draw(st.integers(0, 10_000))
        text = draw(st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=4)))
        payload = draw(st.sampled_from(ODD_BYTES)) if kind == "odd" else text.encode("utf-8")
        out.append((name, kind, pos, payload))
    return out


def mutate(data: bytes, kind: str, pos: int, payload: bytes) -> bytes:
    lines = data.split(b"\n")
    i = pos % max(1, len(data))
    if kind == "delete":
        return data[:i] + data[i + 1 + pos % 3 :]
    if kind in ("insert", "odd"):
        return data[:i] + payload + data[i:]
    if kind == "replace":
        return data[:i] + payload + data[i + 1 :]
    n = pos % max(1, len(lines))
    if kind == "drop_line":
        return b"\n".join(lines[:n] + lines[n + 1 :])
    if kind == "dup_line":
        return b"\n".join(lines[: n + 1] + lines[n:])
    # field: replace one value of a data line with the payload, quoted as a CSV writer would
    if len(lines) < 2:
        return data
    n = 1 + pos % max(1, len(lines) - 1)
    cells = lines[n].split(b",")
    cells[pos % len(cells)] = b'"' + payload.replace(b'"', b'""') + b'"'
    lines[n] = b",".join(cells)
    return b"\n".join(lines)


def _mutated_export_is_answered_or_refused(
    tmp_path_factory: pytest.TempPathFactory, muts: list[tuple[str, str, int, bytes]], reject: bool
) -> None:
    """A mutated export ends in results (exit 0/1) or a located refusal (exit 2): never a traceback, never a
    partial output file."""
    folder = tmp_path_factory.mktemp("mut") / "cohort"
    shutil.copytree(BASE, folder)
    for name, kind, pos, payload in muts:
        path = folder / name
        path.write_bytes(mutate(path.read_bytes(), kind, pos, payload))
    out, err = io.StringIO(), io.StringIO()
    argv = ["--kb", str(BUNDLED), "batch", "--doc", DOC, "--data", str(folder), "--goal", "resit_excluded",
            "--goal", "resit_invited", "-o", str(folder.parent / "out.csv"),
            "--on-error", "reject" if reject else "stop"]  # fmt: skip
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    text = err.getvalue()
    assert code in (0, 1, 2), f"exit {code} for {muts}:\n{text}"
    assert "Traceback" not in text and "internal error" not in text, f"{muts}:\n{text}"
    if code == 2:
        assert LOCATED.search(text.split("error:", 1)[0]), f"exit 2 without file:line for {muts}:\n{text}"
    assert not [p for p in folder.parent.iterdir() if p.name.endswith(".part")]
    if os.environ.get("OERLOG_SHOW_MUTATIONS"):
        print(muts, code, text.splitlines()[:1])


_MUTATION_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


@settings(max_examples=20, **_MUTATION_SETTINGS)  # type: ignore[arg-type]
@given(muts=mutations(), reject=st.booleans())
def test_mutated_exports_never_end_in_an_internal_error(
    tmp_path_factory: pytest.TempPathFactory, muts: list[tuple[str, str, int, bytes]], reject: bool
) -> None:
    _mutated_export_is_answered_or_refused(tmp_path_factory, muts, reject)


@pytest.mark.slow
@settings(max_examples=150, **_MUTATION_SETTINGS)  # type: ignore[arg-type]
@given(muts=mutations(), reject=st.booleans())
def test_many_mutated_exports_never_end_in_an_internal_error(
    tmp_path_factory: pytest.TempPathFactory, muts: list[tuple[str, str, int, bytes]], reject: bool
) -> None:
    _mutated_export_is_answered_or_refused(tmp_path_factory, muts, reject)
