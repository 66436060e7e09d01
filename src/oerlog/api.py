"""The public Python API: ask questions about students, with proofs, from Python (a script, a notebook, the CLI).

::

    import oerlog

    kb = oerlog.load_kb()                       # ./kb or $OERLOG_KB, as the command line finds it
    j = kb.judge("kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml")
    print(j.why('resit_excluded("anna", C)'))   # the proof, quoting art. A.8

- :func:`load_kb` opens a knowledge base (:class:`KB`); documents load on first use.
- :meth:`KB.judge` judges a case (a case file, a :class:`~oerlog.kb.cases.Case`, or a mapping of facts) under the
  regulation that applies to it (or the one named) and returns a :class:`Judgement`: ask it :meth:`~Judgement.query`,
  :meth:`~Judgement.why`, :meth:`~Judgement.whynot` and :meth:`~Judgement.appeal`.
- :meth:`KB.lint`, :meth:`KB.check`, :meth:`KB.batch` and :meth:`KB.whatif` are ``oerlog lint``, ``check``,
  ``batch`` and ``whatif``.

Goals are strings in the rule language (``'resit_excluded("anna", C)'``), checked against the document and typed by
the vocabulary (:func:`oerlog.evaluation.goals.parse_goal`). Explanations render as text, Markdown, JSON and HTML
(:class:`~oerlog.explain.explanation.Explanation`) and show themselves in a Jupyter notebook. Every error is an
:class:`~oerlog.errors.OerlogError`, located (file, line, column) where the input has a place.
See docs/api.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oerlog.analysis.lint import Finding
from oerlog.analysis.lint import lint as lint_kb
from oerlog.errors import Location, OerlogError, UsageError
from oerlog.evaluation.goals import parse_goal
from oerlog.evaluation.judge import Judgement as Evaluation
from oerlog.evaluation.judge import judge, parse_overrides, select_document
from oerlog.explain.explainer import Explainer
from oerlog.explain.explanation import Explanation
from oerlog.explain.items import Options
from oerlog.kb.cases import CASE_KEYS, EXAMPLE_CASE, Case, case_from_records, load_case
from oerlog.kb.loader import Document, KnowledgeBase, open_kb
from oerlog.kb.locate import default_kb_path
from oerlog.kb.vocabulary import Field, Relation, Vocabulary, convert
from oerlog.lang import ir
from oerlog.values import Value, format_literal, format_value

if TYPE_CHECKING:  # types only: the modules themselves are imported by the methods that use them
    import networkx as nx

    from oerlog.analysis.consistency import Finding as CheckFinding
    from oerlog.analysis.consistency import Report
    from oerlog.analysis.coverage import DocumentCoverage
    from oerlog.appeal.dossier import Dossier as DossierData
    from oerlog.cohort.batch import BatchResult
    from oerlog.cohort.whatif import WhatIfResult
    from oerlog.testing.scenarios import Scenario

__all__ = [
    "KB",
    "CheckReport",
    "Conclusion",
    "DoesNotHold",
    "Dossier",
    "Explanation",
    "Judgement",
    "load_kb",
]

CaseInput = str | os.PathLike[str] | Case | Mapping[str, Any]  # a case file, a Case, or a mapping of facts
Params = Mapping[str, Any] | Sequence[str] | None  # parameter overrides: {name: value} or ["name=value"]
Progress = Callable[[int, int, str], None]
LANGS = ("nl", "en")


class DoesNotHold(OerlogError):
    """:meth:`Judgement.why` of a goal that no fact matches (``oerlog why`` exits 1): ask :meth:`Judgement.whynot`."""

    code = "does_not_hold"
    exit_code = 1


def load_kb(path: str | os.PathLike[str] | None = None) -> KB:
    """Open the knowledge base at ``path``; by default ``$OERLOG_KB``, else the ``kb/`` folder of the working
    directory or of its nearest parent that has one (as the command line does). The vocabulary, the scope rules and
    every ``document.yaml`` are read now; a document's rules are loaded and checked when it is first used."""
    return KB(open_kb(Path(path) if path is not None else default_kb_path()))


class KB:
    """A knowledge base: the regulations of a ``kb/`` folder with their shared vocabulary."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.knowledge_base = kb

    def __repr__(self) -> str:
        return f"<oerlog.KB {str(self.path)!r}: {', '.join(self.document_ids)}>"

    @property
    def path(self) -> Path:
        """The ``kb/`` folder."""
        return self.knowledge_base.root

    @property
    def vocabulary(self) -> Vocabulary:
        """The shared vocabulary: input relations and shared concepts, typed and documented."""
        return self.knowledge_base.vocabulary

    @property
    def document_ids(self) -> list[str]:
        """The ids of the documents, without loading them."""
        return self.knowledge_base.document_ids

    @property
    def documents(self) -> dict[str, Document]:
        """Every document by id, loaded and checked (all errors of all documents are raised at once)."""
        return self.knowledge_base.documents

    def document(self, doc_id: str) -> Document:
        """One document by id, loaded and checked on first use."""
        return self.knowledge_base.document(doc_id)

    def case(self, case: CaseInput) -> Case:
        """A case, read and validated against the vocabulary: a case file (path), a :class:`Case` (as it is), or a
        mapping in the shape of a case file (``{"reference_date": ..., "document": ..., "facts": {relation:
        [records]}}``) or of its ``facts`` alone (``{relation: [records]}``), records being mappings of field
        names to values."""
        if isinstance(case, Case):
            return case
        if isinstance(case, Mapping):
            return case_from_mapping(self.vocabulary, case)
        if isinstance(case, (str, os.PathLike)):
            path = Path(case)
            if path.is_dir():
                raise UsageError(
                    "the case names a folder, not a case file",
                    Location(str(path)),
                    value=str(path),
                    example="kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml",
                    nl="de casus noemt een map, geen casusbestand",
                )
            return load_case(path, self.vocabulary)
        raise UsageError(
            f"a case is a case file, a Case or a mapping of facts, not {type(case).__name__}",
            value=repr(case),
            example=EXAMPLE_CASE,
            nl=f"een casus is een casusbestand, een Case of een mapping van feiten, geen {type(case).__name__}",
        )

    def judge(
        self,
        case: CaseInput,
        doc: str | None = None,
        params: Params = None,
        *,
        timeout: float | None = None,
    ) -> Judgement:
        """Judge ``case`` under ``doc`` (default: the document the case names, else the one ``kb/scope.dl``
        derives from its enrolment), with parameters overridden by ``params`` (``{"resit_min_grade": 4.5}`` or
        ``["resit_min_grade=4.5"]``, read by each parameter's declared type).

        The case, the document and the parameters are checked now; the rules are evaluated when the first question
        is asked, after its goal has been checked (so that a mistyped goal is reported at once). ``timeout``:
        seconds the evaluation may take (:class:`~oerlog.errors.EvaluationTimeout`)."""
        c = self.case(case)
        document, selection, _ = select_document(self.knowledge_base, c, doc)
        overrides = parse_overrides(document, _param_items(params), "params")
        return Judgement(self, c, document, selection, overrides, timeout)

    def lint(self, docs: Sequence[str] | None = None, *, errors_only: bool = False) -> list[Finding]:
        """``oerlog lint``: every problem of the KB (or of ``docs``), errors and warnings, each located; findings
        of severity ``info`` do not count as problems."""
        _, findings = lint_kb(self.path, list(docs) if docs else None)
        return [f for f in findings if f.severity == "error"] if errors_only else findings

    def check(
        self,
        docs: Sequence[str] | None = None,
        against: str | None = None,
        *,
        seed: int = 0,
        budget: int | None = None,
        across: bool = False,
        lang: str = "nl",
        accept: str | os.PathLike[str] | Mapping[str, str] | None = None,
        witnesses: str | os.PathLike[str] | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> CheckReport:
        """``oerlog check``: consistency within each document and between each R&A/R&R and its frame OER (with
        ``against`` also against that document; with ``across`` between every pair of documents, reported as
        institutional differences), each finding with a minimal witness case. ``budget``: the most scenarios to
        evaluate (None: every seed with all its mutations). The KB's own accept files
        (``kb/<doc>/accepted-findings.yaml``) are applied; ``accept`` adds reviewed findings (an accept file or a
        mapping id -> reason); ``witnesses``: a folder to write the witness case files to (default: none).
        ``progress(phase, done, total)`` is called as the work proceeds."""
        from oerlog.analysis import consistency  # deferred: the checker (~20 ms to import), off the one-case path

        _check_lang(lang)
        accepted = consistency.load_kb_accepted(self.knowledge_base)
        if isinstance(accept, Mapping):
            accepted.update({k: consistency.Acceptance({"": str(v)}) for k, v in accept.items()})
        elif accept is not None:
            accepted.update(consistency.load_accepted(Path(accept)))
        checker = consistency.Checker(
            self.knowledge_base,
            list(docs) if docs else None,
            against,
            seed=seed,
            budget=budget,
            across=across,
            lang=lang,
            progress=progress,
        )
        report = checker.run()
        consistency.apply_accepted(
            report, accepted, complete=set(checker.selected) >= set(self.knowledge_base.documents), lang=lang
        )
        if witnesses is not None:
            consistency.write_witnesses(report, Path(witnesses))
        return CheckReport(report, lang)

    def generate(
        self,
        output: str | os.PathLike[str],
        students: int,
        *,
        seed: int = 0,
        docs: Sequence[str] | None = None,
        fmt: str = "csv",
        force: bool = False,
        progress: Progress | None = None,
    ) -> dict[str, int]:
        """``oerlog generate``: write a synthetic, seeded cohort (one table per input relation, with boundary cases)
        to the folder ``output``, whole or not at all; the row counts per relation. ``docs``: the documents whose
        programmes and thresholds to use (default: all)."""
        if students < 1:
            raise UsageError(
                f"students must be at least 1, not {students}",
                value=students,
                example="students=1000",
                nl=f"students moet ten minste 1 zijn, niet {students}",
            )
        for d in docs or ():
            self.document(d)
        from oerlog.cohort.generate import generate  # deferred: the SQL back end (~15 ms), off the one-case path

        return generate(
            self.knowledge_base,
            Path(output),
            students,
            seed=seed,
            doc_ids=list(docs) if docs else None,
            fmt=fmt,
            progress=progress,
            force=force,
        )

    def batch(
        self,
        data: str | os.PathLike[str],
        goals: Sequence[str],
        output: str | os.PathLike[str] | None = None,
        *,
        doc: str,
        params: Params = None,
        on_error: str = "stop",
        reference_date: dt.date | None = None,
        sort: bool | None = None,
        rejects: str | os.PathLike[str] | None = None,
        progress: Progress | None = None,
    ) -> BatchResult:
        """``oerlog batch``: run ``doc`` over a cohort (``data``: a folder of CSV / Parquet tables or a DuckDB
        file) with the SQL back end; ``goals`` are conclusions (``resit_excluded``) or goals with constants;
        ``output``: an ``.csv`` or ``.parquet`` file for the rows (one per conclusion and rule, with the articles)."""
        from oerlog.cohort.batch import batch  # deferred: the SQL back end (~25 ms), off the one-case path

        if not goals:
            raise UsageError(
                "give at least one goal",
                example='kb.batch("cohort/", ["resit_excluded"], doc="...")',
                nl="geef ten minste één doel",
            )
        document = self.document(doc)
        return batch(
            self.knowledge_base,
            document.id,
            Path(data),
            list(goals),
            Path(output) if output is not None else None,
            overrides=parse_overrides(document, _param_items(params), "params"),
            on_error=on_error,
            reference_date=reference_date,
            progress=progress,
            sort=sort,
            rejects=Path(rejects) if rejects is not None else None,
        )

    def whatif(
        self,
        data: str | os.PathLike[str],
        params: Params,
        goals: Sequence[str] | None = None,
        *,
        doc: str,
        on_error: str = "stop",
        reference_date: dt.date | None = None,
        progress: Progress | None = None,
        examples: int = 3,
        lang: str = "nl",
    ) -> WhatIfResult:
        """``oerlog whatif``: the students whose conclusions (``goals``, default the shared concepts) change, both
        ways, when the parameters ``params`` of ``doc`` change (``{"resit_min_grade": 4.5}``), with up to
        ``examples`` example students per conclusion and direction whose reason is given in ``lang``. Render the
        result with :func:`oerlog.cohort.whatif.whatif_markdown` (the memo), ``whatif_csv`` or ``whatif_json``."""
        from oerlog.cohort.whatif import whatif  # deferred: the SQL back end (~25 ms), off the one-case path

        document = self.document(doc)
        overrides = parse_overrides(document, _param_items(params), "params")
        if not overrides:
            raise UsageError(
                "give at least one parameter to change",
                example='params={"resit_min_grade": 4.5}',
                nl="geef ten minste één parameter om te wijzigen",
            )
        return whatif(
            self.knowledge_base,
            document.id,
            Path(data),
            overrides,
            list(goals) if goals else None,
            on_error=on_error,
            reference_date=reference_date,
            progress=progress,
            examples=examples,
            lang=lang,
        )

    def case_from_yaml(self, text: str, source: str = "<case>") -> Case:
        """A case from the text of a case file (as typed in a form or uploaded), validated as ``oerlog why --case``
        validates a file; errors are located at ``source``, line and column. ``facts_files`` (other files named by
        the case) are refused: the text stands alone."""
        import yaml  # deferred: a plain parse to look for facts_files before the located reading

        try:
            raw = yaml.safe_load(text)
        except (yaml.YAMLError, ValueError, TypeError):
            raw = None  # the located reader below reports it
        if isinstance(raw, Mapping) and raw.get("facts_files"):
            raise UsageError(
                "a case given as text cannot name other files (facts_files)",
                Location(source, 1, 1),
                value="facts_files",
                hint="put the facts in the case itself, under facts:",
                example=EXAMPLE_CASE,
                nl="een casus die als tekst gegeven is kan geen andere bestanden noemen (facts_files)",
                hint_nl="zet de feiten in de casus zelf, onder facts:",
            )
        return load_case(Path(source), self.vocabulary, text)

    def coverage(self, doc: str) -> DocumentCoverage:
        """``oerlog coverage DOC``: per article and lid, the rules and parameters that encode it, or why it is not
        computable; the interpretations and discretionary powers of the encoding."""
        from oerlog.analysis.coverage import coverage  # deferred: off the one-case path

        return coverage(self.document(doc))

    def rule_words(self, doc: str, rule_id: str, lang: str = "nl") -> list[tuple[str, bool]]:
        """A rule of ``doc`` in words, as the reader sees it before any case: its ``@nl`` / ``@en`` sentence, each
        parameter shown with its value and each variable by what it stands for (its field's label: ``cijfer``),
        as pieces ``(text, is_placeholder)``; the head atom as written when the rule has no sentence."""
        from oerlog.explain.words import Phrasing  # deferred with the explainer

        _check_lang(lang)
        d = self.document(doc)
        rule = d.rule(rule_id)
        if rule is None:
            raise UsageError(
                f"{doc} has no rule {rule_id!r}",
                value=rule_id,
                example="resit_excluded_low_grade",
                nl=f"{doc} heeft geen regel {rule_id!r}",
            )
        template = rule.ann.template(lang)
        if not template:
            return [(str(rule.head), False)]
        ph = Phrasing(lang, self.vocabulary, None, d)
        origins = ph.origins(rule)
        pieces: list[tuple[str, bool]] = []
        pos = 0
        for m in re.finditer(r"\{(\$?)([A-Za-z_][A-Za-z0-9_]*)\}", template):
            if m.start() > pos:
                pieces.append((template[pos : m.start()], False))
            name = m.group(2)
            param = name if m.group(1) else getattr(origins.get(name), "param", None)
            decl = d.param_decl(param) if param else None
            if decl is not None and decl.value is not None:
                pieces.append((format_value(decl.value, lang), False))
            elif m.group(1):
                pieces.append(("$" + name, True))
            else:
                pieces.append((ph.variable_label(rule, name) or name, True))
            pos = m.end()
        pieces.append((template[pos:], False))
        return [p for p in pieces if p[0]]

    def scenarios(self, doc: str) -> list[Scenario]:
        """The scenario tests of ``doc`` (``oerlog test DOC``), each with its case, expectations and the rule it is
        about (``rule``)."""
        from oerlog.testing.scenarios import load_scenarios, scenario_files  # deferred: off the one-case path

        d = self.document(doc)
        return [sc for path in scenario_files(d) for sc in load_scenarios(self.knowledge_base, d, path)]

    def examples(self, doc: str) -> list[Path]:
        """The example case files of ``doc`` (``kb/<doc>/cases/*.yaml``), sorted."""
        folder = self.document(doc).path / "cases"
        return sorted(folder.glob("*.yaml")) if folder.is_dir() else []

    def graph(
        self, docs: Sequence[str] | None = None, level: str = "predicate", focus: str | None = None, depth: int = 2
    ) -> nx.MultiDiGraph:
        """``oerlog graph``: the rule-dependency graph (networkx) of ``docs`` at ``level`` (``predicate``,
        ``rule`` or ``article``), around ``focus`` (a predicate, rule id or article; ``depth`` steps each way)
        when given. Nodes carry ``label``, ``kind``, ``document``, ``stratum``, ``rules``, ``text``, ``quote``;
        edges ``polarity`` (positive, negative, exception) and ``rule``."""
        from oerlog.analysis import graph  # deferred: networkx (~60 ms), off the one-case path

        g = graph.build(self.knowledge_base, list(docs) if docs else None, level)
        return graph.focus(g, focus, depth) if focus else g

    def accept_finding(
        self, doc: str, finding_id: str, verdict: str, article: str, reason: str, *, lang: str | None = None
    ) -> Path:
        """Record a reviewed finding of :meth:`check` in ``kb/<doc>/accepted-findings.yaml`` (appended; the file's
        entries and comments kept), with its ``verdict`` (``regulation_issue``, ``institutional_difference``,
        ``refinement_intended``, ``text_leaves_open``), the article it concerns and the reason (written in
        ``lang`` when given: ``oerlog lint`` then asks for the other language); the file."""
        from oerlog.analysis.consistency import add_kb_acceptance  # deferred: the checker (see check)

        if lang is not None:
            _check_lang(lang)
        return add_kb_acceptance(self.document(doc).path, finding_id, verdict, article, reason, lang=lang)

    def cohort_case(
        self,
        data: str | os.PathLike[str],
        student: str,
        goals: Sequence[str],
        *,
        doc: str,
        reference_date: dt.date | None = None,
    ) -> Case:
        """One student of a cohort (``data``, as :meth:`batch` reads it) as a case: the student's records that the
        ``goals`` depend on, each fact located at its file and line, to judge with :meth:`judge` and prove."""
        from oerlog.cohort.database import Cohort, names_of, parse_goals  # deferred: the SQL back end
        from oerlog.cohort.explain import student_case

        d = self.document(doc)
        c = Cohort(self.knowledge_base, Path(data), on_error="reject", reference_date=reference_date)
        try:
            prog = c.compile(d, names_of(parse_goals(d, list(goals))), None, "derived")
            c.require([r for r in prog.inputs if r in c.voc.relations])
            return student_case(c, prog.inputs, student)
        finally:
            c.close()


class Judgement:
    """A case judged under one regulation: ask it questions (goals as strings) and get answers with proofs.

    The rules are evaluated on the first question (:attr:`evaluation`), after its goal has been checked."""

    def __init__(
        self,
        kb: KB,
        case: Case,
        document: Document,
        selection: str,
        overrides: dict[str, Value],
        timeout: float | None = None,
    ) -> None:
        self.kb = kb
        self.case = case
        self.document = document
        self.selection = selection  # chosen | case | scope: how the document was decided
        self.overrides = overrides
        self.timeout = timeout
        self._evaluation: Evaluation | None = None

    def __repr__(self) -> str:
        return f"<oerlog.Judgement of {self.case.path or 'a case'} under {self.document.id}>"

    @property
    def notes(self) -> list[str]:
        """Remarks on the case's input (a fact stated twice), located."""
        return self.case.notes

    @property
    def evaluation(self) -> Evaluation:
        """The evaluated model with everything needed to explain or recompute it (evaluated on first use)."""
        if self._evaluation is None:
            ev = judge(self.kb.knowledge_base, self.case, self.document.id, self.overrides, timeout=self.timeout)
            ev.selection = self.selection
            self._evaluation = ev
        return self._evaluation

    def receipt(self) -> dict[str, Any]:
        """What is needed to recompute this judgement: oerlog version, document and version, KB and case hashes,
        reference date, parameter overrides."""
        return self.evaluation.receipt()

    def goal(self, text: str) -> ir.Atom:
        """``text`` parsed as a goal, checked against the document (predicate, arity) and typed by the vocabulary."""
        if not isinstance(text, str):
            raise UsageError(
                f"a goal is a string, not {type(text).__name__}",
                value=repr(text),
                example='resit_excluded("anna", C)',
                nl=f"een doel is een tekst (str), geen {type(text).__name__}",
            )
        return parse_goal(self.document, text)

    def query(self, goal: str) -> list[tuple[Value, ...]]:
        """The facts matching ``goal``, as tuples of their arguments (``oerlog query``)."""
        atom = self.goal(goal)
        return self.evaluation.answers(atom)

    def undetermined(self, goal: str) -> list[tuple[Value, ...]]:
        """The facts matching ``goal`` that are undetermined: they may hold, but wait for a fact the case does not
        state, a body's decision or a choice the document leaves open (``oerlog query`` lists them with status)."""
        atom = self.goal(goal)
        return self.evaluation.model.match_undetermined(atom)

    def conclusions(self, lang: str = "nl", *, everything: bool = False) -> list[Conclusion]:
        """The shared concepts this document decides (``cum_laude``, ``resit_excluded``, ...), each fact that holds
        or is undetermined for the case, and each concept with no such fact as does not hold; in words. With
        ``everything``, also the facts of the document's own derived relations (the steps between), those that
        hold or are undetermined."""
        from oerlog.explain.words import Phrasing  # deferred with the explainer

        _check_lang(lang)
        ev = self.evaluation
        ph = Phrasing(lang, self.kb.vocabulary, self.case.names, self.document)
        concepts = self.kb.vocabulary.concepts
        students = {  # the students the case states facts about (a field named student)
            row[i]
            for pred, rows in self.case.facts.items()
            if (rel := self.kb.vocabulary.relation(pred)) is not None and rel.kind == "input"
            for i, f in enumerate(rel.fields)
            if f.name == "student"
            for row in rows
            if i < len(row)
        }
        out: list[Conclusion] = []
        for pred in sorted(p for p in self.document.predicates() if everything or p in concepts):
            label = ph.conclusion_label(pred)
            holds = sorted(ev.model.tuples(pred), key=_row_key)
            open_ = sorted(ev.model.undetermined(pred), key=_row_key)
            for status, rows in (("holds", holds), ("undetermined", open_)):
                for r in rows:
                    goal = f"{pred}({', '.join(format_literal(v) for v in r)})"
                    out.append(Conclusion(pred, label, goal, status, ph.fact(pred, r) or goal, r))
            if not holds and not open_ and pred in concepts:
                # the question as asked about the case's one student, when there is one
                names = [f.name for f in concepts[pred].fields]
                args = [_VARS[i] if i < len(_VARS) else f"X{i}" for i in range(len(names))]
                if names and names[0] == "student" and len(students) == 1:
                    args[0] = format_literal(next(iter(students)))
                goal = f"{pred}({', '.join(args)})"
                out.append(Conclusion(pred, label, goal, "does_not_hold", label, ()))
        return out

    def holds(self, goal: str) -> bool:
        """Whether some fact matches ``goal``."""
        return bool(self.query(goal))

    def why(
        self,
        goal: str,
        lang: str = "nl",
        *,
        brief: bool = False,
        depth: int | None = None,
        detail: bool = False,
        undetermined: bool = False,
    ) -> Explanation:
        """The proof of every fact matching ``goal`` (``oerlog why``): the answer, the decisive rule with its
        article and the values it turns on, then the rules applied, the provisions they cite (quoted), the facts
        with their source and the comparisons, in words. ``brief``, ``depth`` and ``detail`` are the options of
        ``oerlog why``. With ``undetermined``, a goal that does not hold but may is explained as ``oerlog why``
        does: what it waits for. Raises :class:`DoesNotHold` when no fact matches (:meth:`whynot` says why)."""
        _check_lang(lang)
        atom = self.goal(goal)
        ev = self.evaluation
        rows = ev.answers(atom)
        if not rows and undetermined and ev.model.match_undetermined(atom):
            ex = Explainer(ev.model, ev.document, ev.case.sources, lang)
            open_trees = tuple(ex.undetermined(atom.pred, r) for r in ev.model.match_undetermined(atom))
            return Explanation("why", goal, open_trees, ev, lang, Options(detail, depth, brief), ex.derivations)
        if not rows:
            raise DoesNotHold(
                f"{goal} does not hold in this case",
                value=goal,
                hint="ask whynot(goal) for the condition that fails",
                example=f"j.whynot({goal!r})",
                nl=f"{goal} geldt niet in deze casus",
                hint_nl="vraag whynot(goal) naar de voorwaarde die niet vervuld is",
            )
        ex = Explainer(ev.model, ev.document, ev.case.sources, lang)
        trees = tuple(ex.why(atom.pred, r) for r in rows)
        return Explanation("why", goal, trees, ev, lang, Options(detail, depth, brief), ex.derivations)

    def whynot(
        self, goal: str, lang: str = "nl", *, brief: bool = False, depth: int | None = None, detail: bool = False
    ) -> Explanation:
        """Why ``goal`` does not hold (``oerlog whynot``): the rule that came closest first and, per rule that could
        derive it, the conditions that fail (what the case would need), and the exceptions that overrode it."""
        _check_lang(lang)
        atom = self.goal(goal)
        ev = self.evaluation
        ex = Explainer(ev.model, ev.document, ev.case.sources, lang)
        return Explanation("whynot", goal, (ex.whynot(atom),), ev, lang, Options(detail, depth, brief), ex.derivations)

    def appeal(self, decision: str, want: str | None = None, lang: str = "nl", argument: str | None = None) -> Dossier:
        """An appeal dossier for one ``decision`` (``oerlog appeal``) that holds or is undetermined: facts with
        sources, reasoning with articles, the exceptions and routes the student could take, the student's
        ``argument`` answered first, why not the outcome wanted (``want``; default the concept the vocabulary
        declares exclusive with the decision), verified counterfactuals a student or body could bring about, appeal
        route and deadline, discretionary powers, a receipt and the verbatim provisions. A decision that does not
        hold is a :class:`~oerlog.errors.UsageError` (``oerlog whynot`` explains it)."""
        from oerlog.appeal.dossier import build  # deferred: the counterfactual search (~10 ms), off `why`

        _check_lang(lang)
        atom = self.goal(decision)
        wanted = self.goal(want) if want is not None else None
        return Dossier(build(self.evaluation, atom, lang, wanted, argument=argument))


@dataclass(frozen=True)
class Conclusion:
    """One answer of :meth:`Judgement.conclusions`: a concept (``pred``, named ``label``), the goal to ask about
    it (``goal``: the fact, or the concept with variables when nothing holds), its ``status`` (``holds``,
    ``undetermined``, ``does_not_hold``), the fact in words (``text``) and its arguments (``row``)."""

    pred: str
    label: str
    goal: str
    status: str
    text: str
    row: tuple[Value, ...]


_VARS = ("S", "C", "T", "D", "X", "Y", "Z", "U", "V", "W")


def _row_key(r: tuple[Value, ...]) -> tuple[str, ...]:
    return tuple(format_literal(v) for v in r)


@dataclass(frozen=True, eq=False)
class Dossier:
    """An appeal dossier (:attr:`data`, :class:`oerlog.appeal.dossier.Dossier`), rendered as Markdown (a letter),
    one printable HTML page, an A4 PDF of that page, or JSON (schema ``oerlog.dossier/3``)."""

    data: DossierData

    def markdown(self) -> str:
        """The dossier as Markdown (every value escaped)."""
        from oerlog.appeal.render import to_markdown  # deferred with the dossier (see Judgement.appeal)

        return to_markdown(self.data)

    def html(self) -> str:
        """The dossier as one self-contained printable HTML page."""
        from oerlog.appeal.render import to_html  # deferred with the dossier (see Judgement.appeal)

        return to_html(self.data)

    def pdf(self) -> bytes:
        """The HTML page printed to an A4 PDF with page numbers by headless Chromium (a usage error when no
        Chromium is found)."""
        from oerlog.appeal.pdf import html_to_pdf  # deferred with the dossier (see Judgement.appeal)

        return html_to_pdf(self.html())

    def json(self) -> str:
        """The dossier as JSON text."""
        return json.dumps(self.data.to_dict(), indent=2, ensure_ascii=False, default=str)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready data."""
        return self.data.to_dict()

    def __str__(self) -> str:
        return self.markdown()

    def _repr_markdown_(self) -> str:
        return self.markdown()


@dataclass(frozen=True, eq=False)
class CheckReport:
    """The outcome of :meth:`KB.check` (:attr:`report`, :class:`oerlog.analysis.consistency.Report`): findings
    with witnesses, rendered as text, a Markdown memo or JSON."""

    report: Report
    lang: str = "nl"
    detail: bool = False  # the rule ids on each side of a finding (for the KB's authors)

    @property
    def findings(self) -> list[CheckFinding]:
        """Every finding, accepted or not."""
        return list(self.report.findings)

    def open_findings(self, strict: bool = False) -> list[CheckFinding]:
        """Findings not accepted: errors and warnings (with ``strict`` also info); ``oerlog check`` exits 1 on any."""
        return list(self.report.open_findings(strict))

    def text(self, proofs: bool = True) -> str:
        """The terminal report (``proofs``: with the proof trees)."""
        from oerlog.analysis.consistency import to_text_report  # deferred: the checker (see KB.check)

        return to_text_report(self.report, self.lang, proofs=proofs, detail=self.detail)

    def markdown(self) -> str:
        """The Markdown memo for the examencommissie."""
        from oerlog.analysis.consistency import to_markdown_report  # deferred: the checker (see KB.check)

        return to_markdown_report(self.report, self.lang, detail=self.detail)

    def html(self) -> str:
        """The memo as a standalone HTML page."""
        from oerlog.analysis.consistency import to_html_report  # deferred: the checker (see KB.check)

        return to_html_report(self.report, self.lang, detail=self.detail)

    def json(self) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready data."""
        from oerlog.analysis.consistency import report_dict  # deferred: the checker (see KB.check)

        data: dict[str, Any] = report_dict(self.report, self.lang)
        return data

    def __str__(self) -> str:
        return self.text()

    def _repr_markdown_(self) -> str:
        return self.markdown()


# --- helpers -------------------------------------------------------------------------------------------------


def case_from_mapping(voc: Vocabulary, data: Mapping[str, Any], source: str = "<mapping>") -> Case:
    """A case from a Python mapping: the shape of a case file (with ``facts``), or its ``facts`` alone; validated
    like a case file (errors are located at ``source`` and the record's number)."""
    if "facts" not in data:
        data = {"facts": data}
    unknown = [k for k in data if k not in CASE_KEYS]
    if unknown:
        raise UsageError(
            f"a case has no key {unknown[0]!r}",
            Location(source),
            value=unknown[0],
            hint="keys: " + ", ".join(CASE_KEYS),
            example=EXAMPLE_CASE,
            nl=f"een casus heeft geen sleutel {unknown[0]!r}",
            hint_nl="sleutels: " + ", ".join(CASE_KEYS),
        )
    facts = data.get("facts") or {}
    if not isinstance(facts, Mapping) or not all(isinstance(r, (list, tuple)) for r in facts.values()):
        raise UsageError(
            "facts map relation names to lists of records (mappings of field names to values)",
            Location(source),
            example=EXAMPLE_CASE,
            nl="facts beeldt relatienamen af op lijsten van records (mappings van veldnamen naar waarden)",
        )
    ref = _date_setting(data, "reference_date", source)
    case = case_from_records(voc, {str(k): list(v) for k, v in facts.items()}, ref, source)
    if not case.reference_date and case.facts.get("reference_date"):
        (case.reference_date,) = next(iter(case.facts["reference_date"]))  # type: ignore[assignment]
    case.decision_date = _date_setting(data, "decision_date", source)
    if data.get("document") is not None:
        case.document = str(data["document"])
    return case


def _date_setting(data: Mapping[str, Any], key: str, source: str) -> dt.date | None:
    """A top-level date of a case mapping (``reference_date``, ``decision_date``), read like a case file's."""
    if data.get(key) is None:
        return None
    fld = Field(key, "date")
    day = convert(data[key], None, fld, Relation("case", (fld,)), Location(source))
    assert isinstance(day, dt.date)
    return day


def _param_items(params: Params) -> dict[str, str] | list[str] | None:
    """Parameter overrides as :func:`oerlog.evaluation.judge.parse_overrides` reads them."""
    if params is None:
        return None
    if isinstance(params, Mapping):
        return {str(k): _param_text(v) for k, v in params.items()}
    if isinstance(params, str):
        return [params]
    return [str(p) for p in params]


def _param_text(value: Any) -> str:
    """A parameter value given in Python, as it would be written on the command line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise UsageError(
            f"lang is nl or en, not {lang!r}", value=lang, example='lang="en"', nl=f"lang is nl of en, niet {lang!r}"
        )
