"""Adapter for the third-party ``datalog-conformance`` suite (``--datalog-evaluator=oerlog.conformance.Evaluator``).

The suite hands over a program as Python facts plus Soufflé-style rule strings (bare identifiers are variables,
predicate names may be upper-case, the trailing dot is optional) and compares the returned relations by set
equality, or expects an error. :class:`Evaluator` runs the program through oerlog's own pipeline, nothing is
re-implemented here: :func:`oerlog.lang.parser.parse_program` (``souffle_vars=True``), the static checks of
:func:`oerlog.lang.checks.check_program`, :func:`oerlog.semantics.plan.build_plan` and
:func:`oerlog.backends.pydatalog.evaluate`.

Decisions, and where they differ from other Datalog systems:

- **Relations nobody defines.** A predicate used in a rule body that has neither facts nor a rule is an empty
  relation (as a declared but unfilled ``.decl`` in Soufflé), not an ``unknown_predicate`` error: the suite's
  programs carry no declarations, the orbits cases (``star``) and access1 (``Low``) expect answers that
  read such a relation as empty, and errors/unbound_variable (``p(X) :- q(Y).``) expects the unbound
  variable, not an unknown ``q``. Its arity is taken from its first use; any other use with a different
  arity is still an ``arity_mismatch``. oerlog's own KB loader keeps reporting unknown predicates.
- **Facts with two arities** for one relation are an ``arity_mismatch`` (:class:`~oerlog.errors.ArityError`),
  checked here because ``check_program`` takes one arity per input relation.
- **Error labels.** The suite accepts an exception whose class name, ``str()`` or ``code`` equals the
  expected label. oerlog's errors carry their ``code`` (``unbound_variable``, ``arity_mismatch``,
  ``cyclic_negation``, ...), which matches the labels the suite uses for those conditions. One label has no
  oerlog code of its own: Crepe's ``underscore_in_goal`` case (``Ok(_) :- Ok(_)``) is labelled
  ``safety_violations``. oerlog reports a ``_`` in a rule head as an unbound head variable like any other;
  the adapter re-raises that error (same message and location, a hint about ``_``) as :class:`HeadWildcardError`, a
  subclass of :class:`~oerlog.errors.SafetyError` whose ``code`` is ``safety_violations``. oerlog's codes are
  not changed globally.
- **Variables only under ``not``** are read existentially (``not banned(X, Y)`` = "no Y with banned(X, Y)"),
  as docs/language.md specifies, so the suite's ``review_v2_unsafe_negation`` case (which wants that rejected
  with ``SafetyViolationError``) cannot pass; the Nemo negation cases need the existential reading.
- **Values.** Facts keep their ints, strings and booleans; floats become exact decimals through
  :func:`oerlog.values.to_number`. Decimals in the result go back as ``int`` when integral, else ``float``
  (the YAML writes plain numbers); dates as ISO strings. pyDatalog identifies ``1``, ``True`` and ``1.0``, so
  a relation mixing them would merge those values; no core case does.
- **Caching.** The suite evaluates the same program once per asserted relation, each time with a new
  evaluator, so results (and errors, including timeouts) are cached per program in this module, keyed on
  the rule texts and the facts.
- **Time limit.** Each evaluation runs in oerlog's forked engine process with a limit of :data:`TIMEOUT`
  seconds (``$OERLOG_CONFORMANCE_TIMEOUT`` overrides it).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from oerlog.backends import pydatalog as engine
from oerlog.errors import ArityError, OerlogError, SafetyError, ValidationError
from oerlog.lang import ir
from oerlog.lang.checks import check_program
from oerlog.lang.parser import parse_program
from oerlog.semantics.plan import build_plan
from oerlog.values import Value, to_number

TIMEOUT = float(os.environ.get("OERLOG_CONFORMANCE_TIMEOUT", "60"))
SOURCE = "<conformance>"

Scalar = str | int | float | bool
Row = tuple[Scalar, ...]


class HeadWildcardError(SafetyError):
    """A ``_`` in a rule head: an unbound head variable, labelled the way the conformance suite expects."""

    code = "safety_violations"


@dataclass
class _Model:
    """Fallback result type when ``datalog_conformance`` is not importable (same shape as its Model)."""

    facts: dict[str, set[Row]]


_CacheEntry = dict[str, frozenset[Row]] | OerlogError
_CACHE: OrderedDict[object, _CacheEntry] = OrderedDict()
_CACHE_SIZE = 4


class Evaluator:
    """The suite's ``DatalogEvaluator``: ``evaluate(program)`` returns a model with ``.facts``."""

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = TIMEOUT if timeout is None else timeout

    def evaluate(self, program: Any) -> Any:
        """Evaluate a ``datalog_conformance.schema.Program`` (anything with ``facts`` and ``rules``)."""
        rules = [str(r) for r in program.rules]
        facts: Mapping[str, list[tuple[Any, ...]]] = program.facts
        key = (tuple(rules), tuple((p, tuple(tuple(r) for r in rows)) for p, rows in facts.items()))
        entry = _CACHE.get(key)
        if entry is None:
            try:
                entry = _evaluate(rules, facts, self.timeout)
            except OerlogError as exc:
                entry = exc
            _CACHE[key] = entry
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        else:
            _CACHE.move_to_end(key)
        if isinstance(entry, OerlogError):
            raise entry
        return _make_model({p: set(rows) for p, rows in entry.items()})


def _make_model(facts: dict[str, set[Row]]) -> Any:
    try:
        # deferred: datalog-conformance is a test extra, absent from a plain install
        from datalog_conformance.schema import Model
    except ImportError:
        return _Model(facts)
    return Model(facts=facts)


def program_text(rules: list[str]) -> str:
    """The rule strings as one program text, one rule per line, each ending in a dot."""
    lines = []
    for r in rules:
        s = r.strip()
        lines.append(s if s.endswith(".") else s + ".")
    return "\n".join(lines) + "\n"


def _evaluate(
    rules: list[str], facts: Mapping[str, list[tuple[Any, ...]]], timeout: float
) -> dict[str, frozenset[Row]]:
    prog = parse_program(program_text(rules), SOURCE, souffle_vars=True)

    inputs: dict[str, int] = {}
    for pred, rows in facts.items():
        arities = sorted({len(r) for r in rows})
        if len(arities) > 1:
            raise ArityError(
                f"the facts of {pred} have {arities[0]} and {arities[1]} arguments",
                value=pred,
                hint=f"give every {pred} fact the same number of arguments",
            )
        if arities:
            inputs[pred] = arities[0]
    heads = {r.head.pred for r in prog.rules}
    for r in prog.rules:  # relations used but never filled: empty (see module doc)
        for lit in r.body:
            for atom, _ in ir.literal_atoms(lit):
                if atom.pred not in inputs and atom.pred not in heads:
                    inputs[atom.pred] = atom.arity

    errors = check_program(prog, inputs)
    if errors:
        raise _label(errors[0], prog)

    engine_facts: dict[str, set[tuple[Value, ...]]] = {p: set() for p in inputs}
    for pred, rows in facts.items():
        engine_facts.setdefault(pred, set()).update(tuple(_to_value(v) for v in row) for row in rows)
    plan = build_plan(prog)
    model = engine.evaluate(plan, engine_facts, timeout=timeout)
    wanted = set(inputs) | heads | set(facts)
    return {
        pred: frozenset(tuple(_from_value(v) for v in row) for row in rows)
        for pred, rows in model.relations.items()
        if pred in wanted
    }


def _label(err: OerlogError, prog: ir.Program) -> OerlogError:
    """Give an error the suite's label where oerlog's code differs (see module doc)."""
    if type(err) is SafetyError:
        wildcards = {a.loc for r in prog.rules for a in r.head.args if isinstance(a, ir.Var) and a.anonymous and a.loc}
        if err.location in wildcards:
            new = HeadWildcardError(
                err.message,
                err.location,
                value="_",
                hint="a '_' in a rule head can never be bound; name the variable and bind it in the body",
                example=err.example,
                span=err.span,
            )
            return new
    return err


def _to_value(v: object) -> Value:
    if isinstance(v, float):
        n = to_number(v)
        if n is None:
            raise ValidationError(f"fact value {v!r} is not a finite number", value=v)
        return n
    if isinstance(v, (str, int, bool, Decimal, dt.date)):
        return v
    return str(v)


def _from_value(v: object) -> Scalar:
    if isinstance(v, bool | str | int):
        return v
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)
