"""Analyses of the KB: lint, coverage, rule graph and impact, consistency checks, saved queries."""
