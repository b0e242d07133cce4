"""Orders are valued at the price they execute at; a limit far from the touch is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from trader_cli.config import RiskSettings, load_settings
from trader_cli.domain.display import price_text
from trader_cli.domain.models import Quote, Side
from trader_cli.domain.money import Money
from trader_cli.domain.symbols import InstrumentClass, parse_symbol
from trader_cli.errors import ConfigError
from trader_cli.liquidity import marketable_limit_price, tick_rule_for
from trader_cli.risk import (
    Check,
    ProposedOrder,
    RiskManager,
    StaticRateConverter,
    Valuation,
    max_price_deviation_pct,
    price_band_check,
    reference_price,
    value_order,
)

T0 = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)


def shown(price: D, symbol: str) -> str:
    """A venue's price as messages write it (see trader_cli.domain.display)."""
    return price_text(price, parse_symbol(symbol))
AUD = StaticRateConverter("AUD", {"USD": D("1.5")})

# symbol, bid, ask, last: one book per instrument class
BOOKS = {
    "BHP/AUD": (D("45.67"), D("45.68"), D("45.67")),  # ASX equity
    "VAS/AUD": (D("98.10"), D("98.12"), D("98.11")),  # ASX ETF
    "AAPL/USD": (D("210.00"), D("210.02"), D("210.01")),  # US equity
    "AUD/USD": (D("0.6650"), D("0.6651"), D("0.6650")),  # FX
    "BTC/USD": (D("60000"), D("60010"), D("60005")),  # crypto
}
CLASSES = {
    "BHP/AUD": InstrumentClass.ASX_EQUITY,
    "VAS/AUD": InstrumentClass.ASX_ETF,
    "AAPL/USD": InstrumentClass.US_EQUITY,
    "AUD/USD": InstrumentClass.FX,
    "BTC/USD": InstrumentClass.CRYPTO,
}


def quote(symbol: str, **override: D | None) -> Quote:
    bid, ask, last = BOOKS[symbol]
    values = {"bid": bid, "ask": ask, "last": last, **override}
    return Quote(symbol, T0, values["bid"], values["ask"], values["last"])


def risk_settings(**kw: object) -> RiskSettings:
    return RiskSettings.model_construct(
        **{
            "max_order_value": D(5000),
            "max_total_exposure": D(20000),
            "min_trade_size": D(500),
            "max_daily_loss": D(1000),
            **kw,
        }
    )  # type: ignore[arg-type]


def band(symbol: str, valuation: Valuation | None, *, allow_far_limit: bool = False) -> Check:
    cls = CLASSES[symbol]
    limit = max_price_deviation_pct(RiskSettings(), cls)
    return price_band_check(valuation, cls, limit, allow_far_limit=allow_far_limit)


@pytest.mark.parametrize("symbol", list(BOOKS))
def test_sell_limited_below_the_bid_is_valued_at_the_bid(symbol: str) -> None:
    bid = BOOKS[symbol][0]
    far = bid / 1000
    v = value_order(Side.SELL, far, quote(symbol))
    assert v is not None
    assert (v.price, v.basis, v.reference, v.reference_source) == (bid, "bid", bid, "bid")
    assert v.note == (
        f"valued at {shown(bid, symbol)} (bid; your limit {far} is below it, a sell executes at "
        "the bid or better)"
    )


@pytest.mark.parametrize("symbol", list(BOOKS))
def test_sell_limited_above_the_bid_is_valued_at_its_limit(symbol: str) -> None:
    bid = BOOKS[symbol][0]
    v = value_order(Side.SELL, bid * D("1.01"), quote(symbol))
    assert v is not None
    assert (v.price, v.basis, v.reference) == (bid * D("1.01"), "limit", bid)
    assert "rests and executes at its limit or better" in v.note


@pytest.mark.parametrize("symbol", list(BOOKS))
def test_buy_limited_above_the_ask_is_valued_at_its_limit_the_worst_case(symbol: str) -> None:
    ask = BOOKS[symbol][1]
    v = value_order(Side.BUY, ask * 2, quote(symbol))
    assert v is not None
    assert (v.price, v.basis, v.reference, v.reference_source) == (ask * 2, "limit", ask, "ask")
    assert "worst case" in v.note


@pytest.mark.parametrize("symbol", list(BOOKS))
def test_buy_limited_below_the_ask_is_valued_at_the_ask(symbol: str) -> None:
    ask = BOOKS[symbol][1]
    v = value_order(Side.BUY, ask / 2, quote(symbol))
    assert v is not None
    assert (v.price, v.basis) == (ask, "ask")


@pytest.mark.parametrize("symbol", list(BOOKS))
@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_market_orders_are_valued_at_the_touch_they_take(symbol: str, side: Side) -> None:
    bid, ask, _last = BOOKS[symbol]
    v = value_order(side, None, quote(symbol))
    assert v is not None
    assert v.price == (ask if side is Side.BUY else bid)
    assert v.basis == ("ask" if side is Side.BUY else "bid")
    assert v.limit is None


def test_reference_falls_back_to_last_then_the_limit_then_nothing() -> None:
    no_bid = quote("BHP/AUD", bid=None)
    assert reference_price(Side.SELL, no_bid) == (D("45.67"), "last")
    assert reference_price(Side.BUY, no_bid) == (D("45.68"), "ask")
    v = value_order(Side.SELL, D("0.01"), no_bid)
    assert v is not None
    assert (v.price, v.basis) == (D("45.67"), "last")
    empty = quote("BHP/AUD", bid=None, ask=None, last=None)
    assert reference_price(Side.SELL, empty) is None
    v = value_order(Side.SELL, D("44"), empty)
    assert v is not None
    assert (v.price, v.basis, v.reference) == (D("44"), "limit", None)
    assert value_order(Side.SELL, None, empty) is None


async def test_risk_values_the_bhp_repro_at_the_bid_not_at_its_limit() -> None:
    sym = parse_symbol("BHP/AUD")
    v = value_order(Side.SELL, D("0.01"), quote("BHP/AUD"))
    assert v is not None
    order = ProposedOrder.valued(sym, Side.SELL, D(50000), v)
    assert order.notional == Money(D("2283500.00"), "AUD")
    verdict = await RiskManager(risk_settings()).check(order, [], AUD)
    checks = {c.name: c for c in verdict.checks}
    assert not checks["MAX_ORDER_VALUE"].passed
    assert "2,283,500.00 AUD exceeds MAX_ORDER_VALUE" in checks["MAX_ORDER_VALUE"].message
    assert not checks["MAX_TOTAL_EXPOSURE"].passed


async def test_min_trade_size_is_measured_at_the_executable_price() -> None:
    # 20 BHP offered at 1.00: the limit says AUD 20, the bid says AUD 913.40 (over 500)
    v = value_order(Side.SELL, D("1.00"), quote("BHP/AUD"))
    assert v is not None
    order = ProposedOrder.valued(parse_symbol("BHP/AUD"), Side.SELL, D(20), v)
    verdict = await RiskManager(risk_settings()).check(order, [], AUD)
    assert {c.name: c for c in verdict.checks}["MIN_TRADE_SIZE"].passed


def test_band_defaults_are_five_percent_for_equities_and_one_for_fx() -> None:
    risk = RiskSettings()
    assert max_price_deviation_pct(risk, InstrumentClass.ASX_EQUITY) == 5
    assert max_price_deviation_pct(risk, InstrumentClass.ASX_ETF) == 5
    assert max_price_deviation_pct(risk, InstrumentClass.US_EQUITY) == 5
    assert max_price_deviation_pct(risk, InstrumentClass.FX) == 1
    assert max_price_deviation_pct(risk, InstrumentClass.CRYPTO) == 5


def test_band_settings_come_from_the_environment(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_PRICE_DEVIATION_PCT_FX", "2.5")
    monkeypatch.setenv("MAX_PRICE_DEVIATION_PCT_EQUITY", "3")
    risk = load_settings().risk
    assert max_price_deviation_pct(risk, InstrumentClass.FX) == D("2.5")
    assert max_price_deviation_pct(risk, InstrumentClass.ASX_ETF) == 3
    with pytest.raises(ConfigError, match="MAX_PRICE_DEVIATION_PCT_FX"):
        load_settings(MAX_PRICE_DEVIATION_PCT_FX="0")


@pytest.mark.parametrize(
    ("symbol", "inside", "outside", "setting"),
    [
        ("BHP/AUD", D("1.049"), D("1.051"), "MAX_PRICE_DEVIATION_PCT_EQUITY"),
        ("VAS/AUD", D("1.049"), D("1.051"), "MAX_PRICE_DEVIATION_PCT_EQUITY"),
        ("AAPL/USD", D("1.049"), D("1.051"), "MAX_PRICE_DEVIATION_PCT_EQUITY"),
        ("AUD/USD", D("1.0099"), D("1.0101"), "MAX_PRICE_DEVIATION_PCT_FX"),
        ("BTC/USD", D("1.049"), D("1.051"), "MAX_PRICE_DEVIATION_PCT_CRYPTO"),
    ],
)
@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
@pytest.mark.parametrize("direction", ["above", "below"])
def test_band_refuses_a_limit_too_far_from_the_touch_on_either_side(
    symbol: str, inside: D, outside: D, setting: str, side: Side, direction: str
) -> None:
    bid, ask, _last = BOOKS[symbol]
    touch = ask if side is Side.BUY else bid
    q = quote(symbol)

    def at(factor: D) -> D:
        return touch * factor if direction == "above" else touch * (2 - factor)

    ok = band(symbol, value_order(side, at(inside), q))
    assert (ok.name, ok.passed, ok.waived) == (setting, True, False)
    assert "within" in ok.message
    far = band(symbol, value_order(side, at(outside), q))
    assert (far.name, far.passed) == (setting, False)
    touch_text = shown(touch, symbol)  # the venue's price at its tick: 60,000.00, not 60000
    assert f"{direction} the {'ask' if side is Side.BUY else 'bid'} {touch_text}" in far.message
    assert "--allow-far-limit" in far.message
    allowed = band(symbol, value_order(side, at(outside), q), allow_far_limit=True)
    assert (allowed.passed, allowed.waived) == (True, True)
    assert allowed.message.endswith("allowed by --allow-far-limit")


def test_band_on_the_two_repros() -> None:
    bhp = band("BHP/AUD", value_order(Side.SELL, D("0.01"), quote("BHP/AUD")))
    assert not bhp.passed
    assert bhp.value == D("99.98")
    assert bhp.message.startswith("limit 0.01 is 99.98% below the bid 45.67, beyond ")
    fx = band("AUD/USD", value_order(Side.SELL, D("0.0001"), quote("AUD/USD")))
    assert not fx.passed
    assert "beyond MAX_PRICE_DEVIATION_PCT_FX 1%" in fx.message


def test_band_passes_market_orders_and_fails_a_limit_with_nothing_to_measure() -> None:
    market = band("BHP/AUD", value_order(Side.SELL, None, quote("BHP/AUD")))
    assert market.passed
    empty = quote("BHP/AUD", bid=None, ask=None, last=None)
    blind = band("BHP/AUD", value_order(Side.SELL, D("45"), empty))
    assert not blind.passed
    assert "no bid, ask or last price" in blind.message


@pytest.mark.parametrize("symbol", list(BOOKS))
@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_marketable_exits_and_flattens_stay_inside_the_band(symbol: str, side: Side) -> None:
    # flatten re-prices up to twice, each time a wider bump: attempt 3 is 3 x the slippage
    risk = RiskSettings()
    q = quote(symbol)
    rule = tick_rule_for(parse_symbol(symbol), None)
    for attempt in (1, 2, 3):
        price = marketable_limit_price(side, q, rule, risk.marketable_limit_slippage_bps * attempt)
        check = band(symbol, value_order(side, price, q))
        assert check.passed, check.message
