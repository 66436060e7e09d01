"""The one semantics core: evaluation plans, and what every back end and the explainer share."""
