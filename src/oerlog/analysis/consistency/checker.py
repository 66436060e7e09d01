"""The consistency check (``oerlog check``): every seed with its boundary values, pairwise combinations and seeded
mutations, evaluated in batches, compared within each document and between each R&A/R&R and its frame OER.

The run is deterministic: the scenarios, their order and the witnesses depend only on the KB and the seed (no
time budget; ``budget`` is a number of scenarios). Phases (their seconds go to :attr:`Stats.phases`):

1. **generate**: the seeds (the documents' case files and scenario tests) are evaluated under every document that
   judges them; the threshold search (:class:`oerlog.explain.thresholds.Generator`) gives the boundary values of
   every comparison the seed reaches; each seed gets every single boundary change, pairwise combinations and
   seeded random mutations. Scenarios equal after canonicalisation are made once.
2. **evaluate**: each document judges all its scenarios in a few batched runs (:mod:`.explore`); a scenario that
   breaks an integrity constraint of the world (``constraints:`` in the vocabulary) is dropped, counted.
3. **detect**: the findings each scenario shows (:mod:`.detect`); the first scenario in order is the witness.
4. **minimise**: each witness is reduced to the facts the finding needs (:mod:`.minimise`).
5. **prove**: both sides of each finding are proved on the minimal witness (pyDatalog, with quotes).

Then the findings read from the documents alone (:mod:`.static`, :mod:`.references`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from oerlog.analysis.consistency.detect import Detector, Hit, Part
from oerlog.analysis.consistency.explore import Judge
from oerlog.analysis.consistency.findings import KIND_ORDER, SEVERITIES, Finding, Report, Side, Stats
from oerlog.analysis.consistency.minimise import minimise
from oerlog.analysis.consistency.references import dangling_references
from oerlog.analysis.consistency.scenarios import (
    Scenario,
    Seed,
    apply_sets,
    collect_seeds,
    facts_key,
    pairwise_combinations,
    reference_date_of,
)
from oerlog.analysis.consistency.static import parameter_differences, unfilled_choices, worked_examples
from oerlog.analysis.consistency.text import citation_label, citations_of, fact_text, provision_text, row_text
from oerlog.analysis.consistency.witnesses import story, witness_yaml
from oerlog.analysis.constraints import ConstraintChecker
from oerlog.errors import OerlogError
from oerlog.evaluation.engine import evaluate
from oerlog.explain.explainer import Explainer, RuleInfo
from oerlog.explain.items import Options
from oerlog.explain.layout import story_markdown, story_text
from oerlog.explain.story import tell_all
from oerlog.explain.thresholds import Dimension, Generator, _is_order, value_sort_key
from oerlog.explain.words import Phrasing
from oerlog.kb.loader import Document, KnowledgeBase
from oerlog.lang import ir
from oerlog.semantics.model import Model, Row, ground
from oerlog.semantics.plan import RuleKind
from oerlog.testing.scenarios import Scenario as ScenarioTest
from oerlog.values import Value, format_value

PAIRWISE_PER_SEED = 12  # pairwise combinations of boundary values per seed
RANDOM_PER_SEED = 4  # seeded random mutations per seed

Progress = Callable[[str, int, int], None]  # (phase, done, total)


class Checker:
    """Runs the check over a set of documents (see the module documentation)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        doc_ids: list[str] | None = None,
        against: str | None = None,
        *,
        seed: int = 0,
        budget: int | None = None,
        across: bool = False,
        lang: str = "nl",
        progress: Progress | None = None,
    ) -> None:
        self.kb = kb
        self.lang = lang
        self.seed = seed
        self.budget = budget
        self.progress = progress
        self.notes: list[str] = []
        selected = sorted(doc_ids) if doc_ids else sorted(kb.documents)
        for d in selected + ([against] if against else []):
            kb.document(d)
        self.selected = selected
        pairs: dict[tuple[str, str], str] = {}
        for d in sorted(set(selected) | ({against} if against else set())):
            frame = kb.documents[d].meta.get("frame")
            if not frame:
                continue
            if frame not in kb.documents:
                self.notes.append(f"{d} names the frame {frame}, which is not in the knowledge base")
                continue
            pairs[(d, str(frame))] = "frame"
        if against:
            for d in selected:
                if d != against and (d, against) not in pairs and (against, d) not in pairs:
                    pairs[(d, against)] = "against"
        if across:
            for i, a in enumerate(selected):
                for b in selected[i + 1 :]:
                    if (a, b) not in pairs and (b, a) not in pairs:
                        pairs[(a, b)] = "across"
        self.pairs = pairs
        self.docs = sorted(set(selected) | {x for p in pairs for x in p})
        self.partners: dict[str, list[str]] = {d: [] for d in self.docs}
        for a, b in sorted(pairs):
            self.partners[a].append(b)
            self.partners[b].append(a)
        self.judges: dict[str, Judge] = {}
        self.constraints = ConstraintChecker(kb.vocabulary)
        self.stats = Stats(seed=seed, budget=budget)
        self.loaded: dict[str, list[tuple[Path, ScenarioTest]]] = {}
        self.findings: dict[str, Finding] = {}

    def judge(self, d: str) -> Judge:
        """The document as the check evaluates it (built once)."""
        if d not in self.judges:
            self.judges[d] = Judge.of(self.kb, self.kb.documents[d], self.notes)
        return self.judges[d]

    @contextmanager
    def _phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stats.phases[name] = self.stats.phases.get(name, 0.0) + time.perf_counter() - start

    def _tick(self, phase: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(phase, done, total)

    # --- the run ----------------------------------------------------------------------------------------

    def run(self) -> Report:
        """All phases; the report's findings sorted by severity, kind, documents and id."""
        detector = Detector(self.kb.vocabulary, {d: self.judge(d) for d in self.docs}, self.pairs)
        seeds = collect_seeds(self.kb, self.selected, self.notes, self.loaded)
        self.stats.seeds_available = len(seeds)
        groups = self._groups(seeds)
        if len(groups) > 1 and self.budget is None and _workers() > 1:
            parts = _in_parallel(self, groups)
        else:
            parts = [self._explore(detector, seeds)]
        witnesses: dict[str, tuple[Hit, Scenario]] = {}
        for found, stats, notes in parts:
            for hid, w in found.items():
                witnesses.setdefault(hid, w)
            self.stats.merge(stats)
            self.notes.extend(notes)
        with self._phase("minimise"):
            minimal, shown = minimise(self, detector, witnesses)
        with self._phase("prove"):
            for hid in sorted(witnesses):
                hit, sc = witnesses[hid]
                facts = minimal.get(hid, sc.facts)
                self._add(self._finding(shown.get(hid, hit), sc, facts))  # the rows the minimal witness shows
            self._static()
        findings = sorted(
            self.findings.values(),
            key=lambda f: (SEVERITIES.index(f.severity), KIND_ORDER.index(f.kind), f.provision, f.documents, f.id),
        )
        pairs = [(a, b, rel) for (a, b), rel in sorted(self.pairs.items())]
        return Report(self.selected, pairs, findings, self.stats, self.notes)

    def _groups(self, seeds: list[Seed]) -> list[list[Seed]]:
        """The seeds split by the groups of documents compared with each other (a document with its frame OER;
        the pairs asked for), largest group first: groups share no evaluation and can be explored apart."""
        parent = {d: d for d in self.docs}

        def root(d: str) -> str:
            while parent[d] != d:
                d = parent[d]
            return d

        for a, b in self.pairs:
            parent[root(a)] = root(b)
        by_root: dict[str, list[Seed]] = {}
        for s in seeds:
            by_root.setdefault(root(s.document), []).append(s)
        return sorted(by_root.values(), key=lambda g: (-len(g), g[0].document))

    def _explore(
        self, detector: Detector, seeds: list[Seed]
    ) -> tuple[dict[str, tuple[Hit, Scenario]], Stats, list[str]]:
        """Phases 1-3 for ``seeds``: the first witness of every finding, the statistics and notes of the work."""
        stats, notes = self.stats, self.notes
        self.stats, self.notes = Stats(seed=self.seed, budget=self.budget), []
        try:
            with self._phase("generate"):
                scenarios = self._generate(seeds)
            with self._phase("evaluate"):
                answers = self._evaluate(scenarios)
                witnesses: dict[str, tuple[Hit, Scenario]] = {}
                for sc, models in zip(scenarios, answers, strict=True):
                    if models is None:
                        continue
                    for hit in detector.hits(models):
                        witnesses.setdefault(hit.id, (hit, sc))
            return witnesses, self.stats, self.notes
        finally:
            self.stats, self.notes = stats, notes

    # --- phase 1: scenarios -------------------------------------------------------------------------------

    def _generate(self, seeds: list[Seed]) -> list[Scenario]:
        by_doc: dict[str, list[Seed]] = {}
        for s in seeds:
            by_doc.setdefault(s.document, []).append(s)
        dims: dict[int, list[Dimension]] = {}
        valid: set[int] = set()
        comparisons: dict[str, set[str]] = {}  # "rule: comparison" -> labels of values seen
        memos: dict[str, dict[object, list[Value]]] = {}  # per document: the threshold search's memo
        done = 0
        for d, group in sorted(by_doc.items()):
            judges = [d] + self.partners[d]
            merged: list[dict[tuple[tuple[str, Row, int], ...], Dimension]] = [{} for _ in group]
            for j in judges:
                models = self.judge(j).full_models([s.case.facts for s in group])
                for k, (s, m) in enumerate(zip(group, models, strict=True)):
                    if m is None:
                        continue
                    if j == d:
                        if self.constraints.violated(s.case.facts):
                            self.notes.append(f"seed {s.label} breaks an integrity constraint (see oerlog lint)")
                            continue
                        valid.add(id(s))
                    memo = memos.setdefault(j, {})
                    for dim in Generator(self.kb, m.plan, m, self.kb.documents[j], memo).dimensions():
                        comparisons.setdefault(f"{j} {_comparison(dim)}", set()).update(
                            format_value(v) for v in dim.values
                        )
                        old = merged[k].get(dim.targets)
                        if old is None:
                            merged[k][dim.targets] = dim
                        else:
                            vals = tuple(sorted(set(old.values) | set(dim.values), key=value_sort_key))
                            merged[k][dim.targets] = Dimension(dim.targets, vals, old.label)
            for k, s in enumerate(group):
                dims[id(s)] = sorted(merged[k].values(), key=lambda x: (x.label, repr(x.targets)))
            done += len(group)
            self._tick("generate", done, len(seeds))
        self._threshold_coverage(comparisons, sorted({j for s in seeds for j in self._judges_of(s)}))
        # seeds first (every document in turn), then each seed's mutations; duplicates made once
        order = [s for s in _round_robin(by_doc) if id(s) in valid]
        made: list[Scenario] = []
        seen: set[str] = set()
        for sc in itertools.chain(
            (
                Scenario(f, f, "seed", s.case.facts, s.case.reference_date, self._judges_of(s))
                for s in order
                for f in [f"{s.document}:{s.label}"]
            ),
            (sc for s in order for sc in self._mutations(s, dims[id(s)])),
        ):
            self.stats.generated += 1
            key = facts_key(sc.facts)
            if key in seen:
                self.stats.duplicates += 1
                continue
            seen.add(key)
            made.append(sc)
        # only cases that can occur (the seeds were checked above), up to the budget
        invalid = self.constraints.violated_many(
            self.kb.documents[made[0].docs[0]] if made else next(iter(self.kb.documents.values())),
            [sc.facts if sc.kind != "seed" else {} for sc in made],
        )
        out: list[Scenario] = []
        for sc, bad in zip(made, invalid, strict=True):
            if bad:
                self.stats.invalid += 1
            elif self.budget is not None and len(out) >= self.budget:
                self.stats.truncated = True
                break
            else:
                out.append(sc)
        return out

    def _judges_of(self, s: Seed) -> list[str]:
        return [s.document] + self.partners[s.document]

    def _mutations(self, s: Seed, dim_list: list[Dimension]) -> Iterator[Scenario]:
        family = f"{s.document}:{s.label}"
        rng = random.Random(f"{self.seed}:{family}")
        ref = s.case.reference_date
        plans: list[tuple[str, list[tuple[Dimension, Value]]]] = []
        plans += [("boundary", [(dim, v)]) for dim in dim_list for v in dim.values]
        plans += [("pairwise", combo) for combo in pairwise_combinations(dim_list, PAIRWISE_PER_SEED)]
        for _ in range(min(RANDOM_PER_SEED, 2 * len(dim_list))):
            picks = rng.sample(dim_list, k=min(len(dim_list), rng.randint(1, 3)))
            plans.append(("random", [(dm, _random_value(self.kb, dm, rng)) for dm in picks]))
        for kind, combo in plans:
            sets = [(p, r, i, v) for dm, v in combo for (p, r, i) in dm.targets]
            facts = apply_sets(s.case.facts, sets)
            changes = [f"{dm.label} := {format_value(v)}" for dm, v in combo]
            name = f"{family} [{'; '.join(changes)}]"
            yield Scenario(name, family, kind, facts, reference_date_of(facts, ref), self._judges_of(s), changes)

    def _threshold_coverage(self, seen: dict[str, set[str]], docs: list[str]) -> None:
        """Per threshold comparison of the judged documents' rules: reached with values on both sides, on one, or
        not at all."""
        every: set[str] = set()
        for d in docs:
            for cr in self.judge(d).plan.rules:
                for st in cr.steps:
                    if _is_order(st):
                        every.add(f"{d} {cr.id}: {st.literal}")
        reached = {k for k in seen}
        self.stats.thresholds = len(every)
        self.stats.both_sides = len([k for k in every if len(seen.get(k, ())) >= 2])
        self.stats.one_sided = sorted(k for k in every if len(seen.get(k, ())) == 1)
        self.stats.unreached = sorted(every - reached)

    # --- phase 2: evaluation ------------------------------------------------------------------------------

    def _evaluate(self, scenarios: list[Scenario]) -> list[dict[str, Model] | None]:
        """Every scenario under its documents; None for a scenario its own document cannot evaluate."""
        per_doc: dict[str, list[int]] = {}
        for i, sc in enumerate(scenarios):
            for d in sc.docs:
                per_doc.setdefault(d, []).append(i)
        answers: list[dict[str, Model]] = [{} for _ in scenarios]
        total = sum(len(v) for v in per_doc.values())
        done = 0
        for d, idx in sorted(per_doc.items()):
            judge = self.judge(d)
            offset = done

            def tick(n: int, offset: int = offset) -> None:
                self._tick("evaluate", offset + n, total)

            results = judge.run([scenarios[i].facts for i in idx], progress=tick)
            done += len(idx)
            for i, m in zip(idx, results, strict=True):
                self.stats.evaluations += 1
                if isinstance(m, Model):
                    answers[i][d] = m
                elif d == scenarios[i].docs[0]:
                    self.stats.failed += 1
                    if self.stats.failed <= 3:
                        self.notes.append(f"{d}: scenario not evaluated: {m.message}")
        out: list[dict[str, Model] | None] = []
        for sc, models in zip(scenarios, answers, strict=True):
            if sc.docs[0] not in models:
                out.append(None)
                continue
            counter = "seeds" if sc.kind == "seed" else sc.kind
            setattr(self.stats, counter, getattr(self.stats, counter) + 1)
            out.append(models)
        return out

    # --- phase 5: findings with proofs ------------------------------------------------------------------

    def _finding(self, hit: Hit, sc: Scenario, facts: dict[str, set[Row]]) -> Finding:
        ref = reference_date_of(facts, sc.reference_date)
        sides = [self._told(self._side(p.document, p.pred, p.row, p.holds, facts), p.document) for p in hit.parts]
        if hit.kind == "gap":
            sides = sides[:1] + [s for s in sides[1:]]
        f = Finding(hit.kind, _title(self.kb, hit, self.lang), list(hit.documents), hit.concept, list(hit.key), sides)
        f.note = hit.note
        f.witness = witness_yaml(self.kb, facts, ref, f, sc)
        f.story = story(self.kb, facts, ref, self.lang)
        f.scenario = f"{sc.kind}: {sc.name}"
        first = next((lb for s in sides for lb, _ in s.citations), "")
        f.provision = f"{hit.parts[0].document} {first}" if first else ""
        return f

    def _side(self, d: str, pred: str, t: Row, holds: bool, facts: dict[str, set[Row]]) -> Side:
        doc = self.kb.documents[d]
        atom = fact_text(pred, t)
        try:
            m = evaluate(doc.plan(), facts, isolate=False)
        except OerlogError as exc:
            self.notes.append(f"{d}: the witness of {atom} could not be proved: {exc.message}")
            infos = _rule_infos(doc, pred)
            return Side(d, atom, holds, [i.id for i in infos], citations_of(infos), None, atom)
        ex = Explainer(m, doc, None, self.lang)
        if holds and m.holds(pred, t):
            ids = _rules_deriving(doc, m, pred, t)
            infos = [RuleInfo.of(r, doc) for r in doc.program.rules if r.id in ids and not r.defeats]
            said = _holds_text(Phrasing(self.lang, self.kb.vocabulary), pred, t, True)
            return Side(d, said, True, ids, citations_of(infos), ex.why(pred, t), atom)
        if holds:  # the batched evaluation of the witness found it; the proving engine does not: never hidden
            self.notes.append(
                f"{d}: {atom} holds in the batched evaluation of the minimal witness but is not proved by pyDatalog"
            )
        infos = _rule_infos(doc, pred) or _related_infos(self.kb, doc, pred)
        node = ex.whynot(ir.Atom(pred, tuple(ir.Const(v) for v in t))) if _rule_infos(doc, pred) else None
        said = _holds_text(Phrasing(self.lang, self.kb.vocabulary), pred, t, False)
        return Side(d, said, False, [i.id for i in infos], citations_of(infos), node, atom)

    def _told(self, side: Side, d: str) -> Side:
        """The side's proof told for a reader (the explanations' summary-first story, in the memo's language)."""
        if side.proof is None:
            return side
        doc = self.kb.documents[d]
        kind = "why" if side.holds else "whynot"
        try:
            story = tell_all(kind, (side.proof,), Phrasing(self.lang, self.kb.vocabulary, {}, doc), Options())[0]
        except (OerlogError, KeyError, ValueError, TypeError) as exc:  # the older renderer stays available
            self.notes.append(f"{d}: the proof of {side.goal} could not be told in words: {exc}")
            return side
        side.proof_text = story_text(story, self.lang, Options(), doc.title)
        side.proof_md = story_markdown(story, self.lang, Options())
        return side

    def _add(self, f: Finding) -> None:
        if not f.provision:
            first = next((lb for sd in f.sides for lb, _ in sd.citations), "")
            f.provision = first if first.startswith(tuple(f.documents)) or not first else f"{f.documents[0]} {first}"
        self.findings.setdefault(f.id, f)

    def _static(self) -> None:
        for f in parameter_differences(self.kb, self.pairs, self.lang):
            self._add(f)
        for d in self.selected:
            for f in unfilled_choices(self.kb, d, self.lang):
                self._add(f)
            for f in worked_examples(self.kb, d, self.loaded.get(d, []), self.lang, self.stats, self.notes):
                for side in f.sides:
                    self._told(side, d)  # the rule's proof told for a reader, as the other findings' proofs
                self._add(f)
            for f in dangling_references(self.kb, d, self.lang):
                self._add(f)


_PARALLEL: tuple[Checker, list[list[Seed]]] | None = None  # what a forked worker explores (inherited, not pickled)


def _workers() -> int:
    """Worker processes for exploring groups of documents apart: the cores there are (at most 2 used), where
    processes can be forked."""
    return min(2, os.cpu_count() or 1) if "fork" in multiprocessing.get_all_start_methods() else 1


def _explore_group(i: int) -> tuple[dict[str, tuple[Hit, Scenario]], Stats, list[str]]:
    assert _PARALLEL is not None
    checker, groups = _PARALLEL
    detector = Detector(checker.kb.vocabulary, {d: checker.judge(d) for d in checker.docs}, checker.pairs)
    return checker._explore(detector, groups[i])


def _in_parallel(
    checker: Checker, groups: list[list[Seed]]
) -> list[tuple[dict[str, tuple[Hit, Scenario]], Stats, list[str]]]:
    """Explore the groups in forked worker processes; the results in the groups' order (so the report does not
    depend on which finished first)."""
    global _PARALLEL
    _PARALLEL = (checker, groups)
    try:
        pool = multiprocessing.get_context("fork").Pool(_workers())
        try:
            results = pool.map(_explore_group, range(len(groups)), chunksize=1)
        except BaseException:
            pool.terminate()
            raise
        else:
            pool.close()  # the workers end on their own: terminating them would interrupt them (a traceback each)
        finally:
            pool.join()
        return results
    finally:
        _PARALLEL = None


def _round_robin(by_doc: dict[str, list[Seed]]) -> list[Seed]:
    groups = [by_doc[d] for d in sorted(by_doc)]
    out: list[Seed] = []
    for k in range(max((len(g) for g in groups), default=0)):
        out.extend(g[k] for g in groups if k < len(g))
    return out


def _comparison(dim: Dimension) -> str:
    """The threshold comparison a dimension was found at: "<document> <rule>: <comparison>"."""
    label = dim.label
    inner = label[label.index("(") + 1 : -1] if "(" in label else label
    return inner


def _random_value(kb: KnowledgeBase, d: Dimension, rng: random.Random) -> Value:
    pred, row, i = d.targets[0]
    ftype = kb.vocabulary.relations[pred].fields[i].type
    v = row[i]
    if rng.random() < 0.5:
        return rng.choice(d.values)
    if isinstance(v, dt.date):
        return v + dt.timedelta(days=rng.randint(-60, 60))
    if ftype == "grade":
        return Decimal(rng.randint(10, 100)) / 10
    if isinstance(v, int) and not isinstance(v, bool):
        return max(0, v + rng.randint(-3, 3))
    if isinstance(v, Decimal):
        return max(Decimal(0), v + Decimal(rng.randint(-30, 30)) / 10)
    return rng.choice(d.values)


def _said(ph: Phrasing, pred: str, row: Row) -> str | None:
    """The fact as the vocabulary's sentence says it, quoted (‘anna is uitgesloten van de herkansing van Vorm en
    functie’), where the concept or relation has a ``text``; else None (the atom is shown)."""
    rel = ph.relation(pred)
    if rel is None or rel.text is None:
        return None
    return f"‘{ph.fact(pred, row)}’"


def _holds_text(ph: Phrasing, pred: str, row: Row, holds: bool) -> str:
    """One side's statement: the concept's sentence, or "geldt niet: ‘…’"; the atom where there is no sentence."""
    nl = ph.lang == "nl"
    said = _said(ph, pred, row)
    if said is not None:
        return said[1:-1] if holds else ("geldt niet: " if nl else "does not hold: ") + said
    atom = fact_text(pred, row)
    if nl:
        return f"{atom} geldt" if holds else f"{atom} geldt niet"
    return f"{atom} holds" if holds else f"{atom} does not hold"


def _title(kb: KnowledgeBase, hit: Hit, lang: str) -> str:
    """One sentence: what the finding is, the concepts in the vocabulary's words where it has them."""
    nl = lang == "nl"
    ph = Phrasing(lang, kb.vocabulary)
    p = hit.parts

    def said(x: Part) -> str:
        return _said(ph, x.pred, x.row) or fact_text(x.pred, x.row)

    worded = all(_said(ph, x.pred, x.row) is not None for x in p)
    if hit.kind == "contradiction":
        a, b = p[0], p[1]
        if worded:
            both = "gelden allebei" if nl else "both hold"
            return f"{a.document}: {said(a)} {'en' if nl else 'and'} {said(b)} {both}"
        return (
            f"{a.document}: {a.pred} en {b.pred} gelden allebei voor {row_text(a.row)}"
            if nl
            else f"{a.document}: {a.pred} and {b.pred} both hold for {row_text(a.row)}"
        )
    if hit.kind == "gap":
        if worded:
            listed = "; ".join(said(x) for x in p)
            return f"{p[0].document}: " + (f"geen van deze geldt: {listed}" if nl else f"none of these holds: {listed}")
        names = ", ".join(x.pred for x in p)
        return (
            f"{p[0].document}: geen van {names} geldt voor {row_text(p[0].row)}"
            if nl
            else f"{p[0].document}: none of {names} holds for {row_text(p[0].row)}"
        )
    a, b = p[0], p[1]
    if a.holds and b.holds and a.pred == b.pred:
        fields = ph.fields_of(a.pred)
        last = fields[len(a.row) - 1] if len(fields) >= len(a.row) else None
        va, vb = ph.value(a.row[-1], last), ph.value(b.row[-1], last)
        open_row = (*a.row[:-1], None)  # the value the documents differ on, left open: "is …"
        what = (
            f"‘{ph.fact(a.pred, open_row)}’"
            if _said(ph, a.pred, a.row) is not None
            else f"{a.pred}({row_text(a.row[:-1])}, …)"
        )
        return (
            f"{what}: {a.document} geeft {va}, {b.document} geeft {vb}"
            if nl
            else f"{what}: {a.document} gives {va}, {b.document} gives {vb}"
        )
    if a.holds and b.holds:
        return (
            f"{a.document} concludeert {said(a)}, {b.document} {said(b)}"
            if nl
            else f"{a.document} concludes {said(a)}, {b.document} {said(b)}"
        )
    yes, no = (a, b) if a.holds else (b, a)
    return (
        f"{yes.document} concludeert {said(yes)}; {no.document} niet"
        if nl
        else f"{yes.document} concludes {said(yes)}; {no.document} does not"
    )


def _rules_deriving(doc: Document, m: Model, pred: str, t: Row) -> list[str]:
    """Ids of the rules with an instance concluding ``pred(t)``."""
    ids: set[str] = set()
    oc = m.plan.option_copies.get(pred)
    heads = set(oc.names()) if oc is not None else {pred}
    for cr in m.plan.rules:
        if cr.head.pred not in heads or cr.kind is not RuleKind.RULE or cr.possible:
            continue
        for b in m.instance_bindings(cr):
            if ground(cr.head, b) == t:
                ids.add(cr.id)
                break
    return sorted(ids)


def _rule_infos(doc: Document, pred: str) -> list[RuleInfo]:
    return [RuleInfo.of(r, doc) for r in doc.program.rules if r.head.pred == pred and not r.defeats]


def _related_infos(kb: KnowledgeBase, doc: Document, pred: str) -> list[RuleInfo]:
    """Where the document has no rule for ``pred``: its rules for the concepts declared exclusive with it (the
    provisions on its side of a refinement)."""
    rel = kb.vocabulary.concepts.get(pred)
    others = set(rel.exclusive_with) if rel else set()
    others |= {n for n, r in kb.vocabulary.concepts.items() if pred in r.exclusive_with}
    return [RuleInfo.of(r, doc) for r in doc.program.rules if r.head.pred in others and not r.defeats]


__all__ = ["Checker", "citation_label", "provision_text"]
