"""The ``oerlog`` command line (click): options, calls to the library, printing."""

from oerlog.cli.main import cli, main

__all__ = ["cli", "main"]
