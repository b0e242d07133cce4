"""Resync sees every fill of the day again: the recorded ones are read in bulk (not one query per
fill) and written only where the venue now says something different (a commission)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader_cli.db import store
from trader_cli.domain.models import OrderStatus, Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.services.orders import OrderIntent, OrderService
from trader_cli.services.resync import ResyncService

from .conftest import BHP


async def _filled(orders: OrderService, n: int) -> list[str]:
    cids = []
    for _ in range(n):
        order = await orders.submit(OrderIntent.of(BHP, Side.BUY, Decimal(10), OrderSpec.market()))
        order = await orders.wait(order.client_order_id, within=5)
        assert order.status is OrderStatus.CLOSED
        cids.append(order.client_order_id)
    return cids


def _count(monkeypatch: pytest.MonkeyPatch, *names: str) -> dict[str, int]:
    calls = dict.fromkeys(names, 0)
    for name in names:
        real = getattr(store, name)

        def counting(*args: object, _real: object = real, _name: str = name,
                     **kwargs: object) -> object:
            calls[_name] += 1
            return _real(*args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(store, name, counting)
    return calls


async def test_recorded_fills_cost_no_query_each_and_no_write(
    orders: OrderService, resync: ResyncService, monkeypatch: pytest.MonkeyPatch
) -> None:
    cids = await _filled(orders, 3)
    calls = _count(
        monkeypatch, "find_fill", "find_order_by_client_id", "update_fill_commission",
        "insert_fill_if_new",
    )
    report = await resync.run()
    assert report.new_fills == []
    assert calls == dict.fromkeys(calls, 0)
    assert [len(store.fills_for_order(cid)) for cid in cids] == [1, 1, 1]


async def test_a_commission_the_venue_now_states_differently_is_brought_up_to_date(
    orders: OrderService, resync: ResyncService, monkeypatch: pytest.MonkeyPatch
) -> None:
    (cid,) = await _filled(orders, 1)
    (fill,) = store.fills_for_order(cid)
    venue_figure = fill.commission
    fill.commission = Decimal("99")  # as if recorded from an earlier, different report
    fill.save()
    calls = _count(monkeypatch, "update_fill_commission")
    report = await resync.run()
    assert report.new_fills == []
    assert calls == {"update_fill_commission": 1}
    (fill,) = store.fills_for_order(cid)
    assert fill.commission == venue_figure


async def test_a_fill_missing_from_the_database_is_still_inserted(
    orders: OrderService, resync: ResyncService
) -> None:
    first, second = await _filled(orders, 2)
    (fill,) = store.fills_for_order(second)
    fill.delete_instance()  # as if this process had died before recording it
    report = await resync.run()
    assert report.new_fills == [fill.venue_fill_id]
    assert len(store.fills_for_order(first)) == len(store.fills_for_order(second)) == 1
