"""Consistency checks between and within regulations, each finding with a witness case (``oerlog check``).

The pipeline, one module per step (each imports only the ones above it):

- :mod:`.findings`: the kinds of finding and their severity, ``Finding`` (with its stable id), ``Report``;
- :mod:`.text`: how findings name facts and quote provisions;
- :mod:`.scenarios`: seeds (the documents' own case files and scenario tests) and their mutations at the
  boundary values of every threshold a rule compares an input field with (found by
  :mod:`oerlog.explain.thresholds`, which the counterfactual search shares);
- :mod:`.explore`: each document with the check's rules (outcome-set domains, integrity constraints), judging
  many scenarios in one batched evaluation;
- :mod:`.detect`: the findings one scenario shows;
- :mod:`.minimise`: a witness reduced to the facts its finding needs;
- :mod:`.witnesses`: a finding's scenario as a case file that ``oerlog why`` reruns;
- :mod:`.static`, :mod:`.references`: findings read from the documents alone (parameter differences, unfilled
  template choices, worked examples that disagree with their rule, dangling references);
- :mod:`.checker`: ``Checker`` runs the phases (generate, evaluate and detect, minimise, prove) and adds the
  static findings;
- :mod:`.accept`: accept files of reviewed findings;
- :mod:`.report`: the memo as terminal text, Markdown and HTML, and JSON (``oerlog.check/2``).

The analysts' compare query (``mode: compare``) is :mod:`oerlog.analysis.compare`.
"""

from oerlog.analysis.consistency.accept import (
    VERDICTS,
    Acceptance,
    add_kb_acceptance,
    apply_accepted,
    load_accepted,
    load_kb_accepted,
)
from oerlog.analysis.consistency.checker import Checker
from oerlog.analysis.consistency.findings import Finding, Report, Side, Stats
from oerlog.analysis.consistency.references import find_references
from oerlog.analysis.consistency.report import report_dict, to_html_report, to_markdown_report, to_text_report
from oerlog.analysis.consistency.scenarios import apply_sets, pairwise_combinations
from oerlog.analysis.consistency.witnesses import witness_yaml, write_witnesses
from oerlog.explain.thresholds import Dimension, Generator, boundaries

__all__ = [
    "Acceptance",
    "Checker",
    "Dimension",
    "Finding",
    "Generator",
    "Report",
    "Side",
    "Stats",
    "apply_accepted",
    "apply_sets",
    "boundaries",
    "find_references",
    "load_accepted",
    "load_kb_accepted",
    "add_kb_acceptance",
    "VERDICTS",
    "pairwise_combinations",
    "report_dict",
    "to_html_report",
    "to_markdown_report",
    "to_text_report",
    "witness_yaml",
    "write_witnesses",
]
