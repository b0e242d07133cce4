"""ccxt's Gemini structures → trader's models: pure functions and explicit tables (no ccxt)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from trader_cli.domain.book import BookLevel, OrderBook, PublicTrade
from trader_cli.domain.models import (
    Candle,
    Fee,
    Fill,
    Liquidity,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    Side,
    utc_from_ms,
)
from trader_cli.domain.money import to_decimal
from trader_cli.domain.orders import OrderSpec, TimeInForce
from trader_cli.domain.symbols import Symbol
from trader_cli.venues.base import Instrument

# ccxt's unified order status (from Gemini's is_live / is_cancelled) → ours
ORDER_STATUS = {
    "open": OrderStatus.OPEN,
    "closed": OrderStatus.CLOSED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "rejected": OrderStatus.REJECTED,
    "expired": OrderStatus.EXPIRED,
}
# ccxt's takerOrMaker → ours
LIQUIDITY = {"maker": Liquidity.MAKER, "taker": Liquidity.TAKER}
# our time in force → ccxt's, which it sends as Gemini's execution option (IOC:
# "immediate-or-cancel"); GTC (Gemini's default) rests on the book: no option. Gemini has no
# DAY orders: the capabilities refuse them before this is reached
TIME_IN_FORCE = {TimeInForce.IOC: "IOC"}
# the reason Gemini gives for a cancel we asked for (others are Gemini's own: see order())
CANCEL_REQUESTED = "Requested"
# Gemini's order types as they come back in ``info.type``
ORDER_TYPES = {"exchange limit": OrderType.LIMIT, "limit": OrderType.LIMIT}


def order_options(spec: OrderSpec) -> dict[str, Any]:
    """ccxt's ``create_order`` params for ``spec``'s time in force and post-only flag.

    ccxt sends ``timeInForce: IOC`` as Gemini's ``options: ["immediate-or-cancel"]`` and
    ``postOnly: True`` as ``["maker-or-cancel"]`` (a spec cannot be both).
    """
    params: dict[str, Any] = {}
    tif = TIME_IN_FORCE.get(spec.time_in_force) if spec.time_in_force else None
    if tif is not None:
        params["timeInForce"] = tif
    if spec.post_only:
        params["postOnly"] = True
    return params


def dec(value: Any) -> Decimal | None:
    """A ccxt number or numeric string as ``Decimal`` (None stays None)."""
    if value is None or value == "":
        return None
    return to_decimal(str(value))


def instrument(symbol: Symbol, market: Mapping[str, Any]) -> Instrument:
    """An :class:`Instrument` from a ccxt market built from Gemini's symbol details.

    Gemini's naming is crossed: its ``tick_size`` is the amount increment and its
    ``quote_increment`` the price tick (ccxt puts them in ``precision.amount``/``.price``).
    """
    precision = market.get("precision") or {}
    limits = (market.get("limits") or {}).get("amount") or {}
    amount_step = dec(precision.get("amount")) or Decimal("0.00000001")
    min_amount = dec(limits.get("min"))
    return Instrument(
        symbol=symbol,
        venue_id=str(market["id"]),
        exchange="GEMINI",
        currency=str(market.get("quote") or symbol.quote),
        min_tick=dec(precision.get("price")),
        size_increment=amount_step,
        order_types=frozenset({"limit"}),
        time_zone="UTC",
        trading_hours="24/7",
        min_amount=min_amount,
        details={"active": market.get("active")},
    )


def quote_from_book(symbol: Symbol, book: Mapping[str, Any], ticker: Mapping[str, Any] | None,
                    now_ms: int) -> Quote:
    """Top of book from a ccxt order book (sizes from the book), last and volume from a ticker."""
    bids, asks = book.get("bids") or [], book.get("asks") or []
    ticker = ticker or {}
    stamp = book.get("timestamp") or ticker.get("timestamp") or now_ms
    # no book at all: the ticker's bid and ask; one side only: half a book, never completed
    # from the ticker (another snapshot)
    fallback = ticker if not bids and not asks else {}
    return Quote(
        symbol=str(symbol),
        timestamp=utc_from_ms(stamp),
        bid=dec(bids[0][0]) if bids else dec(fallback.get("bid")),
        ask=dec(asks[0][0]) if asks else dec(fallback.get("ask")),
        last=dec(ticker.get("last")),
        bid_size=dec(bids[0][1]) if bids else None,
        ask_size=dec(asks[0][1]) if asks else None,
        volume=dec(ticker.get("baseVolume")),
        half_book=bool(bids) != bool(asks),
    )


def order_book(symbol: Symbol, book: Mapping[str, Any], now_ms: int) -> OrderBook:
    """A ccxt order book (``[price, amount]`` rows) → :class:`OrderBook` (Gemini's depth)."""

    def levels(rows: Iterable[list[Any]]) -> tuple[BookLevel, ...]:
        return tuple(BookLevel(to_decimal(str(r[0])), to_decimal(str(r[1]))) for r in rows)

    stamp = book.get("timestamp") or now_ms
    return OrderBook(
        str(symbol), utc_from_ms(stamp), levels(book.get("bids") or []),
        levels(book.get("asks") or []),
    )  # fmt: skip


def public_trade(trade: Mapping[str, Any], symbol: str) -> PublicTrade:
    """A ccxt public trade (Gemini ``/v1/trades``, ``side`` the taker's) → a tape print."""
    side = str(trade.get("side") or "").lower()
    return PublicTrade(
        symbol=symbol,
        price=to_decimal(str(trade["price"])),
        amount=to_decimal(str(trade["amount"])),
        timestamp=utc_from_ms(int(trade["timestamp"])),
        side=Side(side) if side in (Side.BUY, Side.SELL) else None,
        id=None if trade.get("id") is None else str(trade["id"]),
    )


def quote_from_ticker(symbol: Symbol, ticker: Mapping[str, Any], now_ms: int) -> Quote:
    """Top of book from a ccxt ticker alone (no sizes: Gemini's ticker has none)."""
    return quote_from_book(symbol, {}, ticker, now_ms)


def candles(rows: Iterable[list[Any]]) -> list[Candle]:
    """ccxt OHLCV rows → candles, oldest first, one per timestamp."""
    by_ts: dict[int, Candle] = {}
    for ts, o, h, low, c, v in rows:
        by_ts[int(ts)] = Candle(
            utc_from_ms(int(ts)), to_decimal(str(o)), to_decimal(str(h)), to_decimal(str(low)),
            to_decimal(str(c)), to_decimal(str(v)),
        )
    return [by_ts[k] for k in sorted(by_ts)]


def liquidity(trade: Mapping[str, Any]) -> Liquidity:
    """Maker or taker: ccxt's ``takerOrMaker``, else Gemini's ``aggressor`` flag (true: taker)."""
    found = LIQUIDITY.get(str(trade.get("takerOrMaker") or "").lower())
    if found is not None:
        return found
    info = trade.get("info") or {}
    aggressor = info.get("aggressor")
    if isinstance(aggressor, str):
        aggressor = {"true": True, "false": False}.get(aggressor.lower())
    if aggressor is True:
        return Liquidity.TAKER
    if aggressor is False:
        return Liquidity.MAKER
    return Liquidity.UNKNOWN


def fee(raw: Mapping[str, Any] | None, default_currency: str) -> Fee | None:
    """ccxt's ``fee{cost,currency}`` → :class:`Fee` (None when Gemini gave no cost)."""
    if not raw or raw.get("cost") is None:
        return None
    return Fee(to_decimal(str(raw["cost"])), str(raw.get("currency") or default_currency))


def fill(trade: Mapping[str, Any], symbol: str) -> Fill:
    """A ccxt trade (public or ``/v1/mytrades``) → :class:`Fill`."""
    info = trade.get("info") or {}
    quote = symbol.partition("/")[2] or "USD"
    return Fill(
        id=str(trade["id"]),
        order_id=None if trade.get("order") is None else str(trade["order"]),
        client_order_id=info.get("client_order_id") or trade.get("clientOrderId"),
        symbol=symbol,
        side=Side(str(trade["side"]).lower()),
        price=to_decimal(str(trade["price"])),
        amount=to_decimal(str(trade["amount"])),
        timestamp=utc_from_ms(int(trade["timestamp"])),
        fee=fee(trade.get("fee"), quote),
        liquidity=liquidity(trade),
        info={k: info[k] for k in ("is_auction_fill", "is_clearing_fill") if k in info},
    )


def order(raw: Mapping[str, Any], symbol: str) -> Order:
    """A ccxt order → :class:`Order` (Gemini orders are limits; ``options`` says IOC/MOC)."""
    info = raw.get("info") or {}
    amount = dec(raw.get("amount")) or Decimal(0)
    filled = dec(raw.get("filled")) or Decimal(0)
    status = ORDER_STATUS.get(str(raw.get("status") or "").lower(), OrderStatus.OPEN)
    stamp = raw.get("timestamp")
    extra: dict[str, Any] = {}
    reason = info.get("reason")
    if status is OrderStatus.CANCELED and reason and reason != CANCEL_REQUESTED:
        # Gemini cancelled it itself (maker-or-cancel that would take, IOC's unfilled rest)
        extra["lastError"] = f"cancelled by Gemini: {reason}"
    return Order(
        client_order_id=str(raw.get("clientOrderId") or info.get("client_order_id") or ""),
        symbol=symbol,
        side=Side(str(raw["side"]).lower()),
        type=ORDER_TYPES.get(str(info.get("type") or raw.get("type") or "limit"), OrderType.LIMIT),
        amount=amount,
        price=dec(raw.get("price")),
        id=None if raw.get("id") is None else str(raw["id"]),
        status=status,
        filled=filled,
        average=dec(raw.get("average")) if filled else None,
        timestamp=None if stamp is None else utc_from_ms(int(stamp)),
        info={
            "options": list(info.get("options") or []),
            "timeInForce": raw.get("timeInForce"),
            **extra,
        },
    )


def positions_from(
    balances: Mapping[str, Any], quotes: Mapping[str, Quote], fills: Mapping[str, list[Fill]],
    quote_currency: str, now_ms: int,
) -> list[Position]:
    """Spot holdings as positions: every non-zero balance other than the account's currency.

    The average price is the running average cost of ``fills`` (buys raise it, sells keep it);
    without fills it is the current price.
    """
    out: list[Position] = []
    totals = balances.get("total") or {}
    for currency, total in sorted(totals.items()):
        qty = dec(total)
        if currency == quote_currency or not qty:
            continue
        symbol = f"{currency}/{quote_currency}"
        current = quotes[symbol].price if symbol in quotes else None
        avg = average_cost(fills.get(symbol, [])) or current or Decimal(0)
        out.append(Position(symbol, qty, avg, current, utc_from_ms(now_ms), quote_currency))
    return out


def average_cost(fills: Iterable[Fill]) -> Decimal | None:
    """Average cost of what is held after ``fills`` (oldest first); None if nothing is held."""
    qty, cost = Decimal(0), Decimal(0)
    for f in fills:
        if f.side is Side.BUY:
            qty += f.amount
            cost += f.amount * f.price
        elif qty > 0:
            sold = min(f.amount, qty)
            cost -= cost / qty * sold
            qty -= sold
    return cost / qty if qty > 0 else None
