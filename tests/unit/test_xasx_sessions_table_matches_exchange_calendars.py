"""The generated ASX sessions table says what exchange_calendars says, over its whole span.

``trader_cli/data/xasx_sessions.py`` (written by ``scripts/gen_sessions.py``) answers every ASX
market-hours question inside its span without pandas. If an exchange_calendars upgrade moves a
holiday or an early close, these tests fail until the table is generated again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from trader_cli import hours
from trader_cli.data import xasx_sessions as table
from trader_cli.hours import Market, calendar_from_library, calendar_from_table

FIRST = date.fromisoformat(table.FIRST)
LAST = date.fromisoformat(table.LAST)


def test_the_table_covers_every_year_trader_answers_for() -> None:
    # a question about year Y reads the sessions of Y-1 to Y+1
    covered = date.fromisoformat(table.FIRST), date.fromisoformat(table.LAST)
    assert covered[0] <= date(hours.CALENDAR_FIRST.year - 1, 1, 1)
    assert covered[1] >= date(hours.CALENDAR_LAST.year + 1, 12, 31)


def test_sessions_early_closes_and_holidays_equal_the_library_over_the_whole_span() -> None:
    from_table = calendar_from_table(Market.ASX.value, FIRST, LAST)
    from_library = calendar_from_library(Market.ASX.value, FIRST, LAST)
    assert from_table is not None
    assert len(from_table.opens) == len(from_library.opens) > 25_000
    # compared piece by piece so a failure names the first session that differs
    for mine, theirs in zip(from_table.opens, from_library.opens, strict=True):
        assert mine == theirs
    for mine, theirs in zip(from_table.closes, from_library.closes, strict=True):
        assert mine == theirs
    assert from_table.early == from_library.early
    assert from_table.holidays == from_library.holidays
    assert from_table == from_library


@pytest.mark.parametrize("year", [1990, 2010, 2024, 2099])
def test_a_years_window_from_the_table_equals_the_library(year: int) -> None:
    first, last = date(year - 1, 1, 1), date(year + 1, 12, 31)
    assert calendar_from_table(Market.ASX.value, first, last) == calendar_from_library(
        Market.ASX.value, first, last
    )


def test_outside_the_span_the_library_answers() -> None:
    assert calendar_from_table(Market.ASX.value, LAST, LAST + timedelta(days=1)) is None
    assert calendar_from_table(Market.ASX.value, FIRST - timedelta(days=1), FIRST) is None
    assert calendar_from_table(Market.NYSE.value, date(2024, 1, 1), date(2024, 12, 31)) is None
    # past the table's end sessions() still answers, from the library
    start, end = datetime(2100, 12, 28, tzinfo=UTC), datetime(2101, 1, 8, tzinfo=UTC)
    library = calendar_from_library(Market.ASX.value, date(2100, 12, 1), date(2101, 1, 31))
    expected = [
        (o, c) for o, c in zip(library.opens, library.closes, strict=True) if o < end and c > start
    ]
    assert len(expected) >= 5
    assert hours.sessions(Market.ASX, start, end) == expected


def test_two_holidays_on_one_day_are_both_named() -> None:
    # 25 April 2011 was Anzac Day and Easter Monday; the name no longer depends on the span read
    at = datetime(2011, 4, 25, 1, 0, tzinfo=UTC)
    assert hours.market_hours(Market.ASX, at).note == "closed: Anzac Day and Easter Monday"
    for first, last in [(date(2009, 1, 1), date(2011, 12, 31)), (FIRST, LAST)]:
        found = calendar_from_library(Market.ASX.value, first, last)
        assert found.holidays[date(2011, 4, 25)] == "Anzac Day and Easter Monday"
