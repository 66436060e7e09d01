"""The rule language: grammar, parser, intermediate representation (IR) and static analysis."""
