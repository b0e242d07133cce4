"""Money is Decimal with an explicit currency; floats and cross-currency sums never sneak in."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trader_cli.domain.money import Money, normalize_currency, to_decimal

amounts = st.decimals(
    min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False, places=6
)


def test_floats_convert_by_their_shortest_repr() -> None:
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal(45.12) == Decimal("45.12")
    assert to_decimal("1_000.5") == Decimal("1000.5")
    assert to_decimal(3) == Decimal(3)


@pytest.mark.parametrize("bad", ["abc", "", float("nan"), float("inf"), "NaN", True, None, [1]])
def test_non_numbers_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="number"):
        to_decimal(bad)


def test_currency_codes_are_normalised_and_checked() -> None:
    assert normalize_currency(" aud ") == "AUD"
    assert normalize_currency("usdt") == "USDT"
    for bad in ("", "A", "1AU", "AU D", "TOOLONGCURRENCY"):
        with pytest.raises(ValueError, match="not a currency code"):
            normalize_currency(bad)


def test_cross_currency_arithmetic_raises() -> None:
    with pytest.raises(ValueError, match="convert first"):
        Money(Decimal(1), "AUD") + Money(Decimal(1), "USD")
    with pytest.raises(ValueError, match="convert first"):
        _ = Money(Decimal(1), "AUD") < Money(Decimal(2), "USD")


def test_convert_and_round_half_even() -> None:
    usd = Money(Decimal("100"), "AUD").convert(Decimal("0.6543"), "USD")
    assert usd == Money(Decimal("65.4300"), "USD")
    assert Money(Decimal("2.345"), "AUD").rounded() == Money(Decimal("2.34"), "AUD")
    assert Money(Decimal("2.355"), "AUD").rounded() == Money(Decimal("2.36"), "AUD")
    assert Money(Decimal("12.5"), "aud").to_json() == {"amount": "12.5", "currency": "AUD"}


@given(amounts, amounts, amounts)
def test_addition_is_exact_and_associative(a: Decimal, b: Decimal, c: Decimal) -> None:
    x, y, z = Money(a, "AUD"), Money(b, "AUD"), Money(c, "AUD")
    assert (x + y) + z == x + (y + z)
    assert (x + y - y) == x
    assert -(-x) == x  # noqa: B002
    assert abs(x).amount >= 0
