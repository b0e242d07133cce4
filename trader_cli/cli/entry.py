"""The ``trader`` program (console script and ``python -m trader_cli``): start-up, then the app."""

from __future__ import annotations

import gc
import sys

# One order or one reconciliation, then the process ends: these run without the cyclic garbage
# collector (see :func:`main`), and without typer when their own parser reads the command line
# (:mod:`trader_cli.cli.lean`).
SHORT_LIVED = frozenset({"place", "flatten", "resync"})


def main(argv: list[str] | None = None) -> None:
    """Run ``trader`` with ``sys.argv`` (or ``argv``: as a library, raising ``SystemExit``).

    ``place``, ``flatten`` and ``resync`` are read by their own parser when it is certain of
    the command line, and run without importing typer (:mod:`trader_cli.cli.lean`); everything
    else, and anything that parser declines (help, a usage error), goes to the Typer app, with
    the same error handling, redaction and exit codes either way.

    Run as the program, the cyclic garbage collector is off while the app loads: the objects
    of the ~600 modules a trading command imports live as long as the process, so collecting
    while they load finds nothing and costs ~30 ms of a ~0.4 s ``place``. It comes back on
    before any command but the short-lived ones (:data:`SHORT_LIVED`), whose garbage is
    bounded by one order or one pass and whose process ends with the command (reference
    counting still frees everything else); the process then ends at once
    (:func:`trader_cli.cli.program.exit_promptly`). Called with ``argv``, the collector is
    left alone.
    """
    from trader_cli.cli.program import command_named, exit_promptly

    if argv is not None:
        if command_named(argv) in SHORT_LIVED:
            from trader_cli.cli import lean

            lean.main(argv)  # ends with SystemExit unless Typer must read argv
        from trader_cli.cli.app import main as run

        run(argv)
        return
    gc.disable()
    args = sys.argv[1:]
    short = command_named(args) in SHORT_LIVED
    try:
        if short:
            from trader_cli.cli import lean

            lean.main(args)
        from trader_cli.cli.app import main as run

        if not short:
            gc.enable()
        run(args)
    except SystemExit as done:
        exit_promptly(done.code)
    exit_promptly(0)
