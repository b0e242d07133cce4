"""Timestamps: naive datetimes are refused, reads are tz-aware UTC on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import peewee
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trader_cli.db.models import MarketDataRow

pytestmark = pytest.mark.db

SYDNEY_SUMMER = timezone(timedelta(hours=11), "AEDT")
NEW_YORK_WINTER = timezone(-timedelta(hours=5), "EST")


def test_naive_datetime_is_refused(db: peewee.Database) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        MarketDataRow.create(symbol="BHP/AUD", timestamp=datetime(2026, 1, 5, 10, 0))
    assert MarketDataRow.select().count() == 0


def test_naive_datetime_is_refused_in_update_queries_too(db: peewee.Database) -> None:
    MarketDataRow.create(symbol="BHP/AUD", timestamp=datetime(2026, 1, 5, tzinfo=UTC))
    with pytest.raises(ValueError, match="naive datetime"):
        MarketDataRow.update(timestamp=datetime(2026, 1, 6)).execute()


def test_other_zones_are_stored_as_the_same_instant_in_utc(db: peewee.Database) -> None:
    local = datetime(2026, 1, 5, 10, 0, 0, 123456, tzinfo=SYDNEY_SUMMER)
    row = MarketDataRow.create(symbol="BHP/AUD", timestamp=local)
    back = MarketDataRow.get_by_id(row.id).timestamp
    assert back == local
    assert back.tzinfo is UTC
    assert back == datetime(2026, 1, 4, 23, 0, 0, 123456, tzinfo=UTC)
    assert row.timestamp.tzinfo is UTC  # the saved instance already holds UTC


def test_sql_ordering_and_ranges_follow_time(db: peewee.Database) -> None:
    base = datetime(2026, 3, 1, 9, 59, 59, 999999, tzinfo=UTC)
    stamps = [base + timedelta(microseconds=1), base, base - timedelta(days=400),
              base.astimezone(SYDNEY_SUMMER) + timedelta(hours=1)]
    for ts in stamps:
        MarketDataRow.create(symbol="BHP/AUD", timestamp=ts)
    ordered = [r.timestamp for r in MarketDataRow.select().order_by(MarketDataRow.timestamp)]
    assert ordered == sorted(stamps)
    recent = MarketDataRow.select().where(MarketDataRow.timestamp > base)
    assert sorted(r.timestamp for r in recent) == sorted(s for s in stamps if s > base)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ts=st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1),
                       timezones=st.sampled_from([UTC, SYDNEY_SUMMER, NEW_YORK_WINTER])))
def test_any_aware_datetime_round_trips_to_the_microsecond(
    db: peewee.Database, ts: datetime
) -> None:
    row = MarketDataRow.create(symbol="AUD/USD", timestamp=ts)
    back = MarketDataRow.get_by_id(row.id).timestamp
    assert back == ts
    assert back.utcoffset() == timedelta(0)
