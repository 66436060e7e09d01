"""A cohort's DuckDB database (:class:`Cohort`): the input relations loaded once, validated against the vocabulary
(:mod:`oerlog.cohort.validate`), the document compiled to SQL (:mod:`oerlog.backends.sql`) and run in it; and the
goals of a run, read against the document and turned into conditions on the goals' rows."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from oerlog.backends.sql import RULE_COLUMN, SQL_TYPES, SqlProgram, compile_plan, quote, sql_literal
from oerlog.backends.sql.dialects import DUCKDB, Dialect
from oerlog.cohort.calendar import calendar_years, create_calendar
from oerlog.cohort.inputs import INPUT_SCHEMA, InputFile, connect, open_source, stated_relation_of
from oerlog.cohort.validate import MAX_REPORTED, LoadReport, Validator
from oerlog.errors import Location, UsageError, ValidationError
from oerlog.evaluation.goals import parse_goal
from oerlog.kb.cases import REFERENCE_RELATION
from oerlog.kb.loader import Document, KnowledgeBase
from oerlog.lang import ir
from oerlog.values import Value

Progress = Callable[[int, int, str], None]
Row = tuple[Value, ...]


class Cohort:
    """One DuckDB connection holding a cohort's validated input tables and the derived tables of runs."""

    def __init__(
        self,
        kb: KnowledgeBase,
        data: Path | str,
        *,
        on_error: str = "stop",
        reference_date: dt.date | None = None,
        progress: Progress | None = None,
    ) -> None:
        if on_error not in ("stop", "reject"):
            raise UsageError(
                f"--on-error is stop or reject, not {on_error!r}",
                value=on_error,
                example="--on-error reject",
                nl=f"--on-error is stop of reject, niet {on_error!r}",
            )
        self.kb = kb
        self.voc = kb.vocabulary
        self.source = open_source(data, self.voc)
        self.on_error = on_error
        self.reference_date = reference_date
        self.progress = progress
        self.con = connect()
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(INPUT_SCHEMA)}")
        if self.source.database:
            self.con.execute(f"ATTACH {sql_literal(self.source.database)} AS _src (READ_ONLY)")
        self.loaded: set[str] = set()
        self.report = LoadReport()
        self.validator = Validator(self.con, self.report, on_error)
        self.seconds_load = 0.0

    def close(self) -> None:
        """Close the DuckDB connection."""
        self.con.close()

    # -- loading --------------------------------------------------------------------------------------

    def load(self, relations: Iterable[str]) -> LoadReport:
        """Load and validate the input relations (each once). Raises ValidationError when on_error is stop.

        Every relation asked for must have a file (a header-only file is an empty relation); the reference date
        comes from ``--reference-date`` or from exactly one row of its file."""
        start = time.perf_counter()
        relations = list(dict.fromkeys(relations))
        todo = [r for r in relations if r not in self.loaded and r in self.voc.relations]
        self.require(todo)
        # the facts of open relations an export states false: optional files (<relation>.false.csv)
        todo += [r for r in relations if r not in self.loaded and r not in todo and r in self.source.files]
        for i, name in enumerate(todo):
            if self.progress:
                self.progress(i, len(todo), f"loading {name}")
            self.loaded.add(name)
            f = self.source.files.get(name)
            if name == REFERENCE_RELATION and self.reference_date is not None:
                self._given_reference_date(f)
            elif f is not None:
                rel = stated_relation_of(self.voc, name)
                assert rel is not None
                self.validator.load_file(f, rel)
        self.seconds_load += time.perf_counter() - start
        if self.report.bad_count and self.on_error == "stop":
            raise self.validator.bad_rows_error(self.voc)
        if REFERENCE_RELATION in todo:
            self._one_reference_date()
        return self.report

    def require(self, relations: Sequence[str]) -> None:
        """A located error naming every relation of ``relations`` without a file (the run reads them all)."""
        missing = sorted(
            r
            for r in relations
            if r not in self.source.files and not (r == REFERENCE_RELATION and self.reference_date is not None)
        )
        if not missing:
            return
        where = self.source.path
        fields = {r: ",".join(fl.name for fl in self.voc.relations[r].fields) for r in missing}
        if self.source.database:
            expected = ", ".join(f"table {r}" for r in missing) + "; a relation without rows is an empty table"
            expected_nl = ", ".join(f"tabel {r}" for r in missing) + "; een relatie zonder rijen is een lege tabel"
            example = "; ".join(f"a table {r}({f})" for r, f in list(fields.items())[:3])
        else:
            expected = ", ".join(str(where / f"{r}.csv") for r in missing) + " (or .parquet); a relation without "
            expected += "rows is a file with only its header line"
            expected_nl = ", ".join(str(where / f"{r}.csv") for r in missing) + " (of .parquet); een relatie zonder "
            expected_nl += "rijen is een bestand met alleen de kopregel"
            example = "; ".join(f"{r}.csv with the header {f}" for r, f in list(fields.items())[:3])
        message = f"no input for {', '.join(missing)}: the goals depend on " + ("them" if len(missing) > 1 else "it")
        message_nl = f"geen invoer voor {', '.join(missing)}: de doelen hangen ervan af"
        if not self.source.files:
            message += f", and {where} holds no <relation>.csv / .parquet file at all"
            message_nl += f", en {where} bevat helemaal geen bestand <relatie>.csv / .parquet"
        raise ValidationError(
            message,
            Location(str(where)),
            value=", ".join(missing),
            hint=f"expected {expected}"
            + (", or give the date with --reference-date" if REFERENCE_RELATION in missing else ""),
            example=example,
            nl=message_nl,
            hint_nl=f"verwacht: {expected_nl}"
            + (", of geef de datum met --reference-date" if REFERENCE_RELATION in missing else ""),
        )

    def _given_reference_date(self, f: InputFile | None) -> None:
        """``--reference-date`` is the reference date of the run: the file, if any, is not read (a note says so)."""
        assert self.reference_date is not None
        target = f"{quote(INPUT_SCHEMA)}.{quote(REFERENCE_RELATION)}"
        col = quote(self.voc.relations[REFERENCE_RELATION].fields[0].name)
        self.con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT {sql_literal(self.reference_date)} AS {col}")
        self.report.rows[REFERENCE_RELATION] = 1
        if f is not None:
            self.report.notes.append(f"--reference-date {self.reference_date} overrides {f.path} (not read)")

    def _one_reference_date(self) -> None:
        """The run has exactly one reference date: a header-only file (or one whose rows were all rejected) is an
        error (two different dates are refused by the relation's key, as conflicting rows)."""
        n = self.con.execute(f"SELECT count(*) FROM {quote(INPUT_SCHEMA)}.{quote(REFERENCE_RELATION)}").fetchone()[0]
        if n:
            return
        bad = [b for b in self.report.bad if b.file.relation == REFERENCE_RELATION]
        if bad:  # every row was rejected: say why
            err = bad[0].error(self.voc.relations[REFERENCE_RELATION])
            rows = "; ".join(f"{b.file.where(b.line)}: {b.reason}" for b in bad[:MAX_REPORTED])
            err.message_nl = f"er blijft geen peildatum over: {err.message_in('nl')}"
            err.message = f"no reference date is left: {err.message}"
            err.hint = "the run needs exactly one reference date; " + rows
            err.hint_nl = "de run heeft precies één peildatum nodig; " + rows
            raise err
        f = self.source.files[REFERENCE_RELATION]
        raise ValidationError(
            f"{REFERENCE_RELATION}: {f.path} has no row: the run needs exactly one reference date",
            Location(f.path, 1 if f.kind == "csv" else 0),
            value="",
            hint="add one line with the date the question is asked on, or give it with --reference-date",
            example="date\n2026-02-02",
            nl=f"{REFERENCE_RELATION}: {f.path} heeft geen rij: de run heeft precies één peildatum nodig",
            hint_nl="voeg een regel toe met de datum waarop de vraag gesteld wordt, of geef hem met --reference-date",
        )

    # -- evaluation --------------------------------------------------------------------------------------

    def compile(
        self,
        doc: Document,
        goals: Sequence[str] | None,
        overrides: Mapping[str, Value] | None,
        schema: str,
        dialect: Dialect = DUCKDB,
    ) -> SqlProgram:
        """Compile the document (with parameter overrides) for the goals into ``schema`` (in ``dialect``)."""
        plan = doc.plan(dict(overrides) if overrides else None)
        return compile_plan(plan, self.voc, goals, schema=schema, input_schema=INPUT_SCHEMA, dialect=dialect)

    def run(self, prog: SqlProgram) -> float:
        """Load the inputs the program reads, then create its tables; returns the evaluation time."""
        self.prepare(prog)
        return self.evaluate(prog)

    def prepare(self, prog: SqlProgram) -> None:
        """Load and validate the inputs the program reads (an input outside the vocabulary is an empty table) and
        make the working-day calendar when the program uses it."""
        self.load(prog.inputs)
        for name, rel in prog.inputs.items():  # relations outside the vocabulary (none in a checked KB)
            if name not in self.loaded:
                cols = ", ".join(
                    f"{quote(c)} {SQL_TYPES[t or 'str']}" for c, t in zip(rel.columns, rel.types, strict=True)
                )
                self.con.execute(f"CREATE OR REPLACE TABLE {quote(INPUT_SCHEMA)}.{quote(name)} ({cols})")
                self.loaded.add(name)
        if prog.uses_calendar:
            years = calendar_years(self.con, self.voc, self.loaded, prog.plan.params, self.reference_date)
            create_calendar(self.con, years)

    def evaluate(self, prog: SqlProgram) -> float:
        """Create the program's tables from the loaded inputs (:meth:`prepare`); returns the evaluation time."""
        start = time.perf_counter()
        if prog.schema == INPUT_SCHEMA:
            raise UsageError(
                f"the derived relations cannot go into the input schema {INPUT_SCHEMA!r}",
                value=prog.schema,
                example="derived",
                nl=f"de afgeleide relaties kunnen niet in het invoerschema {INPUT_SCHEMA!r}",
            )
        # a fresh schema: a relation stored by an earlier run may be a view in this one, or the other way round
        self.con.execute(f"DROP SCHEMA IF EXISTS {quote(prog.schema)} CASCADE")
        self.con.execute(f"CREATE SCHEMA {quote(prog.schema)}")
        n = len(prog.statements)
        for i, st in enumerate(prog.statements):
            if self.progress:
                self.progress(i, n, ", ".join(st.preds))
            for sql in st.sqls:
                self.con.execute(sql)
        if self.progress:
            self.progress(n, n, "done")
        return time.perf_counter() - start

    def rows(self, prog: SqlProgram, pred: str, *, with_rule: bool = False) -> list[Row]:
        """The tuples of a derived relation (with the rule id as last column when ``with_rule``)."""
        rel = prog.derived[pred]
        cols = [quote(c) for c in rel.columns] + ([quote(RULE_COLUMN)] if with_rule else [])
        sql = f"SELECT DISTINCT {', '.join(cols) or '1'} FROM {prog.table(pred)}"
        out = self.con.execute(sql).fetchall()
        if not cols:
            return [() for _ in out]
        return [tuple(r) for r in out]


# --- goals -------------------------------------------------------------------------------------------------


def parse_goals(doc: Document, goals: Sequence[str]) -> list[ir.Atom]:
    """The goals (``resit_excluded`` or ``resit_excluded("s0000001", C)``), checked against the document, their
    constants read by their fields' types (:func:`oerlog.evaluation.goals.parse_goal`)."""
    atoms = []
    for g in goals:
        text = g.strip()
        atoms.append(parse_goal(doc, text) if "(" in text else ir.Atom(text, ()))
    return atoms


def names_of(atoms: Sequence[ir.Atom]) -> list[str]:
    """The goals' predicates, each once, in the order given."""
    return list(dict.fromkeys(a.pred for a in atoms))


def goal_filters(prog: SqlProgram, atoms: Sequence[ir.Atom]) -> dict[str, str]:
    """Per goal predicate, the SQL condition its constants and repeated variables put on its rows (several
    goals on one predicate: any of them); a goal written without them (``resit_excluded``, ``p(S, C)``) asks for
    every row."""
    conds: dict[str, list[str | None]] = {}
    for atom in atoms:
        conds.setdefault(atom.pred, []).append(_goal_condition(prog, atom))
    return {p: " OR ".join(f"({c})" for c in cs) for p, cs in conds.items() if all(cs)}


def _goal_condition(prog: SqlProgram, atom: ir.Atom) -> str | None:
    if not atom.args:
        return None
    rel = prog.derived[atom.pred]
    conds: list[str] = []
    first: dict[str, str] = {}
    for col, arg in zip(rel.columns, atom.args, strict=True):
        c = prog.dialect.quote(col)
        if isinstance(arg, ir.Const):
            conds.append(f"{c} = {prog.dialect.literal(arg.value)}")
        elif isinstance(arg, ir.Var) and not arg.anonymous:
            if arg.name in first:
                conds.append(f"{c} = {first[arg.name]}")
            first.setdefault(arg.name, c)
        elif isinstance(arg, ir.Param):
            raise UsageError(
                f"a goal's argument is a constant or a variable, not the parameter {arg}",
                arg.loc,
                value=str(arg),
                example=f"--goal '{atom.pred}({', '.join('_' for _ in atom.args)})'",
                nl=f"een argument van een doel is een constante of een variabele, niet de parameter {arg}",
            )
    return " AND ".join(conds) or None
