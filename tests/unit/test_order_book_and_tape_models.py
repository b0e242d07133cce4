"""OrderBook and PublicTrade: best levels first, UTC only, Decimal money, ccxt shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from trader_cli.domain.book import BookLevel, BookSource, OrderBook, PublicTrade, TapeKind
from trader_cli.domain.models import Quote, Side

T = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)


def _levels(*rows: tuple[str, str]) -> tuple[BookLevel, ...]:
    return tuple(BookLevel(Decimal(p), Decimal(s)) for p, s in rows)


def test_levels_are_sorted_best_first_whatever_order_they_arrive_in() -> None:
    book = OrderBook(
        "BHP/AUD", T, _levels(("45.58", "10"), ("45.60", "5"), ("45.59", "7")),
        _levels(("45.63", "1"), ("45.61", "2"), ("45.62", "3")),
    )  # fmt: skip
    assert [lv.price for lv in book.bids] == [Decimal("45.60"), Decimal("45.59"), Decimal("45.58")]
    assert [lv.price for lv in book.asks] == [Decimal("45.61"), Decimal("45.62"), Decimal("45.63")]
    assert book.best_bid == BookLevel(Decimal("45.60"), Decimal(5))
    assert book.best_ask == BookLevel(Decimal("45.61"), Decimal(2))


def test_ccxt_shape_keeps_decimals_and_json_form_has_strings() -> None:
    aest = timezone(timedelta(hours=10))
    book = OrderBook("BHP/AUD", T.astimezone(aest), _levels(("45.6", "5")), ())
    assert book.timestamp.utcoffset() == timedelta(0)
    ccxt = book.to_ccxt()
    assert ccxt["bids"] == [[Decimal("45.6"), Decimal(5)]] and ccxt["asks"] == []
    assert ccxt["timestamp"] == 1719968400000
    assert ccxt["source"] == "depth"
    assert book.to_dict()["bids"] == [["45.6", "5"]]
    assert book.to_dict()["datetime"] == "2024-07-03T01:00:00Z"


def test_top_of_book_fallback_is_labelled_and_never_invents_a_size() -> None:
    q = Quote("BHP/AUD", T, Decimal("45.60"), Decimal("45.61"), bid_size=Decimal(900))
    book = OrderBook.from_quote(q, "no depth subscription")
    assert book.source is BookSource.TOP_OF_BOOK and book.note == "no depth subscription"
    assert book.bids == (BookLevel(Decimal("45.60"), Decimal(900)),)
    assert book.asks == ()  # the ask has no size: left out, not guessed


def test_naive_times_and_float_money_are_refused_or_made_exact() -> None:
    with pytest.raises(ValueError, match="naive"):
        OrderBook("BHP/AUD", datetime(2024, 7, 3), (), ())
    with pytest.raises(ValueError, match="naive"):
        PublicTrade("BHP/AUD", Decimal(1), None, datetime(2024, 7, 3))
    assert BookLevel(0.1, 3).price == Decimal("0.1")  # type: ignore[arg-type]


def test_public_trade_ccxt_shape_with_and_without_a_size() -> None:
    trade = PublicTrade("BTC/USD", Decimal("100.5"), Decimal(2), T, Side.SELL, "77")
    ccxt = trade.to_ccxt()
    assert ccxt["cost"] == Decimal(201) and ccxt["side"] == "sell" and ccxt["id"] == "77"
    assert ccxt["kind"] == "trade" and ccxt["timestamp"] == 1719968400000
    mid = PublicTrade("AUD/USD", Decimal("0.66555"), None, T, kind=TapeKind.MIDPOINT)
    assert mid.to_dict() == {
        "id": None, "symbol": "AUD/USD", "timestamp": 1719968400000,
        "datetime": "2024-07-03T01:00:00Z", "side": None, "price": "0.66555", "amount": None,
        "cost": None, "kind": "midpoint",
    }  # fmt: skip
