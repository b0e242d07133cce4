"""v7: bracket legs carry their entry and OCA group; older orders upgrade as legs of none."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import peewee
import pytest

from trader_cli.db import store
from trader_cli.db.migrations import LATEST_VERSION, migrate
from trader_cli.db.models import OrderRow
from trader_cli.db.scope import use_scope
from trader_cli.domain.models import Order, OrderType, Side
from trader_cli.domain.orders import OrderSpec, TimeInForce

from .conftest import DB_TEST_SCOPE

pytestmark = pytest.mark.db

T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


def test_v6_orders_upgrade_to_v7_as_orders_of_no_bracket(empty_db: peewee.Database) -> None:
    assert migrate(empty_db, target=6) == [1, 2, 3, 4, 5, 6]
    columns = {c.name for c in empty_db.get_columns("orders")}
    assert not {"parent_client_order_id", "oca_group"} & columns
    p = empty_db.param
    sql = empty_db.execute_sql
    now = T0.isoformat()
    sql(f"INSERT INTO scopes (venue, backend, mode, account, created_at) VALUES "
        f"({p}, {p}, {p}, {p}, {p})", ("ib", "api", "paper", DB_TEST_SCOPE.account, now))
    scope = sql("SELECT MAX(id) FROM scopes").fetchone()[0]
    sql(f"INSERT INTO orders (scope_id, client_order_id, symbol, side, type, amount, status, "
        f"filled, external, created_at, updated_at) VALUES ({', '.join([p] * 11)})",
        (scope, "trd-old-1", "BHP/AUD", "sell", "stop", "10", "open", "0", False, now, now))

    assert migrate(empty_db) == list(range(7, LATEST_VERSION + 1))

    with use_scope(DB_TEST_SCOPE):
        old = store.find_order_by_client_id("trd-old-1")
        assert old is not None
        assert (old.parent_client_order_id, old.oca_group) == (None, None)
        assert old.type is OrderType.STOP
        # a bracket recorded after the upgrade keeps its links, read back by its group
        for cid, side, spec, parent, group in (
            ("trd-b-E", Side.BUY, OrderSpec.limit(Decimal("42.61")), None, None),
            ("trd-b-S", Side.SELL, OrderSpec.stop(Decimal("41.60"), TimeInForce.GTC),
             "trd-b-E", "trd-b-OCA"),
            ("trd-b-T", Side.SELL, OrderSpec.limit(Decimal("43.60"), TimeInForce.GTC),
             "trd-b-E", "trd-b-OCA"),
        ):
            draft = Order(cid, "BHP/AUD", side, spec.recorded_type, Decimal(10),
                          spec.limit_price, timestamp=T0)
            store.record_order_intent(draft, created_at=T0, spec=spec,
                                      parent_client_order_id=parent, oca_group=group)
        legs = store.orders_in_oca_group("trd-b-OCA")
        assert [(r.client_order_id, r.parent_client_order_id) for r in legs] == [
            ("trd-b-S", "trd-b-E"), ("trd-b-T", "trd-b-E")]
        assert legs[0].stop_price == Decimal("41.60")
        assert legs[0].time_in_force is TimeInForce.GTC
        assert OrderRow.select().count() == 4
