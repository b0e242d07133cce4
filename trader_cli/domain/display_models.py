"""Readable JSON and table cells for the domain models, by the rules of :mod:`display`.

The models' own ``to_dict`` stays exact (recordings and telemetry compare it); what a person or
a script reads of a quote, a bar, a position, an order or a fill goes through these functions:
prices at the instrument's tick, sizes whole for shares, money at two decimals, percentages at
three significant digits, times to the second.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from trader_cli.domain.book import BookLevel, OrderBook
from trader_cli.domain.display import (
    money_exact_json,
    money_json,
    pct_json,
    price_json,
    price_places,
    price_text,
    quantity_json,
    quantity_text,
    time_json,
)
from trader_cli.domain.models import Candle, Fee, Order, Position, Quote, jsonable, to_ms
from trader_cli.domain.money import Money
from trader_cli.domain.symbols import Symbol, parse_symbol
from trader_cli.errors import SymbolError


def symbol_of(text: str | Symbol | None) -> Symbol | None:
    """The canonical symbol ``text`` names, or None (a number is then written by the defaults)."""
    if text is None or isinstance(text, Symbol):
        return text
    try:
        return parse_symbol(text)
    except SymbolError:  # a label that is not a symbol: written by the defaults
        return None


def mid_json(value: object, symbol: Symbol | None, *, min_tick: Decimal | None = None,
             grouping: bool = False) -> str | None:
    """A mid price: one place finer than the tick, so the half-tick between bid and ask is
    exact (``42.605`` between ``42.60`` and ``42.61``) and no more places than that."""
    if value is None:
        return None
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    places = price_places(symbol, d, min_tick) + 1
    q = d.quantize(Decimal(1).scaleb(-places))
    # drop the extra place when the mid sits on a tick
    if q == q.quantize(Decimal(1).scaleb(1 - places)):
        places -= 1
    return f"{q:{',' if grouping else ''}.{places}f}"


def money_obj_json(money: Money | None) -> dict[str, str] | None:
    """``{"amount": "3.08", "currency": "AUD"}``: a Money at its currency's places."""
    if money is None:
        return None
    return {"amount": money_json(money) or "0", "currency": money.currency}


def fee_json(fee: Fee | None) -> dict[str, Any] | None:
    """A commission as ``{cost, currency, source}``: the cost at its currency's places, or the
    venue's own precision where finer (see :func:`money_exact_json`)."""
    if fee is None:
        return None
    return {"cost": money_exact_json(fee.cost, fee.currency), "currency": fee.currency,
            "source": fee.source.value}


# -- quotes ----------------------------------------------------------------------------------
def quote_json(q: Quote, min_tick: Decimal | None = None) -> dict[str, Any]:
    """``Quote.to_dict`` with every number readable: the same keys, tick-precision prices."""
    sym = symbol_of(q.symbol)
    return {
        "symbol": q.symbol,
        "timestamp": time_json(q.timestamp),
        "bid": price_json(q.bid, sym, min_tick=min_tick),
        "ask": price_json(q.ask, sym, min_tick=min_tick),
        "last": price_json(q.last, sym, min_tick=min_tick),
        "bid_size": quantity_json(q.bid_size, sym),
        "ask_size": quantity_json(q.ask_size, sym),
        "volume": quantity_json(q.volume, sym),
        "delayed": q.delayed,
        "half_book": q.half_book,
        "price": mid_json(q.price, sym, min_tick=min_tick),
        "spread_pct": pct_json(q.spread_pct),
        "ob_imbalance": pct_json(q.ob_imbalance),
    }


def book_json(book: OrderBook, min_tick: Decimal | None = None) -> dict[str, Any]:
    """``OrderBook.to_dict`` with prices at the tick and sizes readable."""
    sym = symbol_of(book.symbol)

    def side(levels: tuple[BookLevel, ...]) -> list[list[str | None]]:
        return [[price_json(lv.price, sym, min_tick=min_tick), quantity_json(lv.size, sym)]
                for lv in levels]

    return {
        "symbol": book.symbol,
        "bids": side(book.bids),
        "asks": side(book.asks),
        "timestamp": to_ms(book.timestamp),
        "datetime": time_json(book.timestamp),
        "nonce": None,
        "source": book.source.value,
        "note": book.note,
    }


# -- bars ------------------------------------------------------------------------------------
def candle_json(c: Candle, symbol: Symbol | None, min_tick: Decimal | None = None) -> list[Any]:
    """ccxt row ``[ts_ms, "o", "h", "l", "c", "v"]`` with prices at the tick's places."""
    return [
        to_ms(c.ts),
        *(price_json(v, symbol, min_tick=min_tick) for v in (c.open, c.high, c.low, c.close)),
        quantity_json(c.volume, symbol),
    ]


def candle_cells(c: Candle, symbol: Symbol | None, min_tick: Decimal | None = None,
                 *, grouping: bool = True) -> list[str]:
    """Open, high, low, close and volume as text (thousands separators unless ``grouping``
    is off, as for CSV)."""
    if grouping:
        prices = [price_text(v, symbol, min_tick=min_tick)
                  for v in (c.open, c.high, c.low, c.close)]
        return [*prices, quantity_text(c.volume, symbol)]
    return [str(v) for v in candle_json(c, symbol, min_tick)[1:]]


# -- positions, orders, fills ----------------------------------------------------------------
def position_json(p: Position, min_tick: Decimal | None = None) -> dict[str, Any]:
    """``Position.to_dict`` with the average price at the tick (``142.09``, not ``142.0918…``)."""
    sym = symbol_of(p.symbol)
    return {
        "symbol": p.symbol,
        "quantity": quantity_json(p.quantity, sym),
        "avg_price": price_json(p.avg_price, sym, min_tick=min_tick),
        "current_price": mid_json(p.current_price, sym, min_tick=min_tick),
        "timestamp": time_json(p.timestamp),
        "currency": p.currency,
    }


def order_json(o: Order) -> dict[str, Any]:
    """``Order.to_dict`` with readable numbers (the same keys)."""
    sym = symbol_of(o.symbol)
    return {
        "symbol": o.symbol,
        "side": o.side.value,
        "type": o.type.value,
        "amount": quantity_json(o.amount, sym),
        "price": price_json(o.price, sym),
        "id": o.id,
        "status": o.status.value,
        "filled": quantity_json(o.filled, sym),
        "average": price_json(o.average, sym),
        "fee": fee_json(o.fee),
        "timestamp": time_json(o.timestamp),
        "info": jsonable(o.info),
    } | {"clientOrderId": o.client_order_id, "remaining": quantity_json(o.remaining, sym)}


__all__ = [
    "book_json",
    "candle_cells",
    "candle_json",
    "fee_json",
    "mid_json",
    "money_obj_json",
    "order_json",
    "position_json",
    "quote_json",
    "symbol_of",
]
