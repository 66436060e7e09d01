"""Scenario tests (and their pytest plugin) and the datalog-conformance adapter."""
