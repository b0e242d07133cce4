"""Pure mapping between ib_async objects and our models: explicit tables, no I/O."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ib_async import Contract, Forex, Stock
from ib_async import Fill as IBFill
from ib_async import Order as IBOrder
from ib_async import Trade as IBTrade

from trader_cli.domain.models import (
    Candle,
    Fee,
    FeeSource,
    Fill,
    Liquidity,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    Side,
)
from trader_cli.domain.money import to_decimal
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import Symbol, parse_symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.errors import InvalidOrderError, TimeframeError
from trader_cli.venues.ib.capabilities import BAR_SIZE
from trader_cli.venues.ib.contracts import ContractSpec
from trader_cli.venues.ib.order_rules import (
    ACTION,
    DEFAULT_TIME_IN_FORCE,
    IB_ORDER_TYPE,
    LIMIT_TYPES,
    LIQUIDITY,
    OCA_REDUCE_WITH_BLOCK,
    ORDER_STATUS,
    ORDER_TYPE,
    SIDE_OF_ACTION,
    SIDE_OF_EXEC,
    TIME_IN_FORCE,
)

WHAT_TO_SHOW = {"STK": "TRADES", "CASH": "MIDPOINT"}
SESSION_SECONDS = {"STK": 6 * 3600, "CASH": 24 * 3600}  # ASX continuous session 10:00-16:00


def bar_size(timeframe: Timeframe) -> str:
    """IB bar size setting for ``timeframe``; raises :class:`TimeframeError` where IB has none."""
    try:
        return BAR_SIZE[timeframe]
    except KeyError:
        supported = ", ".join(tf.value for tf in BAR_SIZE)
        raise TimeframeError(
            f"IB has no {timeframe.value} bars", hint=f"use one of {supported}"
        ) from None


# IB's step-size rule, from its "historical data limitations": the longest duration one request
# may span for a given bar size, in days. Longer histories are fetched in several requests.
MAX_SPAN_DAYS = (
    (60, 1),
    (120, 2),
    (1200, 7),
    (28_800, 30),
    (86_400, 365),
    (604_800, 365 * 5),
)


def max_span_days(timeframe: Timeframe) -> int:
    """Longest duration, in days, that one IB request may cover for this bar size."""
    for bar_seconds, days in MAX_SPAN_DAYS:
        if timeframe.seconds <= bar_seconds:
            return days
    return MAX_SPAN_DAYS[-1][1]


def days_needed(timeframe: Timeframe, limit: int, sec_type: str) -> int:
    """Calendar days that hold ``limit`` bars, with room for weekends and a session not yet open."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    if timeframe.seconds >= 86_400:
        trading_days = math.ceil(limit * timeframe.seconds / 86_400)
        return trading_days * 7 // 5 + 5
    per_session = max(1, SESSION_SECONDS.get(sec_type, 86_400) // timeframe.seconds)
    sessions = math.ceil(limit / per_session)
    return sessions + 1 + math.ceil(sessions / 5) * 2


def days_open(timeframe: Timeframe, limit: int, sec_type: str) -> int:
    """Calendar days that hold ``limit`` intraday bars when the market trades throughout them:
    the sessions they fill and the one in progress, no room for a weekend or a holiday
    (:func:`days_needed` has it). Daily and longer bars: :func:`days_needed` itself."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    if timeframe.seconds >= 86_400:
        return days_needed(timeframe, limit, sec_type)
    per_session = max(1, SESSION_SECONDS.get(sec_type, 86_400) // timeframe.seconds)
    return math.ceil(limit / per_session) + 1


def duration_string(days: int) -> str:
    """IB duration for ``days`` calendar days (years beyond 365 days)."""
    return f"{math.ceil(days / 365)} Y" if days > 365 else f"{days} D"


def to_contract(spec: ContractSpec) -> Contract:
    """ib_async contract for an offline spec."""
    if spec.sec_type == "CASH":
        return Forex(pair=f"{spec.symbol}{spec.currency}", exchange=spec.exchange)
    return Stock(
        spec.symbol, spec.exchange, spec.currency, primaryExchange=spec.primary_exchange or ""
    )


def canonical_symbol(contract: Contract) -> Symbol:
    """Our canonical symbol for an IB contract (local symbols never leave the adapter)."""
    if contract.secType == "CASH":
        return Symbol(contract.symbol, contract.currency)
    return parse_symbol(f"{contract.symbol.replace(' ', '.')}/{contract.currency}")


def dec(value: Decimal | float | int | str | None) -> Decimal | None:
    """IB float (NaN or the UNSET sentinel meaning absent) → Decimal or None."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value) or value >= 1.7e308):
        return None
    return to_decimal(value)


def price(value: float | None) -> Decimal | None:
    """A positive IB price, or None (IB sends -1, 0 or NaN for 'no price')."""
    d = dec(value)
    return d if d is not None and d > 0 else None


def size(value: float | None) -> Decimal | None:
    """A non-negative IB size; whole numbers stay integral (``912``, not ``912.0``)."""
    d = dec(value)
    if d is None or d < 0:
        return None
    return d.to_integral_value() if d == d.to_integral_value() else d.normalize()


def qty(value: float | None) -> Decimal:
    """A quantity from IB (shares or currency units), integral where it is whole; 0 if absent."""
    return size(abs(value) if value is not None else None) or Decimal(0)


def quote_from_ticker(symbol: Symbol, ticker: Any, now: datetime, wall_now: datetime) -> Quote:
    """Top of book from an ib_async ``Ticker``.

    ib_async stamps a ticker with the wall-clock time it arrived; the quote keeps that age but
    on ``now``'s clock (the sim's, or the real one).
    """
    ts = now
    if isinstance(ticker.time, datetime) and ticker.time.tzinfo:
        ts = now - max(wall_now - ticker.time, timedelta(0))
    return Quote(
        symbol=str(symbol),
        timestamp=ts,
        bid=price(ticker.bid),
        ask=price(ticker.ask),
        last=price(ticker.last) or price(ticker.close),
        bid_size=size(ticker.bidSize),
        ask_size=size(ticker.askSize),
        volume=size(ticker.volume),
        delayed=ticker.marketDataType in (3, 4),
    )


def candle_from_bar(bar: Any) -> Candle:
    """Candle from an ib_async ``BarData`` (formatDate=2: aware datetimes; daily bars: dates)."""
    when = bar.date
    if isinstance(when, datetime):
        ts = when if when.tzinfo else when.replace(tzinfo=UTC)
    elif isinstance(when, date):
        ts = datetime(when.year, when.month, when.day, tzinfo=UTC)
    else:
        raise ValueError(f"unexpected bar date {when!r}")
    return Candle(
        ts=ts,
        open=to_decimal(bar.open),
        high=to_decimal(bar.high),
        low=to_decimal(bar.low),
        close=to_decimal(bar.close),
        volume=size(bar.volume) or Decimal(0),
    )


def order_id(order: Any) -> str:
    """Our string id of an IB order: its permId once known, else ``clientId:orderId``.

    Works on an ib_async ``Order`` and on an ``Execution`` (both carry the three ids).
    """
    perm = getattr(order, "permId", 0) or 0
    if perm:
        return str(perm)
    return f"{getattr(order, 'clientId', 0) or 0}:{getattr(order, 'orderId', 0) or 0}"


EXTERNAL_PREFIX = "ext-"


def client_order_id(order: Any) -> str:
    """The client order id of an IB order (or execution): its ``orderRef`` when it has one.

    An order placed outside trader (TWS, another program) carries no orderRef; it is named
    ``ext-<permId>``, or ``ext-<clientId>:<orderId>`` while IB has not yet assigned a permId
    (permId 0, as in the first status messages of a new order).
    """
    ref = (getattr(order, "orderRef", "") or "").strip()
    return ref or f"{EXTERNAL_PREFIX}{order_id(order)}"


def fill_from_ib(fill: IBFill, base_symbol: Symbol | None = None) -> Fill:
    """Our fill from an ib_async ``Fill`` (execution + commission report)."""
    ex = fill.execution
    report = fill.commissionReport
    fee = None
    if report is not None and report.currency and dec(report.commission) is not None:
        fee = Fee(to_decimal(report.commission), report.currency, FeeSource.VENUE)
    ts = ex.time if ex.time.tzinfo else ex.time.replace(tzinfo=UTC)
    return Fill(
        id=ex.execId,
        order_id=order_id(ex),
        client_order_id=ex.orderRef or None,
        symbol=str(base_symbol or canonical_symbol(fill.contract)),
        side=SIDE_OF_EXEC[ex.side],
        price=to_decimal(ex.price),
        amount=qty(ex.shares),
        timestamp=ts,
        fee=fee,
        liquidity=LIQUIDITY.get(ex.lastLiquidity, Liquidity.UNKNOWN),
        info={"conId": fill.contract.conId or None, "exchange": ex.exchange or None},
    )


def order_from_trade(trade: IBTrade) -> Order:
    """Our order from an ib_async ``Trade``: status, filled, average and commission mapped."""
    o, st = trade.order, trade.orderStatus
    fees = [
        f.commissionReport
        for f in trade.fills
        if f.commissionReport
        and f.commissionReport.currency
        and dec(f.commissionReport.commission) is not None
    ]
    fee = None
    if fees:
        fee = Fee(sum((to_decimal(r.commission) for r in fees), Decimal(0)), fees[0].currency)
    filled = qty(st.filled)
    if trade.fills:
        filled = max(filled, sum((qty(f.execution.shares) for f in trade.fills), Decimal(0)))
    status = ORDER_STATUS.get(st.status, OrderStatus.OPEN)
    last_error = next((e.message for e in reversed(trade.log) if e.errorCode), None)
    return Order(
        client_order_id=o.orderRef or "",
        symbol=str(canonical_symbol(trade.contract)),
        side=SIDE_OF_ACTION[o.action],
        type=ORDER_TYPE.get(o.orderType, OrderType.LIMIT),
        amount=qty(o.totalQuantity),
        price=dec(o.lmtPrice) if o.orderType in LIMIT_TYPES else None,
        id=order_id(o),
        status=status,
        filled=filled,
        average=dec(st.avgFillPrice) if filled else None,
        fee=fee,
        timestamp=trade.log[0].time if trade.log else None,
        info={
            "orderId": o.orderId,
            "permId": o.permId,
            "clientId": o.clientId,
            "ibStatus": st.status,
            "conId": trade.contract.conId,
            "exchange": trade.contract.exchange,
            "lastError": last_error,
        },
    )


def order_fields(spec: OrderSpec) -> dict[str, Any]:
    """The ib_async ``Order`` fields of ``spec``: orderType, lmtPrice, auxPrice (stop), tif.

    Prices are left out where the type has none, so ib_async sends them unset. A post-only spec
    raises ``InvalidOrderError``: our IB instruments have no post-only order.
    """
    if spec.post_only:
        raise InvalidOrderError(
            "IB takes no post-only orders for ASX or IDEALPRO instruments",
            hint="drop --post-only (a limit away from the touch rests as a maker anyway)",
        )
    fields: dict[str, Any] = {
        "orderType": IB_ORDER_TYPE[spec.type],
        "tif": TIME_IN_FORCE[spec.time_in_force or DEFAULT_TIME_IN_FORCE],
    }
    if spec.limit_price is not None:
        fields["lmtPrice"] = float(spec.limit_price)
    if spec.stop_price is not None:
        fields["auxPrice"] = float(spec.stop_price)
    return fields


def to_ib_order(
    side: Side, amount: Decimal, spec: OrderSpec, *, order_ref: str, account: str = ""
) -> IBOrder:
    """An ib_async ``Order`` for ``amount`` on ``side`` as ``spec`` says, tagged ``order_ref``."""
    order = IBOrder(
        action=ACTION[side], totalQuantity=float(amount), orderRef=order_ref, **order_fields(spec)
    )
    if account:
        order.account = account
    return order


def position_from_ib(
    contract: Contract, quantity: float, avg_cost: float, market_price: float | None, now: datetime
) -> Position:
    """Our position from an IB position/portfolio row; shorts stay negative."""
    return Position(
        symbol=str(canonical_symbol(contract)),
        quantity=qty(quantity) * (-1 if quantity < 0 else 1),
        avg_price=to_decimal(avg_cost),
        current_price=price(market_price),
        timestamp=now,
        currency=contract.currency,
    )


def bracket_orders(
    legs: list[tuple[Side, Decimal, OrderSpec, str]],
    *,
    oca_group: str,
    parent_id: int | None,
    entry_index: int | None,
    account: str = "",
) -> list[IBOrder]:
    """The ib_async orders of a bracket, in the order given: ``legs`` are (side, amount, spec,
    orderRef); the one at ``entry_index`` (if any) is the parent and the others its children.

    Children carry ``parentId`` (when there is a parent) and one ``ocaGroup`` (ocaType 2:
    each fill of one reduces the others by as much, so a target filled in part leaves a stop
    for the rest, and a full fill leaves nothing). With the parent among them, every order but
    the last goes with ``transmit`` False: IB holds the group until the last child arrives, so
    the entry never works without its protection. Without it (children of a parent already
    sent, or a stand-alone OCA group) each is transmitted: an untransmitted order with no
    parent in the batch would wait in TWS for ever.
    """
    out = []
    for i, (side, amount, spec, ref) in enumerate(legs):
        order = to_ib_order(side, amount, spec, order_ref=ref, account=account)
        if i == entry_index:
            if parent_id is not None:
                order.orderId = parent_id
        else:
            order.ocaGroup = oca_group
            order.ocaType = OCA_REDUCE_WITH_BLOCK
            if parent_id is not None:
                order.parentId = parent_id
        order.transmit = entry_index is None or i == len(legs) - 1
        out.append(order)
    return out
