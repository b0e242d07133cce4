"""IB's order vocabulary and the checks IB applies to an order, with no ib_async import:
shared by the adapter and by the in-process backtest venue, so both refuse the same orders."""

from __future__ import annotations

from trader_cli.domain.models import Liquidity, OrderStatus, OrderType, Side
from trader_cli.domain.orders import TimeInForce
from trader_cli.domain.symbols import InstrumentClass
from trader_cli.errors import InvalidOrderError
from trader_cli.venues.base import Instrument, OrderRequest, VenueCapabilities

ORDER_STATUS = {
    "PendingSubmit": OrderStatus.PENDING,
    "ApiPending": OrderStatus.PENDING,
    "PreSubmitted": OrderStatus.OPEN,
    "Submitted": OrderStatus.OPEN,
    "PendingCancel": OrderStatus.OPEN,
    "ValidationError": OrderStatus.OPEN,
    "Filled": OrderStatus.CLOSED,
    "Cancelled": OrderStatus.CANCELED,
    "ApiCancelled": OrderStatus.CANCELED,
    "Inactive": OrderStatus.REJECTED,
}
ACTION = {Side.BUY: "BUY", Side.SELL: "SELL"}
SIDE_OF_ACTION = {"BUY": Side.BUY, "SELL": Side.SELL}
SIDE_OF_EXEC = {"BOT": Side.BUY, "SLD": Side.SELL}
ORDER_TYPE = {
    "LMT": OrderType.LIMIT,
    "MKT": OrderType.MARKET,
    "STP": OrderType.STOP,
    "STP LMT": OrderType.STOP_LIMIT,
}
# Our order types → IB's orderType; a marketable limit is a plain limit priced to cross.
IB_ORDER_TYPE = {
    OrderType.LIMIT: "LMT",
    OrderType.MARKETABLE_LIMIT: "LMT",
    OrderType.MARKET: "MKT",
    OrderType.STOP: "STP",
    OrderType.STOP_LIMIT: "STP LMT",
}
# Order.ocaType 2: a fill of one member reduces the others by as much (with block: no overfill).
# Not 1 (cancel the others on any fill): a target filled in part would cancel the whole stop
# and leave the rest of the position unprotected.
OCA_REDUCE_WITH_BLOCK = 2
TIME_IN_FORCE = {TimeInForce.DAY: "DAY", TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC"}
DEFAULT_TIME_IN_FORCE = TimeInForce.DAY  # a spec asking for none
# IB order types that carry a limit price (lmtPrice); the stop price travels in auxPrice.
LIMIT_TYPES = frozenset({"LMT", "STP LMT"})
# Execution.lastLiquidity: 1 added liquidity, 2 removed, 3 routed out (liquidity taken elsewhere).
LIQUIDITY = {1: Liquidity.MAKER, 2: Liquidity.TAKER, 3: Liquidity.TAKER}


def validate_request(
capabilities: VenueCapabilities, request: OrderRequest, inst: Instrument
) -> None:
    """Refuse (``InvalidOrderError``, nothing sent) what IB would refuse of ``request``: a time
    in force or post-only IB lacks, a quantity not positive or a fraction of a share, a price off
    the tick, an order type the contract does not take."""
    capabilities.check_spec(request.spec)  # post-only, a time in force IB lacks
    if request.amount <= 0:
        raise InvalidOrderError(f"quantity must be positive, got {request.amount}")
    if request.symbol.instrument_class is not InstrumentClass.FX and (
        request.amount != request.amount.to_integral_value()
    ):
        raise InvalidOrderError(
            f"{request.symbol} trades in whole shares; got {request.amount}",
            hint=f"use {request.amount.to_integral_value()}",
        )
    spec = request.spec  # a valid spec: the prices its type needs are there and positive
    tick = inst.min_tick
    for kind, price in (("limit", spec.limit_price), ("stop", spec.stop_price)):
        if tick and price is not None and price % tick != 0:
            raise InvalidOrderError(
                f"{kind} {price} is not on {request.symbol}'s price step {tick}",
                hint="round the price to the step (trader place nudges it for you)",
            )
    if spec.type is OrderType.MARKET and not inst.market_orders_allowed:
        raise InvalidOrderError(
            f"IB does not accept market orders for {request.symbol}",
            hint="use a marketable limit order",
        )
    if spec.type is OrderType.STOP and not inst.stop_orders_allowed:
        raise InvalidOrderError(
            f"IB does not accept stop orders for {request.symbol}",
            hint="use a stop limit (trader sends one where the contract needs it)",
        )
    if spec.type is OrderType.STOP_LIMIT and not inst.stop_limit_orders_allowed:
        raise InvalidOrderError(f"IB does not accept stop limit orders for {request.symbol}")
