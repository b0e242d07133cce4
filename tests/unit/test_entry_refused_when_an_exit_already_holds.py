"""entry_refusal: an entry is refused exactly when the plan monitor's exit rule already holds.

One rule (``exit_reason``) decides both: the monitor's exit each cycle, and whether the runner
may send an entry at all. Each exit condition is checked at entry: the pre-close buffer (ASX,
an early close, IDEALPRO's daily break and weekend), expiry, stop, target, and the entry price.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from trader_cli.domain.models import Quote, Side
from trader_cli.domain.symbols import InstrumentClass, parse_symbol
from trader_cli.hours import market_hours
from trader_cli.services.plans import CLOSE_BUFFER, entry_refusal, exit_reason
from trader_cli.strategies.base import TradePlan

BHP = parse_symbol("BHP/AUD")
AUDUSD = parse_symbol("AUD/USD")
NY = ZoneInfo("America/New_York")
# Wednesday 3 July 2024: the ASX closes 16:00 Sydney = 06:00 UTC
ASX_CLOSE = datetime(2024, 7, 3, 6, 0, tzinfo=UTC)
MIDDAY = datetime(2024, 7, 3, 2, 0, tzinfo=UTC)


def quote(bid: str, ask: str, at: datetime = MIDDAY) -> Quote:
    return Quote("BHP/AUD", at, Decimal(bid), Decimal(ask))


def plan(
    side: Side = Side.BUY,
    *,
    stop: str = "44.00",
    target: str | None = "47.00",
    expiry: datetime | None = None,
    entry: str | None = None,
    symbol=BHP,
) -> TradePlan:
    return TradePlan(
        symbol=symbol,
        side=side,
        stop=Decimal(stop),
        target=None if target is None else Decimal(target),
        expiry=expiry,
        entry=None if entry is None else Decimal(entry),
        rationale="test",
        strategy="test",
    )


def closes(symbol, at: datetime) -> datetime | None:
    """What the runner and the monitor both pass: the close of the session ``at`` is in."""
    return market_hours(symbol.instrument_class, at).session_close


def refusal(p: TradePlan, q: Quote, at: datetime, *, entry: str | None = None) -> str | None:
    return entry_refusal(
        p, q, at, closes(p.symbol, at), entry=None if entry is None else Decimal(entry)
    )


# -- the pre-close buffer -------------------------------------------------------------------


def test_inside_the_pre_close_buffer_no_new_entries() -> None:
    at = ASX_CLOSE - timedelta(minutes=7)
    assert refusal(plan(), quote("45.00", "45.02", at), at) == (
        "market closes in 7 min, inside the 10-min pre-close buffer: no new entries"
    )


def test_the_buffer_starts_exactly_ten_minutes_before_the_close() -> None:
    edge = ASX_CLOSE - CLOSE_BUFFER
    assert refusal(plan(), quote("45.00", "45.02", edge), edge) is not None
    before = edge - timedelta(seconds=1)
    assert refusal(plan(), quote("45.00", "45.02", before), before) is None
    assert refusal(plan(), quote("45.00", "45.02"), MIDDAY) is None


def test_an_early_close_moves_the_buffer() -> None:
    # Christmas Eve 2024: the ASX closes at 14:10 Sydney (03:10 UTC)
    at = datetime(2024, 12, 24, 3, 5, tzinfo=UTC)
    why = refusal(plan(), quote("45.00", "45.02", at), at)
    assert why is not None and why.startswith("market closes in 5 min")
    # the same wall time on an ordinary day is nowhere near the close
    ordinary = datetime(2024, 12, 23, 3, 5, tzinfo=UTC)
    assert refusal(plan(), quote("45.00", "45.02", ordinary), ordinary) is None


def test_fx_daily_break_and_weekend_close_use_the_same_hours() -> None:
    fx = plan(stop="0.6500", target="0.6900", symbol=AUDUSD)
    q = Quote("AUD/USD", MIDDAY, Decimal("0.6700"), Decimal("0.6701"))
    tuesday_break = datetime(2024, 7, 2, 16, 52, tzinfo=NY).astimezone(UTC)
    assert refusal(fx, q, tuesday_break) == (
        "market closes in 8 min, inside the 10-min pre-close buffer: no new entries"
    )
    friday = datetime(2024, 7, 5, 16, 55, tzinfo=NY).astimezone(UTC)
    assert "market closes in 5 min" in (refusal(fx, q, friday) or "")
    after_the_break = datetime(2024, 7, 2, 17, 20, tzinfo=NY).astimezone(UTC)
    assert refusal(fx, q, after_the_break) is None
    assert refusal(fx, q, datetime(2024, 7, 2, 16, 49, tzinfo=NY).astimezone(UTC)) is None


def test_crypto_never_closes() -> None:
    btc = plan(stop="60000", target="70000", symbol=parse_symbol("BTC/USDT"))
    assert market_hours(InstrumentClass.CRYPTO, MIDDAY).session_close is None
    q = Quote("BTC/USDT", MIDDAY, Decimal("65000"), Decimal("65001"))
    assert refusal(btc, q, MIDDAY) is None


# -- expiry, stop, target ---------------------------------------------------------------------


def test_an_expired_plan_is_not_entered() -> None:
    why = refusal(plan(expiry=MIDDAY - timedelta(minutes=1)), quote("45.00", "45.02"), MIDDAY)
    assert why == "plan expired at 2024-07-03 01:59 UTC: no new entries"
    assert refusal(plan(expiry=MIDDAY), quote("45.00", "45.02"), MIDDAY) is not None
    later = MIDDAY + timedelta(minutes=30)
    assert refusal(plan(expiry=later), quote("45.00", "45.02"), MIDDAY) is None


@pytest.mark.parametrize(
    ("side", "stop", "target", "bid", "ask", "starts"),
    [
        (Side.BUY, "45.00", "47.00", "45.00", "45.02", "stop 45.00 hit (bid 45.00)"),
        (Side.SELL, "45.02", "43.00", "45.00", "45.02", "stop 45.02 hit (ask 45.02)"),
        (Side.BUY, "43.00", "45.00", "45.00", "45.02", "target 45.00 reached (bid 45.00)"),
        (Side.SELL, "47.00", "45.02", "45.00", "45.02", "target 45.02 reached (ask 45.02)"),
    ],
)
def test_stop_already_breached_or_target_already_reached(side, stop, target, bid, ask, starts):
    why = refusal(plan(side, stop=stop, target=target), quote(bid, ask), MIDDAY)
    assert why == f"{starts}: no new entries"


def test_target_reached_or_stop_hit_at_the_entry_price() -> None:
    # a long whose limit pays more than its target: the quote alone would not exit it yet
    long = plan(stop="44.00", target="45.01")
    assert exit_reason(long, quote("45.00", "45.02"), MIDDAY, None) is None
    assert refusal(long, quote("45.00", "45.02"), MIDDAY, entry="45.04") == (
        "target 45.01 reached (entry 45.04): no new entries"
    )
    # a short whose limit sells at or above its own stop
    short = plan(Side.SELL, stop="45.03", target="43.00")
    assert refusal(short, quote("45.00", "45.02"), MIDDAY, entry="45.03") == (
        "stop 45.03 hit (entry 45.03): no new entries"
    )
    # a sound plan at a sound price goes through
    assert refusal(long, quote("44.90", "44.92"), MIDDAY, entry="44.94") is None


# -- one rule for both ------------------------------------------------------------------------


@pytest.mark.parametrize("minutes_to_close", [60, 11, 10, 7, 1])
@pytest.mark.parametrize("bid", ["43.50", "45.00", "47.50"])
@pytest.mark.parametrize("expired", [False, True])
def test_refused_exactly_when_the_monitor_would_exit(minutes_to_close, bid, expired) -> None:
    at = ASX_CLOSE - timedelta(minutes=minutes_to_close)
    p = plan(expiry=at - timedelta(seconds=1) if expired else at + timedelta(hours=1))
    q = quote(bid, str(Decimal(bid) + Decimal("0.02")), at)
    monitor_says = exit_reason(p, q, at, closes(BHP, at))
    entry_says = refusal(p, q, at)
    if monitor_says is None:
        assert entry_says is None
    else:
        assert entry_says == f"{monitor_says}: no new entries"
