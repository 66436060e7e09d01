"""Cohorts: a regulation run over exports of student records on the SQL back end (DuckDB, embedded).

- :mod:`~oerlog.cohort.inputs`: finding and reading the input files (CSV dialect and header, Parquet, a DuckDB
  database), outputs that would overwrite an input;
- :mod:`~oerlog.cohort.validate`: the values and keys checked in SQL against the vocabulary, the bad rows reported
  with file and line, the rejects file;
- :mod:`~oerlog.cohort.calendar`: the working-day calendar of a run;
- :mod:`~oerlog.cohort.database`: :class:`~oerlog.cohort.database.Cohort`, the DuckDB database a run loads its
  inputs into and evaluates the compiled document in; the goals of a run;
- :mod:`~oerlog.cohort.batch`: running a batch and writing its results;
- :mod:`~oerlog.cohort.whatif`: what-if runs (parameter overrides) and their memo, CSV and JSON;
- :mod:`~oerlog.cohort.report`: the result table, the counts, values shown plainly;
- :mod:`~oerlog.cohort.explain`: one student's records handed to the single-case path for proofs;
- :mod:`~oerlog.cohort.generate`: synthetic cohorts.
"""
