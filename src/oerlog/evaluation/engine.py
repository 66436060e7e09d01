"""The back end single cases are evaluated with: every proof a user reads, every consistency scenario comes from
:func:`evaluate` (many cases at once: :mod:`oerlog.evaluation.batched`). The modules above this layer call it
instead of importing a back end, so the choice of engine is made here, once.
"""

from __future__ import annotations

from collections.abc import Mapping

from oerlog.backends import pydatalog
from oerlog.semantics.model import Model, Row
from oerlog.semantics.plan import Plan


def default_timeout() -> float:
    """The time limit of one evaluation in seconds: ``$OERLOG_TIMEOUT`` (a positive number), or 30."""
    return pydatalog.default_timeout()


def evaluate(
    plan: Plan,
    facts: Mapping[str, set[Row]],
    *,
    timeout: float | None = None,
    isolate: bool = True,
    reuse: bool = True,
) -> Model:
    """Evaluate ``plan`` over input ``facts`` (relation name -> tuples) with the pyDatalog back end and return the
    full model (every relation's tuples and every rule's instances).

    ``isolate`` runs the engine in a worker process so that a time limit can stop it; ``timeout`` defaults to
    ``$OERLOG_TIMEOUT`` or 30 seconds. ``reuse`` solves the case with the plan's program as loaded for an earlier
    case (the same model as a program loaded afresh, faster); see :func:`oerlog.backends.pydatalog.evaluate`."""
    return pydatalog.evaluate(plan, facts, timeout=timeout, isolate=isolate, reuse=reuse)
