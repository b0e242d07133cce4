"""Commission estimates reproduce IBKR's and Gemini's published examples and min/max edges."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trader_cli.config import load_settings
from trader_cli.costs import commission_estimate, fx_conversion_buffer, fx_trade_value_usd, ibkr
from trader_cli.costs.gemini import gemini_fee
from trader_cli.domain.models import FeeSource, Liquidity
from trader_cli.domain.money import Money
from trader_cli.domain.symbols import InstrumentClass as IC


@pytest.fixture
def settings(clean_env):
    return load_settings()


def test_asx_fixed_published_example_400_shares_at_50(settings) -> None:
    # IBKR "Fixed Example: 400 Shares @ AUD 50 Share Price = AUD 16.00"
    fee = commission_estimate(IC.ASX_EQUITY, D(400), D(50), "AUD", settings)
    assert (fee.cost, fee.currency, fee.source) == (D("16.00"), "AUD", FeeSource.ESTIMATE)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100", "6.00"),  # far under the minimum
        ("7499.99", "6.00"),  # 0.08% = 5.999992 -> still the minimum
        ("7500", "6.00"),  # exactly at the minimum
        ("7506.25", "6.01"),  # 6.005 rounds half up
        ("7512.50", "6.01"),
        ("20000", "16.00"),
    ],
)
def test_asx_fixed_minimum_edge(settings, value: str, expected: str) -> None:
    fee = commission_estimate(IC.ASX_ETF, D(1), D(value), "AUD", settings)
    assert fee.cost == D(expected)


def test_asx_tiered_plan_and_override(clean_env, monkeypatch) -> None:
    monkeypatch.setenv("IB_COMMISSION_PLAN", "tiered")
    s = load_settings()
    assert commission_estimate(IC.ASX_EQUITY, D(10), D(40), "AUD", s).cost == D("5.00")
    assert commission_estimate(IC.ASX_EQUITY, D(250), D(40), "AUD", s).cost == D("8.00")
    monkeypatch.setenv("IB_COMMISSION_ASX_MIN", "3.50")
    monkeypatch.setenv("IB_COMMISSION_ASX_RATE", "0.0005")
    s = load_settings()
    assert commission_estimate(IC.ASX_EQUITY, D(10), D(40), "AUD", s).cost == D("3.50")
    assert commission_estimate(IC.ASX_EQUITY, D(1000), D(40), "AUD", s).cost == D("20.00")


@pytest.mark.parametrize(
    ("shares", "price", "expected"),
    [
        # IBKR Pro fixed published examples
        (100, "25", "1.00"),
        (1000, "25", "5.00"),
        (1000, "0.25", "2.50"),  # capped at 1% of trade value
        # around the minimum (200 shares) and the cap
        (199, "50", "1.00"),
        (200, "50", "1.00"),
        (201, "50", "1.01"),  # 1.005 rounds half up
        (100, "0.50", "0.50"),  # cap (0.50) below the minimum (1.00): the cap wins
    ],
)
def test_us_fixed_published_examples_and_edges(settings, shares, price, expected) -> None:
    fee = commission_estimate(IC.US_EQUITY, D(shares), D(price), "USD", settings)
    assert (fee.cost, fee.currency) == (D(expected), "USD")


def test_fx_published_example_and_minimum(settings) -> None:
    # "100,000 USD.EUR Spot Currency Contracts = USD 2.00" (0.2 bp = USD 2.00 is also the minimum)
    fee = commission_estimate(IC.FX, D(100_000), D("0.92"), "EUR", settings, base_asset="USD")
    assert (fee.cost, fee.currency) == (D("2.00"), "USD")
    # AUD/USD: trade value in USD is quantity x price
    assert commission_estimate(IC.FX, D(100_000), D("0.66"), "USD", settings).cost == D("2.00")
    # the USD 2.00 minimum equals 0.2 bp at USD 100,000 of trade value
    assert commission_estimate(IC.FX, D(150_000), D("0.6666"), "USD", settings).cost == D("2.00")
    assert commission_estimate(IC.FX, D(200_000), D("0.5"), "USD", settings).cost == D("2.00")
    assert commission_estimate(IC.FX, D(300_000), D("0.5"), "USD", settings).cost == D("3.00")
    assert commission_estimate(IC.FX, D(2_000_000), D("0.66"), "USD", settings).cost == D("26.40")
    # IBKR: USD 1,000,000,000 at 0.20 bp = USD 20,000
    assert ibkr.fx_commission(D(1_000_000_000)).amount == D(20_000)
    # EUR/GBP needs a USD rate for the GBP trade value
    fee = commission_estimate(
        IC.FX, D(2_000_000), D("0.85"), "GBP", settings, base_asset="EUR", usd_per_unit=D("1.25")
    )
    assert fee.cost == D("42.50")  # 2,000,000 x 0.85 GBP x 1.25 = USD 2,125,000
    with pytest.raises(ValueError, match="USD rate"):
        fx_trade_value_usd(D(1), D("0.85"), "GBP", base_asset="EUR")


def test_fx_rate_and_minimum_come_from_settings(clean_env, monkeypatch) -> None:
    monkeypatch.setenv("IB_COMMISSION_FX_BPS", "0.15")
    monkeypatch.setenv("IB_COMMISSION_FX_MIN", "1.50")
    s = load_settings()
    assert commission_estimate(IC.FX, D(10_000), D("0.66"), "USD", s).cost == D("1.50")
    assert commission_estimate(IC.FX, D(200_000_000), D(1), "USD", s).cost == D("3000.00")


def test_gemini_maker_taker_first_tier(settings) -> None:
    # Gemini API fee schedule, first tier: taker 0.40%, maker 0.20% of notional
    taker = commission_estimate(IC.CRYPTO, D("0.5"), D(60_000), "USD", settings)
    maker = commission_estimate(
        IC.CRYPTO, D("0.5"), D(60_000), "USD", settings, liquidity=Liquidity.MAKER
    )
    assert (taker.cost, taker.currency) == (D("120.00"), "USD")
    assert maker.cost == D("60.00")
    assert gemini_fee(D("1000"), "BTC") == D("4.00000000")
    assert gemini_fee(D("10"), "USD", liquidity=Liquidity.UNKNOWN) == D("0.04")


def test_fx_conversion_buffer() -> None:
    assert fx_conversion_buffer(Money(D(10_000), "USD"), D("1.0")) == Money(D("1.0000"), "USD")


@given(
    qty=st.integers(min_value=1, max_value=1_000_000),
    price=st.decimals(min_value=D("0.001"), max_value=D(1000), places=3),
)
def test_asx_commission_is_never_below_the_minimum_nor_below_the_rate(qty, price) -> None:
    c = ibkr.asx_commission(qty * price)
    assert c.amount >= D("6.00")
    assert c.amount >= (qty * price * D("0.0008")).quantize(D("0.01")) - D("0.01")
