"""What-if: the cohort evaluated with the document's parameters and with overrides, listing exactly the students
whose conclusions change (what the overrides cannot change is computed once), with a few example students whose
one-line reason is the proof of the pyDatalog engine; and the policy memo (Markdown, Dutch or English: counts per
conclusion gained and lost, the rules and articles that moved them, the examples), and the full list as CSV and
JSON."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from oerlog.backends.sql import RULE_COLUMN, SqlProgram, quote, share_unchanged
from oerlog.cohort.database import Cohort, Progress, Row, goal_filters, names_of, parse_goals
from oerlog.cohort.explain import students_case
from oerlog.cohort.inputs import check_outputs
from oerlog.cohort.report import HOLDS, UNDETERMINED, status_rows
from oerlog.cohort.validate import LoadReport
from oerlog.errors import OerlogError
from oerlog.escape import md_cell, md_code, md_text
from oerlog.evaluation.overrides import Override, overridden, overrides_json
from oerlog.kb.loader import Document, KnowledgeBase
from oerlog.lang import ir
from oerlog.semantics.model import Status
from oerlog.values import (
    Value,
    counted,
    decimal_text,
    format_count,
    format_value,
    json_row,
    json_value,
    plain_text,
)

SCHEMA_ID = "oerlog.whatif/1"  # src/oerlog/schemas/whatif.schema.json
EXAMPLES = 3  # example students per conclusion and direction in the memo


@dataclass
class Change:
    """A conclusion whose answer differs between the two runs (holds, undetermined, does not hold)."""

    conclusion: str
    args: Row
    direction: str  # gained (holds only after) | lost (holds only before) | undetermined (undetermined in one run)
    rules: str
    before: str = "does_not_hold"  # holds | undetermined | does_not_hold
    after: str = "does_not_hold"


@dataclass
class Example:
    """A changed conclusion shown in the memo, with its one-line reason: the statement of the rule that concludes
    it in the run where it holds (after the change for one gained, before it for one lost), from the proof of the
    pyDatalog engine; empty when that proof could not be made."""

    change: Change
    rule: str = ""
    reason: str = ""


@dataclass
class WhatIfResult:
    """The students whose conclusions change when parameters are overridden."""

    document: str
    overrides: dict[str, Value]
    baseline: dict[str, Value]
    goals: list[str]
    columns: dict[str, list[str]]
    changes: list[Change]
    counts: list[dict[str, Any]]
    seconds: float
    shared: list[str] = field(default_factory=list)  # relations the overrides cannot change (computed once)
    relations: list[str] = field(default_factory=list)  # every derived relation of the run
    report: LoadReport = field(default_factory=LoadReport)  # what was loaded, rejected, not read, noted
    internal: list[str] = field(default_factory=list)  # the compiler's auxiliary relations among ``relations``
    kinds: dict[str, list[str | None]] = field(default_factory=dict)  # per goal: the type class of each column
    cites: dict[str, str] = field(default_factory=dict)  # rule id -> the articles it cites
    examples: list[Example] = field(default_factory=list)
    lang: str = "nl"  # the language of the examples' reasons (and of the memo)
    changed: list[Override] = field(default_factory=list)  # the overrides with the values the document declares

    def recomputed(self) -> list[str]:
        """The derived relations of the rules that depend on the parameters changed (evaluated twice)."""
        skip = set(self.shared) | set(self.internal)
        return [r for r in self.relations if r not in skip]

    def students(self) -> list[str]:
        """Distinct first arguments (students) of the changed conclusions."""
        return sorted({str(c.args[0]) for c in self.changes if c.args})


def whatif(
    kb: KnowledgeBase,
    doc_id: str,
    data: Path | str,
    overrides: Mapping[str, Value],
    goals: Sequence[str] | None = None,
    *,
    on_error: str = "stop",
    reference_date: dt.date | None = None,
    progress: Progress | None = None,
    output: Path | None = None,
    examples: int = EXAMPLES,
    lang: str = "nl",
) -> WhatIfResult:
    """Evaluate the cohort with the document's parameters and with ``overrides``; list every conclusion that
    differs (gained: holds only with the overrides; lost: holds only without), and pick up to ``examples`` changes
    per conclusion and direction whose reason (in ``lang``) the pyDatalog engine gives for the students concerned,
    judged together as one case (0: none). ``output``, the file the caller writes the result to, is checked
    against the inputs before the run (:func:`check_outputs`)."""
    t0 = time.perf_counter()
    doc = kb.document(doc_id)
    if goals:
        atoms = parse_goals(doc, goals)
        goal_names = names_of(atoms)
    else:
        concepts = set(kb.vocabulary.concepts)
        goal_names = sorted(p for p in doc.predicates() if p in concepts) or sorted(doc.predicates())
        atoms = [ir.Atom(g, ()) for g in goal_names]
    c = Cohort(kb, data, on_error=on_error, reference_date=reference_date, progress=progress)
    try:
        check_outputs(c.source, {"-o": output})
        base = c.compile(doc, goal_names, None, "base")
        alt = c.compile(doc, goal_names, overrides, "alt")
        shared = share_unchanged(base, alt)  # what the overrides cannot change is computed once
        base.filters = alt.filters = goal_filters(base, atoms)
        c.run(base)
        c.run(alt)
        c.report.unread = sorted(set(c.source.files) - c.loaded)
        changes: list[Change] = []
        counts = []
        columns: dict[str, list[str]] = {}
        for g in goal_names:
            rel = base.derived[g]
            columns[g] = list(rel.columns)
            cols = ", ".join(quote(x) for x in rel.columns)
            mine = _status_changes(c.con, base, alt, g)
            changes += mine
            gained = sum(ch.direction == "gained" for ch in mine)
            lost = sum(ch.direction == "lost" for ch in mine)
            n_base, n_alt = (
                c.con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {p.goal_rows(g)})").fetchone()[0]
                for p in (base, alt)
            )
            students = len({ch.args[0] for ch in changes if ch.conclusion == g})
            counts.append(
                {
                    "conclusion": g,
                    "before": int(n_base),
                    "after": int(n_alt),
                    "gained": gained,
                    "lost": lost,
                    "undetermined_changes": len(mine) - gained - lost,
                    "students_affected": students,
                }
            )
        baseline = {k: doc.plan().params.get(k) for k in overrides}
        picked = _pick_examples(changes, {g: base.derived[g].columns for g in goal_names}, examples)
        if picked:
            _give_reasons(kb, c, doc, picked, sorted(set(base.inputs) | set(alt.inputs)), overrides, lang)
        res = WhatIfResult(
            doc.id,
            dict(overrides),
            {k: v for k, v in baseline.items() if v is not None},
            goal_names,
            columns,
            changes,
            counts,
            time.perf_counter() - t0,
            shared,
            sorted(alt.derived),
            c.report,
            sorted(p for p in alt.derived if alt.plan.is_internal(p)),
            {g: list(base.derived[g].types) for g in goal_names},
            {**base.rule_cites, **alt.rule_cites},
            picked,
            lang,
            overridden(doc, overrides),
        )
        return res
    finally:
        c.close()


def _status_changes(con: Any, base: SqlProgram, alt: SqlProgram, goal: str) -> list[Change]:
    """The rows of ``goal`` whose answer differs between the runs: from the rows of each run with their status
    (holds / undetermined; a row in neither does not hold), with the rules that derive them."""
    cols = [quote(x) for x in base.derived[goal].columns]
    keys = ", ".join(cols)
    rules = f"string_agg(DISTINCT {quote(RULE_COLUMN)}, '; ' ORDER BY {quote(RULE_COLUMN)})"

    def side(prog: SqlProgram) -> str:
        rows = status_rows(prog, goal)
        return f"SELECT {keys + ', ' if keys else ''}status, {rules} AS rules FROM {rows} AS r GROUP BY ALL"

    on = " AND ".join(f"b.{c} IS NOT DISTINCT FROM a.{c}" for c in cols) or "TRUE"
    picked = ", ".join(f"coalesce(a.{c}, b.{c})" for c in cols)
    sql = (
        f"SELECT {picked + ', ' if picked else ''}b.status, a.status, coalesce(a.rules, b.rules) "
        f"FROM ({side(base)}) AS b FULL OUTER JOIN ({side(alt)}) AS a ON {on} "
        f"WHERE b.status IS DISTINCT FROM a.status ORDER BY {', '.join(str(i + 1) for i in range(len(cols) + 2))}"
    )
    out = []
    for row in con.execute(sql).fetchall():
        *args, before, after, rule_ids = row
        before, after = before or "does_not_hold", after or "does_not_hold"
        direction = "gained" if after == HOLDS else "lost" if before == HOLDS else UNDETERMINED
        out.append(Change(goal, tuple(args), direction, rule_ids or "", before, after))
    return out


def _pick_examples(changes: Sequence[Change], columns: Mapping[str, list[str]], n: int) -> list[Example]:
    """Up to ``n`` changes per conclusion and direction, of the conclusions about a student (first column
    ``student``): first one per rule that moved them, then the next in order."""
    out: list[Example] = []
    if n <= 0:
        return out
    groups: dict[tuple[str, str], list[Change]] = {}
    for ch in changes:
        if columns.get(ch.conclusion, [""])[:1] == ["student"]:
            groups.setdefault((ch.conclusion, ch.direction), []).append(ch)
    for (_, _), group in sorted(groups.items()):
        chosen: list[Change] = []
        seen: set[str] = set()
        for ch in group:  # one per rule first: the rules that moved them, each shown at work
            first = ch.rules.split("; ")[0]
            if first not in seen and len(chosen) < n:
                seen.add(first)
                chosen.append(ch)
        chosen += [ch for ch in group if ch not in chosen][: n - len(chosen)]
        out += [Example(ch) for ch in sorted(chosen, key=lambda c: tuple(plain_text(v) for v in c.args))]
    return out


def _give_reasons(
    kb: KnowledgeBase,
    cohort: Cohort,
    doc: Document,
    examples: list[Example],
    relations: list[str],
    overrides: Mapping[str, Value],
    lang: str,
) -> None:
    """The reason of each example: the example students judged together by the pyDatalog engine, before and after
    the change, and the conclusion's proof in the run where it holds (or waits) read as the statement of the rule
    that concludes it. An example the engine does not confirm keeps an empty reason."""
    # deferred: the pyDatalog engine and the explainer (~50 ms), for the examples only
    from oerlog.evaluation.judge import judge
    from oerlog.explain.explainer import Explainer
    from oerlog.explain.render import cite_label, statement

    students = sorted({str(e.change.args[0]) for e in examples})
    case = students_case(cohort, [r for r in relations if r in kb.vocabulary.relations], students)
    try:
        runs = {side: judge(kb, case, doc.id, ov) for side, ov in (("before", None), ("after", dict(overrides)))}
    except OerlogError:  # the single-case engine refused what the SQL back end ran: the memo goes without reasons
        return
    explainers = {side: Explainer(j.model, j.document, case.sources, lang) for side, j in runs.items()}
    for e in examples:
        ch = e.change
        # the run where it holds (after the change for one gained, before it for one lost), else where it waits
        side = "after" if HOLDS == ch.after or (ch.before != HOLDS and ch.after == UNDETERMINED) else "before"
        model, ex = runs[side].model, explainers[side]
        row = tuple(ch.args)
        try:
            status = model.status(ch.conclusion, row)
            if status is Status.HOLDS:
                node = ex.why(ch.conclusion, row)
            elif status is Status.UNDETERMINED:
                node = ex.undetermined(ch.conclusion, row)
            else:
                continue
        except (KeyError, OerlogError):
            continue
        if node.rule is None:
            continue
        e.rule = node.rule.id
        when = _REASON[lang]["undetermined" if status is Status.UNDETERMINED else side]
        e.reason = f"{when}: {statement(node, lang)} ({cite_label(node.rule)})"


# how an example's reason is introduced: the run it is taken from, or that it only may hold there
_REASON: dict[str, dict[str, str]] = {
    "nl": {
        "before": "vóór de wijziging",
        "after": "na de wijziging",
        "undetermined": "onbepaald, als wat open is zo uitvalt",
    },
    "en": {
        "before": "before the change",
        "after": "after the change",
        "undetermined": "undetermined, if what is open turns out so",
    },
}


# --- the result as a memo, CSV and JSON ------------------------------------------------------------------------

_NOUNS: dict[str, dict[str, tuple[str, str]]] = {
    "nl": {"students": ("student", "studenten"), "conclusions": ("conclusie", "conclusies")},
    "en": {"students": ("student", "students"), "conclusions": ("conclusion", "conclusions")},
}
_WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Wat als",
        "compares": "Regeling {doc}: de regeling zelf ({before}) vergeleken met de wijziging ({after}).",
        "open": "open keuze",
        "compared": "vergeleken conclusies",
        "affected": "{students} geraakt: {changes} veranderen, in {moved} van de {compared}.",
        "none": "Geen enkele conclusie verandert.",
        "summary": "Aantallen per conclusie",
        "cols": "conclusie | vóór | na | erbij | eraf | onbepaald | studenten",
        "same": "Ongewijzigd: {names}.",
        "rules": "Regels die de verandering dragen",
        "rules_intro": (
            "Per conclusie en richting de regels die de conclusie afleiden in de run waarin zij geldt (erbij: na de"
            " wijziging, eraf: ervoor), met de artikelen die zij coderen. Een conclusie die twee regels afleiden,"
            " telt bij beide."
        ),
        "rule_cols": "conclusie | verandering | regel | artikel | aantal",
        "gained": "erbij",
        "lost": "eraf",
        "undetermined": "onbepaald",
        "examples": "Voorbeelden",
        "examples_intro": (
            "Per conclusie en richting enkele studenten, met de reden volgens het bewijs van de regel (na de wijziging"
            " voor erbij, ervoor voor eraf). `oerlog batch --explain STUDENT` geeft het hele bewijs."
        ),
        "no_reason": "(reden niet vastgesteld; zie oerlog batch --explain)",
        "holds": "geldt",
        "does_not_hold": "geldt niet",
        "full": (
            "De volledige lijst (elke veranderde conclusie, per student): `--format csv` of `--format json`,"
            " met `-o BESTAND`."
        ),
        "recomputed": (
            "Opnieuw berekend met de wijziging: {n} van de {total} relaties; de andere hangen niet af van de"
            " gewijzigde parameters."
        ),
    },
    "en": {
        "title": "What if",
        "compares": "Regulation {doc}: the regulation itself ({before}) compared with the change ({after}).",
        "open": "left open",
        "compared": "conclusions compared",
        "affected": "{students} affected: {changes} change, in {moved} of the {compared}.",
        "none": "No conclusion changes.",
        "summary": "Counts per conclusion",
        "cols": "conclusion | before | after | gained | lost | undetermined | students",
        "same": "Unchanged: {names}.",
        "rules": "Rules behind the change",
        "rules_intro": (
            "Per conclusion and direction, the rules that derive the conclusion in the run where it holds (gained:"
            " after the change, lost: before it), with the articles they encode. A conclusion two rules derive"
            " counts for both."
        ),
        "rule_cols": "conclusion | change | rule | article | count",
        "gained": "gained",
        "lost": "lost",
        "undetermined": "undetermined",
        "examples": "Examples",
        "examples_intro": (
            "Per conclusion and direction a few students, with the reason as the rule's proof states it (after the"
            " change for gained, before it for lost). `oerlog batch --explain STUDENT` gives the whole proof."
        ),
        "no_reason": "(reason not established; see oerlog batch --explain)",
        "holds": "holds",
        "does_not_hold": "does not hold",
        "full": (
            "The full list (every changed conclusion, per student): `--format csv` or `--format json`, with `-o FILE`."
        ),
        "recomputed": (
            "Recomputed with the change: {n} of the {total} relations; the others do not depend on the parameters"
            " changed."
        ),
    },
}


def _value(v: object, lang: str) -> str:
    """A value for the memo, escaped: a decimal without the zeros a DECIMAL column adds (``5,0000`` -> ``5,0``)."""
    if isinstance(v, Decimal):
        v = Decimal(decimal_text(v))
    return md_text(format_value(v, lang))


def whatif_markdown(res: WhatIfResult, lang: str | None = None) -> str:
    """The policy memo, in ``lang`` (default: the language of the examples' reasons): the change with the values the
    regulation declares, how many students and conclusions it moves, the counts per conclusion that changes, the
    rules and articles behind each change, a few example students with their one-line reason, and where the full
    list is (CSV, JSON)."""
    lang = lang or res.lang
    w = _WORDS[lang]
    changes = "; ".join(
        f"{md_code(o.name)} {_value(o.declared, lang) if o.declared is not None else w['open']} → "
        f"{_value(o.value, lang)}"
        for o in res.changed
    )
    moved = [c for c in res.counts if c["gained"] or c["lost"] or c["undetermined_changes"]]
    out = [f"# {w['title']}: {changes}", ""]
    out += [
        w["compares"].format(
            doc=md_code(res.document),
            before="; ".join(
                f"{md_code(o.name)} = {_value(o.declared, lang) if o.declared is not None else w['open']}"
                for o in res.changed
            ),
            after="; ".join(f"{md_code(o.name)} = {_value(o.value, lang)}" for o in res.changed),
        ),
        "",
    ]
    if not res.changes:
        out += [w["none"], ""]
    else:
        out += [
            "**"
            + w["affected"].format(
                students=counted(len(res.students()), *_NOUNS[lang]["students"], lang),
                changes=counted(len(res.changes), *_NOUNS[lang]["conclusions"], lang),
                moved=format_count(len(moved), lang),
                compared=f"{format_count(len(res.counts), lang)} {w['compared']}",
            )
            + "**",
            "",
        ]
    if moved:
        out += [f"## {w['summary']}", "", "| " + w["cols"] + " |", "|---|" + "---:|" * 6]
        for c in moved:
            nums = [c["before"], c["after"], c["gained"], c["lost"], c["undetermined_changes"], c["students_affected"]]
            out.append(
                f"| {md_code(c['conclusion'], cell=True)} | " + " | ".join(format_count(n, lang) for n in nums) + " |"
            )
        out.append("")
    same = [c["conclusion"] for c in res.counts if c not in moved]
    if same:
        out += [w["same"].format(names=", ".join(md_code(g) for g in same)), ""]
    by_rule = _by_rule(res)
    if by_rule:
        out += [f"## {w['rules']}", "", w["rules_intro"], ""]
        out += ["| " + w["rule_cols"] + " |", "|---|---|---|---|---:|"]
        for (g, direction, rule), n in by_rule:
            out.append(
                f"| {md_code(g, cell=True)} | {w[direction]} | {md_code(rule, cell=True)} | "
                f"{md_cell(res.cites.get(rule, '') or '-')} | {format_count(n, lang)} |"
            )
        out.append("")
    if res.examples:
        out += [f"## {w['examples']}", "", w["examples_intro"], ""]
        current = None
        for e in res.examples:
            ch = e.change
            if ch.conclusion != current:
                current = ch.conclusion
                count = next(c for c in res.counts if c["conclusion"] == current)
                parts = [
                    f"{format_count(count[k], lang)} {w[d]}"
                    for k, d in (("gained", "gained"), ("lost", "lost"), ("undetermined_changes", "undetermined"))
                    if count[k]
                ]
                out += ([""] if out[-1] else []) + [f"### {md_code(current)} ({', '.join(parts)})", ""]
            who = ", ".join(_value(v, lang) for v in ch.args)
            move = w[ch.direction]
            if UNDETERMINED in (ch.before, ch.after):
                move += f" ({w[ch.before]} → {w[ch.after]})"
            out.append(f"- **{move}** {who}: {md_text(e.reason) if e.reason else w['no_reason']}")
        out.append("")
    out += [w["full"], ""]
    if res.changes:
        recomputed = len(res.recomputed())
        out += [w["recomputed"].format(n=format_count(recomputed, lang), total=format_count(len(res.relations), lang))]
    return "\n".join(out).rstrip() + "\n"


def _by_rule(res: WhatIfResult) -> list[tuple[tuple[str, str, str], int]]:
    """How many changes each rule carries, per conclusion and direction (a change derived by two rules counts for
    both), in the order of the goals, then gained, lost, undetermined, then the larger count first."""
    counts: dict[tuple[str, str, str], int] = {}
    for ch in res.changes:
        for rule in ch.rules.split("; ") if ch.rules else ["-"]:
            key = (ch.conclusion, ch.direction, rule)
            counts[key] = counts.get(key, 0) + 1
    order = {g: i for i, g in enumerate(res.goals)}
    way = {"gained": 0, "lost": 1, UNDETERMINED: 2}
    return sorted(counts.items(), key=lambda kv: (order.get(kv[0][0], 0), way.get(kv[0][1], 3), -kv[1], kv[0][2]))


def whatif_csv(res: WhatIfResult) -> str:
    """One line per changed conclusion: conclusion, direction, arg1..argN, rules, before, after (values in plain
    notation: ``5.5``, ``2025-09-01``)."""
    width = max((len(c) for c in res.columns.values()), default=0)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["conclusion", "change"] + [f"arg{i + 1}" for i in range(width)] + ["rules", "before", "after"])
    for ch in res.changes:
        args = [plain_text(v) for v in ch.args] + [""] * (width - len(ch.args))
        w.writerow([ch.conclusion, ch.direction] + args + [ch.rules, ch.before, ch.after])
    return buf.getvalue()


def whatif_dict(res: WhatIfResult) -> dict[str, Any]:
    """The whole result as JSON-ready data (schema ``oerlog.whatif/1``): every value in the JSON type of its kind
    (a grade ``"5.5"``, a year ``2019``)."""

    def args(ch: Change) -> dict[str, object]:
        cols, kinds = res.columns[ch.conclusion], res.kinds.get(ch.conclusion, [])
        return dict(zip(cols, json_row(ch.args, kinds), strict=True))

    return {
        "schema": SCHEMA_ID,
        "document": res.document,
        "overrides": overrides_json(res.changed),
        "goals": res.goals,
        "counts": res.counts,
        "recomputed": res.recomputed(),
        "students_affected": res.students(),
        "changes": [
            {
                "conclusion": ch.conclusion,
                "change": ch.direction,
                "args": args(ch),
                "rules": ch.rules,
                "before": ch.before,
                "after": ch.after,
            }
            for ch in res.changes
        ],
        "examples": [
            {
                "conclusion": e.change.conclusion,
                "change": e.change.direction,
                "args": args(e.change),
                "rule": e.rule or None,
                "articles": res.cites.get(e.rule) if e.rule else None,
                "reason": e.reason or None,
                "language": res.lang,
            }
            for e in res.examples
        ],
        "seconds": json_value(round(Decimal(res.seconds), 3), "decimal"),
    }


def whatif_json(res: WhatIfResult) -> str:
    """The whole result as JSON text (:func:`whatif_dict`)."""
    return json.dumps(whatif_dict(res), indent=2, ensure_ascii=False) + "\n"
