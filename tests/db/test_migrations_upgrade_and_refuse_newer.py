"""Migrations: v1 databases upgrade with their data, reruns are no-ops, newer schemas refused."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import peewee
import pytest

from trader_cli.db import migrations, use_database
from trader_cli.db.migrations import LATEST_VERSION, Migration, current_version, migrate
from trader_cli.db.models import ALL_MODELS, FillRow, OrderRow
from trader_cli.errors import TraderError

pytestmark = pytest.mark.db

T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


def _columns(db: peewee.Database, table: str) -> dict[str, bool]:
    return {c.name: c.null for c in db.get_columns(table)}


def test_empty_database_migrates_to_latest_and_reruns_do_nothing(
    empty_db: peewee.Database,
) -> None:
    assert current_version(empty_db) == 0
    assert migrate(empty_db) == list(range(1, LATEST_VERSION + 1))
    assert current_version(empty_db) == LATEST_VERSION
    assert migrate(empty_db) == []
    assert current_version(empty_db) == LATEST_VERSION


def test_v1_database_with_data_upgrades_to_latest(empty_db: peewee.Database) -> None:
    assert migrate(empty_db, target=1) == [1]
    assert "fx_rate_to_base" not in _columns(empty_db, "fills")
    assert "external" not in _columns(empty_db, "orders")
    v1 = {m.__name__: m for m in migrations._v1_models()}
    with empty_db.bind_ctx(list(v1.values())):
        session = v1["Session"].create(venue="ib", mode="paper", base_currency="AUD",
                                       started_at=T0)
        order = v1["Order"].create(
            client_order_id="trd-1", session=session, symbol="BHP/AUD", side="buy",
            type="limit", amount=Decimal("100"), price=Decimal("45.12"), status="closed",
            filled=Decimal("100"), created_at=T0, updated_at=T0,
        )
        v1["Fill"].create(venue_fill_id="f1", order=order, client_order_id="trd-1",
                          symbol="BHP/AUD", side="buy", price=Decimal("45.12"),
                          amount=Decimal("100"), liquidity="taker", timestamp=T0)

    assert migrate(empty_db) == list(range(2, LATEST_VERSION + 1))

    old_order = OrderRow.get(OrderRow.client_order_id == "trd-1")
    assert (old_order.amount, old_order.price) == (Decimal("100"), Decimal("45.12"))
    assert old_order.external is False  # the new column's default applies to old rows
    old_fill = FillRow.get(FillRow.venue_fill_id == "f1")
    assert old_fill.order.id == old_order.id
    assert (old_fill.fx_rate_to_base, old_fill.base_currency) == (None, None)
    assert old_fill.timestamp == T0

    FillRow.update(fx_rate_to_base=Decimal("0.6543"), base_currency="aud").execute()
    OrderRow.create(client_order_id="ext-1", symbol="CBA/AUD", side="sell", type="market",
                    amount=5, external=True)
    assert FillRow.get().fx_rate_to_base == Decimal("0.6543")
    assert OrderRow.get(OrderRow.client_order_id == "ext-1").external is True


def test_migrated_schema_matches_the_models(db: peewee.Database) -> None:
    for model in ALL_MODELS:
        table = model._meta.table_name
        expected = {f.column_name: f.null for f in model._meta.sorted_fields}
        actual = _columns(db, table)
        assert actual == expected, table


def test_a_database_newer_than_the_code_is_refused(db_url: str) -> None:
    with use_database(db_url) as db:
        db.execute_sql(
            f"INSERT INTO schema_version (version, description, applied_at) "
            f"VALUES ({LATEST_VERSION + 1}, 'from the future', '2030-01-01 00:00:00+00:00')"
        )
    refused = pytest.raises(TraderError, match="newer than this trader understands")
    with refused as info, use_database(db_url):
        pass
    assert "upgrade trader" in str(info.value)


def test_a_failing_step_leaves_the_previous_version(
    empty_db: peewee.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(db: peewee.Database) -> None:
        db.execute_sql("CREATE TABLE half_done (id INTEGER)")
        raise RuntimeError("boom")

    steps = (*migrations.MIGRATIONS, Migration(LATEST_VERSION + 1, "broken", broken))
    monkeypatch.setattr(migrations, "MIGRATIONS", steps)
    monkeypatch.setattr(migrations, "LATEST_VERSION", LATEST_VERSION + 1)
    with pytest.raises(RuntimeError, match="boom"):
        migrate(empty_db)
    assert current_version(empty_db) == LATEST_VERSION
    assert not empty_db.table_exists("half_done")


def test_target_outside_the_known_versions_is_a_bug(empty_db: peewee.Database) -> None:
    with pytest.raises(ValueError, match="target version"):
        migrate(empty_db, target=LATEST_VERSION + 1)


def test_money_and_time_columns_use_the_exact_storage_types(
    db: peewee.Database, backend: str
) -> None:
    types = {c.name: c.data_type.lower() for c in db.get_columns("orders")}
    if backend == "sqlite":
        assert (types["amount"], types["created_at"]) == ("text", "text")
    else:
        assert (types["amount"], types["created_at"]) == ("numeric", "timestamp with time zone")


def test_two_processes_migrating_at_once_apply_each_step_once(db_url: str) -> None:
    from trader_cli.db.connection import open_database

    start = threading.Barrier(3)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        db = open_database(db_url)
        try:
            start.wait(timeout=10)
            results.append(migrate(db))
        except BaseException as e:
            errors.append(e)
        finally:
            db.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sorted(v for applied in results for v in applied) == list(range(1, LATEST_VERSION + 1))
    with use_database(db_url, migrate=False) as db:
        rows = db.execute_sql("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert [r[0] for r in rows] == list(range(1, LATEST_VERSION + 1))


def test_v3_orders_get_their_plan_id_from_the_reason_tags(empty_db: peewee.Database) -> None:
    assert migrate(empty_db, target=3) == [1, 2, 3]
    assert "plan_id" not in _columns(empty_db, "orders")
    p = empty_db.param
    sql = empty_db.execute_sql

    def insert(table: str, **values: object) -> int:
        cols = ", ".join(values)
        marks = ", ".join([p] * len(values))
        sql(f"INSERT INTO {table} ({cols}) VALUES ({marks})", tuple(values.values()))
        return int(sql(f"SELECT MAX(id) FROM {table}").fetchone()[0])

    now = T0.isoformat()
    ours = insert("scopes", venue="ib", backend="sim", mode="sim", account="a", created_at=now)
    other = insert("scopes", venue="ib", backend="api", mode="paper", account="b", created_at=now)
    session = insert("sessions", scope_id=ours, venue="sim", mode="sim", base_currency="AUD",
                     started_at=now)

    def plan(scope: int, **links: str) -> int:
        return insert("plans", scope_id=scope, session_id=session, symbol="BHP/AUD", side="buy",
                      size="10", status="open", created_at=now, **links)

    def order(scope: int, cid: str, side: str, reason: str | None) -> int:
        return insert("orders", scope_id=scope, client_order_id=cid, session_id=session,
                      symbol="BHP/AUD", side=side, type="limit", amount="10", status="closed",
                      filled="10", external=False, created_at=now, updated_at=now, reason=reason)

    p1 = plan(ours)
    p2 = plan(ours, entry_client_order_id="e2", exit_client_order_id="x2")
    p_other = plan(other)
    tagged = {
        order(ours, "e1", "buy", f"entry plan {p1}: breakout above the range"): p1,
        order(ours, "x1", "sell", f"exit plan {p1}: stop 40 hit (bid 39.9)"): p1,
        order(ours, "x1b", "sell", f"exit plan {p1}: re-pricing the exit"): p1,
        # no tag, but the plan row names them
        order(ours, "e2", "buy", "manual entry"): p2,
        order(ours, "x2", "sell", None): p2,
        # a tag naming a plan of another scope, or no plan at all, is not trusted
        order(ours, "x3", "sell", f"exit plan {p_other}: stop"): None,
        order(ours, "x4", "sell", "exit plan 999: stop"): None,
        order(ours, "m1", "buy", "a manual order about the plan 3 of mine"): None,
        order(ours, "f1", "sell", "flatten"): None,
    }

    assert migrate(empty_db) == list(range(4, LATEST_VERSION + 1))

    got = dict(sql("SELECT id, plan_id FROM orders").fetchall())
    assert got == tagged
    # reason text is kept as it was: a human description
    assert sql("SELECT reason FROM orders WHERE client_order_id = 'x1'").fetchone()[0] == (
        f"exit plan {p1}: stop 40 hit (bid 39.9)"
    )
    assert OrderRow.get(OrderRow.client_order_id == "x1").plan.id == p1


def test_an_up_to_date_database_is_checked_by_reading_alone(
    empty_db: peewee.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command opens its database through ``migrate``: when nothing is missing it reads
    the version and stops, without a transaction per step (a write lock on SQLite)."""
    migrate(empty_db)
    statements: list[str] = []
    real = empty_db.execute_sql

    def spy(sql: str, *args: object, **kwargs: object) -> object:
        statements.append(sql.strip().split()[0].upper())
        return real(sql, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(empty_db, "execute_sql", spy)
    assert migrate(empty_db) == []
    assert statements  # it did look
    assert set(statements) <= {"SELECT"}, statements
