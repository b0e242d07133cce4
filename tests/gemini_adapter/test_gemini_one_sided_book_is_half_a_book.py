"""A Gemini book with one side empty is half a book: the empty side is never taken from the
ticker (another snapshot), and the refusal names the side that is there."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from trader_cli.domain.models import Side
from trader_cli.domain.symbols import parse_symbol
from trader_cli.liquidity import quote_sanity_checks

TICKER = {"bid": "100.00", "ask": "100.50", "last": "100.20",
          "volume": {"BTC": "12.5", "USD": "1250", "timestamp": 1710328245000}}


async def test_a_book_without_bids_is_half_a_book_naming_the_ask(gemini, canned) -> None:
    canned["/v1/pubticker/btcusd"] = TICKER
    canned["/v1/book/btcusd"] = {
        "bids": [], "asks": [{"price": "100.50", "amount": "0.5", "timestamp": "1710328245"}],
    }
    trader = await gemini()
    q = await trader.get_market_data(parse_symbol("BTC/USD"))
    assert q.half_book
    assert (q.bid, q.ask, q.ask_size) == (None, Decimal("100.50"), Decimal("0.5"))
    now = datetime.fromtimestamp(1710328245, tz=UTC)
    (check,) = [c for c in quote_sanity_checks(q, Side.SELL, now, Decimal(30))
                if c.name == "book_not_empty"]
    assert not check.passed
    assert "only the ask of BTC/USD" in check.message and "half a book" in check.message
