"""``python -m trader_cli``."""

from trader_cli.cli.app import main

main()
