"""Order spec → IB order fields: one pure mapping, one test per order type."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from trader_cli.domain.models import OrderType, Side
from trader_cli.domain.orders import OrderSpec, TimeInForce
from trader_cli.venues.ib import mapping


def test_limit_is_lmt_with_its_price() -> None:
    assert mapping.order_fields(OrderSpec.limit(D("45.12"))) == {
        "orderType": "LMT", "lmtPrice": 45.12, "tif": "DAY"
    }


def test_marketable_limit_goes_to_ib_as_a_plain_limit() -> None:
    assert mapping.order_fields(OrderSpec.marketable_limit(D("45.21"))) == {
        "orderType": "LMT", "lmtPrice": 45.21, "tif": "DAY"
    }


def test_market_is_mkt_without_prices() -> None:
    assert mapping.order_fields(OrderSpec.market()) == {"orderType": "MKT", "tif": "DAY"}


def test_stop_is_stp_with_the_trigger_in_aux_price() -> None:
    assert mapping.order_fields(OrderSpec.stop(D("44.50"))) == {
        "orderType": "STP", "auxPrice": 44.5, "tif": "DAY"
    }


def test_stop_limit_is_stp_lmt_with_both_prices() -> None:
    assert mapping.order_fields(OrderSpec.stop_limit(D("44.50"), D("44.40"))) == {
        "orderType": "STP LMT", "lmtPrice": 44.4, "auxPrice": 44.5, "tif": "DAY"
    }


@pytest.mark.parametrize("tif", list(TimeInForce))
def test_time_in_force_is_ibs_own_code(tif: TimeInForce) -> None:
    assert mapping.order_fields(OrderSpec.limit(D(1), tif))["tif"] == tif.value


def test_post_only_is_refused_for_ib() -> None:
    from trader_cli.errors import ExitCode, InvalidOrderError

    with pytest.raises(InvalidOrderError, match="IB takes no post-only orders") as e:
        mapping.order_fields(OrderSpec.limit(D(1), post_only=True))
    assert e.value.exit_code is ExitCode.BAD_INPUT


def test_every_order_type_has_an_ib_order_type() -> None:
    assert set(mapping.IB_ORDER_TYPE) == set(OrderType)
    assert set(mapping.TIME_IN_FORCE) == set(TimeInForce)


def test_to_ib_order_builds_the_ib_order() -> None:
    order = mapping.to_ib_order(
        Side.SELL, D(20), OrderSpec.stop_limit(D("44.5"), D("44.4"), TimeInForce.GTC),
        order_ref="trd-x-1", account="DU123",
    )
    assert (order.action, order.totalQuantity, order.orderRef, order.account) == (
        "SELL", 20.0, "trd-x-1", "DU123"
    )
    assert (order.orderType, order.lmtPrice, order.auxPrice, order.tif) == (
        "STP LMT", 44.4, 44.5, "GTC"
    )


def test_a_market_order_leaves_ibs_prices_unset() -> None:
    order = mapping.to_ib_order(Side.BUY, D(5), OrderSpec.market(), order_ref="trd-x-2")
    assert order.orderType == "MKT" and order.account == ""
    unset = type(order)()  # ib_async's own "not set" values
    assert (order.lmtPrice, order.auxPrice) == (unset.lmtPrice, unset.auxPrice)
