"""Domain models are ccxt-shaped, Decimal-valued, and refuse naive timestamps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from trader_cli.domain.models import (
    Candle,
    Fee,
    FeeSource,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    Side,
    to_ms,
    utc_from_ms,
)
from trader_cli.domain.money import Money

T0 = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        Quote("BHP/AUD", datetime(2026, 1, 1), Decimal(1), Decimal(2))


def test_aware_timestamps_become_utc() -> None:
    sydney = timezone(timedelta(hours=11))
    q = Quote(
        "BHP/AUD",
        datetime(2026, 11, 25, 11, 30, tzinfo=sydney),
        Decimal("45.10"),
        Decimal("45.12"),
        bid_size=Decimal(1200),
        ask_size=Decimal(800),
    )
    assert q.timestamp == T0
    assert q.timestamp.tzinfo is UTC


def test_quote_derives_price_spread_and_imbalance() -> None:
    q = Quote(
        "BHP/AUD",
        T0,
        Decimal("45.10"),
        Decimal("45.12"),
        bid_size=Decimal(1200),
        ask_size=Decimal(800),
        volume=Decimal(1_000_000),
    )
    assert q.price == Decimal("45.11")
    assert q.spread_pct is not None
    assert round(q.spread_pct, 4) == Decimal("0.0443")
    assert q.ob_imbalance == Decimal("0.2")
    data = q.to_dict()
    assert data["bid_size"] == "1200"
    assert data["volume"] == "1000000"
    assert data["timestamp"] == "2026-11-25T00:30:00Z"
    json.dumps(data)


def test_one_sided_book_has_no_spread() -> None:
    q = Quote("BHP/AUD", T0, None, Decimal("45.12"), last=Decimal("45.11"))
    assert q.price == Decimal("45.11")
    assert q.spread_pct is None
    assert q.ob_imbalance is None


def test_order_is_ccxt_shaped() -> None:
    o = Order(
        "trd-s1-1",
        "BHP/AUD",
        Side.BUY,
        OrderType.LIMIT,
        Decimal(100),
        Decimal("45.10"),
        id="12345",
        status=OrderStatus.OPEN,
        filled=Decimal(40),
        fee=Fee(Decimal("5.00"), "aud"),
    )
    assert o.remaining == Decimal(60)
    d = o.to_dict()
    assert d["clientOrderId"] == "trd-s1-1"
    assert d["remaining"] == "60"
    assert d["fee"] == {"cost": "5.00", "currency": "AUD", "source": "venue"}
    assert not OrderStatus.OPEN.is_final
    assert OrderStatus.CANCELED.is_final


def test_fill_position_and_candle() -> None:
    f = Fill(
        "0001f4e8.67a1.01.01",
        "12345",
        "trd-s1-1",
        "BHP/AUD",
        Side.SELL,
        Decimal("45.1"),
        Decimal(10),
        T0,
        Fee(Decimal("5"), "AUD", FeeSource.ESTIMATE),
    )
    assert f.fee is not None
    assert f.fee.money == Money(Decimal(5), "AUD")
    p = Position("BHP/AUD", Decimal(-100), Decimal("45"), Decimal("44"), T0, "AUD")
    assert p.market_value == Money(Decimal(-4400), "AUD")
    c = Candle(T0, Decimal(1), Decimal(2), Decimal("0.5"), Decimal("1.5"), Decimal(100))
    assert c.as_row()[0] == to_ms(T0)
    assert utc_from_ms(to_ms(T0)) == T0
    assert Side.SELL.sign == -1
    assert Side.SELL.opposite is Side.BUY
