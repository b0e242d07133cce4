"""Faults a test can arm on a simulator; each layer reads the ones that concern it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Faults:
    """Faults armed for tests (see the methods on :class:`trader_cli.sim.tws.server.SimGateway`).

    The matching engine reads only ``reject_next_order``; the rest are about the wire and are
    read by the server that speaks it.
    """

    reply_delay: float = 0.0
    fill_latency: float = 0.0  # wall seconds between an order's acknowledgement and its fills
    reject_next_order: str | None = None
    refuse_until: datetime | None = None
    no_live_subscription: bool = False
    depth_refusal: int | None = None  # IB code that refuses market depth (354, 10092...)
    no_tick_permissions: bool = False  # historical ticks refused: no market data permissions
    split_book: float = 0.0
    drop_after_next_ack: bool = False
    omit_liquidity: bool = False
    drop_on_request: int | None = None  # incoming message id that drops the link on arrival
    # incoming message id whose next ``swallow_count`` requests are never served (link kept)
    swallow_request: int | None = None
    swallow_count: int = 0

    def take_order_rejection(self) -> str | None:
        """The armed rejection reason, disarming it."""
        reason, self.reject_next_order = self.reject_next_order, None
        return reason

    def take_drop_on(self, message_id: int) -> bool:
        """Whether a request with ``message_id`` drops its link, disarming the fault if so."""
        if self.drop_on_request != message_id:
            return False
        self.drop_on_request = None
        return True

    def take_swallow(self, message_id: int) -> bool:
        """Whether a request with ``message_id`` is swallowed, counting it if so."""
        if self.swallow_request != message_id or self.swallow_count <= 0:
            return False
        self.swallow_count -= 1
        if self.swallow_count == 0:
            self.swallow_request = None
        return True

    def take_drop_after_ack(self) -> bool:
        """Whether to drop the links after this acknowledgement, disarming it."""
        armed, self.drop_after_next_ack = self.drop_after_next_ack, False
        return armed
