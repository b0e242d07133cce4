"""The pre-trade pipeline's steps one at a time: price, value, check, estimate costs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D
from typing import Any

import pytest

from trader_cli.config import load_settings
from trader_cli.domain.models import OrderType, Position, Quote, Side
from trader_cli.domain.money import Money
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import parse_symbol
from trader_cli.errors import InvalidOrderError, TemporaryError
from trader_cli.hours import market_hours
from trader_cli.risk import ProposedOrder, StaticRateConverter
from trader_cli.services import pipeline
from trader_cli.venues.base import Instrument

T0 = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)  # 11:00 in Sydney: the ASX is open
BHP = parse_symbol("BHP/AUD")
AUDUSD = parse_symbol("AUD/USD")
AUD = StaticRateConverter("AUD", {"USD": D("1.5")})
BPS = D(20)


def instrument(*, market_orders: bool = True, exchange: str = "ASX") -> Instrument:
    types = frozenset({"LMT", "MKT"} if market_orders else {"LMT"})
    return Instrument(BHP, "8644", exchange, "AUD", D("0.01"), D(1), types)


def book(bid: str | None = "45.67", ask: str | None = "45.68") -> Quote:
    return Quote(
        "BHP/AUD", T0, bid and D(bid), ask and D(ask), D("45.67"), bid_size=D(5000),
        ask_size=D(5000),
    )


@pytest.fixture
def settings(clean_env):
    return load_settings(ALLOWED_SYMBOLS="BHP/AUD,AUD/USD")


# -- price -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("side", "asked", "sent", "note"),
    [
        (Side.BUY, "45.678", "45.67", "45.678 rounded down to 45.67 (price step 0.01)"),
        (Side.SELL, "45.671", "45.68", "45.671 rounded up to 45.68 (price step 0.01)"),
        (Side.BUY, "45.60", "45.60", "45.60 is on the tick"),
    ],
)
def test_a_limit_is_nudged_onto_the_tick_never_worse(
    side: Side, asked: str, sent: str, note: str
) -> None:
    priced = pipeline.price_spec(
        BHP, side, OrderSpec.limit(D(asked)), instrument(), book(), BPS
    )
    assert priced.spec == OrderSpec.limit(D(sent))
    assert (priced.order_type, priced.price) == (OrderType.LIMIT, D(sent))
    assert priced.note.startswith(note)


def test_a_market_order_stays_one_where_the_venue_takes_it() -> None:
    priced = pipeline.price_spec(BHP, Side.BUY, OrderSpec.market(), instrument(), book(), BPS)
    assert priced.spec == OrderSpec.market()
    assert (priced.order_type, priced.price) == (OrderType.MARKET, None)
    assert priced.note == "market order: valued at the touch"


def test_a_market_order_the_venue_refuses_becomes_a_marketable_limit() -> None:
    inst = instrument(market_orders=False)
    priced = pipeline.price_spec(BHP, Side.BUY, OrderSpec.market(), inst, book(), BPS)
    # 45.68 * 1.002 = 45.77136, rounded up to cross
    assert priced.spec == OrderSpec.marketable_limit(D("45.78"))
    assert priced.order_type is OrderType.LIMIT  # recorded as a limit
    assert priced.note == (
        "ASX takes no market orders for BHP/AUD: a limit 20 bp through the touch, "
        "rounded to the tick to cross"
    )


def test_the_bot_asks_for_a_marketable_limit_even_where_market_orders_are_allowed() -> None:
    priced = pipeline.price_spec(
        BHP, Side.SELL, OrderSpec.market(), instrument(), book(), BPS, market_orders=False
    )
    assert priced.spec == OrderSpec.marketable_limit(D("45.57"))  # 45.67 * 0.998, rounded down
    assert priced.note.startswith("a marketable limit 20 bp through the touch")


def test_an_empty_side_leaves_no_spec_and_says_why() -> None:
    priced = pipeline.price_spec(
        BHP, Side.BUY, OrderSpec.market(), instrument(), book(ask=None), BPS, market_orders=False
    )
    assert priced.spec is None and priced.price is None
    assert priced.note == "no marketable limit: no ask for BHP/AUD: cannot price a marketable buy"
    with pytest.raises(InvalidOrderError, match="no ask for BHP/AUD"):
        priced.require_spec()


def test_a_stop_keeps_its_trigger_and_a_stop_limit_its_limit_goes_on_the_tick() -> None:
    stop = pipeline.price_spec(BHP, Side.SELL, OrderSpec.stop(D(44)), instrument(), None, BPS)
    assert stop.spec == OrderSpec.stop(D(44))
    sl = OrderSpec.stop_limit(D(44), D("43.955"))
    assert pipeline.price_spec(BHP, Side.SELL, sl, instrument(), None, BPS).spec == (
        OrderSpec.stop_limit(D(44), D("43.96"))
    )


class FakeVenue:
    """Just what the price step asks a venue: the contract and, when needed, the quote."""

    def __init__(self, inst: Instrument, quote: Quote | Exception) -> None:
        from trader_cli.venues.ib.capabilities import ib_capabilities

        self.inst, self.quote, self.calls = inst, quote, []
        self.capabilities = ib_capabilities()

    async def resolve(self, symbol: Any) -> Instrument:
        self.calls.append("resolve")
        return self.inst

    async def get_market_data(self, symbol: Any) -> Quote:
        self.calls.append("quote")
        if isinstance(self.quote, Exception):
            raise self.quote
        return self.quote


async def test_price_order_fetches_a_quote_only_for_a_marketable_limit() -> None:
    venue = FakeVenue(instrument(), book())
    priced = await pipeline.price_order(venue, BHP, Side.BUY, OrderSpec.market(), BPS)  # type: ignore[arg-type]
    assert priced.spec == OrderSpec.market() and venue.calls == ["resolve"]
    venue.calls.clear()
    priced = await pipeline.price_order(
        venue, BHP, Side.BUY, OrderSpec.market(), BPS, market_orders=False  # type: ignore[arg-type]
    )
    assert priced.price == D("45.78") and venue.calls == ["resolve", "quote"]
    venue.calls.clear()
    maker = OrderSpec.limit(D("45.70"), post_only=True)
    with pytest.raises(InvalidOrderError, match="IB takes no post-only orders"):
        await pipeline.price_order(venue, BHP, Side.BUY, maker, BPS)  # type: ignore[arg-type]
    assert venue.calls == []  # refused before the venue is asked anything
    venue.calls.clear()
    await pipeline.price_order(
        venue, BHP, Side.BUY, OrderSpec.market(), BPS,  # type: ignore[arg-type]
        quote=book(), instrument=instrument(), market_orders=False,
    )
    assert venue.calls == []


async def test_price_order_lets_a_quote_failure_through() -> None:
    venue = FakeVenue(instrument(market_orders=False), TemporaryError("no market data"))
    with pytest.raises(TemporaryError):
        await pipeline.price_order(venue, BHP, Side.SELL, OrderSpec.market(), BPS)  # type: ignore[arg-type]


# -- value -----------------------------------------------------------------------------------
def test_value_and_marketable_follow_the_priced_order() -> None:
    q = book()
    limit = pipeline.price_spec(BHP, Side.BUY, OrderSpec.limit(D("45.00")), instrument(), q, BPS)
    valued = pipeline.value(Side.BUY, limit, q)
    assert valued is not None and (valued.price, valued.basis) == (D("45.68"), "ask")
    assert not pipeline.marketable(Side.BUY, limit, q)
    market = pipeline.price_spec(BHP, Side.BUY, OrderSpec.market(), instrument(), q, BPS)
    assert pipeline.marketable(Side.BUY, market, q)
    crossing = pipeline.price_spec(
        BHP, Side.BUY, OrderSpec.market(), instrument(), q, BPS, market_orders=False
    )
    assert pipeline.marketable(Side.BUY, crossing, q)
    valued = pipeline.value(Side.BUY, crossing, q)
    assert valued is not None and valued.price == D("45.78")


# -- check -----------------------------------------------------------------------------------
def test_symbol_check(settings) -> None:
    ok = pipeline.symbol_check(BHP, settings.allowed_symbols)
    assert ok.passed and ok.message == "BHP/AUD is in ALLOWED_SYMBOLS"
    no = pipeline.symbol_check(parse_symbol("CBA/AUD"), settings.allowed_symbols)
    assert not no.passed
    assert no.message == "CBA/AUD is not in ALLOWED_SYMBOLS (BHP/AUD, AUD/USD)"


def test_band_check_refuses_a_far_limit_unless_allowed(settings) -> None:
    q = book()
    far = pipeline.value(
        Side.BUY,
        pipeline.price_spec(BHP, Side.BUY, OrderSpec.limit(D("4.56")), instrument(), q, BPS),
        q,
    )
    assert not pipeline.band_check(far, BHP, settings, allow_far_limit=False).passed
    waived = pipeline.band_check(far, BHP, settings, allow_far_limit=True)
    assert waived.passed and waived.waived


async def test_risk_check_without_a_valuation_fails_on_valuation(settings) -> None:
    verdict = await pipeline.risk_check(settings, BHP, None, [], AUD)
    assert [(c.name, c.passed, c.message) for c in verdict.checks] == [
        ("valuation", False, "no price to value BHP/AUD at: the book is empty")
    ]
    assert not verdict.reducing


async def test_risk_check_applies_the_limits_and_sees_a_reducing_order(settings) -> None:
    too_big = ProposedOrder(BHP, Side.BUY, D(100_000), D("45.68"))
    verdict = await pipeline.risk_check(settings, BHP, too_big, [], AUD)
    assert not verdict.allowed
    held = [Position("BHP/AUD", D(100), D(40), D("45.67"), T0, "AUD")]
    sell = ProposedOrder(BHP, Side.SELL, D(50), D("45.67"))
    assert (await pipeline.risk_check(settings, BHP, sell, held, AUD)).reducing


async def test_market_checks_measure_the_book(settings) -> None:
    checks = await pipeline.market_checks(
        book(), Side.BUY, BHP, settings, now=T0, converter=AUD, reducing=False
    )
    names = [c.name for c in checks]
    assert "MAX_SPREAD_BPS_ASX_EQUITY" in names and all(c.passed for c in checks), checks


def test_hours_check_names_the_market() -> None:
    check = pipeline.hours_check(market_hours(BHP.instrument_class, T0))
    assert check.name == "market_open" and check.passed and check.value == "open"
    closed = pipeline.hours_check(market_hours(BHP.instrument_class, T0.replace(hour=12)))
    assert not closed.passed and closed.value == "closed"


# -- costs -----------------------------------------------------------------------------------
async def test_costs_of_an_asx_order(settings) -> None:
    order = ProposedOrder(BHP, Side.BUY, D(100), D("45.68"))
    costs = await pipeline.estimate_costs(order, settings, AUD, taker=True)
    assert costs.notional == Money(D("4568.00"), "AUD")
    assert costs.notional_base == costs.notional
    assert costs.commission is not None and costs.commission.currency == "AUD"
    assert costs.commission_base is not None and costs.commission_base.amount > 0
    assert costs.notes == []


async def test_no_valuation_no_costs(settings) -> None:
    costs = await pipeline.estimate_costs(None, settings, AUD, taker=True)
    assert (costs.notional, costs.commission, costs.notes) == (None, None, [])


async def test_a_commission_that_cannot_be_estimated_is_a_note(settings) -> None:
    async def no_rate() -> D | None:
        raise TemporaryError("no FX rate")

    order = ProposedOrder(parse_symbol("EUR/GBP"), Side.BUY, D(25000), D("0.85"))
    costs = await pipeline.estimate_costs(
        order, settings, StaticRateConverter("AUD", {"GBP": 2}), taker=False, usd_per_unit=no_rate
    )
    assert costs.commission is None
    assert costs.notes == ["no commission estimate: no FX rate"]
