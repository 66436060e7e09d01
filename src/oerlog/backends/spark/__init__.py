"""The Spark back end: a plan compiled to Spark SQL (:class:`~oerlog.backends.sql.dialects.SparkDialect`) run by
Apache Spark through pyspark, on a laptop (``local[*]``) or a cluster (``--master``, spark-submit).

The only package that imports pyspark. :mod:`~oerlog.backends.spark.session` starts Spark (Java, pyspark and
Spark 4.1 or later checked, logs quiet); :mod:`~oerlog.backends.spark.run` runs a compiled program's statements,
the same ones ``--emit-sql --dialect spark`` prints. The inputs are validated before Spark sees them, by the
cohort layer (:mod:`oerlog.cohort.spark`), which also writes the result file.
"""

from oerlog.backends.spark.run import copy, dependencies, drop_views, run
from oerlog.backends.spark.session import MIN_VERSION, first_line, java_problem, start

__all__ = ["MIN_VERSION", "copy", "dependencies", "drop_views", "first_line", "java_problem", "run", "start"]
