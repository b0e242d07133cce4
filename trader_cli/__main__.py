"""``python -m trader_cli``."""

from trader_cli.cli.entry import main

main()
