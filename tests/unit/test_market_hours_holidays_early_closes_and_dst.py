"""Market hours: ASX holidays and early closes, Sydney and New York DST, FX 24/5, crypto 24/7."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from trader_cli.domain.symbols import InstrumentClass as IC
from trader_cli.hours import Market, is_open, market_hours, next_close, next_open

SYD = ZoneInfo("Australia/Sydney")
NY = ZoneInfo("America/New_York")


def syd(*args: int) -> datetime:
    return datetime(*args, tzinfo=SYD)


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def test_regular_asx_session_in_sydney_time() -> None:
    at = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)  # Wed 11:00 AEST
    h = market_hours(IC.ASX_EQUITY, at)
    assert h.is_open
    assert h.market is Market.ASX
    assert h.session_open == syd(2024, 7, 3, 10, 0)
    assert h.next_close == syd(2024, 7, 3, 16, 0)
    assert h.next_open == syd(2024, 7, 4, 10, 0)
    assert not is_open(IC.ASX_ETF, syd(2024, 7, 3, 9, 59))
    assert is_open(IC.ASX_ETF, syd(2024, 7, 3, 10, 0))
    assert not is_open(IC.ASX_ETF, syd(2024, 7, 3, 16, 0))


@pytest.mark.parametrize(
    ("day", "name", "reopens"),
    [
        (syd(2024, 12, 25, 11, 0), "Christmas", syd(2024, 12, 27, 10, 0)),  # and Boxing Day
        (syd(2024, 3, 29, 11, 0), "Good Friday", syd(2024, 4, 2, 10, 0)),  # and Easter Monday
        (syd(2024, 4, 25, 11, 0), "Anzac Day", syd(2024, 4, 26, 10, 0)),
        (syd(2025, 4, 25, 11, 0), "Anzac Day", syd(2025, 4, 28, 10, 0)),
    ],
)
def test_asx_holidays_are_closed_and_say_why(day, name, reopens) -> None:
    h = market_hours(IC.ASX_EQUITY, day)
    assert not h.is_open
    assert name in h.note
    assert h.next_open == reopens


@pytest.mark.parametrize("day", [24, 31])
def test_asx_closes_early_at_1410_on_christmas_eve_and_new_years_eve(day: int) -> None:
    h = market_hours(IC.ASX_EQUITY, syd(2024, 12, day, 14, 9))
    assert h.is_open
    assert h.next_close == syd(2024, 12, day, 14, 10)
    assert "early close at 14:10" in h.note
    after = market_hours(IC.ASX_EQUITY, syd(2024, 12, day, 14, 10))
    assert not after.is_open
    assert "early close" in after.note
    # a normal day still runs to 16:00
    assert next_close(IC.ASX_EQUITY, syd(2024, 12, 23, 11, 0)) == syd(2024, 12, 23, 16, 0)


def test_asx_open_follows_sydney_dst_switches() -> None:
    # AEDT ends Sunday 7 April 2024: 10:00 is 23:00 UTC on Friday 5th, 00:00 UTC on Monday 8th
    assert next_open(IC.ASX_EQUITY, syd(2024, 4, 4, 17, 0)) == datetime(
        2024, 4, 4, 23, 0, tzinfo=UTC
    )
    assert next_open(IC.ASX_EQUITY, syd(2024, 4, 5, 17, 0)) == datetime(
        2024, 4, 8, 0, 0, tzinfo=UTC
    )
    # AEDT starts Sunday 6 October 2024: back to 23:00 UTC on Monday 7th
    assert next_open(IC.ASX_EQUITY, syd(2024, 10, 4, 17, 0)) == datetime(
        2024, 10, 6, 23, 0, tzinfo=UTC
    )
    assert is_open(IC.ASX_EQUITY, datetime(2024, 10, 6, 23, 30, tzinfo=UTC))


def test_fx_week_and_daily_break_in_new_york_time() -> None:
    assert is_open(IC.FX, ny(2024, 7, 3, 12, 0))
    assert not is_open(IC.FX, ny(2024, 7, 3, 17, 0))  # daily break
    assert not is_open(IC.FX, ny(2024, 7, 3, 17, 14))
    assert is_open(IC.FX, ny(2024, 7, 3, 17, 15))
    assert is_open(IC.FX, ny(2024, 7, 5, 16, 59))
    h = market_hours(IC.FX, ny(2024, 7, 5, 17, 0))  # Friday close
    assert not h.is_open
    assert "weekend" in h.note
    assert h.next_open == ny(2024, 7, 7, 17, 15)
    assert not is_open(IC.FX, ny(2024, 7, 7, 17, 14))
    assert is_open(IC.FX, ny(2024, 7, 7, 17, 15))
    h = market_hours(IC.FX, ny(2024, 7, 3, 17, 5))
    assert h.note.startswith("daily break")
    assert h.next_open == ny(2024, 7, 3, 17, 15)


def test_fx_follows_new_york_dst_switches() -> None:
    # EDT starts Sunday 10 March 2024: the week opens at 17:15 EDT = 21:15 UTC (22:15 UTC before)
    assert next_open(IC.FX, ny(2024, 3, 8, 18, 0)) == datetime(2024, 3, 10, 21, 15, tzinfo=UTC)
    assert next_close(IC.FX, ny(2024, 3, 1, 12, 0)) == datetime(2024, 3, 1, 22, 0, tzinfo=UTC)
    # EST returns Sunday 3 November 2024: Friday 1st closes 21:00 UTC, Sunday opens 22:15 UTC
    assert next_close(IC.FX, ny(2024, 11, 1, 12, 0)) == datetime(2024, 11, 1, 21, 0, tzinfo=UTC)
    assert next_open(IC.FX, ny(2024, 11, 2, 12, 0)) == datetime(2024, 11, 3, 22, 15, tzinfo=UTC)


def test_crypto_never_closes() -> None:
    h = market_hours(IC.CRYPTO, datetime(2024, 12, 25, 0, 0, tzinfo=UTC))
    assert h.is_open
    assert h.next_open is None
    assert h.next_close is None


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        market_hours(IC.ASX_EQUITY, datetime(2024, 7, 3, 11, 0))
