"""A seeded generator of synthetic cohorts: Osiris-like tables for the vocabulary's input relations.

Deterministic (``random.Random(seed)``: the same seed and size give the same files on every machine), any size
(rows are streamed to the files student by student), and rich in boundary cases: grades exactly at the thresholds
the documents compare with (and one hundredth either side, and the half-way grades that rounding turns over),
dates on and next to deadlines, force majeure claims, withdrawals on the test day, resit-only requests, jokers,
second attempts, students of other programmes and years.

The relations the bundled documents use get a realistic structure (courses per study year with their tests;
per student the courses of their year). Any other input relation of the vocabulary gets rows generated from its
field types and names, so a new relation is never left empty.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from oerlog.backends.sql import sql_literal
from oerlog.errors import Location, UsageError
from oerlog.kb.loader import KnowledgeBase
from oerlog.kb.vocabulary import Field, Relation, Vocabulary
from oerlog.lang import ir
from oerlog.lang.checks import all_atoms
from oerlog.outputs import atomic_folder
from oerlog.values import Value

Row = tuple[Value, ...]
STRUCTURED = {
    "reference_date",
    "enrolment",
    "course",
    "course_start",
    "test",
    "course_registration",
    "test_registration",
    "test_taken",
    "test_result",
    "joker_request",
    "resit_only_request",
    "force_majeure_claim",
    "withdrawal",
    "placement",
    "placement_cancellation",
    "study_adviser_approval",
}


def _d(v: str) -> Decimal:
    return Decimal(v)


@dataclass
class Scope:
    """A programme and academic year a document governs, with the thresholds and dates its rules mention."""

    programme: str
    year: int
    grades: list[Decimal] = field(default_factory=list)
    dates: list[dt.date] = field(default_factory=list)
    ints: list[int] = field(default_factory=list)


def _constants(kb: KnowledgeBase, doc_ids: Iterable[str]) -> tuple[list[Decimal], list[dt.date], list[int]]:
    grades: set[Decimal] = set()
    dates: set[dt.date] = set()
    ints: set[int] = set()

    def take(v: object) -> None:
        if isinstance(v, bool):
            return
        if isinstance(v, Decimal) and Decimal(1) <= v <= Decimal(10):
            grades.add(v)
        elif isinstance(v, int) and 1 <= v <= 10:
            grades.add(Decimal(v))
            ints.add(v)
        elif isinstance(v, int) and 0 < v < 400:
            ints.add(v)
        elif isinstance(v, dt.date):
            dates.add(v)

    def walk(e: ir.Expr) -> None:
        if isinstance(e, ir.Const):
            take(e.value)
        elif isinstance(e, ir.BinOp):
            walk(e.left)
            walk(e.right)
        elif isinstance(e, ir.Call):
            for a in e.args:
                walk(a)

    def lit(literal: ir.Literal) -> None:
        if isinstance(literal, ir.Compare):
            walk(literal.left)
            walk(literal.right)
        elif isinstance(literal, ir.Aggregate):
            for b in literal.body:
                lit(b)

    for d in doc_ids:
        doc = kb.documents[d]
        for p in doc.program.params:
            take(p.value)
        for r in doc.program.rules:
            for b in r.body:
                lit(b)
    return sorted(grades), sorted(dates), sorted(ints)


def one_per_key(voc: Vocabulary, tables: dict[str, list[Row]]) -> dict[str, list[Row]]:
    """The tables with one row per key (the first; ``key:`` of the vocabulary, every field of a plain set): the
    generated rows never state two values where the vocabulary allows one, nor one fact twice."""
    out: dict[str, list[Row]] = {}
    for name, rows in tables.items():
        rel = voc.relations.get(name)
        pos = rel.key_positions if rel is not None else None
        seen: set[tuple[Value, ...]] = set()
        kept = out.setdefault(name, [])
        for row in rows:
            k = row if pos is None else tuple(row[i] for i in pos)
            if k not in seen:
                seen.add(k)
                kept.append(row)
    return out


def used_relations(kb: KnowledgeBase, doc_ids: Iterable[str] | None = None) -> set[str]:
    """The input relations the documents' rules read."""
    out: set[str] = set()
    for d in sorted(doc_ids) if doc_ids else sorted(kb.documents):
        for r in kb.document(d).program.rules:
            for atom, _ in all_atoms(r):
                if atom.pred in kb.vocabulary.relations:
                    out.add(atom.pred)
    return out


def scopes(kb: KnowledgeBase, doc_ids: Iterable[str] | None = None) -> list[Scope]:
    """The (programme, academic year) pairs of the documents, each with the documents' constants."""
    ids = sorted(doc_ids) if doc_ids else sorted(kb.documents)
    out: list[Scope] = []
    for d in ids:
        doc = kb.document(d)
        year = doc.meta.get("academic_year")
        if not isinstance(year, int):
            continue
        grades, dates, ints = _constants(kb, [d])
        for prog in doc.meta.get("programmes") or [d]:
            out.append(Scope(str(prog), year, grades, dates, ints))
    if not out:
        out.append(Scope("prog", dt.date.today().year))
    return out


class Generator:
    """Streams a cohort: the catalogue (courses, tests) once, then each student's records."""

    def __init__(self, voc: Vocabulary, scopes_: list[Scope], seed: int, used: set[str] | None = None) -> None:
        self.voc = voc
        self.used = used  # input relations the documents read (None: all)
        self.scopes = scopes_
        self.seed = seed
        self.rng = random.Random(seed)
        grades = {g for s in scopes_ for g in s.grades}
        boundary: set[Decimal] = set()
        for g in grades:
            for delta in ("0", "0.01", "-0.01", "0.05", "-0.05", "0.1", "-0.1", "0.04", "0.06"):
                x = g + _d(delta)
                if Decimal(1) <= x <= Decimal(10):
                    boundary.add(x)
        self.boundary_grades = sorted(boundary) or [_d("4.0"), _d("5.5")]
        self.key_dates = sorted({d for s in scopes_ for d in s.dates})
        self.courses: list[tuple[str, int, str]] = []
        self.starts: dict[tuple[str, int], dt.date] = {}
        self.tests: dict[str, list[tuple[str, str, dt.date]]] = {}  # course -> (test, sitting, date)
        self._catalogue()

    # -- catalogue ----------------------------------------------------------------------------------------

    def _catalogue(self) -> None:
        rng = self.rng
        years = sorted({s.year for s in self.scopes})
        plan = {
            1: ["intro", "block", "block", "block", "line", "plo", "tutorial"],
            2: ["block", "block", "block", "plo", "tutorial", "line"],
            3: ["theory", "theory", "theory", "link", "block"],
            0: ["ivtg"],
        }
        kind_values = self._enum("course", "kind")
        for sy, kinds in plan.items():
            for i, kind in enumerate(kinds):
                if kind_values and kind not in kind_values:
                    kind = kind_values[-1]
                self.courses.append((f"c{sy}{kind[:3]}{i + 1}", sy, kind))
        for y in years:
            week36 = dt.date(y, 9, 1) + dt.timedelta(days=(7 - dt.date(y, 9, 1).weekday()) % 7)
            candidates = [week36 - dt.timedelta(days=7), week36, week36 + dt.timedelta(days=6)]
            candidates += [d for d in self.key_dates if abs((d - week36).days) < 60]
            for n, (c, _sy, kind) in enumerate(self.courses):
                if n % 3 == 0:
                    start = rng.choice(candidates)
                else:
                    start = week36 + dt.timedelta(weeks=rng.choice([0, 0, 5, 10, 15, 20, 25]))
                self.starts[(c, y)] = start
                tests: list[tuple[str, str, dt.date]] = []
                reg = start + dt.timedelta(weeks=rng.choice([6, 8, 9]))
                tests.append((f"{c}_{y}_r1", "regular", reg))
                if kind == "theory" and n % 2 == 0:
                    tests.append((f"{c}_{y}_r2", "regular", reg + dt.timedelta(weeks=10)))
                tests.append((f"{c}_{y}_h1", "resit", reg + dt.timedelta(weeks=rng.choice([4, 6]))))
                if kind == "theory":
                    tests.append((f"{c}_{y}_x1", "extra_resit", reg + dt.timedelta(weeks=20)))
                self.tests.setdefault(c, []).extend(tests)
            # a sitting of the previous year, to exercise the academic-year filters
            c0 = self.courses[1][0]
            self.tests[c0].append((f"{c0}_{y - 1}_r1", "regular", dt.date(y - 1, 11, 3)))

    def _enum(self, rel: str, name: str) -> list[str]:
        r = self.voc.relations.get(rel)
        if r is None:
            return []
        f = next((f for f in r.fields if f.name == name), None)
        return list(f.values) if f and f.type == "enum" else []

    def catalogue(self) -> dict[str, list[Row]]:
        """The tables that do not depend on students."""
        out: dict[str, list[Row]] = {"course": [], "course_start": [], "test": [], "reference_date": []}
        for c, sy, kind in self.courses:
            out["course"].append((c, sy, kind))
        for (c, y), d in sorted(self.starts.items()):
            out["course_start"].append((c, y, d))
        for c, tests in sorted(self.tests.items()):
            for t, sitting, d in tests:
                out["test"].append((t, c, sitting, d))
        y = max(s.year for s in self.scopes)
        out["reference_date"].append((dt.date(y + 1, 2, 2),))
        return one_per_key(self.voc, out)

    # -- students -----------------------------------------------------------------------------------------

    def grade(self) -> Decimal:
        """A grade: a boundary value one time in three, else a recorded grade with one or two decimals."""
        rng = self.rng
        if rng.random() < 0.35:
            return rng.choice(self.boundary_grades)
        if rng.random() < 0.8:
            return Decimal(rng.randint(10, 100)) / 10
        return Decimal(rng.randint(100, 1000)) / 100

    def near(self, d: dt.date, offsets: tuple[int, ...] = (-8, -7, -6, -1, 0, 1, 7)) -> dt.date:
        """A date on, or a few days either side of, ``d``."""
        return d + dt.timedelta(days=self.rng.choice(offsets))

    def student(self, i: int) -> dict[str, list[Row]]:
        """One student's records."""
        rng = self.rng
        s = f"s{i + 1:07d}"
        out: dict[str, list[Row]] = {}

        def add(rel: str, row: Row) -> None:
            if rel in self.voc.relations:
                out.setdefault(rel, []).append(row)

        scope = rng.choice(self.scopes)
        y = scope.year
        prog = scope.programme if rng.random() > 0.03 else "other-prog"
        if rng.random() < 0.03:
            y -= 1
        sy = rng.choice([1, 1, 2, 2, 3])
        add("enrolment", (s, prog, y, sy))
        mine = [c for c in self.courses if c[1] in (sy, 0)]
        if sy > 1 and rng.random() < 0.15:
            mine.append(rng.choice([c for c in self.courses if c[1] == sy - 1]))
        for c, _csy, kind in mine:
            start = self.starts.get((c, y)) or self.starts.get((c, scope.year))
            if start is None:
                continue
            tests = self.tests.get(c, [])
            if rng.random() < 0.85:
                add("course_registration", (s, c, y, self.near(start, (-30, -8, -7, -6, -1, 3))))
            if scope.dates and rng.random() < 0.1:
                add("course_registration", (s, c, y, self.near(rng.choice(scope.dates), (-1, 0, 1))))
            regular = [t for t in tests if t[1] == "regular"]
            took = False
            low = False
            for t, _sitting, td in regular:
                if rng.random() < 0.8:
                    took = True
                    if rng.random() < 0.9:
                        add("test_taken", (s, t))
                    if rng.random() < 0.92:
                        g = self.grade()
                        low = low or g < Decimal("5.5")
                        add("test_result", (s, t, g))
                if kind in ("plo", "theory", "link") and rng.random() < 0.5:
                    add("test_registration", (s, t, self.near(td)))
            for t, sitting, td in tests:
                if sitting == "regular":
                    continue
                if (low or not took) and rng.random() < 0.6:  # a second attempt
                    if rng.random() < 0.6:
                        add("test_registration", (s, t, self.near(td)))
                    add("test_taken", (s, t))
                    if rng.random() < 0.8:
                        add("test_result", (s, t, self.grade()))
            if regular and rng.random() < 0.04:
                add("resit_only_request", (s, c, self.near(regular[0][2], (-3, -1, 0, 1))))
            if rng.random() < 0.05:
                add("force_majeure_claim", (s, c, self.near(start, (10, 40, 60))))
            if tests and rng.random() < 0.06:
                t, _sit, td = rng.choice(tests)
                channels = self._enum("withdrawal", "channel") or ["form"]
                add("withdrawal", (s, t, self.near(td, (-5, -1, 0, 1)), rng.choice(channels)))
            if regular and rng.random() < 0.05:
                action = rng.choice(self._enum("joker_request", "action") or ["register"])
                add("joker_request", (s, c, self.near(regular[0][2], (-30, -8, -7, -6, -1)), action))
            if sy == 3 and rng.random() < 0.3:
                received = self.near(start, (-20, -14, -10))
                add("placement", (s, c, y, received))
                if rng.random() < 0.4:
                    add("placement_cancellation", (s, c, self.near(received, (3, 6, 7, 8, 12))))
            if rng.random() < 0.02:
                matters = self._enum("study_adviser_approval", "matter") or ["other"]
                add("study_adviser_approval", (s, c, rng.choice(matters), self.near(start, (20, 50))))
        for rel in self.voc.relations.values():
            if (
                rel.name in STRUCTURED
                or rel.stated_by != "data"
                or (self.used is not None and rel.name not in self.used)
            ):
                continue
            if any(f.name == "student" for f in rel.fields) and rng.random() < 0.5:
                for _ in range(rng.choice([1, 1, 2, 3])):
                    out.setdefault(rel.name, []).append(self.generic_row(rel, s, mine, y, prog))
        return one_per_key(self.voc, out)

    def generic_row(
        self, rel: Relation, student: str, courses: list[tuple[str, int, str]], year: int, prog: str
    ) -> Row:
        """A row for a relation without a hand-written structure, from its field types and names."""
        rng = self.rng
        course = rng.choice(courses)[0] if courses else self.courses[0][0]
        tests = self.tests.get(course) or [(f"{course}_t", "regular", dt.date(year, 11, 1))]
        test = rng.choice(tests)
        vals: list[Value] = []
        for f in rel.fields:
            vals.append(self.value(f, student, course, test, year, prog))
        return tuple(vals)

    def value(self, f: Field, student: str, course: str, test: tuple[str, str, dt.date], year: int, prog: str) -> Value:
        """A value for one field, chosen by its name where that says what it is, else by its type."""
        rng = self.rng
        name = f.name
        if f.type == "enum":
            return rng.choice(f.values)
        if name == "student":
            return student
        if name in ("course", "component", "module"):
            return course
        if name == "test":
            return test[0]
        if name == "programme":
            return prog
        if name in ("academic_year", "year") and f.type == "integer":
            return year if rng.random() < 0.9 else year - 1
        if f.type == "date":
            anchors = [test[2]] + self.key_dates
            return self.near(rng.choice(anchors), (-14, -8, -7, -6, -1, 0, 1, 7, 30))
        if f.type == "grade":
            return self.grade()
        if f.type == "ec":
            return rng.choice([_d("0"), _d("2.5"), _d("5"), _d("7.5"), _d("15"), _d("30"), _d("60")])
        if f.type == "decimal":
            return self.grade() if rng.random() < 0.7 else Decimal(rng.randint(0, 200)) / 10
        if f.type == "integer":
            return rng.choice([0, 1, 1, 2, 2, 3, 4, 5, 6, 12, 24])
        if f.type == "boolean":
            return rng.random() < 0.5
        return f"{name}_{rng.randint(1, 5)}"

    def extra_catalogue(self) -> dict[str, list[Row]]:
        """Rows for relations without a student field that have no hand-written structure."""
        out: dict[str, list[Row]] = {}
        y = min(s.year for s in self.scopes)
        prog = self.scopes[0].programme
        for rel in self.voc.relations.values():
            if rel.name in STRUCTURED or rel.stated_by != "data" or any(f.name == "student" for f in rel.fields):
                continue
            if self.used is not None and rel.name not in self.used:
                continue
            rows: list[Row] = []
            if any(f.name == "course" for f in rel.fields):
                for c, _sy, _k in self.courses:
                    if self.rng.random() < 0.8:
                        rows.append(self.generic_row(rel, "", [(c, 0, "")], y, prog))
            else:
                for _ in range(3):
                    rows.append(self.generic_row(rel, "", self.courses, y, prog))
            out[rel.name] = rows
        return one_per_key(self.voc, out)

    def cases(self, n: int) -> list[dict[str, set[Row]]]:
        """``n`` single cases (input relation -> facts): the catalogue and one student's records each, as a batched
        evaluation or a scenario generator takes them."""
        catalogue: dict[str, set[Row]] = {k: set(v) for k, v in self.catalogue().items()}
        for k, v in self.extra_catalogue().items():
            catalogue.setdefault(k, set()).update(v)
        out = []
        for i in range(n):
            facts = {k: set(v) for k, v in catalogue.items()}
            for k, v in self.student(i).items():
                facts.setdefault(k, set()).update(v)
            out.append(facts)
        return out


# --- writing -------------------------------------------------------------------------------------------------


def text(v: Value) -> str:
    """A value as it appears in a CSV export."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


class _Writers:
    def __init__(self, voc: Vocabulary, folder: Path) -> None:
        self.voc = voc
        self.folder = folder
        self.files: dict[str, TextIO] = {}
        self.writers: dict[str, Any] = {}
        self.counts: dict[str, int] = {}

    def write(self, rel: str, rows: Iterable[Row]) -> None:
        w = self.writers.get(rel)
        if w is None:
            fh = (self.folder / f"{rel}.csv").open("w", newline="", encoding="utf-8")
            self.files[rel] = fh
            w = csv.writer(fh, lineterminator="\n")
            w.writerow([f.name for f in self.voc.relations[rel].fields])
            self.writers[rel] = w
            self.counts[rel] = 0
        for r in rows:
            w.writerow([text(v) for v in r])
            self.counts[rel] += 1

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()


def check_folder(folder: Path, voc: Vocabulary, force: bool) -> None:
    """A cohort is written into a new or empty folder: a folder with files in it is refused (old and new tables
    would mix), unless ``force``, which replaces it as a whole, and only when it holds nothing but tables
    (``<relation>.csv`` / ``.parquet``): ``--force`` never deletes other files."""
    if not folder.is_dir() or not any(folder.iterdir()):
        return
    example = f"-o {folder.name}-new/  (a new folder), or --force to replace the tables in {folder}"
    if not force:
        raise UsageError(
            f"the output folder {folder} is not empty: the new tables would mix with the files in it",
            Location(str(folder)),
            value=str(folder),
            hint="--force replaces the folder as a whole",
            example=example,
            nl=f"de uitvoermap {folder} is niet leeg: de nieuwe tabellen zouden zich mengen met de bestanden erin",
            hint_nl="--force vervangt de map als geheel",
        )
    other = sorted(
        f.name
        for f in folder.iterdir()
        if not (f.is_file() and f.suffix.lower() in (".csv", ".parquet") and f.stem in voc.relations)
    )
    if other:
        raise UsageError(
            f"--force replaces only a folder of tables (<relation>.csv / .parquet); {folder} also holds "
            + ", ".join(other[:5])
            + (" ..." if len(other) > 5 else ""),
            Location(str(folder)),
            value=str(folder),
            hint="move those files, or write the cohort to another folder",
            example=f"-o {folder.name}-new/",
            nl=f"--force vervangt alleen een map met tabellen (<relatie>.csv / .parquet); {folder} bevat ook "
            + ", ".join(other[:5])
            + (" ..." if len(other) > 5 else ""),
            hint_nl="verplaats die bestanden, of schrijf het cohort naar een andere map",
        )


def generate(
    kb: KnowledgeBase,
    out: Path | str,
    students: int,
    *,
    seed: int = 0,
    doc_ids: Iterable[str] | None = None,
    fmt: str = "csv",
    progress: Callable[[int, int, str], None] | None = None,
    force: bool = False,
) -> dict[str, int]:
    """Write a cohort of ``students`` to the folder ``out`` (CSV, or Parquet via DuckDB) and return the row
    counts per relation. Same seed, size and KB: same files.

    The tables are written into a temporary folder beside ``out`` that becomes ``out`` when complete: an
    interrupted run leaves the folder as it was. ``out`` must be new or empty unless ``force`` (see
    :func:`check_folder`)."""
    folder = Path(out)
    check_folder(folder, kb.vocabulary, force)
    gen = Generator(kb.vocabulary, scopes(kb, doc_ids), seed, used_relations(kb, doc_ids))
    with atomic_folder(folder, replace=force) as tmp:
        writers = _Writers(kb.vocabulary, tmp)
        try:
            for rel, rows in {**gen.catalogue(), **gen.extra_catalogue()}.items():
                if rel in kb.vocabulary.relations:
                    writers.write(rel, rows)
            step = max(1, students // 100)
            for i in range(students):
                for rel, rows in gen.student(i).items():
                    writers.write(rel, rows)
                if progress and i % step == 0:
                    progress(i, students, "students")
            for rel in _always(kb.vocabulary, used_relations(kb, doc_ids)):
                if rel not in writers.counts:
                    writers.write(rel, [])
        finally:
            writers.close()
        if fmt == "parquet":
            _to_parquet(tmp, writers.counts)
    if progress:
        progress(students, students, "students")
    return dict(writers.counts)


def _always(voc: Vocabulary, used: set[str]) -> list[str]:
    """The relations a cohort has a file for even without rows: those the documents read and the structured
    ones (a missing file is an error for a run that reads it; an empty relation is a header-only file)."""
    return sorted(r for r in used | STRUCTURED if r in voc.relations and voc.relations[r].stated_by == "data")


def _to_parquet(folder: Path, relations: Iterable[str]) -> None:
    """Turn the CSV tables in ``folder`` into Parquet files (the CSV files are removed)."""
    import duckdb  # deferred: DuckDB is needed only for --format parquet

    con = duckdb.connect()
    try:
        for rel in relations:
            src = folder / f"{rel}.csv"
            con.execute(
                f"COPY (SELECT * FROM read_csv({sql_literal(str(src))}, header = true, all_varchar = true)) "
                f"TO {sql_literal(str(folder / (rel + '.parquet')))} (FORMAT parquet, USE_TMP_FILE false)"
            )
            src.unlink()
    finally:
        con.close()


def generate_tables(
    kb: KnowledgeBase, students: int, *, seed: int = 0, doc_ids: Iterable[str] | None = None
) -> dict[str, list[Row]]:
    """A small cohort in memory (relation -> rows), the same rows :func:`generate` writes (a relation without
    rows that :func:`generate` writes a header-only file for is an empty list)."""
    used = used_relations(kb, doc_ids)
    gen = Generator(kb.vocabulary, scopes(kb, doc_ids), seed, used)
    tables: dict[str, list[Row]] = {}
    for rel, rows in {**gen.catalogue(), **gen.extra_catalogue()}.items():
        if rel in kb.vocabulary.relations:
            tables.setdefault(rel, []).extend(rows)
    for i in range(students):
        for rel, rows in gen.student(i).items():
            tables.setdefault(rel, []).extend(rows)
    for rel in _always(kb.vocabulary, used):
        tables.setdefault(rel, [])
    return tables


def write_tables(voc: Vocabulary, tables: Mapping[str, Iterable[Row]], out: Path | str) -> None:
    """Write tables (relation -> rows) as CSV files with the vocabulary's headers into the folder ``out`` (which
    they replace: see :func:`check_folder`), whole or not at all."""
    folder = Path(out)
    check_folder(folder, voc, True)
    with atomic_folder(folder, replace=True) as tmp:
        w = _Writers(voc, tmp)
        try:
            for rel, rows in tables.items():
                w.write(rel, rows)
        finally:
            w.close()


__all__ = ["generate", "generate_tables", "write_tables", "scopes", "Generator", "text"]
