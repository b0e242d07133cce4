"""The ``trader`` program (console script and ``python -m trader_cli``): start-up, then the app."""

from __future__ import annotations

import gc
import sys

# One order or one reconciliation, then the process ends: these run without the cyclic garbage
# collector (see :func:`main`).
SHORT_LIVED = frozenset({"place", "flatten", "resync"})


def main() -> None:
    """Run ``trader`` with ``sys.argv``.

    The cyclic garbage collector is off while the app loads: the objects of the ~600 modules a
    trading command imports live as long as the process, so collecting while they load finds
    nothing and costs ~30 ms of a ~0.4 s ``place``. It comes back on before any command but the
    short-lived ones (:data:`SHORT_LIVED`), whose garbage is bounded by one order or one pass
    and whose process ends with the command (reference counting still frees everything else).
    """
    gc.disable()
    from trader_cli.cli.app import command_named
    from trader_cli.cli.app import main as run

    if command_named(sys.argv[1:]) not in SHORT_LIVED:
        gc.enable()
    run()
