"""Orders, fills, commissions, cancels, positions and account values through plain ib_async."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ib_async import IB, ExecutionFilter, Forex, LimitOrder, MarketOrder, Stock

from trader_cli.sim import SimClock, SimGateway

TIMEOUT = 3.0
WEEKEND = datetime(2024, 7, 6, 1, 0, tzinfo=UTC)


async def _bhp(ib: IB) -> Stock:
    bhp = Stock("BHP", "SMART", "AUD", primaryExchange="ASX")
    await ib.qualifyContractsAsync(bhp)
    return bhp


def _aud_values(ib: IB) -> dict[str, float]:
    return {
        v.tag: float(v.value)
        for v in ib.accountValues()
        if v.currency == "AUD" and v.tag not in ("Currency", "ExchangeRate")
    }


async def _quote(ib: IB, contract, wait):
    ticker = ib.reqMktData(contract)
    await wait(lambda: ticker.ask > 0 and ticker.bid > 0)
    return ticker


async def test_limit_order_fills_in_parts_with_commission_reports(
    gw: SimGateway, ib: IB, wait
) -> None:
    bhp = await _bhp(ib)
    ticker = await _quote(ib, bhp, wait)
    top = ticker.askSize
    qty = 3000
    assert top < qty  # the order must be bigger than the top of book to fill in parts
    trade = ib.placeOrder(bhp, LimitOrder("BUY", qty, ticker.ask, orderRef="SIM-T1-0001"))
    await wait(lambda: trade.fills and trade.fills[0].commissionReport.commission > 0)
    first = trade.fills[0]
    assert first.execution.shares == top
    assert trade.orderStatus.status == "Submitted"
    assert trade.orderStatus.filled == top
    # IBKR fixed plan: 0.08% of value, minimum AUD 6.00 per order
    value = first.execution.shares * first.execution.price
    assert first.commissionReport.commission == pytest.approx(max(6.0, value * 0.0008), abs=0.01)
    assert first.commissionReport.currency == "AUD"
    assert first.execution.orderRef == "SIM-T1-0001"
    await gw.advance(3)  # the book refreshes every sim second
    await wait(lambda: trade.orderStatus.status == "Filled")
    await wait(lambda: all(f.commissionReport.currency == "AUD" for f in trade.fills))
    assert len(trade.fills) >= 2
    assert sum(f.execution.shares for f in trade.fills) == qty
    total_value = sum(f.execution.shares * f.execution.price for f in trade.fills)
    total_commission = sum(f.commissionReport.commission for f in trade.fills)
    assert total_commission == pytest.approx(total_value * 0.0008, abs=0.02)
    perm_ids = {f.execution.permId for f in trade.fills}
    assert perm_ids == {trade.order.permId}
    completed = await ib.reqCompletedOrdersAsync(False)
    assert [t.order.orderRef for t in completed] == ["SIM-T1-0001"]
    assert completed[0].orderStatus.status == "Filled"


async def test_small_order_pays_the_minimum(ib: IB, wait) -> None:
    bhp = await _bhp(ib)
    ticker = await _quote(ib, bhp, wait)
    trade = ib.placeOrder(bhp, LimitOrder("BUY", 10, ticker.ask))
    await wait(lambda: trade.isDone() and trade.fills and trade.fills[0].commissionReport.currency)
    assert trade.fills[0].commissionReport.commission == pytest.approx(6.00)


async def test_fx_order_commission_in_usd(ib: IB, wait) -> None:
    pair = Forex("AUDUSD")
    await ib.qualifyContractsAsync(pair)
    ticker = await _quote(ib, pair, wait)
    trade = ib.placeOrder(pair, LimitOrder("BUY", 20000, ticker.ask))
    await wait(lambda: trade.isDone() and trade.fills and trade.fills[-1].commissionReport.currency)
    report = trade.fills[0].commissionReport
    assert report.currency == "USD"
    assert report.commission == pytest.approx(2.00)  # 0.2 bp of ~13,000 USD is below the minimum


async def test_cancel_resting_order(ib: IB, errors, wait) -> None:
    bhp = await _bhp(ib)
    ticker = await _quote(ib, bhp, wait)
    far = round(ticker.bid - 1.0, 2)
    trade = ib.placeOrder(bhp, LimitOrder("BUY", 100, far))
    await wait(lambda: trade.orderStatus.status == "Submitted")
    assert [t.order.orderId for t in await ib.reqOpenOrdersAsync()] == [trade.order.orderId]
    ib.cancelOrder(trade.order)
    await wait(lambda: trade.orderStatus.status == "Cancelled")
    await wait(lambda: 202 in errors.codes())
    assert (trade.order.orderId, 202, "Order Canceled - reason:") in errors.items
    assert await ib.reqOpenOrdersAsync() == []


async def test_off_tick_price_is_error_110(ib: IB, errors, wait) -> None:
    bhp = await _bhp(ib)
    trade = ib.placeOrder(bhp, LimitOrder("BUY", 100, 40.005))
    await wait(lambda: 110 in errors.codes())
    assert (
        trade.order.orderId,
        110,
        "The price does not conform to the minimum price variation for this contract.",
    ) in errors.items
    await wait(lambda: trade.orderStatus.status == "Cancelled")


async def test_rejected_order_is_error_201(gw: SimGateway, ib: IB, errors, wait) -> None:
    bhp = await _bhp(ib)
    gw.reject_next_order("insufficient SIMULATED margin")
    trade = ib.placeOrder(bhp, LimitOrder("BUY", 100, 40.00))
    await wait(lambda: 201 in errors.codes())
    assert (
        trade.order.orderId,
        201,
        "Order rejected - reason:insufficient SIMULATED margin",
    ) in errors.items
    await wait(lambda: trade.orderStatus.status == "Cancelled")
    ndq = Stock("NDQ", "SMART", "AUD")
    await ib.qualifyContractsAsync(ndq)
    market = ib.placeOrder(ndq, MarketOrder("SELL", 10))
    await wait(lambda: market.orderStatus.status == "Cancelled")
    assert [c for r, c, _ in errors.items if r == market.order.orderId] == [201]


async def test_market_order_and_short_position(ib: IB, wait) -> None:
    cba = Stock("CBA", "SMART", "AUD")
    await ib.qualifyContractsAsync(cba)
    trade = ib.placeOrder(cba, MarketOrder("SELL", 50))
    await wait(lambda: trade.orderStatus.status == "Filled")
    positions = await ib.reqPositionsAsync()
    assert [(p.contract.symbol, p.position) for p in positions] == [("CBA", -50.0)]


async def test_positions_and_account_values_update(ib: IB, wait) -> None:
    before = _aud_values(ib)
    assert before["NetLiquidation"] == pytest.approx(1_000_000)
    summary = {v.tag: v for v in await ib.accountSummaryAsync()}
    for tag in (
        "NetLiquidation", "TotalCashValue", "AvailableFunds", "BuyingPower", "ExcessLiquidity",
        "FullInitMarginReq", "FullMaintMarginReq", "GrossPositionValue", "Cushion",
    ):  # fmt: skip
        assert tag in summary
        assert summary[tag].currency == "AUD"
    assert summary["AccountType"].value == "SIMULATED"
    bhp = await _bhp(ib)
    ticker = await _quote(ib, bhp, wait)
    trade = ib.placeOrder(bhp, LimitOrder("BUY", 200, ticker.ask))
    await wait(lambda: trade.isDone())
    await wait(lambda: ib.portfolio())
    [item] = ib.portfolio()
    assert item.position == 200
    assert item.contract.conId == bhp.conId
    await wait(
        lambda: (
            float(next(v.value for v in ib.accountValues() if v.tag == "GrossPositionValue")) > 0
        )
    )
    after = _aud_values(ib)
    assert after["TotalCashValue"] < before["TotalCashValue"]
    assert after["FullInitMarginReq"] > 0
    assert [p.position for p in ib.positions()] == [200.0]


async def test_no_fills_while_market_closed() -> None:
    async with SimGateway.start(seed=3, clock=SimClock.pinned(WEEKEND)) as gw:
        ib = IB()
        await ib.connectAsync("127.0.0.1", gw.port, clientId=1, timeout=TIMEOUT)
        try:
            bhp = Stock("BHP", "SMART", "AUD")
            await ib.qualifyContractsAsync(bhp)
            trade = ib.placeOrder(bhp, MarketOrder("BUY", 100))
            await gw.advance(60, step=30)
            await ib.reqOpenOrdersAsync()
            assert trade.orderStatus.status == "Submitted"
            assert trade.fills == []
            # Monday 8 July 10:00:05 Sydney: the open
            gw.clock.set(datetime(2024, 7, 8, 0, 0, 5, tzinfo=UTC))
            await gw.tick()
            for _ in range(100):
                if trade.orderStatus.status == "Filled":
                    break
                await ib.reqCurrentTimeAsync()
            assert trade.orderStatus.status == "Filled"
        finally:
            ib.disconnect()


async def test_reconnect_after_drop_keeps_state(gw: SimGateway, ib: IB, wait) -> None:
    bhp = await _bhp(ib)
    ticker = await _quote(ib, bhp, wait)
    filled = ib.placeOrder(bhp, LimitOrder("BUY", 100, ticker.ask, orderRef="KEEP-1"))
    resting = ib.placeOrder(
        bhp, LimitOrder("BUY", 100, round(ticker.bid - 2, 2), orderRef="KEEP-2")
    )
    await wait(lambda: filled.isDone() and resting.orderStatus.status == "Submitted")
    last_id = resting.order.orderId
    await gw.drop_connections()
    await wait(lambda: not ib.isConnected())
    again = IB()
    await again.connectAsync("127.0.0.1", gw.port, clientId=1, timeout=TIMEOUT)
    try:
        assert [p.position for p in again.positions()] == [100.0]
        assert [t.order.orderRef for t in again.openTrades()] == ["KEEP-2"]
        assert again.client.getReqId() > last_id
        fills = await again.reqExecutionsAsync(ExecutionFilter(symbol="BHP", side="BUY"))
        assert [f.execution.orderRef for f in fills] == ["KEEP-1"]
        # ib_async keeps the commission on the Fill it first saw (during connect)
        assert [f.commissionReport.commission > 0 for f in again.fills()] == [True]
        assert await again.reqExecutionsAsync(ExecutionFilter(side="SELL")) == []
        assert await again.reqExecutionsAsync(ExecutionFilter(secType="CASH")) == []
        assert await again.reqExecutionsAsync(ExecutionFilter(clientId=9)) == []
        assert await again.reqExecutionsAsync(ExecutionFilter(time="20240703-02:00:00")) == []
    finally:
        again.disconnect()


async def test_state_persists_to_a_file(clock, tmp_path) -> None:
    path = tmp_path / "sim-world.json"
    async with SimGateway.start(seed=1, clock=clock, state_path=path) as gw:
        ib = IB()
        await ib.connectAsync("127.0.0.1", gw.port, clientId=1, timeout=TIMEOUT)
        tlS = Stock("TLS", "SMART", "AUD")
        await ib.qualifyContractsAsync(tlS)
        trade = ib.placeOrder(tlS, MarketOrder("BUY", 1000))
        for _ in range(100):
            if trade.isDone():
                break
            await ib.reqCurrentTimeAsync()
        ib.disconnect()
    async with SimGateway.start(seed=1, clock=clock, state_path=path) as gw2:
        assert [p.quantity for p in gw2.world.positions.values()] == [1000]
        assert gw2.world.next_order_id > trade.order.orderId
