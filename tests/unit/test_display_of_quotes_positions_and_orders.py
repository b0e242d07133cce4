"""Quotes, bars, positions, orders and fees as people and scripts read them (display_models)."""

from datetime import UTC, datetime
from decimal import Decimal as D

from trader_cli.domain.display_models import (
    candle_cells,
    candle_json,
    fee_json,
    mid_json,
    order_json,
    position_json,
    quote_json,
    symbol_of,
)
from trader_cli.domain.models import (
    Candle,
    Fee,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    Side,
)
from trader_cli.domain.symbols import parse_symbol

AT = datetime(2024, 7, 3, 1, 0, 0, 999_894, tzinfo=UTC)
BHP = parse_symbol("BHP/AUD")


def test_a_mid_keeps_its_half_tick_and_no_more():
    assert mid_json(D("42.605"), BHP) == "42.605"
    assert mid_json(D("42.61"), BHP) == "42.61"
    assert mid_json(D("42.6"), BHP) == "42.60"
    assert mid_json(D("0.64835"), parse_symbol("AUD/USD")) == "0.64835"
    assert mid_json(D("62134.615"), parse_symbol("BTC/USD"), grouping=True) == "62,134.615"
    assert mid_json(None, BHP) is None


def test_a_quote_has_the_same_keys_with_readable_numbers():
    q = Quote("BHP/AUD", AT, D("42.6"), D("42.61"), D("42.6"), D("912"), D("1445"),
              D("1129662.0"))  # fmt: skip
    data = quote_json(q)
    assert list(data) == list(q.to_dict())
    assert (data["bid"], data["ask"], data["last"], data["price"]) == (
        "42.60", "42.61", "42.60", "42.605"
    )  # fmt: skip
    assert (data["volume"], data["spread_pct"], data["ob_imbalance"]) == (
        "1129662", "0.0235", "-0.226"
    )  # fmt: skip
    assert data["timestamp"] == "2024-07-03T01:00:00Z"


def test_crypto_prices_follow_the_venues_tick():
    q = Quote("DOGE/USD", AT, D("0.12345"), D("0.12350"), bid_size=D("100.50000000"))
    data = quote_json(q, D("0.00001"))
    assert (data["bid"], data["ask"], data["bid_size"]) == ("0.12345", "0.12350", "100.5")


def test_bars_at_the_tick_in_json_csv_and_tables():
    c = Candle(AT, D("47.2"), D("47.32"), D("47.1"), D("47.3"), D("12000.0"))
    assert candle_json(c, BHP) == [1719968400999, "47.20", "47.32", "47.10", "47.30", "12000"]
    assert candle_cells(c, BHP, grouping=False) == ["47.20", "47.32", "47.10", "47.30", "12000"]
    assert candle_cells(c, BHP)[-1] == "12,000"


def test_a_position_average_is_written_at_the_tick():
    p = Position("BHP/AUD", D("-111"), D("42.65405405405406"), D("42.605"), AT, "AUD")
    data = position_json(p)
    assert list(data) == list(p.to_dict())
    assert (data["quantity"], data["avg_price"], data["current_price"]) == (
        "-111", "42.65", "42.605"
    )  # fmt: skip


def test_an_order_keeps_its_keys_and_its_fee_to_the_venues_precision():
    o = Order("trd-1", "BTC/USD", Side.BUY, OrderType.LIMIT, D("0.00100000"), D("62134.62"),
              id="7", status=OrderStatus.CLOSED, filled=D("0.001"), average=D("62134.6200"),
              fee=Fee(D("0.24853848"), "USD"), timestamp=AT)  # fmt: skip
    data = order_json(o)
    assert list(data) == list(o.to_dict())
    assert (data["amount"], data["filled"], data["remaining"]) == ("0.001", "0.001", "0")
    assert data["average"] == "62134.62"
    assert data["fee"] == {"cost": "0.24853848", "currency": "USD", "source": "venue"}
    assert fee_json(Fee(D("6"), "AUD")) == {"cost": "6.00", "currency": "AUD", "source": "venue"}


def test_a_label_that_is_not_a_symbol_is_written_by_the_defaults():
    assert symbol_of("not a symbol!") is None
    assert symbol_of(BHP) is BHP
