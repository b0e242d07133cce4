"""Fills: unique by venue fill id, so a replayed or resynced execution is stored once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import peewee
import pytest

from trader_cli.db import store
from trader_cli.db.models import FillRow
from trader_cli.domain.models import Fee, FeeSource, Fill, Liquidity, Order, OrderType, Side

pytestmark = pytest.mark.db

T0 = datetime(2026, 1, 5, 0, 5, tzinfo=UTC)


def _fill(fill_id: str = "0000e0d5.6789.01.01", **overrides: object) -> Fill:
    values: dict[str, object] = {
        "id": fill_id, "order_id": "1001", "client_order_id": "trd-1", "symbol": "BHP/AUD",
        "side": Side.BUY, "price": Decimal("45.12"), "amount": Decimal("100"), "timestamp": T0,
        "fee": Fee(Decimal("5.00"), "AUD", FeeSource.ESTIMATE), "liquidity": Liquidity.TAKER,
    }
    values.update(overrides)
    return Fill(**values)  # type: ignore[arg-type]


def _intent(coid: str = "trd-1") -> None:
    store.record_order_intent(Order(client_order_id=coid, symbol="BHP/AUD", side=Side.BUY,
                                    type=OrderType.LIMIT, amount=Decimal(100)))


def test_a_fill_is_stored_once_however_often_it_arrives(db: peewee.Database) -> None:
    _intent()
    first, new_first = store.insert_fill_if_new(_fill())
    again, new_again = store.insert_fill_if_new(_fill(price=Decimal("99")))
    assert (new_first, new_again) == (True, False)
    assert again.id == first.id
    assert again.price == Decimal("45.12")
    assert FillRow.select().count() == 1


def test_fill_fields_round_trip_and_link_to_the_order(db: peewee.Database) -> None:
    _intent()
    store.insert_fill_if_new(_fill(), fx_rate_to_base=Decimal("1.5234"), base_currency="aud")
    row = FillRow.get(FillRow.venue_fill_id == "0000e0d5.6789.01.01")
    assert row.order is not None
    assert row.order.client_order_id == "trd-1"
    assert (row.price, row.amount) == (Decimal("45.12"), Decimal("100"))
    assert str(row.amount) == "100"
    assert (row.commission, row.commission_currency) == (Decimal("5"), "AUD")
    assert row.commission_source is FeeSource.ESTIMATE
    assert row.liquidity is Liquidity.TAKER
    assert (row.fx_rate_to_base, row.base_currency) == (Decimal("1.5234"), "AUD")
    assert row.timestamp == T0
    assert row.timestamp.tzinfo is UTC


def test_a_fill_finds_its_order_by_venue_id_when_the_client_id_is_missing(
    db: peewee.Database,
) -> None:
    _intent()
    store.update_order("trd-1", venue_order_id="1001")
    row, _ = store.insert_fill_if_new(_fill(client_order_id=None))
    assert row.order is not None
    assert row.client_order_id == "trd-1"


def test_a_fill_of_an_unknown_order_is_kept_unlinked(db: peewee.Database) -> None:
    row, new = store.insert_fill_if_new(_fill(client_order_id=None, order_id="555"))
    assert new
    assert row.order is None
    assert row.venue_order_id == "555"


def test_fill_without_fee_and_commission_update(db: peewee.Database) -> None:
    _intent()
    store.insert_fill_if_new(_fill(fee=None))
    assert store.update_fill_commission("0000e0d5.6789.01.01", Fee(Decimal("6.01"), "AUD"))
    assert not store.update_fill_commission("missing", Fee(Decimal("1"), "AUD"))
    (row,) = store.fills_for_order("trd-1")
    assert (row.commission, row.commission_source) == (Decimal("6.01"), FeeSource.VENUE)


def test_fills_for_order_are_in_time_order(db: peewee.Database) -> None:
    _intent()
    later = T0.replace(minute=9)
    store.insert_fill_if_new(_fill("b", timestamp=later))
    store.insert_fill_if_new(_fill("a", timestamp=T0))
    assert [f.venue_fill_id for f in store.fills_for_order("trd-1")] == ["a", "b"]
