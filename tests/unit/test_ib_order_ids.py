"""IB order ids: permId once IB assigns one, ``clientId:orderId`` while permId is still 0."""

from __future__ import annotations

from ib_async import Execution
from ib_async import Order as IBOrder

from trader_cli.venues.ib.mapping import client_order_id, order_id


def test_perm_id_names_the_order_once_assigned() -> None:
    order = IBOrder(orderId=12, clientId=3, permId=987654321)
    assert order_id(order) == "987654321"
    assert client_order_id(order) == "ext-987654321"


def test_client_and_order_id_name_it_while_perm_id_is_zero() -> None:
    order = IBOrder(orderId=12, clientId=3, permId=0)
    assert order_id(order) == "3:12"
    assert client_order_id(order) == "ext-3:12"


def test_our_order_ref_is_the_client_order_id_whatever_the_venue_ids() -> None:
    assert client_order_id(IBOrder(orderId=12, clientId=3, permId=0, orderRef="trd-s1-1")) == (
        "trd-s1-1"
    )
    assert client_order_id(IBOrder(orderId=12, clientId=3, permId=55, orderRef="trd-s1-1")) == (
        "trd-s1-1"
    )


def test_executions_carry_the_same_two_forms() -> None:
    assert order_id(Execution(orderId=7, clientId=1, permId=42)) == "42"
    assert order_id(Execution(orderId=7, clientId=1, permId=0)) == "1:7"
    assert client_order_id(Execution(orderId=7, clientId=1, permId=0, orderRef="")) == "ext-1:7"
