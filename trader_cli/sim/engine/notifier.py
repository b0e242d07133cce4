"""What the matching engine tells the venue around it: the :class:`Notifier` protocol."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from trader_cli.sim.engine.catalogue import Instrument
from trader_cli.sim.engine.world import SimExecution, SimOrder


class Refusal(StrEnum):
    """Why the engine refused a request (a venue words and numbers it its own way)."""

    REJECTED = "rejected"  # the order was refused; the detail says why
    SIZE_ZERO = "size_zero"
    PRICE_NOT_ON_TICK = "price_not_on_tick"
    UNKNOWN_ORDER = "unknown_order"  # a cancel for an order that is not active


@dataclass(frozen=True, slots=True)
class RequestError:
    """A refused request: what kind of refusal, and the reason in words where there is one."""

    kind: Refusal
    detail: str = ""


class Notifier(Protocol):
    """Callbacks through which the engine reports what happened, in the order it happened.

    The TWS server encodes them as TWS messages to its client sessions; an in-process venue
    records them. Every callback runs synchronously inside the engine call that caused it.
    """

    def order_status(self, order: SimOrder, inst: Instrument) -> None:
        """``order`` changed status outside a fill: accepted, modified or cancelled."""

    def executions(self, order: SimOrder, inst: Instrument, fills: Sequence[SimExecution]) -> None:
        """``fills`` executed against ``order`` just now, in order.

        Each fill carries its commission (``commission``, ``commission_currency``), i.e. its
        commission report; ``order`` already shows its state after the last of them.
        """

    def account_changed(self, inst: Instrument) -> None:
        """The position in ``inst`` and the account's cash changed (after executions)."""

    def request_error(self, client_id: int, req_id: int, error: RequestError) -> None:
        """A request of ``client_id`` (an order id for order requests) was refused."""

    def world_changed(self) -> None:
        """The world changed in a way worth keeping: a venue that persists it saves now."""
