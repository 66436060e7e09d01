"""Back ends that evaluate a plan: pyDatalog (single cases, proofs) and SQL (many cases, cohorts)."""
