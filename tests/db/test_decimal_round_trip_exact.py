"""Money and quantities read back as exactly the Decimal written, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import peewee
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trader_cli.db.fields import exact_decimal
from trader_cli.db.models import MarketDataRow, OrderRow

pytestmark = pytest.mark.db

T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
finite_decimals = st.decimals(allow_nan=False, allow_infinity=False)
money = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=8)
DB_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _round_trip(value: Decimal) -> Decimal:
    row = MarketDataRow.create(symbol="BHP/AUD", timestamp=T0, price=value, bid_size=value)
    back = MarketDataRow.get_by_id(row.id)
    assert back.price == back.bid_size
    assert back.price is not None
    return back.price


@DB_SETTINGS
@given(value=finite_decimals)
def test_any_finite_decimal_round_trips_exactly(db: peewee.Database, value: Decimal) -> None:
    back = _round_trip(value)
    assert isinstance(back, Decimal)
    assert back == value
    assert str(back) == str(exact_decimal(value))


@DB_SETTINGS
@given(value=money)
def test_money_with_eight_places_round_trips_exactly(db: peewee.Database, value: Decimal) -> None:
    assert _round_trip(value) == value


@pytest.mark.parametrize(
    "written",
    ["0.1", "0.30000000000000004", "123456789012345678901234567890.123456789", "-0.00000001"],
)
def test_values_floats_cannot_hold_survive(db: peewee.Database, written: str) -> None:
    assert format(_round_trip(Decimal(written)), "f") == written


@pytest.mark.parametrize(
    "written", [Decimal("100"), Decimal("100.0"), Decimal("100.00000000"), 100, Decimal("1E+2")]
)
def test_integral_share_sizes_read_back_integral(db: peewee.Database, written: object) -> None:
    row = MarketDataRow.create(symbol="BHP/AUD", timestamp=T0, bid_size=written, volume=written)
    back = MarketDataRow.get_by_id(row.id)
    for value in (back.bid_size, back.volume):
        assert value == 100
        assert str(value) == "100"
        assert value is not None
        assert value.as_tuple().exponent == 0


def test_saved_instance_already_holds_the_canonical_value(db: peewee.Database) -> None:
    row = MarketDataRow.create(symbol="BHP/AUD", timestamp=T0, bid_size=Decimal("300.00"))
    assert str(row.bid_size) == "300"


@pytest.mark.parametrize("bad", [0.1, 100.0, True])
def test_floats_and_bools_are_refused(db: peewee.Database, bad: object) -> None:
    with pytest.raises(TypeError, match="store a Decimal"):
        MarketDataRow.create(symbol="BHP/AUD", timestamp=T0, price=bad)


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), "abc"])
def test_non_finite_values_are_refused(db: peewee.Database, bad: object) -> None:
    with pytest.raises(ValueError, match=r"finite|not a number"):
        MarketDataRow.create(symbol="BHP/AUD", timestamp=T0, price=bad)


def test_decimal_columns_compare_by_value_in_sql_on_postgresql(
    db: peewee.Database, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite stores Decimals as TEXT: compare them in Python (documented)")
    for price in ("9.5", "10", "100.25"):
        OrderRow.create(client_order_id=f"c{price}", symbol="BHP/AUD", side="buy", type="limit",
                        amount=1, price=Decimal(price))
    cheap = OrderRow.select().where(OrderRow.price < Decimal("10")).order_by(OrderRow.price)
    assert [r.price for r in cheap] == [Decimal("9.5")]


@given(value=finite_decimals)
def test_canonical_form_keeps_the_value_and_drops_exponent_and_trailing_zeros(
    value: Decimal,
) -> None:
    canonical = exact_decimal(value)
    assert canonical == value
    exponent = canonical.as_tuple().exponent
    assert isinstance(exponent, int)
    assert exponent <= 0
    text = format(canonical, "f")
    if "." in text:
        assert not text.endswith("0")
