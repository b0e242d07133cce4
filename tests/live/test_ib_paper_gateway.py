"""Against a real IB paper Gateway/TWS: read-only checks, run only when asked for.

Set ``TRADER_LIVE_IB=1`` (plus ``IB_HOST``/``IB_PORT``/``IB_CLIENT_ID`` as needed) with a paper
Gateway running. Nothing here places an order.
"""

from __future__ import annotations

import os

import pytest

from trader_cli.config import load_settings
from trader_cli.domain.symbols import parse_symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.redaction import is_paper_account

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get("TRADER_LIVE_IB") != "1",
        reason="needs a real IB paper Gateway: set TRADER_LIVE_IB=1 and IB_PORT",
    ),
]


async def test_paper_gateway_contract_quote_bars_and_account() -> None:
    from trader_cli.venues.ib.trader import IBTrader

    trader = IBTrader(load_settings())
    await trader.connect()
    try:
        assert is_paper_account(trader.account), "live tests only run against a paper account"
        bhp = parse_symbol("BHP/AUD")
        inst = await trader.resolve(bhp)
        assert inst.details is not None
        assert inst.details["primaryExchange"] == "ASX"
        bars = await trader.fetch_ohlcv(bhp, Timeframe.D1, 20)
        assert len(bars) == 20
        assert [b.ts for b in bars] == sorted(b.ts for b in bars)
        summary = await trader.get_account_summary()
        assert summary.net_liquidation.currency == trader.settings.base_currency
    finally:
        await trader.close()
