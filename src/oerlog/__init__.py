"""oerlog: Dutch examination regulations as Datalog, with proofs, checks and cohort runs."""

__version__ = "0.1.0"
