"""The TWS server's :class:`~trader_cli.sim.engine.notifier.Notifier`: engine events as messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from trader_cli.sim.engine.catalogue import Instrument
from trader_cli.sim.engine.notifier import Refusal, RequestError
from trader_cli.sim.engine.world import SimExecution, SimOrder
from trader_cli.sim.tws import history, messages
from trader_cli.sim.tws.errors import Codes, Text

if TYPE_CHECKING:
    from trader_cli.sim.tws.server import SimGateway


def error_message(req_id: int, error: RequestError) -> tuple[int, str]:
    """The TWS (code, text) for an engine refusal."""
    if error.kind is Refusal.REJECTED:
        return Codes.ORDER_REJECTED, Text.ORDER_REJECTED + error.detail
    if error.kind is Refusal.SIZE_ZERO:
        return Codes.ORDER_SIZE_ZERO, Text.ORDER_SIZE_ZERO
    if error.kind is Refusal.PRICE_NOT_ON_TICK:
        return Codes.PRICE_NOT_ON_TICK, Text.PRICE_NOT_ON_TICK
    return Codes.CANCEL_UNKNOWN_ORDER, Text.cancel_not_found(req_id)


class TwsNotifier:
    """Encodes engine events for the gateway's connected sessions, as TWS orders them."""

    def __init__(self, gw: SimGateway) -> None:
        self.gw = gw

    def order_status(self, order: SimOrder, inst: Instrument) -> None:
        """openOrder + orderStatus to the order's owner (and 202 after a cancel)."""
        gw = self.gw
        for session in gw.sessions_for(order.client_id):
            session.send(messages.open_order(order, inst, session.server_version))
            session.send(messages.order_status(order))
        if order.status == "Cancelled":
            for session in gw.sessions_for(order.client_id):
                session.error(order.order_id, Codes.ORDER_CANCELLED, Text.ORDER_CANCELLED)
        elif order.status == "Submitted" and gw.faults.take_drop_after_ack():
            gw.close_sessions()  # the acknowledgement is written, then the links go

    def executions(self, order: SimOrder, inst: Instrument, fills: Sequence[SimExecution]) -> None:
        """execDetails per fill, orderStatus (openOrder once done), then commissionReports."""
        gw = self.gw
        later = gw.faults.fill_latency
        for session in gw.sessions_for(order.client_id):
            for ex in fills:
                stamp = history.format_ib_time(ex.time, gw.tws_tz)
                session.send(
                    messages.exec_details(
                        -1, ex, inst, stamp, session.server_version,
                        omit_liquidity=gw.faults.omit_liquidity,
                    ),
                    later=later,
                )  # fmt: skip
            session.send(messages.order_status(order))
            if not order.is_active:
                session.send(messages.open_order(order, inst, session.server_version))
            for ex in fills:
                session.send(messages.commission_report(ex))

    def account_changed(self, inst: Instrument) -> None:
        """position (to position subscribers) and the account download (to account ones)."""
        world = self.gw.world
        pos = world.positions.get(inst.con_id)
        for session in self.gw.all_sessions():
            if session.positions and pos is not None:
                session.send(messages.position(world.account, inst, pos.quantity, pos.avg_cost))
            if session.account_updates:
                session.send_account_download(end=False)

    def request_error(self, client_id: int, req_id: int, error: RequestError) -> None:
        """The refusal as a TWS error message to the client that asked."""
        code, text = error_message(req_id, error)
        for session in self.gw.sessions_for(client_id):
            session.error(req_id, code, text)

    def world_changed(self) -> None:
        """Save the paper world (when the gateway keeps one on disk) before any message that
        follows from the change leaves the gateway (:meth:`SimGateway.world_changed`)."""
        self.gw.world_changed()
