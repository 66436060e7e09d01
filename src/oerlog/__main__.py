"""``python -m oerlog`` runs the command-line interface."""

from .cli import main

main()
