"""Sessions (base currency upper-case, account id redacted), snapshots, plans, decisions, state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import peewee
import pytest

from trader_cli.db import store
from trader_cli.db.models import (
    Decision,
    EquitySnapshot,
    MarketDataRow,
    PlanStatus,
    PositionSnapshot,
    SessionMode,
    TradingSession,
)
from trader_cli.domain.models import Position, Quote, Side
from trader_cli.domain.venues import Venue

pytestmark = pytest.mark.db

T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


def _all_text(db: peewee.Database, table: str) -> str:
    cursor = db.execute_sql(f"SELECT * FROM {table}")
    return repr(cursor.fetchall())


def test_base_currency_is_stored_upper_case_however_it_is_written(db: peewee.Database) -> None:
    via_store = store.open_session(venue="ib", mode="paper", base_currency="aud")
    direct = TradingSession.create(venue=Venue.IB, mode="paper", base_currency="usd")
    assert via_store.base_currency == "AUD"
    assert direct.base_currency == "USD"  # the saved instance too, not only the column
    TradingSession.update(base_currency="nzd").where(TradingSession.id == direct.id).execute()
    assert TradingSession.get_by_id(direct.id).base_currency == "NZD"
    stored = {row[0] for row in db.execute_sql("SELECT base_currency FROM sessions").fetchall()}
    assert stored == {"AUD", "NZD"}


def test_a_bad_currency_code_is_refused(db: peewee.Database) -> None:
    with pytest.raises(ValueError, match="not a currency code"):
        TradingSession.create(venue="ib", mode="paper", base_currency="A$")


def test_account_id_is_never_stored_only_a_suffix_and_a_hash(db: peewee.Database) -> None:
    session = store.open_session(venue="ib", mode="paper", base_currency="AUD",
                                 account_id="DU1234567", strategy="breakout")
    other = store.open_session(venue="ib", mode="paper", base_currency="AUD",
                               account_id="du1234567")
    assert session.account_suffix == "567"
    assert session.account_hash == other.account_hash
    assert len(session.account_hash or "") == 64
    assert "1234567" not in _all_text(db, "sessions")
    assert session.mode is SessionMode.PAPER
    assert session.venue == Venue.IB


def test_close_session_sets_the_end_once(db: peewee.Database) -> None:
    session = store.open_session(venue="sim", mode="sim", base_currency="AUD", started_at=T0)
    end = T0 + timedelta(hours=1)
    closed = store.close_session(session, ended_at=end)
    again = store.close_session(session.id, ended_at=end + timedelta(hours=5))
    assert closed.ended_at == end
    assert again.ended_at == end
    assert again.started_at == T0


def test_position_snapshot_keeps_shorts_negative_and_sizes_integral(db: peewee.Database) -> None:
    session = store.open_session(venue="ib", mode="paper", base_currency="AUD")
    positions = [
        Position("BHP/AUD", Decimal("100.0"), Decimal("45.10"), Decimal("45.5"), T0, "AUD"),
        Position("CBA/AUD", Decimal("-20"), Decimal("150.25"), None, T0, "aud"),
    ]
    assert store.snapshot_positions(session, positions, at=T0 + timedelta(seconds=1)) == 2
    assert store.snapshot_positions(session, []) == 0
    rows = {r.symbol: r for r in PositionSnapshot.select()}
    assert str(rows["BHP/AUD"].quantity) == "100"
    assert rows["CBA/AUD"].quantity == Decimal("-20")
    assert rows["CBA/AUD"].current_price is None
    assert rows["CBA/AUD"].currency == "AUD"
    assert {r.timestamp for r in rows.values()} == {T0 + timedelta(seconds=1)}


def test_market_data_keeps_sizes_and_volume_integral(db: peewee.Database) -> None:
    quote = Quote(symbol="BHP/AUD", timestamp=T0, bid=Decimal("45.10"), ask=Decimal("45.12"),
                  last=Decimal("45.11"), bid_size=Decimal("100"), ask_size=Decimal("300.0"),
                  volume=Decimal("1234567"))
    row = store.record_market_data(quote)
    back = MarketDataRow.get_by_id(row.id)
    assert (str(back.bid_size), str(back.ask_size), str(back.volume)) == ("100", "300", "1234567")
    assert back.price == Decimal("45.11")
    assert back.ob_imbalance == Decimal("-0.5")
    assert back.spread_pct == quote.spread_pct


def test_equity_snapshot(db: peewee.Database) -> None:
    session = store.open_session(venue="ib", mode="paper", base_currency="AUD")
    store.record_equity(session, equity=Decimal("100000.01"), cash=Decimal("5000"),
                        currency="aud", unrealised_pnl=Decimal("-12.5"), at=T0)
    (row,) = EquitySnapshot.select()
    assert (row.equity, row.cash, row.currency) == (Decimal("100000.01"), Decimal(5000), "AUD")
    assert (row.unrealised_pnl, row.realised_pnl) == (Decimal("-12.5"), None)
    assert row.session.id == session.id


def test_plans_open_and_close_once(db: peewee.Database) -> None:
    plan = store.create_plan(symbol="BHP/AUD", side="buy", size=Decimal("100"),
                             entry=Decimal("45.10"), stop=Decimal("44"), target=Decimal("48"),
                             expiry=T0 + timedelta(days=1), rationale="range break")
    assert plan.status is PlanStatus.OPEN
    assert plan.side is Side.BUY
    closed = store.close_plan(plan, status=PlanStatus.CANCELLED, at=T0)
    again = store.close_plan(plan.id, at=T0 + timedelta(hours=1))
    assert (closed.status, closed.closed_at) == (PlanStatus.CANCELLED, T0)
    assert (again.status, again.closed_at) == (PlanStatus.CANCELLED, T0)
    with pytest.raises(ValueError, match="closed or cancelled"):
        store.close_plan(plan, status=PlanStatus.OPEN)


def test_decisions_store_json_payloads(db: peewee.Database) -> None:
    store.record_decision(strategy="breakout", action="buy", accepted=False, symbol="BHP/AUD",
                          payload={"price": Decimal("45.10"), "at": T0, "side": Side.BUY},
                          reason="max_order_value")
    (row,) = Decision.select()
    assert row.payload == {"price": "45.10", "at": "2026-01-05T00:00:00Z", "side": "buy"}
    assert row.accepted is False
    assert row.timestamp.tzinfo is UTC


def test_sync_state_is_an_upsert(db: peewee.Database) -> None:
    assert store.get_sync_state("resync:ib") is None
    store.set_sync_state("resync:ib", "2026-01-05T00:00:00Z")
    store.set_sync_state("resync:ib", "2026-01-05T00:10:00Z")
    assert store.get_sync_state("resync:ib") == "2026-01-05T00:10:00Z"
