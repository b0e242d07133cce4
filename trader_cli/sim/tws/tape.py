"""Market depth (updateMktDepth rows) and historical ticks (the tape) as TWS serves them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from trader_cli.sim.engine.catalogue import Instrument
from trader_cli.sim.engine.market import Level, MarketModel
from trader_cli.sim.tws import history
from trader_cli.sim.tws.codec import Field
from trader_cli.sim.tws.errors import Codes, Text
from trader_cli.sim.tws.messages import Out
from trader_cli.sim.tws.requests import HistoricalTicksRequest

# updateMktDepth's operation and side fields
INSERT, UPDATE, DELETE = 0, 1, 2
ASK_SIDE, BID_SIDE = 0, 1
MAX_TICKS = 1000  # IB serves at most 1000 ticks per reqHistoricalTicks
TICK_SECONDS = 2  # the sim prints a trade (and a quote) every 2 seconds in session
LOOKBACK = timedelta(days=10)  # how far back the sim looks for sessions with ticks
TICK_KINDS = ("TRADES", "BID_ASK", "MIDPOINT")


@dataclass
class DepthSub:
    """A market depth subscription and the rows last sent on it, by (side, position)."""

    inst: Instrument
    rows: int
    sent: dict[tuple[int, int], tuple[Decimal, Decimal]] = field(default_factory=dict)


def market_depth(
    req_id: int, position: int, operation: int, side: int, price: Decimal, size: Decimal
) -> list[Field]:
    """MARKET_DEPTH (v1): position, operation (0 insert, 1 update, 2 delete), side (0 ask,
    1 bid), price, size."""
    return [Out.MARKET_DEPTH, 1, req_id, position, operation, side, price, size]


def depth_updates(
    req_id: int, sub: DepthSub, bids: tuple[Level, ...], asks: tuple[Level, ...]
) -> list[list[Field]]:
    """The MARKET_DEPTH messages that bring the client's book to ``bids``/``asks``."""
    out: list[list[Field]] = []
    for side, levels in ((BID_SIDE, bids), (ASK_SIDE, asks)):
        shown = levels[: sub.rows]
        for position, level in enumerate(shown):
            row = (level.price, level.size)
            before = sub.sent.get((side, position))
            if before == row:
                continue
            op = INSERT if before is None else UPDATE
            out.append(market_depth(req_id, position, op, side, level.price, level.size))
            sub.sent[(side, position)] = row
        for position in range(len(shown), sub.rows):
            gone = sub.sent.pop((side, position), None)
            if gone is not None:
                out.append(market_depth(req_id, position, DELETE, side, gone[0], Decimal(0)))
    return out


class TickRequestError(history.HistoryRequestError):
    """A historical ticks request TWS would refuse."""


def historical_ticks(
    market: MarketModel,
    inst: Instrument,
    req: HistoricalTicksRequest,
    now: datetime,
    tz: ZoneInfo,
) -> list[Field]:
    """HISTORICAL_TICKS_LAST / _BID_ASK / HISTORICAL_TICKS (midpoint) for ``req``.

    Like TWS: exactly one of start and end; at most 1000 ticks; no trade prints for FX (IDEALPRO
    is a quote market). Ticks are oldest first, one every ``TICK_SECONDS`` inside sessions.
    """
    what = req.what_to_show.upper()
    if what not in TICK_KINDS:
        raise TickRequestError(Codes.VALIDATION_ERROR, Text.TICKS_WHAT_TO_SHOW + what)
    if bool(req.start.strip()) == bool(req.end.strip()):
        raise TickRequestError(Codes.VALIDATION_ERROR, Text.TICKS_START_OR_END)
    if inst.is_fx and what == "TRADES":
        raise TickRequestError(
            Codes.HISTORICAL_DATA_ERROR,
            history.HMDS + f"No historical market data for {inst.symbol}/CASH@{inst.exchange} "
            "Last 0",
        )
    count = max(1, min(req.number_of_ticks, MAX_TICKS))
    if req.end.strip():
        end = min(history.parse_end(req.end, now, tz), now)
        stamps = _stamps_before(inst, end, count, req.use_rth)
    else:
        start = history.parse_end(req.start, now, tz)
        stamps = _stamps_after(inst, start, now, count, req.use_rth)
    fields: list[Field]
    if what == "TRADES":
        fields = [Out.HISTORICAL_TICKS_LAST, req.req_id, len(stamps)]
        for t in stamps:
            top = market.touch(inst, _at(t))
            fields += [t, 0, top.last, top.last_size, inst.exchange, ""]
    elif what == "BID_ASK":
        fields = [Out.HISTORICAL_TICKS_BID_ASK, req.req_id, len(stamps)]
        for t in stamps:
            top = market.touch(inst, _at(t))
            fields += [t, 0, top.bid, top.ask, top.bid_size, top.ask_size]
    else:
        fields = [Out.HISTORICAL_TICKS, req.req_id, len(stamps)]
        for t in stamps:
            top = market.touch(inst, _at(t))
            fields += [t, 0, (top.bid + top.ask) / 2, 0]
    fields.append(True)  # done
    return fields


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _stamps_before(inst: Instrument, end: datetime, count: int, use_rth: bool) -> list[int]:
    """The last ``count`` tick times (epoch seconds) at or before ``end``, oldest first."""
    out: list[int] = []
    sessions = history.sessions_between(inst.market, end - LOOKBACK, end, use_rth)
    for opened, closed in reversed(sessions):
        hi = min(closed, end)
        lo = int(opened.timestamp())
        t = (int(hi.timestamp()) - (1 if hi == closed else 0)) // TICK_SECONDS * TICK_SECONDS
        while t >= lo and len(out) < count:
            out.append(t)
            t -= TICK_SECONDS
        if len(out) >= count:
            break
    return sorted(out)


def _stamps_after(
    inst: Instrument, start: datetime, now: datetime, count: int, use_rth: bool
) -> list[int]:
    """The first ``count`` tick times at or after ``start`` (not after ``now``), oldest first."""
    out: list[int] = []
    for opened, closed in history.sessions_between(inst.market, start, now, use_rth):
        lo = max(opened, start)
        hi = int(min(closed, now).timestamp())
        t = -(-int(lo.timestamp()) // TICK_SECONDS) * TICK_SECONDS
        while t < hi and len(out) < count:
            out.append(t)
            t += TICK_SECONDS
        if len(out) >= count:
            break
    return out
