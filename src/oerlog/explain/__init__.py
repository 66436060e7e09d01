"""Explanations: proofs (why), why-not, counterfactuals, and their renderers."""
