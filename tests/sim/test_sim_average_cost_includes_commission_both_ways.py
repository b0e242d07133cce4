"""IB's average cost includes commissions: a long's cost rises by them, a short's proceeds fall.

A short of 32 CBA sold at 145.30 paying AUD 6.00 has received 4,643.60 net: an average cost of
145.1125, and at an unchanged price it shows the commission as a loss. Before the fix the sim
added the commission to a short's average (145.4875), so an unchanged short showed a *gain*
of twice the commission — in `trader status`, the bot's unrealised PnL and the margin figures.
"""

from __future__ import annotations

from decimal import Decimal

from ib_async import IB, LimitOrder, Stock

from trader_cli.sim import SimGateway


async def _filled(ib: IB, contract: Stock, action: str, qty: int, wait) -> tuple[Decimal, Decimal]:
    ticker = ib.reqMktData(contract)
    await wait(lambda: ticker.ask > 0 and ticker.bid > 0)
    price = ticker.ask if action == "BUY" else ticker.bid
    trade = ib.placeOrder(contract, LimitOrder(action, qty, price))
    await wait(lambda: trade.isDone() and trade.fills and all(
        f.commissionReport.commission > 0 for f in trade.fills))
    shares = sum(Decimal(str(f.execution.shares)) for f in trade.fills)
    value = sum(Decimal(str(f.execution.shares)) * Decimal(str(f.execution.price))
                for f in trade.fills)
    commission = sum(Decimal(str(f.commissionReport.commission)) for f in trade.fills)
    assert shares == qty
    return value / shares, commission


async def _avg_cost(ib: IB, con_id: int, wait) -> Decimal:
    await wait(lambda: any(p.contract.conId == con_id for p in ib.positions()))
    [pos] = [p for p in ib.positions() if p.contract.conId == con_id]
    return Decimal(str(pos.avgCost))


async def test_a_short_average_is_net_of_commission(gw: SimGateway, ib: IB, wait) -> None:
    cba = Stock("CBA", "SMART", "AUD", primaryExchange="ASX")
    await ib.qualifyContractsAsync(cba)
    price, commission = await _filled(ib, cba, "SELL", 32, wait)
    avg = await _avg_cost(ib, cba.conId, wait)
    assert avg == (price * 32 - commission) / 32
    assert avg < price  # the commission lowered what the short received


async def test_a_long_average_includes_commission(gw: SimGateway, ib: IB, wait) -> None:
    bhp = Stock("BHP", "SMART", "AUD", primaryExchange="ASX")
    await ib.qualifyContractsAsync(bhp)
    price, commission = await _filled(ib, bhp, "BUY", 100, wait)
    avg = await _avg_cost(ib, bhp.conId, wait)
    assert avg == (price * 100 + commission) / 100
    assert avg > price
