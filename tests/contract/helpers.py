"""Prices and orders the contract tests build through the ``BaseTrader`` interface only."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from trader_cli.domain.models import Order, Side
from trader_cli.domain.orders import OrderSpec, TimeInForce
from trader_cli.domain.symbols import Symbol
from trader_cli.venues.base import BaseTrader, BracketRequest, OrderRequest

from .backends import Harness


def is_aware_utc(ts: datetime) -> bool:
    """Timezone-aware with a zero UTC offset."""
    return ts.tzinfo is not None and ts.utcoffset() == timedelta(0)


async def on_tick(trader: BaseTrader, symbol: Symbol, price: Decimal, up: bool) -> Decimal:
    """``price`` rounded to ``symbol``'s price step (up or down)."""
    tick = (await trader.resolve(symbol)).min_tick or Decimal("0.01")
    steps = (price / tick).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR)
    return steps * tick


async def resting_buy_price(trader: BaseTrader, symbol: Symbol) -> Decimal:
    """A buy limit 10% under the bid: it rests and never fills in a test."""
    quote = await trader.get_market_data(symbol)
    assert quote.bid is not None
    return await on_tick(trader, symbol, quote.bid * Decimal("0.9"), up=False)


async def marketable_price(trader: BaseTrader, symbol: Symbol, side: Side) -> Decimal:
    """A limit at the touch that crosses the spread (fills at once on a liquid book)."""
    quote = await trader.get_market_data(symbol)
    touch = quote.ask if side is Side.BUY else quote.bid
    assert touch is not None
    return await on_tick(trader, symbol, touch, up=side is Side.BUY)


def request(
    venue: Harness, name: str, side: Side, amount: int, price: Decimal, symbol: Symbol | None = None
) -> OrderRequest:
    """A limit order of ``amount`` units (``venue.unit``: a share, 0.01 BTC) with a client
    order id that carries the adapter's prefix."""
    return OrderRequest(
        f"{venue.prefix}-contract-{name}",
        symbol or venue.symbol,
        side,
        Decimal(amount) * venue.unit,
        OrderSpec.limit(price),
    )


async def bracket_request(venue: Harness, name: str, entry: Decimal) -> BracketRequest:
    """A buy of 10 units at ``entry`` with a stop 10% under it and a target 10% over it (both
    GTC, on the tick), client order ids ``<prefix>-contract-<name>-E/-S/-T``."""
    stem = f"{venue.prefix}-contract-{name}"
    amount = Decimal(10) * venue.unit
    stop = await on_tick(venue.trader, venue.symbol, entry * Decimal("0.9"), up=False)
    target = await on_tick(venue.trader, venue.symbol, entry * Decimal("1.1"), up=True)
    return BracketRequest(
        f"{stem}-OCA",
        (
            OrderRequest(f"{stem}-S", venue.symbol, Side.SELL, amount,
                         OrderSpec.stop(stop, TimeInForce.GTC)),
            OrderRequest(f"{stem}-T", venue.symbol, Side.SELL, amount,
                         OrderSpec.limit(target, TimeInForce.GTC)),
        ),
        OrderRequest(f"{stem}-E", venue.symbol, Side.BUY, amount, OrderSpec.limit(entry)),
    )


async def filled(venue: Harness, client_order_id: str, within: float = 30.0) -> Order:
    """Advance the backend's clock until the order is final; the order as the venue has it."""
    waited = 0.0
    while True:
        order = await venue.trader.get_order(client_order_id)
        assert order is not None, f"the venue does not know {client_order_id}"
        if order.status.is_final or waited >= within:
            return order
        await venue.advance(1)
        waited += 1
