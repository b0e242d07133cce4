"""Tick nudging at ASX band edges, marketable limits, spread caps, thin, stale, crossed books."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trader_cli.config import RiskSettings
from trader_cli.domain.models import Quote, Side
from trader_cli.domain.symbols import InstrumentClass as IC
from trader_cli.domain.ticks import asx_tick_size, is_on_tick
from trader_cli.errors import InvalidOrderError
from trader_cli.liquidity import (
    LiquidityLimits,
    is_marketable,
    liquidity_checks,
    marketable_limit_price,
    nudge_limit_price,
    pip_size,
    quote_sanity_checks,
    spread_bps,
    tick_rule,
)
from trader_cli.risk import StaticRateConverter

NOW = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
ASX = tick_rule(IC.ASX_EQUITY)
CONV = StaticRateConverter("AUD", {"USD": D("1.5")})
LIMITS = LiquidityLimits.from_settings(RiskSettings())


def q(symbol: str, bid: str | None, ask: str | None, bsz="1000", asz="1000", **kw) -> Quote:
    return Quote(
        symbol,
        kw.pop("ts", NOW - timedelta(seconds=1)),
        None if bid is None else D(bid),
        None if ask is None else D(ask),
        bid_size=None if bsz is None else D(bsz),
        ask_size=None if asz is None else D(asz),
        **kw,
    )


@pytest.mark.parametrize(
    ("asked", "buy", "sell"),
    [
        # the 0.10 band edge: 0.001 below, 0.005 from 0.10
        ("0.0995", "0.099", "0.100"),
        ("0.099", "0.099", "0.099"),
        ("0.0999", "0.099", "0.100"),
        ("0.10", "0.100", "0.100"),
        ("0.1001", "0.100", "0.105"),
        ("0.1049", "0.100", "0.105"),
        ("0.105", "0.105", "0.105"),
        # the 2.00 band edge: 0.005 below, 0.01 from 2.00
        ("1.995", "1.995", "1.995"),
        ("1.996", "1.995", "2.00"),
        ("1.999", "1.995", "2.00"),
        ("2.00", "2.00", "2.00"),
        ("2.001", "2.00", "2.01"),
        ("2.005", "2.00", "2.01"),
        ("2.009", "2.00", "2.01"),
        ("2.01", "2.01", "2.01"),
        # the acceptance example
        ("45.123", "45.12", "45.13"),
    ],
)
def test_passive_nudge_at_every_asx_band_edge(asked: str, buy: str, sell: str) -> None:
    assert nudge_limit_price(Side.BUY, D(asked), ASX) == D(buy)
    assert nudge_limit_price(Side.SELL, D(asked), ASX) == D(sell)


@given(
    price=st.decimals(min_value=D("0.001"), max_value=D("500"), places=4),
    side=st.sampled_from([Side.BUY, Side.SELL]),
)
def test_nudged_price_is_on_tick_and_never_worse_than_asked(price: D, side: Side) -> None:
    out = nudge_limit_price(side, price, ASX)
    assert is_on_tick(out, asx_tick_size(out))
    if side is Side.BUY:
        assert out <= price
    else:
        assert out >= price
    assert abs(out - price) < asx_tick_size(price) + asx_tick_size(out)


@given(price=st.decimals(min_value=D("0.5"), max_value=D("2"), places=6))
def test_fx_nudge_uses_half_pips(price: D) -> None:
    rule = tick_rule(IC.FX, quote_currency="USD")
    out = nudge_limit_price(Side.BUY, price, rule)
    assert is_on_tick(out, D("0.00005"))
    assert price - D("0.00005") < out <= price


def test_bad_prices_are_refused() -> None:
    with pytest.raises(InvalidOrderError):
        nudge_limit_price(Side.BUY, D(0), ASX)
    with pytest.raises(InvalidOrderError, match="below the smallest price step"):
        nudge_limit_price(Side.BUY, D("0.0004"), ASX)


def test_pips_and_ticks_per_class() -> None:
    assert pip_size("USD") == D("0.0001")
    assert pip_size("JPY") == D("0.01")
    assert tick_rule(IC.FX, quote_currency="JPY")(D(150)) == D("0.005")
    assert tick_rule(IC.US_EQUITY)(D("0.99")) == D("0.0001")
    assert tick_rule(IC.US_EQUITY)(D("1")) == D("0.01")
    assert tick_rule(IC.CRYPTO, min_tick=D("0.01"))(D(60000)) == D("0.01")


@pytest.mark.parametrize(
    ("bid", "ask", "bps", "buy", "sell"),
    [
        ("44.65", "44.66", "20", "44.75", "44.56"),  # 44.749.. up; 44.5607 down
        ("44.65", "44.66", "0", "44.66", "44.65"),  # no bump: the touch itself
        ("1.99", "1.995", "10", "2.00", "1.985"),  # a buy crossing into the 0.01 band
        ("2.00", "2.01", "10", "2.02", "1.995"),  # a sell crossing into the 0.005 band
        ("0.100", "0.105", "50", "0.110", "0.099"),  # a sell crossing into the 0.001 band
    ],
)
def test_marketable_limit_crosses_by_the_bump_and_rounds_toward_crossing(
    bid, ask, bps, buy, sell
) -> None:
    quote = q("XYZ/AUD", bid, ask)
    b = marketable_limit_price(Side.BUY, quote, ASX, D(bps))
    s = marketable_limit_price(Side.SELL, quote, ASX, D(bps))
    assert (b, s) == (D(buy), D(sell))
    assert is_marketable(Side.BUY, b, quote)
    assert is_marketable(Side.SELL, s, quote)


@given(
    bid=st.decimals(min_value=D("0.01"), max_value=D("300"), places=3),
    bps=st.decimals(min_value=D(0), max_value=D(200), places=1),
)
def test_marketable_limit_always_crosses_and_is_on_tick(bid: D, bps: D) -> None:
    bid = nudge_limit_price(Side.BUY, bid, ASX)
    ask = bid + asx_tick_size(bid)
    quote = q("XYZ/AUD", str(bid), str(ask))
    b = marketable_limit_price(Side.BUY, quote, ASX, bps)
    s = marketable_limit_price(Side.SELL, quote, ASX, bps)
    assert b >= ask
    assert is_on_tick(b, asx_tick_size(b))
    assert s <= bid
    assert is_on_tick(s, asx_tick_size(s))


def test_marketable_limit_on_fx_and_empty_side() -> None:
    quote = q("AUD/USD", "0.66250", "0.66260")
    rule = tick_rule(IC.FX, quote_currency="USD")
    assert marketable_limit_price(Side.BUY, quote, rule, D(5)) == D("0.66295")
    assert marketable_limit_price(Side.SELL, quote, rule, D(5)) == D("0.66215")
    with pytest.raises(InvalidOrderError, match="no ask"):
        marketable_limit_price(Side.BUY, q("AUD/USD", "0.66", None), rule, D(5))


def names(checks) -> dict:
    return {c.name: c for c in checks}


async def test_liquid_equity_and_fx_books_pass() -> None:
    eq = await liquidity_checks(
        q("BHP/AUD", "44.65", "44.66", "1121", "1465"),
        Side.BUY,
        IC.ASX_EQUITY,
        LIMITS,
        now=NOW,
        converter=CONV,
    )
    assert all(c.passed for c in eq), [c.message for c in eq if not c.passed]
    fx = await liquidity_checks(
        q("AUD/USD", "0.66250", "0.66255", "2000000", "3000000"),
        Side.SELL,
        IC.FX,
        LIMITS,
        now=NOW,
        converter=CONV,
    )
    assert all(c.passed for c in fx)
    assert names(fx)["MIN_TOP_OF_BOOK_NOTIONAL"].value.currency == "AUD"


@pytest.mark.parametrize(
    ("cls", "symbol", "bid", "ask", "passes"),
    [
        (IC.ASX_EQUITY, "XYZ/AUD", "10.00", "10.04", True),  # 40 bp < 50
        (IC.ASX_EQUITY, "XYZ/AUD", "10.00", "10.06", False),  # 60 bp > 50
        (IC.ASX_ETF, "VAS/AUD", "99.54", "99.80", True),  # 26 bp < 30
        (IC.ASX_ETF, "VAS/AUD", "99.54", "99.90", False),  # 36 bp > 30
        (IC.FX, "AUD/USD", "0.6625", "0.6628", True),  # 4.5 bp < 5
        (IC.FX, "AUD/USD", "0.6625", "0.6630", False),  # 7.5 bp > 5
    ],
)
async def test_widening_spreads_hit_the_class_cap(cls, symbol, bid, ask, passes) -> None:
    quote = q(symbol, bid, ask, "100000", "100000")
    checks = names(await liquidity_checks(quote, Side.BUY, cls, LIMITS, now=NOW, converter=CONV))
    spread = checks[f"MAX_SPREAD_BPS_{cls.value.upper()}"]
    assert spread.passed is passes
    assert (spread_bps(quote) <= LIMITS.max_spread_bps[cls]) is passes


async def test_thin_books_fail_top_of_book_for_equity_and_fx() -> None:
    thin_eq = q("XYZ/AUD", "10.00", "10.01", "500", "30")  # 30 x 10.01 = AUD 300.30 on the ask
    checks = names(
        await liquidity_checks(thin_eq, Side.BUY, IC.ASX_EQUITY, LIMITS, now=NOW, converter=CONV)
    )
    c = checks["MIN_TOP_OF_BOOK_NOTIONAL"]
    assert not c.passed
    assert c.message == ("ask notional 300.30 AUD is below MIN_TOP_OF_BOOK_NOTIONAL 2,000.00 AUD")
    # the bid side is deep enough for a sell
    sell = names(
        await liquidity_checks(thin_eq, Side.SELL, IC.ASX_EQUITY, LIMITS, now=NOW, converter=CONV)
    )
    assert sell["MIN_TOP_OF_BOOK_NOTIONAL"].passed
    thin_fx = q("AUD/USD", "0.6625", "0.66255", "1000", "1000")  # USD 662.55 = AUD 993.8
    fx = names(await liquidity_checks(thin_fx, Side.BUY, IC.FX, LIMITS, now=NOW, converter=CONV))
    assert not fx["MIN_TOP_OF_BOOK_NOTIONAL"].passed
    sized = LiquidityLimits(LIMITS.max_spread_bps, min_top_of_book_size=D(5000))
    fx = names(await liquidity_checks(thin_fx, Side.BUY, IC.FX, sized, now=NOW, converter=CONV))
    assert not fx["MIN_TOP_OF_BOOK_SIZE"].passed
    # an exit is not held hostage by a thin or wide book
    exits = await liquidity_checks(
        thin_eq, Side.BUY, IC.ASX_EQUITY, LIMITS, now=NOW, converter=CONV, reducing=True
    )
    assert all(c.passed for c in exits)
    assert names(exits)["MIN_TOP_OF_BOOK_NOTIONAL"].waived


def test_stale_crossed_empty_and_delayed_books() -> None:
    age = D(30)
    fresh = names(quote_sanity_checks(q("BHP/AUD", "44.65", "44.66"), Side.BUY, NOW, age))
    assert all(c.passed for c in fresh.values())
    stale = q("BHP/AUD", "44.65", "44.66", ts=NOW - timedelta(seconds=31))
    c = names(quote_sanity_checks(stale, Side.BUY, NOW, age))["quote_fresh"]
    assert not c.passed
    assert "31.0 s old on the venue clock" in c.message
    crossed = q("BHP/AUD", "44.70", "44.66")
    assert not names(quote_sanity_checks(crossed, Side.BUY, NOW, age))["book_not_crossed"].passed
    locked = q("BHP/AUD", "44.66", "44.66")
    assert names(quote_sanity_checks(locked, Side.BUY, NOW, age))["book_not_crossed"].passed
    empty_ask = q("BHP/AUD", "44.65", None, asz=None)
    assert not names(quote_sanity_checks(empty_ask, Side.BUY, NOW, age))["book_not_empty"].passed
    assert names(quote_sanity_checks(empty_ask, Side.SELL, NOW, age))["book_not_empty"].passed
    delayed = q("BHP/AUD", "44.65", "44.66", delayed=True)
    c = names(quote_sanity_checks(delayed, Side.BUY, NOW, age))["quote_fresh"]
    assert not c.passed
    assert "delayed" in c.message


async def test_empty_book_fails_even_for_an_exit() -> None:
    empty = q("BHP/AUD", None, None, None, None)
    checks = await liquidity_checks(
        empty, Side.SELL, IC.ASX_EQUITY, LIMITS, now=NOW, converter=CONV, reducing=True
    )
    assert [c.name for c in checks if not c.passed] == ["book_not_empty"]
