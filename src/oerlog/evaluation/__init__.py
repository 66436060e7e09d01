"""Judging a case under a document: choosing the document, building facts, running a back end."""
