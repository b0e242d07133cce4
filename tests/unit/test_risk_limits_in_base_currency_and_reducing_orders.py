"""RiskManager: AUD limits via a converter, gross exposure, kill switch, reducing orders pass."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from trader_cli.config import RiskSettings
from trader_cli.domain.models import Order, OrderStatus, OrderType, Position, Side
from trader_cli.domain.money import Money
from trader_cli.domain.symbols import parse_symbol
from trader_cli.errors import RiskRejected
from trader_cli.risk import (
    BufferedConverter,
    KillSwitch,
    ProposedOrder,
    RiskManager,
    StaticRateConverter,
    gross_exposure,
    is_reducing,
    signed_exposure,
    size_for_value,
)

T0 = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
AUD = StaticRateConverter("AUD", {"USD": D("1.5")})


def limits(**kw: object) -> RiskSettings:
    values = {
        "max_order_value": D(5000),
        "max_total_exposure": D(20000),
        "min_trade_size": D(500),
        "max_daily_loss": D(1000),
        **kw,
    }
    return RiskSettings.model_construct(**values)  # type: ignore[arg-type]


def pos(symbol: str, qty: str, price: str, currency: str = "AUD") -> Position:
    return Position(symbol, D(qty), D(price), D(price), T0, currency)


def order(symbol: str, side: Side, qty: str, price: str) -> ProposedOrder:
    return ProposedOrder(parse_symbol(symbol), side, D(qty), D(price))


def by_name(verdict) -> dict:
    return {c.name: c for c in verdict.checks}


async def test_order_value_over_the_limit_names_it_value_and_limit() -> None:
    rm = RiskManager(limits())
    v = await rm.check(order("BHP/AUD", Side.BUY, "120", "50.10"), [], AUD)
    assert not v.allowed
    c = by_name(v)["MAX_ORDER_VALUE"]
    assert not c.passed
    assert c.message == "order value 6,012.00 AUD exceeds MAX_ORDER_VALUE 5,000.00 AUD"
    assert c.value == Money(D("6012.00"), "AUD")
    with pytest.raises(RiskRejected) as err:
        v.raise_if_failed()
    assert err.value.limit == "MAX_ORDER_VALUE"
    assert err.value.value == Money(D("6012.00"), "AUD")
    assert "6,012.00 AUD exceeds MAX_ORDER_VALUE 5,000.00 AUD" in str(err.value)


async def test_usd_order_is_sized_in_aud_through_the_converter() -> None:
    rm = RiskManager(limits())
    # 30 x USD 100 = USD 3,000 = AUD 4,500: within 5,000
    assert (await rm.check(order("AAPL/USD", Side.BUY, "30", "100"), [], AUD)).allowed
    # 34 x USD 100 = AUD 5,100: over
    v = await rm.check(order("AAPL/USD", Side.BUY, "34", "100"), [], AUD)
    assert by_name(v)["MAX_ORDER_VALUE"].message.startswith("order value 5,100.00 AUD exceeds")


async def test_fx_buffer_makes_foreign_values_a_little_larger() -> None:
    rm = RiskManager(limits(), fx_buffer_bps=D(10))
    v = await rm.check(order("AAPL/USD", Side.BUY, "33", "100"), [], AUD)
    # 4,950 AUD x 1.001 = 4,954.95
    assert by_name(v)["MAX_ORDER_VALUE"].value == Money(D("4954.95"), "AUD")
    buffered = BufferedConverter(AUD, "AUD", D(10))
    assert await buffered.to_base(Money(D(100), "AUD")) == Money(D(100), "AUD")


async def test_sizing_in_aud_for_long_and_short() -> None:
    qty = await size_for_value(Money(D(5000), "AUD"), D("44.66"), "AUD", AUD)
    assert qty == D(111)  # 111 x 44.66 = 4,957.26
    usd = await size_for_value(Money(D(5000), "AUD"), D("100"), "USD", AUD)
    assert usd == D(33)  # one share = AUD 150
    assert signed_exposure(Side.BUY, qty, D("44.66"), "AUD") == Money(D("4957.26"), "AUD")
    assert signed_exposure(Side.SELL, qty, D("44.66"), "AUD") == Money(D("-4957.26"), "AUD")
    rm = RiskManager(limits())
    for side in (Side.BUY, Side.SELL):
        assert (await rm.check(order("BHP/AUD", side, str(qty), "44.66"), [], AUD)).allowed
    fx = await size_for_value(Money(D(5000), "AUD"), D("0.66"), "USD", AUD, increment=D(1000))
    assert fx == D(5000)  # 5,000 AUD at 0.66 USD = 4,950 AUD


async def test_shorts_count_as_gross_exposure() -> None:
    positions = [pos("BHP/AUD", "200", "50"), pos("CBA/AUD", "-100", "100")]
    assert await gross_exposure(positions, AUD) == Money(D(20000), "AUD")
    rm = RiskManager(limits())
    # long 10k + short 10k = 20k gross: any new risk breaks the 20k cap
    v = await rm.check(order("CSL/AUD", Side.BUY, "20", "30"), positions, AUD)
    c = by_name(v)["MAX_TOTAL_EXPOSURE"]
    assert not c.passed
    assert c.message == (
        "gross exposure after the order 20,600.00 AUD exceeds MAX_TOTAL_EXPOSURE 20,000.00 AUD"
    )
    # a short of a new name adds exposure too
    v = await rm.check(order("CSL/AUD", Side.SELL, "20", "30"), positions, AUD)
    assert not by_name(v)["MAX_TOTAL_EXPOSURE"].passed


async def test_reducing_orders_pass_every_limit_even_over_them() -> None:
    positions = [pos("BHP/AUD", "600", "50"), pos("CBA/AUD", "-100", "100")]  # 40k gross
    rm = RiskManager(limits())
    v = await rm.check(
        order("BHP/AUD", Side.SELL, "120", "50"),  # 6k order, 34k gross after
        positions,
        AUD,
        daily_pnl=Money(D(-2000), "AUD"),
    )
    assert v.reducing
    assert v.allowed
    checks = by_name(v)
    assert checks["MAX_ORDER_VALUE"].waived
    assert "only reduces the position" in checks["MAX_ORDER_VALUE"].message
    assert checks["MAX_TOTAL_EXPOSURE"].waived
    assert checks["MAX_DAILY_LOSS"].waived
    # buying back part of a short also reduces
    v = await rm.check(order("CBA/AUD", Side.BUY, "4", "100"), positions, AUD)
    assert v.reducing
    assert v.allowed
    assert by_name(v)["MIN_TRADE_SIZE"].waived


async def test_flipping_or_adding_is_not_reducing() -> None:
    assert is_reducing(D(100), Side.SELL, D(100))
    assert is_reducing(D(-100), Side.BUY, D(40))
    assert not is_reducing(D(100), Side.SELL, D(150))  # flips to short
    assert not is_reducing(D(100), Side.BUY, D(1))
    assert not is_reducing(D(0), Side.SELL, D(1))
    rm = RiskManager(limits())
    v = await rm.check(order("BHP/AUD", Side.SELL, "200", "50"), [pos("BHP/AUD", "50", "50")], AUD)
    assert not v.reducing
    assert not v.allowed


async def test_kill_switch_blocks_new_risk_but_not_reductions(tmp_path) -> None:
    switch = KillSwitch(path=tmp_path / "KILL_SWITCH")
    rm = RiskManager(limits(), kill_switch=switch)
    new = order("BHP/AUD", Side.BUY, "20", "50")
    assert (await rm.check(new, [], AUD)).allowed
    switch.engage("drawdown alarm")
    assert switch.engaged
    v = await rm.check(new, [], AUD)
    assert [c.name for c in v.failed] == ["KILL_SWITCH"]
    assert "drawdown alarm" in v.failed[0].message
    exit_order = order("BHP/AUD", Side.SELL, "20", "50")
    v = await rm.check(exit_order, [pos("BHP/AUD", "20", "50")], AUD)
    assert v.allowed
    assert by_name(v)["KILL_SWITCH"].waived
    assert switch.release()
    assert not switch.engaged
    forced = RiskManager(limits(kill_switch=True))
    assert not (await forced.check(new, [], AUD)).allowed


async def test_min_trade_size_and_daily_loss() -> None:
    rm = RiskManager(limits())
    v = await rm.check(order("BHP/AUD", Side.BUY, "5", "50"), [], AUD)
    assert by_name(v)["MIN_TRADE_SIZE"].message == (
        "order value 250.00 AUD is below MIN_TRADE_SIZE 500.00 AUD"
    )
    big = order("BHP/AUD", Side.BUY, "20", "50")
    v = await rm.check(big, [], AUD, daily_pnl=Money(D(-1000), "AUD"))
    c = by_name(v)["MAX_DAILY_LOSS"]
    assert not c.passed
    assert c.message.startswith("daily loss 1,000.00 AUD reached MAX_DAILY_LOSS 1,000.00 AUD")
    v = await rm.check(big, [], AUD, daily_pnl=Money(D(-500), "USD"))  # AUD 750
    assert by_name(v)["MAX_DAILY_LOSS"].passed
    v = await rm.check(big, [], AUD)
    assert "not evaluated" in by_name(v)["MAX_DAILY_LOSS"].message
    assert v.to_dict()["allowed"] is True


def working(symbol: str, side: Side, qty: str, price: str, filled: str = "0") -> Order:
    return Order(f"w-{symbol}-{side.value}", symbol, side, OrderType.LIMIT, D(qty), D(price),
                 status=OrderStatus.OPEN, filled=D(filled))


async def test_working_orders_count_as_filled_toward_gross_exposure() -> None:
    # another process's (or the bot's) working orders are exposure already spoken for: two
    # orders checked side by side must not each pass on the same headroom
    rm = RiskManager(limits())
    positions = [pos("BHP/AUD", "100", "50")]  # 5k
    alone = await rm.check(order("CSL/AUD", Side.BUY, "100", "40"), positions, AUD)  # +4k
    assert by_name(alone)["MAX_TOTAL_EXPOSURE"].passed
    beside = [working("CBA/AUD", Side.BUY, "100", "120")]  # +12k if it fills
    v = await rm.check(order("CSL/AUD", Side.BUY, "100", "40"), positions, AUD, working=beside)
    c = by_name(v)["MAX_TOTAL_EXPOSURE"]
    assert not c.passed
    assert c.message == (
        "gross exposure after the order (counting 1 working order(s) as filled) 21,000.00 AUD "
        "exceeds MAX_TOTAL_EXPOSURE 20,000.00 AUD"
    )


async def test_working_orders_count_the_worse_way_and_only_what_is_left() -> None:
    rm = RiskManager(limits())
    positions = [pos("BHP/AUD", "100", "50")]
    # a working sell of the whole long would flatten it: the worse way is it not filling
    sell = [working("BHP/AUD", Side.SELL, "100", "50")]
    v = await rm.check(order("CSL/AUD", Side.BUY, "100", "40"), positions, AUD, working=sell)
    assert by_name(v)["MAX_TOTAL_EXPOSURE"].value == Money(D(9000), "AUD")
    # a working buy on the same symbol adds to the order's own side; its filled part is already
    # in the position, so only the remaining 50 count
    buy = [working("BHP/AUD", Side.BUY, "100", "50", filled="50")]
    v = await rm.check(order("BHP/AUD", Side.BUY, "100", "50"), positions, AUD, working=buy)
    assert by_name(v)["MAX_TOTAL_EXPOSURE"].value == Money(D(12500), "AUD")
