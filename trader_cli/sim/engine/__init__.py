"""The simulators' matching engine and its dependencies, with no socket and no wire format."""

from __future__ import annotations

from trader_cli.sim.engine.faults import Faults
from trader_cli.sim.engine.matching import Clock, Market, MatchingEngine, OrderTicket
from trader_cli.sim.engine.notifier import Notifier, Refusal, RequestError

__all__ = [
    "Clock",
    "Faults",
    "Market",
    "MatchingEngine",
    "Notifier",
    "OrderTicket",
    "Refusal",
    "RequestError",
]
