"""Cohort benchmark: `oerlog batch` (compiled SQL on DuckDB) against hand-written DuckDB SQL for the same rules
and data, and against the pyDatalog back end; plus the single-case `oerlog why`.

The rules: three conclusions of the bundled guide uu-gnk-ba-2025 with everything they depend on: the resit band
(resit_invited: unrounded lower bound, rounded upper bound), the exclusion from the resit (low grade, or no-show
after the last regular sitting, with the resit-only exception, for a validly registered student: timely own
registration, registration by the office, the joker with its once-a-year count and window), and the referral
to the study adviser (force majeure against an exclusion, late withdrawal, late cancellation of a placement).
The hand-written SQL below encodes the same rules directly. The benchmark checks that every contender that
finished wrote exactly the same facts (its Parquet output compared as a set with the others', both ways); the
column "same facts" says so and how many contenders were compared.

Each contender runs in its own process (wall time from reading the CSV files to writing the Parquet result, peak
RSS of that process), on cohorts generated once with `oerlog generate --doc uu-gnk-ba-2025 --seed 7`. The
contenders take turns (oerlog, hand, oerlog, hand, ...) `--repeat` times, so a busy moment of the machine hits
both alike; the table gives medians, the ratio is the ratio of the medians, and the spread (min-max) is printed
below it.

    python benchmarks/bench_cohort.py [--sizes 10000,100000,1000000] [--repeat 3] [--pydatalog-max 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

DOC = "uu-gnk-ba-2025"
GOALS = ["resit_invited", "resit_excluded", "refer_to_study_adviser"]

HAND_SQL = """
CREATE TABLE course AS SELECT * FROM read_csv('{d}/course.csv', header=true,
  columns={{'course':'VARCHAR','study_year':'BIGINT','kind':'VARCHAR'}});
CREATE TABLE course_start AS SELECT * FROM read_csv('{d}/course_start.csv', header=true,
  columns={{'course':'VARCHAR','academic_year':'BIGINT','date':'DATE'}});
CREATE TABLE test AS SELECT * FROM read_csv('{d}/test.csv', header=true,
  columns={{'test':'VARCHAR','course':'VARCHAR','sitting':'VARCHAR','date':'DATE'}});
CREATE TABLE enrolment AS SELECT * FROM read_csv('{d}/enrolment.csv', header=true,
  columns={{'student':'VARCHAR','programme':'VARCHAR','academic_year':'BIGINT','study_year':'BIGINT'}});
CREATE TABLE course_registration AS SELECT * FROM read_csv('{d}/course_registration.csv', header=true,
  columns={{'student':'VARCHAR','course':'VARCHAR','academic_year':'BIGINT','date':'DATE'}});
CREATE TABLE test_taken AS SELECT * FROM read_csv('{d}/test_taken.csv', header=true,
  columns={{'student':'VARCHAR','test':'VARCHAR'}});
CREATE TABLE test_result AS SELECT * FROM read_csv('{d}/test_result.csv', header=true,
  columns={{'student':'VARCHAR','test':'VARCHAR','grade':'DECIMAL(18,4)'}});
CREATE TABLE joker_request AS SELECT * FROM read_csv('{d}/joker_request.csv', header=true,
  columns={{'student':'VARCHAR','course':'VARCHAR','date':'DATE','action':'VARCHAR'}});
CREATE TABLE resit_only_request AS SELECT * FROM read_csv('{d}/resit_only_request.csv', header=true,
  columns={{'student':'VARCHAR','course':'VARCHAR','date':'DATE'}});
CREATE TABLE force_majeure_claim AS SELECT * FROM read_csv('{d}/force_majeure_claim.csv', header=true,
  columns={{'student':'VARCHAR','course':'VARCHAR','date':'DATE'}});
CREATE TABLE withdrawal AS SELECT * FROM read_csv('{d}/withdrawal.csv', header=true,
  columns={{'student':'VARCHAR','test':'VARCHAR','date':'DATE','channel':'VARCHAR'}});
CREATE TABLE placement AS SELECT * FROM read_csv('{d}/placement.csv', header=true,
  columns={{'student':'VARCHAR','course':'VARCHAR','academic_year':'BIGINT','date':'DATE'}});
CREATE TABLE placement_cancellation AS SELECT * FROM read_csv('{d}/placement_cancellation.csv', header=true,
  columns={{'student':'VARCHAR','course':'VARCHAR','date':'DATE'}});
CREATE TABLE study_adviser_approval AS SELECT * FROM read_csv('{d}/study_adviser_approval.csv', header=true,
  columns={{'student':'VARCHAR','course':'VARCHAR','matter':'VARCHAR','date':'DATE'}});
CREATE TABLE reference_date AS SELECT * FROM read_csv('{d}/reference_date.csv', header=true, columns={{'date':'DATE'}});

CREATE TABLE y12 AS SELECT course FROM course WHERE study_year BETWEEN 1 AND 2 AND kind <> 'ivtg';
CREATE TABLE y3 AS SELECT course FROM course WHERE study_year = 3 AND kind <> 'ivtg';
CREATE TABLE regular AS SELECT test, course, date FROM test
  WHERE sitting = 'regular' AND (CASE WHEN month(date) >= 9 THEN year(date) ELSE year(date) - 1 END) = 2025;
CREATE TABLE deadline AS
  SELECT cs.course, CASE WHEN c.study_year = 2 AND cs.date BETWEEN DATE '2025-08-25' AND DATE '2025-08-31'
    THEN DATE '2025-08-17' ELSE cs.date - 7 END AS dl
  FROM course_start cs JOIN course c USING (course) WHERE cs.academic_year = 2025;
CREATE TABLE joker_adm AS
  SELECT DISTINCT j.student, j.course, j.date FROM joker_request j
  JOIN deadline d USING (course) JOIN regular r ON r.course = j.course
  JOIN course c ON c.course = j.course
  WHERE j.date >= d.dl + 1 AND j.date <= r.date - 7 AND c.kind <> 'plo' AND c.study_year <> 3;
CREATE TABLE joker_ok AS
  SELECT a.student, a.course FROM joker_adm a
  WHERE (SELECT count(*) FROM joker_adm b WHERE b.student = a.student AND b.date <= a.date) <= 1;
CREATE TABLE basis AS
  SELECT r.student, r.course FROM course_registration r JOIN deadline d USING (course)
    WHERE r.academic_year = 2025 AND r.date <= d.dl
  UNION SELECT e.student, c.course FROM enrolment e, course c JOIN course_start cs ON cs.course = c.course
    WHERE e.academic_year = 2025 AND e.study_year = 1 AND c.study_year = 1 AND cs.academic_year = 2025
      AND cs.date BETWEEN DATE '2025-09-01' AND DATE '2025-09-07'
  UNION SELECT e.student, c.course FROM enrolment e, course c JOIN course_start cs ON cs.course = c.course
    WHERE e.academic_year = 2025 AND e.study_year = 2 AND c.study_year = 2 AND c.kind = 'tutorial'
      AND cs.academic_year = 2025
  UNION SELECT e.student, y3.course FROM enrolment e, y3 JOIN course_start cs ON cs.course = y3.course
    WHERE e.academic_year = 2025 AND e.study_year = 3 AND cs.academic_year = 2025
  UNION SELECT e.student, c.course FROM enrolment e, course c WHERE e.academic_year = 2025 AND c.kind = 'ivtg'
  UNION SELECT j.student, j.course FROM joker_ok j JOIN joker_request q USING (student, course)
    WHERE q.action = 'register';
CREATE TABLE registered AS
  SELECT b.student, b.course FROM basis b WHERE NOT EXISTS (SELECT 1 FROM joker_ok j JOIN joker_request q
    USING (student, course) WHERE q.action = 'deregister' AND j.student = b.student AND j.course = b.course);
CREATE TABLE took AS
  SELECT DISTINCT p.student, r.course FROM (SELECT student, test FROM test_taken UNION
    SELECT student, test FROM test_result) p JOIN regular r USING (test);
CREATE TABLE over AS
  SELECT r.course FROM regular r JOIN course USING (course) GROUP BY r.course
  HAVING max(r.date) < (SELECT min(date) FROM reference_date);
CREATE TABLE resit_only AS
  SELECT DISTINCT q.student, q.course FROM resit_only_request q JOIN registered USING (student, course)
  JOIN y12 USING (course) JOIN regular r ON r.course = q.course WHERE q.date < r.date;
CREATE TABLE h_resit_invited AS
  SELECT DISTINCT t.student, r.course FROM test_result t JOIN regular r USING (test) JOIN y12 USING (course)
  WHERE t.grade >= 4.0 AND round(t.grade, 1) <= 5.4;
CREATE TABLE h_resit_excluded AS
  SELECT t.student, r.course FROM test_result t JOIN regular r USING (test) JOIN y12 USING (course)
    WHERE t.grade < 4.0
  UNION SELECT t.student, r.course FROM test_result t JOIN regular r USING (test) JOIN y3 USING (course)
    WHERE t.grade < 4.0
  UNION SELECT g.student, g.course FROM registered g JOIN y12 USING (course) JOIN over USING (course)
    WHERE NOT EXISTS (SELECT 1 FROM took WHERE took.student = g.student AND took.course = g.course)
      AND NOT EXISTS (SELECT 1 FROM resit_only o WHERE o.student = g.student AND o.course = g.course)
  UNION SELECT g.student, g.course FROM registered g JOIN y3 USING (course) JOIN over USING (course)
    WHERE NOT EXISTS (SELECT 1 FROM took WHERE took.student = g.student AND took.course = g.course);
CREATE TABLE h_refer AS
  SELECT e.student, e.course, 'resit_exclusion' AS matter FROM h_resit_excluded e JOIN y12 USING (course)
    WHERE EXISTS (SELECT 1 FROM force_majeure_claim f WHERE f.student = e.student AND f.course = e.course)
       OR EXISTS (SELECT 1 FROM withdrawal w JOIN test t USING (test)
                  WHERE w.channel = 'form' AND w.student = e.student AND t.course = e.course)
  UNION SELECT w.student, t.course, 'late_withdrawal' FROM withdrawal w JOIN test t USING (test)
    WHERE w.channel NOT IN ('email_kvo', 'ivtg_form') AND w.date >= t.date
  UNION SELECT p.student, p.course, 'placement_change' FROM placement p JOIN placement_cancellation c
    USING (student, course) WHERE p.academic_year = 2025 AND c.date > p.date + 7
    AND NOT EXISTS (SELECT 1 FROM study_adviser_approval a WHERE a.student = p.student AND a.course = p.course
                    AND a.matter = 'placement_change');
COPY (SELECT 'resit_invited' AS conclusion, student, course, NULL AS matter FROM h_resit_invited
      UNION ALL SELECT 'resit_excluded', student, course, NULL FROM h_resit_excluded
      UNION ALL SELECT 'refer_to_study_adviser', student, course, matter FROM h_refer)
  TO '{out}' (FORMAT parquet);
"""


def rss_mb() -> float:
    """Peak resident memory of this process, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_oerlog(data: Path, out: Path) -> dict[str, object]:
    from oerlog.cohort.batch import batch
    from oerlog.kb.loader import load_kb

    kb = load_kb(ROOT / "kb")
    t = time.perf_counter()
    res = batch(kb, DOC, data, GOALS, out)
    secs = time.perf_counter() - t
    return {"seconds": secs, "facts": {c["conclusion"]: c["facts"] for c in res.counts}, "detail": res.seconds}


def run_hand(data: Path, out: Path) -> dict[str, object]:
    import duckdb

    con = duckdb.connect()
    t = time.perf_counter()
    for stmt in HAND_SQL.format(d=data, out=out).split(";"):
        if stmt.strip():
            con.execute(stmt)
    secs = time.perf_counter() - t
    facts = {
        g: con.execute(f"SELECT count(*) FROM (SELECT DISTINCT * FROM h_{t})").fetchone()[0]  # type: ignore[index]
        for g, t in (
            ("resit_invited", "resit_invited"),
            ("resit_excluded", "resit_excluded"),
            ("refer_to_study_adviser", "refer"),
        )
    }
    return {"seconds": secs, "facts": facts}


def run_pydatalog(data: Path, out: Path) -> dict[str, object]:
    import csv

    from oerlog.backends.pydatalog import evaluate
    from oerlog.errors import Location
    from oerlog.kb.loader import load_kb
    from oerlog.kb.vocabulary import convert
    from oerlog.lang.ir import literal_atoms
    from oerlog.semantics.plan import build_plan, restrict_program

    kb = load_kb(ROOT / "kb")
    doc = kb.document(DOC)
    program = restrict_program(doc.program, GOALS)  # the rules the goals need, as the SQL back end runs them
    plan = build_plan(program)
    t = time.perf_counter()
    facts: dict[str, set[tuple[object, ...]]] = {}
    wanted = {a.pred for r in program.rules for lit in r.body for a, _ in literal_atoms(lit)}  # relations read
    for f in sorted(data.glob("*.csv")):
        if f.stem not in wanted:
            continue
        rel = kb.vocabulary.relations[f.stem]
        with f.open(encoding="utf-8") as fh:
            rows = csv.reader(fh)
            header = next(rows)
            idx = [header.index(fl.name) for fl in rel.fields]
            for n, r in enumerate(rows, start=2):
                loc = Location(str(f), n)
                facts.setdefault(rel.name, set()).add(
                    tuple(convert(r[i], None, fl, rel, loc) for i, fl in zip(idx, rel.fields, strict=True))
                )
    model = evaluate(plan, facts, timeout=600)  # type: ignore[arg-type]
    secs = time.perf_counter() - t
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE r (conclusion VARCHAR, a1 VARCHAR, a2 VARCHAR, a3 VARCHAR)")
    rows = [(g, *(str(v) for v in tup), *([None] * (3 - len(tup)))) for g in GOALS for tup in model.tuples(g)]
    con.executemany("INSERT INTO r VALUES (?, ?, ?, ?)", rows)
    con.execute(f"COPY r TO '{out}' (FORMAT parquet)")
    return {"seconds": secs, "facts": {g: len(model.tuples(g)) for g in GOALS}}


def fact_set_sql(path: Path) -> str:
    """The distinct (conclusion, first three arguments) of a contender's Parquet output, as text."""
    import duckdb

    cols = [r[0] for r in duckdb.connect().execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()]
    return f"SELECT DISTINCT {', '.join(f'CAST({c} AS VARCHAR)' for c in cols[:4])} FROM read_parquet('{path}')"


def same_facts(paths: list[Path]) -> bool:
    """Whether the contenders' outputs hold exactly the same facts (compared as sets, both ways)."""
    import duckdb

    con = duckdb.connect()
    first = fact_set_sql(paths[0])
    for other in paths[1:]:
        o = fact_set_sql(other)
        n = con.execute(
            f"SELECT (SELECT count(*) FROM ({first} EXCEPT {o})) + (SELECT count(*) FROM ({o} EXCEPT {first}))"
        )
        if n.fetchone()[0]:  # type: ignore[index]
            return False
    return True


def child(kind: str, data: Path, out: Path) -> None:
    fn = {"oerlog": run_oerlog, "hand": run_hand, "pydatalog": run_pydatalog}[kind]
    res = fn(data, out)
    res["rss_mb"] = rss_mb()
    print(json.dumps(res))


def measure(kind: str, data: Path, out: Path, timeout: float) -> dict[str, object]:
    t = time.perf_counter()
    p = subprocess.Popen(
        [sys.executable, __file__, "--child", kind, "--data", str(data), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: a timeout also ends the engine's forked child
    )
    try:
        stdout, stderr = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return {"error": f"> {timeout:.0f} s"}
    if p.returncode != 0:
        return {"error": (stderr.strip().splitlines() or ["failed"])[-1][:80]}
    res: dict[str, object] = json.loads(stdout.strip().splitlines()[-1])
    res["process_seconds"] = time.perf_counter() - t
    return res


def median_run(runs: list[dict[str, object]]) -> dict[str, object]:
    """The run with the median wall time (an error if any run failed), with the spread of all of them."""
    bad = [r for r in runs if "error" in r]
    if bad:
        return bad[0]
    ordered = sorted(runs, key=lambda r: float(r["seconds"]))  # type: ignore[arg-type]
    med = dict(ordered[(len(ordered) - 1) // 2])
    med["spread"] = (float(ordered[0]["seconds"]), float(ordered[-1]["seconds"]))  # type: ignore[arg-type]
    med["runs"] = len(runs)
    med["rss_mb"] = sorted(float(r["rss_mb"]) for r in runs)[(len(runs) - 1) // 2]  # type: ignore[arg-type]
    return med


def ensure_cohort(root: Path, n: int) -> Path:
    folder = root / f"s{n}"
    if not (folder / "test_result.csv").is_file():
        print(f"generating {n} students into {folder} ...", file=sys.stderr)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "oerlog",
                "--kb",
                str(ROOT / "kb"),
                "generate",
                "--students",
                str(n),
                "--doc",
                DOC,
                "--seed",
                "7",
                "-o",
                str(folder),
                "--no-progress",
            ],  # fmt: skip
            check=True,
        )
    return folder


def why_seconds() -> float:
    case = ROOT / "kb" / DOC / "cases" / "anna-excluded-low-grade.yaml"
    times = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "oerlog",
                "--kb",
                str(ROOT / "kb"),
                "why",
                'resit_excluded("anna", C)',
                "--case",
                str(case),
            ],  # fmt: skip
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - t)
    return sorted(times)[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--pydatalog-max", type=int, default=10000, help="largest cohort given to pyDatalog")
    ap.add_argument("--root", default="/tmp/oerlog-bench", help="where generated cohorts are kept")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--repeat", type=int, default=3, help="runs per contender and size (medians are reported)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--data", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, Path(args.data), Path(args.out))
        return
    root = Path(args.root)
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in (int(x) for x in args.sizes.split(",")):
        data = ensure_cohort(root, n)
        input_rows = sum(sum(1 for _ in f.open()) - 1 for f in data.glob("*.csv"))
        runs: dict[str, list[dict[str, object]]] = {"oerlog": [], "hand": []}
        for _ in range(max(1, args.repeat)):
            for kind in ("oerlog", "hand"):
                runs[kind].append(measure(kind, data, root / f"out-{kind}-{n}.parquet", args.timeout))
        results = {kind: median_run(rs) for kind, rs in runs.items()}
        if n > args.pydatalog_max:
            results["pydatalog"] = {"error": "skipped"}
        else:  # once: minutes per run
            results["pydatalog"] = measure("pydatalog", data, root / f"out-pydatalog-{n}.parquet", args.timeout)
        done = [k for k in ("oerlog", "hand", "pydatalog") if "error" not in results[k]]
        same = same_facts([root / f"out-{k}-{n}.parquet" for k in done]) if len(done) > 1 else False
        rows.append((n, input_rows, results, f"{same} ({len(done)})"))
    print()
    print(
        f"{'students':>10} {'input rows':>11} | {'oerlog batch':>13} {'MB':>6} | {'hand SQL':>9} {'MB':>6} | "
        f"{'ratio':>6} | {'pyDatalog':>10} {'MB':>6} | same facts"
    )
    print("-" * 104)

    def cell(r: dict[str, object]) -> tuple[str, str]:
        if "error" in r:
            return str(r["error"])[:13], "-"
        return f"{r['seconds']:.2f} s", f"{r['rss_mb']:.0f}"

    for n, input_rows, res, same in rows:
        o, h, p = res["oerlog"], res["hand"], res["pydatalog"]
        ratio = f"{o['seconds'] / h['seconds']:.2f}x" if "error" not in o and "error" not in h else "-"  # type: ignore[operator]
        (os_, om), (hs, hm), (ps, pm) = cell(o), cell(h), cell(p)
        print(
            f"{n:>10} {input_rows:>11} | {os_:>13} {om:>6} | {hs:>9} {hm:>6} | {ratio:>6} | {ps:>10} {pm:>6} | {same}"
        )
    for n, _, res, _ in rows:
        for kind in ("oerlog", "hand"):
            r = res[kind]
            if "spread" in r:
                lo, hi = r["spread"]  # type: ignore[misc]
                print(f"  {kind} {n}: median of {r['runs']} runs, spread {lo:.2f}-{hi:.2f} s")
    for n, _, res, _ in rows:
        o = res["oerlog"]
        if "detail" in o:
            d = o["detail"]
            print(f"  oerlog batch {n}: " + ", ".join(f"{k} {v:.2f} s" for k, v in d.items()))  # type: ignore[union-attr]
        print(f"  facts {n}: oerlog {o.get('facts')}, hand {res['hand'].get('facts')}")
    print(f"\nsingle case, pyDatalog back end: oerlog why (whole command, median of 3): {why_seconds():.2f} s")


if __name__ == "__main__":
    main()
