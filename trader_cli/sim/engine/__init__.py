"""The simulators' matching engine and its dependencies, with no socket and no wire format."""

from __future__ import annotations

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
