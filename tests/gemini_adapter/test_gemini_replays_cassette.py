"""The Gemini adapter replays its committed vcrpy cassette (no simulator, no network).

Recorded once against the SIMULATED Gemini (seed 0, clock pinned) by
``python -m tests.gemini_adapter.record_cassettes``; see docs/gemini.md, "Recording cassettes".
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from vcr.errors import CannotOverwriteExistingCassetteException

from tests.gemini_adapter.cassettes import (
    AMOUNT,
    FILL_CID,
    REST_CID,
    SCENARIO_CASSETTE,
    SECRETS,
    WHEN,
    replay,
)
from trader_cli.domain.models import Liquidity, OrderStatus, Side
from trader_cli.domain.symbols import parse_symbol


@pytest.fixture(autouse=True)
def _isolated(clean_env: Path) -> None:
    """No GEMINI_* or .env of the developer's reaches the scenario's settings."""


def test_scenario_replays_from_the_cassette_without_the_simulator() -> None:
    r = asyncio.run(replay())
    assert r.quote.bid is not None and r.quote.ask is not None and r.quote.bid < r.quote.ask
    assert r.quote.timestamp == WHEN  # stamped on the pinned clock
    assert len(r.bars) == 24 and r.bars[0].ts < r.bars[-1].ts <= WHEN
    # the resting limit: open, listed as ours, then cancelled
    assert r.rested.client_order_id == REST_CID and r.rested.status is OrderStatus.OPEN
    assert [o.client_order_id for o in r.open_orders] == [REST_CID]
    assert r.cancelled.client_order_id == REST_CID
    assert r.cancelled.status is OrderStatus.CANCELED
    # the marketable limit filled at once as taker, with its fee
    assert r.filled.client_order_id == FILL_CID and r.filled.status is OrderStatus.CLOSED
    assert r.filled.filled == AMOUNT
    (fill,) = r.trades
    assert fill.client_order_id == FILL_CID and fill.side is Side.BUY
    assert fill.symbol == str(parse_symbol("BTC/USD")) and fill.amount == AMOUNT
    assert fill.liquidity is Liquidity.TAKER
    assert fill.fee is not None and fill.fee.currency == "USD" and fill.fee.cost > 0
    # balances: USD 100,000 less the buy and its fee; 1 BTC plus the fill
    s = r.summary
    assert s.base_currency == "USD"
    spent = fill.price * fill.amount + fill.fee.cost
    assert s.cash_by_currency["USD"].amount == Decimal(100_000) - spent
    assert s.cash_by_currency["BTC"].amount == Decimal(1) + AMOUNT
    assert s.timestamp == WHEN


def test_a_request_not_in_the_cassette_fails_instead_of_reaching_the_network() -> None:
    from trader_cli.domain.timeframes import parse_timeframe

    async def unrecorded(trader: Any) -> Any:
        await trader.connect()
        return await trader.fetch_ohlcv(parse_symbol("BTC/USD"), parse_timeframe("1d"), 5)

    with pytest.raises(CannotOverwriteExistingCassetteException):
        asyncio.run(replay(unrecorded))


def test_a_payload_not_in_the_cassette_fails_though_its_path_was_recorded() -> None:
    from trader_cli.domain.orders import OrderSpec
    from trader_cli.venues.base import OrderRequest

    async def other_order(trader: Any) -> Any:
        await trader.connect()
        # /v1/order/status was recorded, but not for this client order id
        return await trader.place_order(OrderRequest(
            "trd-cassette-other-9", parse_symbol("BTC/USD"), Side.BUY, AMOUNT,
            OrderSpec.limit(Decimal("50000.00")),
        ))  # fmt: skip

    with pytest.raises(CannotOverwriteExistingCassetteException, match="order/status"):
        asyncio.run(replay(other_order))


def test_a_missing_cassette_fails_too(tmp_path: Path) -> None:
    with pytest.raises(CannotOverwriteExistingCassetteException):
        asyncio.run(replay(cassette=tmp_path / "absent.yaml"))


def test_the_committed_cassette_holds_no_gemini_auth_header_and_no_key() -> None:
    text = SCENARIO_CASSETTE.read_text()
    assert "x-gemini" not in text.lower()
    for secret in SECRETS:
        assert secret not in text
    assert "nonce" not in text
    data = yaml.safe_load(text)
    assert data["interactions"]
    for interaction in data["interactions"]:
        for name in interaction["request"]["headers"]:
            assert not name.lower().startswith("x-gemini-")
        for name in interaction["response"]["headers"]:
            assert not name.lower().startswith("x-gemini-")
        assert interaction["request"]["uri"].startswith("http://127.0.0.1:8765/")
