"""The script ``streamlit run`` executes for ``trader dashboard`` (see :mod:`.page`)."""

from trader_cli.dashboard.page import main

main()
