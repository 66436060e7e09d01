"""Public name of the datalog-conformance adapter (``--datalog-evaluator=oerlog.conformance.Evaluator``)."""

from oerlog.testing.conformance import Evaluator

__all__ = ["Evaluator"]
