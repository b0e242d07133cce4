"""Gemini's depth comes from /v1/book with the levels asked for; its tape from /v1/trades."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from trader_cli.domain.book import BookSource
from trader_cli.domain.models import Side
from trader_cli.domain.symbols import parse_symbol
from trader_cli.errors import InputError

BTC = parse_symbol("BTC/USD")


def _level(price: str, amount: str) -> dict[str, str]:
    return {"price": price, "amount": amount, "timestamp": "1710328245"}


async def test_book_asks_gemini_for_the_depth_and_keeps_every_level(gemini, canned) -> None:
    canned["/v1/book/btcusd"] = {
        "bids": [_level("100.02", "0.5"), _level("100.01", "1.25"), _level("99.50", "3")],
        "asks": [_level("100.05", "0.2"), _level("100.10", "0.7"), _level("101.00", "2")],
    }
    trader = await gemini()
    book = await trader.fetch_order_book(BTC, 3)
    [url] = [u for u in canned.urls if "/v1/book/" in u]
    query = parse_qs(urlsplit(url).query)
    assert query["limit_bids"] == ["3"] and query["limit_asks"] == ["3"]
    assert book.source is BookSource.DEPTH
    assert [(lv.price, lv.size) for lv in book.bids] == [
        (Decimal("100.02"), Decimal("0.5")), (Decimal("100.01"), Decimal("1.25")),
        (Decimal("99.50"), Decimal(3)),
    ]  # fmt: skip
    assert [lv.price for lv in book.asks] == [Decimal("100.05"), Decimal("100.10"), Decimal(101)]


async def test_tape_is_oldest_first_with_the_taker_side(gemini, canned) -> None:
    canned["/v1/trades/btcusd"] = [
        {"timestamp": 1710328250, "timestampms": 1710328250000, "tid": 2, "price": "100.05",
         "amount": "0.1", "exchange": "gemini", "type": "buy"},
        {"timestamp": 1710328245, "timestampms": 1710328245000, "tid": 1, "price": "100.02",
         "amount": "0.3", "exchange": "gemini", "type": "sell"},
    ]
    trader = await gemini()
    prints = await trader.fetch_public_trades(BTC, 2)
    assert [(p.id, p.side, p.price) for p in prints] == [
        ("1", Side.SELL, Decimal("100.02")), ("2", Side.BUY, Decimal("100.05")),
    ]  # fmt: skip
    [url] = [u for u in canned.urls if "/v1/trades/" in u]
    assert parse_qs(urlsplit(url).query)["limit_trades"] == ["2"]


async def test_depth_beyond_what_gemini_serves_is_refused(gemini) -> None:
    trader = await gemini()
    with pytest.raises(InputError, match="depth must be between 1 and 500"):
        await trader.fetch_order_book(BTC, 501)
