"""Order rows: one row per client order id, written before the venue sees it, updated forward."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import peewee
import pytest

from trader_cli.db import store
from trader_cli.db.models import OrderRow
from trader_cli.db.scope import current_scope_id
from trader_cli.domain.models import Fee, Order, OrderStatus, OrderType, Side
from trader_cli.errors import TraderError

pytestmark = pytest.mark.db


def _order(coid: str = "trd-0001", **overrides: object) -> Order:
    values: dict[str, object] = {
        "client_order_id": coid, "symbol": "BHP/AUD", "side": Side.BUY, "type": OrderType.LIMIT,
        "amount": Decimal("100"), "price": Decimal("45.12"),
    }
    values.update(overrides)
    return Order(**values)  # type: ignore[arg-type]


def test_intent_is_written_pending_with_our_id_and_no_venue_id(db: peewee.Database) -> None:
    session = store.open_session(venue="sim", mode="sim", base_currency="AUD")
    row, created = store.record_order_intent(_order(), session=session, reason="breakout")
    assert created
    back = store.find_order_by_client_id("trd-0001")
    assert back is not None
    assert back.id == row.id
    assert back.status is OrderStatus.PENDING
    assert back.venue_order_id is None
    assert back.session.id == session.id
    assert (back.amount, back.price, back.filled) == (Decimal("100"), Decimal("45.12"), 0)
    assert back.side is Side.BUY
    assert back.type is OrderType.LIMIT
    assert back.external is False
    assert back.created_at.tzinfo is UTC
    assert back.reason == "breakout"


def test_duplicate_client_order_id_returns_the_existing_row(db: peewee.Database) -> None:
    first, created_first = store.record_order_intent(_order())
    again, created_again = store.record_order_intent(_order(price=Decimal("45.13")))
    assert (created_first, created_again) == (True, False)
    assert again.id == first.id
    assert again.price == Decimal("45.12")  # the first intent stands
    assert OrderRow.select().count() == 1


def test_duplicate_is_safe_inside_an_outer_transaction(db: peewee.Database) -> None:
    with db.atomic():
        store.record_order_intent(_order())
        _, created = store.record_order_intent(_order())
        store.record_order_intent(_order("trd-0002"))
    assert not created
    assert OrderRow.select().count() == 2  # the outer transaction was not poisoned


def test_reused_id_for_a_different_order_is_an_error(db: peewee.Database) -> None:
    store.record_order_intent(_order())
    with pytest.raises(TraderError, match="already used by a different order"):
        store.record_order_intent(_order(side=Side.SELL))


def test_unique_constraint_holds_at_the_database_level(db: peewee.Database) -> None:
    scope = current_scope_id()
    OrderRow.create(scope=scope, client_order_id="x", symbol="BHP/AUD", side="buy",
                    type="market", amount=1)
    with pytest.raises(peewee.IntegrityError), db.atomic():
        OrderRow.create(scope=scope, client_order_id="x", symbol="CBA/AUD", side="sell",
                        type="market", amount=2)


def test_external_orders_are_adopted_without_a_session(db: peewee.Database) -> None:
    order = _order("ext-77", id="77", status=OrderStatus.OPEN)
    row, _ = store.record_order_intent(order, external=True)
    assert row.external is True
    assert row.session is None
    assert store.find_order_by_venue_id("77") is not None


def test_update_moves_the_order_forward(db: peewee.Database) -> None:
    store.record_order_intent(_order())
    sent = datetime(2026, 1, 5, 0, 1, tzinfo=UTC)
    store.update_order("trd-0001", status=OrderStatus.OPEN, venue_order_id="1001",
                       perm_id="998877", submitted_at=sent)
    store.update_order("trd-0001", filled=Decimal("40"), average=Decimal("45.11"))
    row = store.update_order("trd-0001", status="closed", filled=Decimal("100"),
                             average=Decimal("45.115"), fee=Fee(Decimal("6.00"), "aud"))
    back = store.find_order_by_client_id("trd-0001")
    assert back is not None
    for r in (row, back):
        assert r.status is OrderStatus.CLOSED
        assert (r.venue_order_id, r.perm_id) == ("1001", "998877")
        assert (r.filled, r.average) == (Decimal("100"), Decimal("45.115"))
        assert (r.fee_cost, r.fee_currency) == (Decimal("6"), "AUD")
        assert r.submitted_at == sent
    assert back.updated_at >= back.created_at


def test_late_or_repeated_events_never_move_an_order_backwards(db: peewee.Database) -> None:
    store.record_order_intent(_order())
    store.update_order("trd-0001", status="open", venue_order_id="1001", filled=Decimal("60"))
    store.update_order("trd-0001", status="canceled")
    row = store.update_order("trd-0001", status="open", venue_order_id="9999",
                             filled=Decimal("20"))
    assert row.status is OrderStatus.CANCELED
    assert row.venue_order_id == "1001"
    assert row.filled == Decimal("60")


def test_last_error_can_be_set_and_cleared(db: peewee.Database) -> None:
    store.record_order_intent(_order())
    assert store.update_order("trd-0001", last_error="timeout").last_error == "timeout"
    assert store.update_order("trd-0001", status="open").last_error == "timeout"
    assert store.update_order("trd-0001", last_error=None).last_error is None


def test_updating_an_unknown_order_is_an_error(db: peewee.Database) -> None:
    with pytest.raises(TraderError, match="no order with client order id"):
        store.update_order("nope", status="open")


def test_unknown_status_is_refused(db: peewee.Database) -> None:
    store.record_order_intent(_order())
    with pytest.raises(ValueError, match="valid OrderStatus"):
        OrderRow.update(status="filled").execute()


def test_open_orders_and_domain_round_trip(db: peewee.Database) -> None:
    store.record_order_intent(_order("a"))
    store.record_order_intent(_order("b"))
    store.update_order("b", status="rejected", last_error="201 order rejected")
    assert [r.client_order_id for r in store.open_orders()] == ["a"]
    row = store.find_order_by_client_id("a")
    assert row is not None
    order = store.order_from_row(row)
    assert order.client_order_id == "a"
    assert order.amount == Decimal("100")
    assert order.status is OrderStatus.PENDING
    assert order.remaining == Decimal("100")


def test_an_update_writes_only_the_columns_that_changed(db: peewee.Database) -> None:
    import logging

    store.record_order_intent(_order(), reason="breakout")
    other = OrderRow.get(OrderRow.client_order_id == "trd-0001")
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            msg = record.msg
            seen.append(str(msg[0] if isinstance(msg, tuple) else msg))

    logger, handler = logging.getLogger("peewee"), Collect()
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        at = datetime(2026, 1, 5, 1, 2, 3, tzinfo=UTC)
        row = store.update_order("trd-0001", status=OrderStatus.OPEN, venue_order_id="42", now=at)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    (update,) = [s for s in seen if s.startswith("UPDATE")]
    assigned = update.split(" SET ")[1].split(" WHERE ")[0]
    assert sorted(part.split(" = ")[0] for part in assigned.split(", ")) == [
        '"status"', '"updated_at"', '"venue_order_id"']
    back = store.find_order_by_client_id("trd-0001")
    assert back is not None and back.id == row.id
    assert (back.status, back.venue_order_id, back.updated_at) == (OrderStatus.OPEN, "42", at)
    # every other column as it was
    for name in ("symbol", "side", "type", "amount", "price", "reason", "created_at", "filled"):
        assert getattr(back, name) == getattr(other, name), name


def test_the_working_orders_a_report_lists_are_the_open_orders(db: peewee.Database) -> None:
    store.record_order_intent(_order("trd-0001"))
    store.record_order_intent(_order("trd-0002", side=Side.SELL, price=Decimal("46.5")))
    store.record_order_intent(_order("trd-0003", amount=Decimal("7")))
    at = datetime(2026, 1, 5, 1, 2, 3, tzinfo=UTC)
    store.update_order("trd-0002", status=OrderStatus.OPEN, filled=Decimal("30"), now=at)
    store.update_order("trd-0003", status=OrderStatus.CANCELED, now=at)
    shown = ("client_order_id", "symbol", "side", "amount", "price", "status", "filled")
    full = [tuple(getattr(r, name) for name in shown) for r in store.open_orders()]
    light = [tuple(getattr(r, name) for name in shown) for r in store.open_orders_shown()]
    assert light == full
    assert [row[0] for row in light] == ["trd-0001", "trd-0002"]
    assert light[1][5:] == (OrderStatus.OPEN, Decimal(30))
