"""The replay gateway matches requests by content, not ids: a client's own ids come back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.replay.fixture import FIXTURE
from trader_cli.config import load_settings
from trader_cli.domain.symbols import Symbol
from trader_cli.domain.timeframes import parse_timeframe
from trader_cli.replay.server import ReplayBook
from trader_cli.replay.wirelog import WIRE_LOG, load_records
from trader_cli.services.venue import open_replay


async def test_other_request_ids_get_the_recorded_answers(clean_env: Path) -> None:
    async with open_replay(load_settings(None), FIXTURE) as replayed:
        trader = replayed.trader
        trader.ib.client._reqIdSeq += 500  # ids the recording never saw
        # bounded: a reply carrying the recorded id would leave the client waiting
        candles = await asyncio.wait_for(
            trader.fetch_ohlcv(Symbol("AUD", "USD"), parse_timeframe("1d"), 40), 5
        )
        quote = await asyncio.wait_for(trader.get_market_data(Symbol("BHP", "AUD")), 5)
    golden = json.loads((FIXTURE / "golden" / "bars.json").read_text())["AUD/USD 1d"]
    assert [c.to_dict() for c in candles] == golden
    assert quote.bid is not None


def test_every_recorded_reply_belongs_to_a_request_or_the_greeting() -> None:
    records = load_records(FIXTURE / WIRE_LOG)
    book = ReplayBook.from_records(records)
    replies = sum(len(e.replies) for e in book.exchanges) + len(book.hello)
    assert replies == sum(1 for r in records if r.direction == "s2c")
    assert book.server_version == 178
    assert book.hello[0].fields[1] == "20240703 11:00:00 Australia/Sydney"


async def test_a_client_of_another_server_version_is_refused_at_once(clean_env: Path) -> None:
    import pytest
    from ib_async import IB

    from trader_cli.replay.server import ReplayGateway

    async with ReplayGateway.start(FIXTURE) as gw:
        ib = IB()
        ib.client.MaxClientVersion = 177  # the recording's server speaks 178
        with pytest.raises((ConnectionError, TimeoutError)):
            await ib.connectAsync("127.0.0.1", gw.port, clientId=1, timeout=3)
        ib.disconnect()
    assert "server version 178" in gw.unmatched[0]
