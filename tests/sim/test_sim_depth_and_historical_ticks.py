"""Plain ib_async reads the sim's market depth (reqMktDepth) and tape (reqHistoricalTicks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ib_async import IB, Forex, Stock

from trader_cli.sim import SimGateway

from .conftest import ASX_OPEN, WEEKEND, ErrorLog


async def _bhp(ib: IB) -> Stock:
    bhp = Stock("BHP", "SMART", "AUD", primaryExchange="ASX")
    await ib.qualifyContractsAsync(bhp)
    return bhp


async def test_depth_rows_are_a_sorted_two_sided_book_around_the_quote(
    gw: SimGateway, ib: IB, wait
) -> None:
    bhp = await _bhp(ib)
    ticker = ib.reqMktDepth(bhp, numRows=5, isSmartDepth=False)
    await wait(lambda: len(ticker.domBids) == 5 and len(ticker.domAsks) == 5)
    bids = [lv.price for lv in ticker.domBids]
    asks = [lv.price for lv in ticker.domAsks]
    assert bids == sorted(bids, reverse=True) and len(set(bids)) == 5
    assert asks == sorted(asks) and len(set(asks)) == 5
    assert bids[0] < asks[0]
    assert all(lv.size > 0 for lv in ticker.domBids + ticker.domAsks)
    q = gw.market.quote(gw.catalogue.by_local_symbol("BHP"), gw.clock.now())
    assert (bids[0], asks[0]) == (float(q.bid), float(q.ask))
    ib.cancelMktDepth(bhp)


async def test_depth_rows_follow_the_clock_and_stop_after_cancel(
    gw: SimGateway, ib: IB, wait
) -> None:
    bhp = await _bhp(ib)
    rows: list[object] = []
    ticker = ib.reqMktDepth(bhp, numRows=3)
    ticker.updateEvent += lambda t: rows.extend(t.domTicks)
    await wait(lambda: len(ticker.domBids) == 3 and len(ticker.domAsks) == 3)
    assert len(rows) == 6 and {r.operation for r in rows} == {0}  # three inserts a side
    before = (list(ticker.domBids), list(ticker.domAsks))
    await gw.advance(60, step=60)
    await ib.reqCurrentTimeAsync()  # a round trip: earlier rows are in
    assert len(rows) > 6
    assert {r.operation for r in rows[6:]} == {1}  # updated in place
    assert (ticker.domBids, ticker.domAsks) != before
    assert len(ticker.domBids) == 3 and len(ticker.domAsks) == 3
    ib.cancelMktDepth(bhp)
    await ib.reqCurrentTimeAsync()
    seen = len(rows)
    await gw.advance(60, step=60)
    await ib.reqCurrentTimeAsync()
    assert len(rows) == seen


@pytest.mark.parametrize("code", [354, 10092, 10089])
async def test_refused_depth_is_an_error_on_the_request_and_no_rows(
    gw: SimGateway, ib: IB, wait, code: int
) -> None:
    errors = ErrorLog(ib)
    bhp = await _bhp(ib)
    gw.refuse_depth(code)
    ticker = ib.reqMktDepth(bhp, numRows=5)
    await wait(lambda: errors.codes())
    assert code in errors.codes()
    assert ticker.domBids == [] and ticker.domAsks == []


async def test_trade_ticks_end_at_the_request_time_inside_the_session(
    gw: SimGateway, ib: IB
) -> None:
    bhp = await _bhp(ib)
    end = gw.clock.now()
    ticks = await ib.reqHistoricalTicksAsync(bhp, "", end, 50, "TRADES", useRth=True)
    assert len(ticks) == 50
    stamps = [t.time for t in ticks]
    assert stamps == sorted(stamps)
    assert all(t.tzinfo is not None for t in stamps)
    assert stamps[-1] <= end and stamps[0] >= end - timedelta(minutes=5)
    q = gw.market.quote(gw.catalogue.by_local_symbol("BHP"), end)
    assert all(abs(t.price - float(q.bid)) < float(q.bid) * 0.01 for t in ticks)
    assert all(t.size > 0 and t.exchange for t in ticks)


async def test_trade_ticks_on_a_weekend_come_from_the_last_session(ib: IB, gw: SimGateway) -> None:
    gw.clock.set(WEEKEND)
    bhp = await _bhp(ib)
    ticks = await ib.reqHistoricalTicksAsync(bhp, "", WEEKEND, 10, "TRADES", useRth=True)
    assert len(ticks) == 10
    # Friday 5 July, the ASX closes at 16:00 Sydney (06:00 UTC)
    close = datetime(2024, 7, 5, 6, 0, tzinfo=UTC)
    assert all(close - timedelta(minutes=1) <= t.time < close for t in ticks)


async def test_ticks_from_a_start_time_go_forward(ib: IB, gw: SimGateway) -> None:
    bhp = await _bhp(ib)
    start = ASX_OPEN - timedelta(minutes=10)
    ticks = await ib.reqHistoricalTicksAsync(bhp, start, "", 20, "BID_ASK", useRth=True)
    assert len(ticks) == 20
    assert ticks[0].time >= start
    assert all(0 < t.priceBid < t.priceAsk and t.sizeBid > 0 for t in ticks)


async def test_fx_has_midpoints_and_bid_ask_but_no_trade_prints(ib: IB, gw: SimGateway) -> None:
    from ib_async import RequestError

    audusd = Forex("AUDUSD")
    await ib.qualifyContractsAsync(audusd)
    mids = await ib.reqHistoricalTicksAsync(audusd, "", ASX_OPEN, 5, "MIDPOINT", useRth=False)
    assert len(mids) == 5
    assert all(0.5 < t.price < 1.0 for t in mids)
    ib.RaiseRequestErrors = True
    with pytest.raises(RequestError) as raised:
        await ib.reqHistoricalTicksAsync(audusd, "", ASX_OPEN, 5, "TRADES", useRth=False)
    assert raised.value.code == 162


async def test_ticks_without_permissions_are_refused_with_162(ib: IB, gw: SimGateway) -> None:
    from ib_async import RequestError

    bhp = await _bhp(ib)
    gw.refuse_ticks()
    ib.RaiseRequestErrors = True
    with pytest.raises(RequestError) as raised:
        await ib.reqHistoricalTicksAsync(bhp, "", ASX_OPEN, 5, "TRADES", useRth=True)
    assert raised.value.code == 162
    assert "No market data permissions" in raised.value.message
