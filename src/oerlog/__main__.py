"""``python -m oerlog`` runs the command-line interface."""

from oerlog.cli.main import main

main()
