"""The knowledge base on disk: documents, articles, the vocabulary, case files, YAML with positions."""
