"""Cohort inputs: the cheap validation path accepts exactly what the full checks accept, CSV files are read from
their header (delimiter, BOM, CRLF) without sniffing, and files that cannot be split into rows stop the run with
the line DuckDB names."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import duckdb
import pytest

from oerlog.cohort.batch import batch
from oerlog.cohort.generate import generate
from oerlog.cohort.inputs import csv_header
from oerlog.cohort.validate import fast_check as _fast
from oerlog.cohort.validate import field_checks as _checks
from oerlog.cohort.validate import typed_value as _typed
from oerlog.errors import Location, ValidationError
from oerlog.kb.loader import load_kb
from oerlog.kb.vocabulary import Field, Relation, convert

BUNDLED = Path(__file__).parent.parent / "kb"
DOC = "uu-gnk-ba-2025"

TRICKY = [
    "", " ", "\u00a0", "\u3000x", "\tx", "x", " x", "x ", "s0001", "a b",
    "1", "10", "11", "0", "0.9999", "1.0", "1.00000", "1.0001", "5.45", "5,45", " 5.45", "5.45 ", "5.45678",
    "5,45678", "10.0000", "10.00001", "10.0001", "9.9999", "+5", "-5", "-0", ".5", "5.", "1e1", "1E1", "1_0", "0x10",
    "٣", "5.4.5", "5,4,5", "00000000000005.5", "12345678901234", "1234567890123", "1234567890123.4567",
    "2025", "2025.0", "2025.5", " 2025", "+2025", "-2025", "1_000", "123456789012345678", "1234567890123456789",
    "2025-09-01", " 2025-09-01", "2025-9-1", "2025-02-29", "2024-02-29", "2025-02-30", "20250901", "2025/09/01",
    "12345-01-01", "0000-01-01", "0001-01-01", "9999-12-31", "2025-09-01T00:00", "2025-09-01 ",
    "true", "false", "TRUE", "False", "yes", "regular", "resit", "Regular",
]  # fmt: skip


# the characters of the id / text rule (oerlog.values.id_problem, text_problem): controls, invisible and bidi
# characters, spaces at either end, formula starts
SPECIAL = [
    "\x00", "\x1b", "\x7f", "\x85", "\x9f", "\u200b", "\u200f", "\u2028", "\u202a", "\u202e", "\u2060", "\u2066",
    "\u2069", "\ufeff", "\u00a0", "\u1680", "\u2000", "\u200a", "\u202f", "\u205f", "\u3000", " ", "\t", "\r", "\n",
    "=", "+", "-", "@",
]  # fmt: skip
ID_TRICKY = [
    "=1+1", "+31612345678", "-5", "@SUM(A1)", "\ts1", "\rs1", "s1\n", "s\x1b[31m1", "a\u202eb", "a\u2066b", "s\u200b1",
    "\ufeffs1", "s1\u00a0", "\u2000s1", "a b", "s-1", "s=1", "s@x", "é", "s\u00e91", "x\u2029", "\u00a0", "_x", ".x",
]  # fmt: skip


def _random_ids(n: int, seed: int) -> list[str]:
    """Short texts of ordinary characters mixed with those of the id rule."""
    rng = random.Random(seed)
    alphabet = ["a", "Z", "1", "_", ".", "é", "ß"] + SPECIAL
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5))) for _ in range(n)]


def _random_values(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = "0123456789.,+- e_x\u00a0-:/T"
    out = []
    for _ in range(n):
        k = rng.randint(0, 14)
        out.append("".join(rng.choice(alphabet) for _ in range(k)))
        # well-formed values with random digits, where the two paths must agree on the typed value too
        out.append(f"{rng.randint(0, 12)}.{rng.randint(0, 99999):0{rng.randint(1, 5)}d}")
        out.append(f"{rng.randint(1, 2999):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}")
    return out


@pytest.mark.parametrize("ftype", ["id", "string", "grade", "decimal", "ec", "integer", "date", "boolean", "enum"])
def test_fast_path_accepts_only_what_the_full_checks_accept(ftype: str) -> None:
    """Where the cheap test holds, the full checks find nothing wrong and both give the same typed value; so
    'fast test, else full checks' decides every value exactly as the full checks alone."""
    values = TRICKY + ID_TRICKY + _random_values(3000, seed=len(ftype)) + _random_ids(3000, seed=len(ftype))
    enum_values = ["regular", "resit"]
    con = duckdb.connect()
    con.execute("CREATE TABLE vals (v VARCHAR)")
    con.executemany("INSERT INTO vals VALUES (?)", [(v,) for v in values] + [(None,)])
    ok, value = _fast("v", ftype, enum_values)
    full_bad = " OR ".join(f"({c})" for c, _ in _checks("v", ftype, enum_values))
    rows = con.execute(
        f"SELECT v, coalesce({ok}, false), coalesce({full_bad}, true), "
        f"CASE WHEN coalesce({ok}, false) THEN {value} END, {_typed('v', ftype)} FROM vals"
    ).fetchall()
    fast_hits = 0
    for v, fast_ok, bad, fast_value, typed in rows:
        if fast_ok:
            fast_hits += 1
            assert not bad, f"{ftype}: the fast path accepts {v!r}, the full checks reject it"
            assert fast_value == typed, f"{ftype}: {v!r} typed {fast_value!r} by the fast path, {typed!r} in full"
    assert fast_hits > 0  # the fast path is taken for clean values


def test_fast_path_is_taken_for_clean_exports_and_misses_the_odd_ones() -> None:
    con = duckdb.connect()
    for ftype, clean, odd in [
        ("grade", ["5.45", "10", "1.0", "7"], ["5,45", " 5.45", "10.0000000"]),
        ("integer", ["2025", "1"], [" 2025", "2025.0"]),
        ("date", ["2025-09-01"], [" 2025-09-01"]),
        ("id", ["s0001"], [" s1"]),
    ]:
        ok, _ = _fast("v", ftype, [])
        for v in clean:
            assert con.execute(f"SELECT {ok} FROM (SELECT ? AS v)", [v]).fetchone() == (True,), (ftype, v)
        for v in odd:
            assert con.execute(f"SELECT coalesce({ok}, false) FROM (SELECT ? AS v)", [v]).fetchone() == (False,)


SQL_LIMITS = ("more than 4 decimals (the SQL back end keeps 4)", "too large")  # documented in the README


@pytest.mark.parametrize("ftype", ["id", "string", "grade", "decimal", "ec", "integer", "date", "boolean", "enum"])
def test_the_sql_back_end_reads_values_as_case_files_do(ftype: str) -> None:
    """A value is accepted by the cohort loader (fast test, else full checks) exactly when a case file accepts
    it (vocabulary.convert), with the same value, but for the SQL back end's documented limits (4 decimals, 13
    integer digits of a decimal, 18 digits of an integer). Whitespace is stripped as Python's str.strip() does."""
    values = TRICKY + ["\t5.45", "5.45\n", "\t", "\u2003", "2025-09-01\t", "\x1cx", "x\x85"]
    values += ID_TRICKY + _random_values(2000, seed=7 + len(ftype)) + _random_ids(3000, seed=7 + len(ftype))
    enum_values = ("regular", "resit")
    fld = Field("v", ftype, values=enum_values if ftype == "enum" else ())
    rel = Relation("r", (fld,))
    con = duckdb.connect()
    con.execute("CREATE TABLE vals (v VARCHAR)")
    con.executemany("INSERT INTO vals VALUES (?)", [(v,) for v in values])
    ok, fast_value = _fast("v", ftype, enum_values)
    checks = _checks("v", ftype, enum_values)
    reason = "CASE " + " ".join(f"WHEN {c} THEN '{r}'" for c, r in checks) + " END"
    rows = con.execute(
        f"SELECT v, CASE WHEN coalesce({ok}, false) THEN NULL ELSE {reason} END, "
        f"CASE WHEN coalesce({ok}, false) THEN {fast_value} ELSE {_typed('v', ftype)} END FROM vals"
    ).fetchall()
    for v, sql_reason, sql_value in rows:
        try:
            py_value = convert(v, None, fld, rel, Location("t"))
        except ValidationError:
            py_value = None
        if py_value is None:
            assert sql_reason is not None, f"{ftype}: {v!r} is refused in a case file but read by the cohort loader"
        elif sql_reason is not None:
            assert sql_reason in SQL_LIMITS, f"{ftype}: {v!r} is read from a case file, refused in SQL: {sql_reason}"
        else:
            assert py_value == sql_value, f"{ftype}: {v!r} is {py_value!r} in a case file, {sql_value!r} in SQL"


# --- reading CSV files -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kb():  # type: ignore[no-untyped-def]
    return load_kb(BUNDLED)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory, kb) -> Path:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("inputs") / "cohort"
    generate(kb, folder, 60, seed=4, doc_ids=[DOC])
    return folder


def _facts(kb, folder: Path) -> dict[str, int]:  # type: ignore[no-untyped-def]
    res = batch(kb, DOC, folder, ["resit_excluded", "resit_invited"])
    return {c["conclusion"]: c["facts"] for c in res.counts}


def _rewrite(src: Path, dst: Path, delimiter: str, bom: bool, newline: str) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.glob("*.csv"):
        rows = list(csv.reader(f.open(encoding="utf-8", newline="")))
        with (dst / f.name).open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
            csv.writer(fh, delimiter=delimiter, lineterminator=newline).writerows(rows)


def test_semicolons_bom_and_crlf_read_like_plain_csv(kb, cohort: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An Excel-style export (semicolons, a byte-order mark, CRLF line ends) gives the same conclusions."""
    excel = tmp_path / "excel"
    _rewrite(cohort, excel, ";", True, "\r\n")
    assert csv_header(str(excel / "test_result.csv")) == (["student", "test", "grade"], ";")
    plain = _facts(kb, cohort)
    assert plain["resit_excluded"] > 0 and _facts(kb, excel) == plain


def test_header_problems_are_located_errors(tmp_path: Path) -> None:
    f = tmp_path / "test_result.csv"
    f.write_text("student,test,student\ns1,t1,s1\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="appears twice") as err:
        csv_header(str(f))
    assert err.value.location is not None and err.value.location.line == 1
    f.write_text("", encoding="utf-8")
    with pytest.raises(ValidationError, match="no header line"):
        csv_header(str(f))
    f.write_bytes("student,test,grade\nJos\xe9,t1,5\n".encode("latin-1"))
    assert csv_header(str(f))[0] == ["student", "test", "grade"]  # the header itself is plain ASCII
    f.write_bytes(b"\xef\xbb\xbfstudent\ttest\tgrade\r\n")
    assert csv_header(str(f)) == (["student", "test", "grade"], "\t")
    f.write_bytes("student,t\xe9st,grade\n".encode("latin-1"))
    with pytest.raises(ValidationError, match="not UTF-8"):
        csv_header(str(f))


@pytest.mark.parametrize("on_error", ["stop", "reject"])
def test_a_line_that_cannot_be_split_stops_the_run_at_its_line(
    cohort: Path, tmp_path: Path, cli, on_error: str
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "c"
    _rewrite(cohort, folder, ",", False, "\n")
    path = folder / "test_result.csv"
    n = len(path.read_text(encoding="utf-8").splitlines())
    with path.open("a", encoding="utf-8") as fh:
        fh.write("s0000001,c1blo2_2025_r1\n")
    r = cli("--kb", str(BUNDLED), "batch", "--doc", DOC, "--data", str(folder), "--goal", "resit_excluded",
            "--on-error", on_error, "-o", str(tmp_path / "out.csv"))  # fmt: skip
    assert r.code == 2, r.err
    assert f"test_result.csv:{n + 1}" in r.err and "Expected Number of Columns: 3 Found: 2" in r.err
    assert "s0000001,c1blo2_2025_r1" in r.err and "Traceback" not in r.err


def test_a_file_that_is_not_utf8_stops_the_run_located(cohort: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "c"
    _rewrite(cohort, folder, ",", False, "\n")
    with (folder / "enrolment.csv").open("ab") as fh:
        fh.write("s9,gnk-ba,2025,1,Jos\xe9\n".encode("latin-1"))
    r = cli("--kb", str(BUNDLED), "batch", "--doc", DOC, "--data", str(folder), "--goal", "resit_excluded")
    assert r.code == 2 and "enrolment.csv" in r.err and "Traceback" not in r.err, r.err


def test_explain_reads_the_students_rows_and_leaves_out_their_bad_ones(cohort: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "c"
    _rewrite(cohort, folder, ",", False, "\n")
    blocks = {r["course"] for r in csv.DictReader((folder / "course.csv").open()) if r["kind"] == "block"}
    tests = [
        r
        for r in csv.DictReader((folder / "test.csv").open())
        if r["sitting"] == "regular" and r["course"] in blocks and r["date"].startswith("2025-1")
    ]
    ok, bad = tests[0]["test"], tests[1]["test"]
    with (folder / "test_result.csv").open("a", encoding="utf-8") as fh:
        fh.write(f'zz-student,{ok},1.5\nzz-student,{bad},"0,5"\n')
    r = cli("--kb", str(BUNDLED), "batch", "--doc", DOC, "--data", str(folder), "--goal", "resit_excluded",
            "--explain", "zz-student", "--lang", "en")  # fmt: skip
    assert r.code == 0, r.err
    out = " ".join(r.out.split())  # the lines as read, not as wrapped
    assert f"zz-student obtained a 1.5 for test {ok}" in out and "0.5" not in out and "0,5" not in out
