"""Cohorts: reading exports, batch and what-if runs on the SQL back end, synthetic cohorts."""
