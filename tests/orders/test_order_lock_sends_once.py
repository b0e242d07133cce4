"""The per-order lock in the order service: only the lock holder creates or sends an order.

In one process, against the SIMULATED gateway and a SQLite file: two submits of one client order
id at once, an intent whose writer is alive (holds the lock) and one whose writer died, and an
intent that appeared without the lock (``record_order_intent`` answering ``created=False``).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from trader_cli.db import store
from trader_cli.domain.models import Order, OrderStatus, OrderType, Side
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.locks import order_lock
from trader_cli.services.orders import OrderIntent, OrderService
from trader_cli.venues.sim.venue import SimTrader

BHP = parse_symbol("BHP/AUD")


def intent(cid: str) -> OrderIntent:
    # far below the market: it rests, so the venue's open orders show it
    return OrderIntent(BHP, Side.BUY, Decimal(20), OrderType.LIMIT, Decimal("30.00"), cid)


async def at_venue(venue: SimTrader, cid: str) -> int:
    """How many orders the venue holds with orderRef ``cid``."""
    return sum(1 for o in await venue.get_open_orders(ours_only=False) if o.client_order_id == cid)


def write_intent(cid: str, orders: OrderService) -> None:
    """An intent as a process that then stops (or pauses) before sending would leave it."""
    now = orders.venue.clock.now()
    draft = Order(cid, "BHP/AUD", Side.BUY, OrderType.LIMIT, Decimal(20), Decimal("30.00"),
                  timestamp=now)
    store.record_order_intent(draft, session=orders.session, created_at=now)


async def test_two_submits_of_one_id_at_once_send_it_once(venue, orders, settings, session):
    other = OrderService(venue, settings, session)
    first, second = await asyncio.gather(
        orders.submit_once(intent("trd-lock-1")), other.submit_once(intent("trd-lock-1"))
    )
    assert sorted([first.resumed, second.resumed]) == [False, True]
    assert first.order.id == second.order.id is not None
    assert first.order.status is second.order.status is OrderStatus.OPEN
    assert await at_venue(venue, "trd-lock-1") == 1


async def test_an_intent_whose_writer_is_alive_is_never_sent_by_another(venue, orders):
    with order_lock("trd-lock-2") as held:  # the writer: between writing the intent and sending
        assert held.try_acquire()
        write_intent("trd-lock-2", orders)
        waited = await orders.submit_once(intent("trd-lock-2"), lock_wait=0.3)
        assert waited.resumed
        assert waited.order.status is OrderStatus.PENDING
        assert await at_venue(venue, "trd-lock-2") == 0
        row = store.find_order_by_client_id("trd-lock-2")
        assert row is not None and row.submitted_at is None
    # the writer is gone (its lock with it) without having sent: the next submit sends it once
    resumed = await orders.submit_once(intent("trd-lock-2"))
    assert resumed.resumed
    assert resumed.order.status is OrderStatus.OPEN
    assert await at_venue(venue, "trd-lock-2") == 1
    again = await orders.submit_once(intent("trd-lock-2"))
    assert again.resumed and again.order.id == resumed.order.id
    assert await at_venue(venue, "trd-lock-2") == 1


async def test_a_busy_id_with_no_intent_yet_is_an_error_not_a_send(venue, orders):
    from trader_cli.errors import TraderError

    with order_lock("trd-lock-3") as held:
        assert held.try_acquire()
        with pytest.raises(TraderError, match="being placed by pid"):
            await orders.submit_once(intent("trd-lock-3"), lock_wait=0.2)
    assert store.find_order_by_client_id("trd-lock-3") is None
    assert await at_venue(venue, "trd-lock-3") == 0


async def test_an_intent_written_without_the_lock_is_resumed_not_sent(
    venue, orders, monkeypatch
):
    """``record_order_intent`` answering created=False never leads to a send of its own."""
    write_intent("trd-lock-4", orders)
    store.update_order("trd-lock-4", submitted_at=orders.venue.clock.now())  # maybe at the venue
    real_find = store.find_order_by_client_id
    calls = {"n": 0}

    def miss_once(cid: str):  # the row appears between the lookup and the insert
        calls["n"] += 1
        return None if calls["n"] == 1 else real_find(cid)

    monkeypatch.setattr(store, "find_order_by_client_id", miss_once)
    result = await orders.submit_once(intent("trd-lock-4"))
    assert result.resumed
    assert result.order.status is OrderStatus.PENDING  # left for resync, not sent again
    assert await at_venue(venue, "trd-lock-4") == 0


async def test_resync_never_expires_an_order_a_live_process_holds(orders, resync):
    from datetime import timedelta

    now = orders.venue.clock.now()
    old = now - timedelta(minutes=11)  # older than the intent TTL: resync would expire it
    draft = Order("trd-lock-5", "BHP/AUD", Side.BUY, OrderType.LIMIT, Decimal(20),
                  Decimal("30.00"), timestamp=old)
    store.record_order_intent(draft, session=orders.session, created_at=old)
    with order_lock("trd-lock-5") as held:  # a process resuming it right now
        assert held.try_acquire()
        report = await resync.run()
        assert "trd-lock-5" in report.in_flight and not report.expired
    report = await resync.run()
    assert [e["clientOrderId"] for e in report.expired] == ["trd-lock-5"]
