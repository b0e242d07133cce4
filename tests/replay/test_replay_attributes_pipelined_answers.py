"""Answers pipelined at connect belong to the requests they answer, so any one of those requests
replayed alone later gets its whole answer; a recorded request without its answer's end is
refused at once rather than served half (which would leave the client waiting for ever)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from tests.replay.fixture import FIXTURE
from trader_cli.config import load_settings
from trader_cli.replay.protocol import reply_name, request_name
from trader_cli.replay.server import ReplayBook
from trader_cli.replay.wirelog import WIRE_LOG, WireRecord, load_records
from trader_cli.services.venue import open_replay


def test_each_connect_request_owns_its_own_answer() -> None:
    book = ReplayBook.from_records(load_records(FIXTURE / WIRE_LOG))
    first: dict[str, Counter[str]] = {}
    for e in book.exchanges:
        first.setdefault(request_name(e.request.fields), Counter(
            reply_name(r.fields) for r in e.replies
        ))
    assert first["req_positions"]["position_end"] == 1
    assert first["req_open_orders"]["open_order_end"] == 1
    assert first["req_completed_orders"]["completed_orders_end"] == 1
    assert first["req_acct_data"]["account_download_end"] == 1
    assert first["req_account_updates_multi"]["account_download_end"] == 0


async def test_looking_an_unknown_order_up_answers_none_at_once(clean_env: Path) -> None:
    """get_order asks open, then completed orders: both must be answered from the recording."""
    async with open_replay(load_settings(None), FIXTURE) as replayed:
        for n in range(3):  # again and again: reads are served as often as asked
            found = await asyncio.wait_for(replayed.trader.get_order(f"trd-none-{n}"), 5)
            assert found is None
        assert replayed.gateway.unmatched == []


def test_a_request_recorded_without_its_end_is_not_served() -> None:
    records = [
        WireRecord(0, "s2c", 0.0, ["178", "20240703 11:00:00 Australia/Sydney"], hello=True),
        WireRecord(0, "c2s", 0.1, ["99", "0"]),  # reqCompletedOrders, its answer cut off
        WireRecord(0, "s2c", 0.2, ["101", "partial"]),
    ]
    book = ReplayBook.from_records(records)
    assert book.match(["99", "0"]) is None
