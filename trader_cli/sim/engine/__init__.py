"""The simulators' matching engine and its dependencies, with no socket and no wire format.

The names below load on first use, so ``trader_cli.sim.engine.clock`` and ``.hours`` import
without the matching engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trader_cli.lazy import lazy_exports

if TYPE_CHECKING:
    from trader_cli.sim.engine.faults import Faults
    from trader_cli.sim.engine.matching import Clock, MatchingEngine, OrderTicket, Quotes
    from trader_cli.sim.engine.notifier import Notifier, Refusal, RequestError

__all__ = [
    "Clock",
    "Faults",
    "MatchingEngine",
    "Notifier",
    "OrderTicket",
    "Quotes",
    "Refusal",
    "RequestError",
]

_HOME = {
    "Clock": "trader_cli.sim.engine.matching",
    "Faults": "trader_cli.sim.engine.faults",
    "MatchingEngine": "trader_cli.sim.engine.matching",
    "Notifier": "trader_cli.sim.engine.notifier",
    "OrderTicket": "trader_cli.sim.engine.matching",
    "Quotes": "trader_cli.sim.engine.matching",
    "Refusal": "trader_cli.sim.engine.notifier",
    "RequestError": "trader_cli.sim.engine.notifier",
}


__getattr__ = lazy_exports(globals(), _HOME)
