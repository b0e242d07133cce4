"""The sim fills exactly when ``trader hours`` says the market is open: one market-hours module."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from trader_cli import hours as product_hours
from trader_cli.hours import Market
from trader_cli.sim.engine import MatchingEngine, OrderTicket
from trader_cli.sim.engine import hours as sim_hours
from trader_cli.sim.engine.catalogue import Catalogue
from trader_cli.sim.engine.clock import SimClock
from trader_cli.sim.engine.market import MarketModel
from trader_cli.sim.engine.world import World

NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")


def _ny(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NEW_YORK).astimezone(UTC)  # type: ignore[misc]


def _syd(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SYDNEY).astimezone(UTC)  # type: ignore[misc]


class _Quiet:
    """A notifier that ignores everything: these tests read the world."""

    def __getattr__(self, _name: str) -> Callable[..., None]:
        return lambda *_args: None


def _market_buy_fills(local_symbol: str, at: datetime) -> bool:
    """Whether a market buy placed on the sim at ``at`` fills there and then."""
    catalogue = Catalogue.load()
    inst = catalogue.by_local_symbol(local_symbol)
    assert inst is not None
    engine = MatchingEngine(
        world=World(),
        catalogue=catalogue,
        market=MarketModel(seed=7),
        clock=SimClock.pinned(at),
        notifier=_Quiet(),
    )
    order = engine.submit(
        OrderTicket(
            client_id=1,
            order_id=1,
            inst=inst,
            action="BUY",
            total_qty=Decimal(25000 if inst.is_fx else 10),
            order_type="MKT",
        )
    )
    assert order is not None and order.status in ("Submitted", "Filled")
    return order.filled > 0


@pytest.mark.parametrize(
    ("symbol", "local_symbol", "at"),
    [
        # IDEALPRO's daily break, 17:00-17:15 New York (EDT and EST)
        ("AUD/USD", "AUD.USD", _ny(2024, 7, 3, 16, 59, 59)),
        ("AUD/USD", "AUD.USD", _ny(2024, 7, 3, 17, 0)),
        ("AUD/USD", "AUD.USD", _ny(2024, 7, 3, 17, 14, 59)),
        ("AUD/USD", "AUD.USD", _ny(2024, 7, 3, 17, 15)),
        ("AUD/USD", "AUD.USD", _ny(2024, 1, 10, 17, 5)),
        # the week: closed from Friday 17:00 to Sunday 17:15 New York
        ("AUD/USD", "AUD.USD", _ny(2024, 7, 5, 17, 0)),
        ("AUD/USD", "AUD.USD", _ny(2024, 7, 7, 17, 5)),
        ("AUD/USD", "AUD.USD", _ny(2024, 7, 7, 17, 15)),
        # the ASX: a holiday, Christmas Eve's 14:10 early close, a normal day
        ("BHP/AUD", "BHP", _syd(2024, 4, 25, 11, 0)),
        ("BHP/AUD", "BHP", _syd(2024, 12, 24, 14, 9, 59)),
        ("BHP/AUD", "BHP", _syd(2024, 12, 24, 14, 10)),
        ("BHP/AUD", "BHP", _syd(2024, 12, 26, 11, 0)),
        ("BHP/AUD", "BHP", _syd(2024, 7, 3, 11, 0)),
    ],
)
def test_the_sim_fills_exactly_when_trader_hours_says_open(
    trader, symbol: str, local_symbol: str, at: datetime
) -> None:
    r = trader("hours", symbol, "--at", at.isoformat(), "--json")
    assert r.code == 0, r.err

    assert _market_buy_fills(local_symbol, at) is r.json()["open"]


def test_an_order_placed_in_the_fx_break_fills_when_the_break_ends() -> None:
    catalogue = Catalogue.load()
    aud_usd = catalogue.by_local_symbol("AUD.USD")
    assert aud_usd is not None
    clock = SimClock.pinned(_ny(2024, 7, 3, 17, 10))
    engine = MatchingEngine(
        world=World(),
        catalogue=catalogue,
        market=MarketModel(seed=7),
        clock=clock,
        notifier=_Quiet(),
    )
    ticket = OrderTicket(1, 1, aud_usd, "BUY", Decimal(25000), "MKT")
    order = engine.submit(ticket)
    assert order is not None
    while clock.now() < _ny(2024, 7, 3, 17, 15):
        assert order.filled == 0
        clock.advance(1)
        engine.match_all()
    assert clock.now() == _ny(2024, 7, 3, 17, 15)
    assert order.filled > 0
    assert engine.world.executions[0].time == _ny(2024, 7, 3, 17, 15)


@pytest.mark.parametrize(
    ("kind", "market", "start"),
    [
        ("FX", Market.IDEALPRO, _ny(2024, 3, 1, 12, 0)),  # across the March DST change
        ("ASX", Market.ASX, _syd(2024, 3, 25, 9, 0)),  # Easter and the April DST change
        ("ASX", Market.ASX, _syd(2024, 12, 20, 9, 0)),  # Christmas, New Year
    ],
)
def test_sim_and_product_agree_minute_by_minute(kind: str, market: Market, start: datetime) -> None:
    for minute in range(0, 21 * 24 * 60, 5):
        at = start + timedelta(minutes=minute)
        assert sim_hours.is_open(kind, at) is product_hours.is_open(market, at), at


def test_idealpro_trading_hours_show_the_daily_break() -> None:
    text = sim_hours.trading_hours_string(
        "FX", _ny(2024, 7, 3, 12, 0), ZoneInfo("US/Eastern"), use_rth=True
    )
    assert "20240702:1715-20240703:1700;20240703:1715-20240704:1700" in text
    assert "20240706:CLOSED" in text
