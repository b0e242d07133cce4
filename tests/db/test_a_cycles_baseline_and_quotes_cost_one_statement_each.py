"""What the runner reads and writes every cycle costs one statement each: the baseline in force
is read again only when a newer generation exists (a stored baseline never changes), and the
cycle's quotes go in one INSERT. On SQLite and PostgreSQL; the results are what the direct
reads and writes give.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import peewee
import pytest

from tests.sql_log import statements
from trader_cli.db import baselines, store
from trader_cli.db.models import MarketDataRow
from trader_cli.domain.baseline import Baseline, BaselineHolding
from trader_cli.domain.models import Quote
from trader_cli.domain.money import Money

pytestmark = pytest.mark.db

T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


def _baseline(qty: str) -> Baseline:
    return Baseline(
        taken_at=T0, base_currency="AUD",
        holdings=(BaselineHolding("BHP/AUD", Decimal(qty), Decimal("45.10"), "AUD",
                                  Money(Decimal("4510"), "AUD")),),
        cash=(Money(Decimal("100000"), "AUD"),), reason="test",
    )  # fmt: skip


def test_the_baseline_in_force_is_read_again_only_after_a_retake(db: peewee.Database) -> None:
    assert baselines.baseline_in_force(None) is None
    first = baselines.record_baseline(_baseline("100"))
    read = baselines.baseline_in_force(None)
    assert read == first == baselines.current_baseline()
    with statements() as sql:
        again = baselines.baseline_in_force(read)
    assert again is read and len(sql) == 1  # the latest generation's number only
    retaken = baselines.record_baseline(_baseline("250"), first_only=False)
    now = baselines.baseline_in_force(read)
    assert now == retaken == baselines.current_baseline()
    assert now is not None and now.generation == 2
    assert now.holdings[0].quantity == Decimal(250)


def _quote(symbol: str, bid: str | None, ask: str | None, *, at: datetime = T0) -> Quote:
    return Quote(
        symbol=symbol, timestamp=at, bid=None if bid is None else Decimal(bid),
        ask=None if ask is None else Decimal(ask), last=Decimal("45.11"),
        bid_size=Decimal("100"), ask_size=Decimal("300.0"), volume=Decimal("1234567"),
    )  # fmt: skip


def _stored(row: MarketDataRow) -> tuple[object, ...]:
    names = [f.name for f in MarketDataRow._meta.sorted_fields if f.name != "id"]
    return tuple(getattr(row, name) for name in names)


def test_a_cycles_quotes_go_in_one_insert_as_one_each_would(db: peewee.Database) -> None:
    quotes = [
        _quote("BHP/AUD", "45.10", "45.12"),
        _quote("CBA/AUD", None, "120.5", at=T0 + timedelta(seconds=1)),
        _quote("AUD/USD", "0.66501", None, at=T0 + timedelta(seconds=2)),
    ]
    with statements() as sql:
        assert store.record_quotes(quotes) == 3
    assert len([s for s in sql if s.startswith("INSERT")]) == 1
    together = [_stored(r) for r in MarketDataRow.select().order_by(MarketDataRow.id)]
    MarketDataRow.delete().execute()
    for q in quotes:
        store.record_market_data(q)
    one_each = [_stored(r) for r in MarketDataRow.select().order_by(MarketDataRow.id)]
    assert together == one_each
    assert str(together[0][7]) == "300"  # ask_size: integral, as record_market_data keeps it
    assert store.record_quotes([]) == 0
