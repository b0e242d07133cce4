"""Order specs: each type carries exactly the prices it needs; invalid specs cannot be built."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from trader_cli.domain.models import OrderType, Side
from trader_cli.domain.orders import OrderSpec, TimeInForce, spec_from_flags
from trader_cli.domain.symbols import parse_symbol
from trader_cli.errors import InvalidOrderError
from trader_cli.services.orders import OrderIntent

BHP = parse_symbol("BHP/AUD")


def test_each_constructor_builds_its_type_with_its_prices() -> None:
    assert OrderSpec.limit(D("45.10")) == OrderSpec(OrderType.LIMIT, D("45.10"))
    assert OrderSpec.market() == OrderSpec(OrderType.MARKET)
    assert OrderSpec.marketable_limit(D("45.20")).limit_price == D("45.20")
    stop = OrderSpec.stop(D("44.00"))
    assert (stop.type, stop.limit_price, stop.stop_price) == (OrderType.STOP, None, D("44.00"))
    sl = OrderSpec.stop_limit(D("44.00"), D("43.90"), TimeInForce.GTC)
    assert (sl.type, sl.stop_price, sl.limit_price) == (
        OrderType.STOP_LIMIT, D("44.00"), D("43.90")
    )
    assert sl.time_in_force is TimeInForce.GTC
    assert OrderSpec.market().time_in_force is None  # the venue's default (IB: DAY)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": OrderType.LIMIT}, "a limit order needs a positive limit price"),
        ({"type": OrderType.LIMIT, "limit_price": D(0)}, "needs a positive limit price"),
        ({"type": OrderType.LIMIT, "limit_price": D(-1)}, "needs a positive limit price"),
        ({"type": OrderType.LIMIT, "limit_price": D("NaN")}, "needs a positive limit price"),
        (
            {"type": OrderType.LIMIT, "limit_price": D(1), "stop_price": D(1)},
            "a limit order takes no stop price",
        ),
        ({"type": OrderType.MARKET, "limit_price": D(1)}, "a market order takes no limit price"),
        ({"type": OrderType.MARKET, "stop_price": D(1)}, "a market order takes no stop price"),
        ({"type": OrderType.MARKETABLE_LIMIT}, "a marketable limit needs a positive limit price"),
        ({"type": OrderType.STOP}, "a stop order needs a positive stop price"),
        (
            {"type": OrderType.STOP, "stop_price": D(1), "limit_price": D(1)},
            "a stop order takes no limit price",
        ),
        ({"type": OrderType.STOP_LIMIT, "stop_price": D(1)}, "a stop limit needs a positive limit"),
        ({"type": OrderType.STOP_LIMIT, "limit_price": D(1)}, "a stop limit needs a positive stop"),
    ],
)
def test_invalid_specs_are_refused_as_bad_input(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidOrderError, match=message) as info:
        OrderSpec(**kwargs)
    assert info.value.exit_code == 2


def test_a_marketable_limit_is_recorded_as_a_limit() -> None:
    assert OrderSpec.marketable_limit(D(1)).recorded_type is OrderType.LIMIT
    for spec in (OrderSpec.limit(D(1)), OrderSpec.market(), OrderSpec.stop(D(1))):
        assert spec.recorded_type is spec.type


def test_with_limit_keeps_type_stop_and_time_in_force() -> None:
    spec = OrderSpec.stop_limit(D(10), D("9.5"), TimeInForce.GTC).with_limit(D("9.4"))
    assert spec == OrderSpec.stop_limit(D(10), D("9.4"), TimeInForce.GTC)


def test_to_dict_is_json_safe() -> None:
    assert OrderSpec.stop_limit(D(10), D("9.5")).to_dict() == {
        "type": "stop_limit",
        "limitPrice": "9.5",
        "stopPrice": "10",
        "timeInForce": None,
        "postOnly": False,
    }
    assert OrderSpec.limit(D(1), TimeInForce.GTC, post_only=True).to_dict()["postOnly"] is True


def test_the_market_flag_or_a_limit_builds_the_spec() -> None:
    assert spec_from_flags(None, True) == OrderSpec.market()
    assert spec_from_flags(D("45.1"), False) == OrderSpec.limit(D("45.1"))
    with pytest.raises(InvalidOrderError, match="either --limit PRICE or --market, not both"):
        spec_from_flags(D("45.1"), True)
    with pytest.raises(InvalidOrderError, match="no price given"):
        spec_from_flags(None, False)


def test_post_only_is_a_resting_limit_only() -> None:
    assert OrderSpec.limit(D(1), post_only=True).post_only
    assert OrderSpec.limit(D(1), TimeInForce.GTC, post_only=True).with_limit(D(2)).post_only
    with pytest.raises(InvalidOrderError, match="post-only order cannot be IOC"):
        OrderSpec.limit(D(1), TimeInForce.IOC, post_only=True)
    for type_, price in ((OrderType.MARKETABLE_LIMIT, D(1)), (OrderType.MARKET, None)):
        with pytest.raises(InvalidOrderError, match="cannot be post-only"):
            OrderSpec(type_, price, post_only=True)
    with pytest.raises(InvalidOrderError, match="market order cannot be post-only"):
        spec_from_flags(None, True, post_only=True)
    assert spec_from_flags(D(2), False, TimeInForce.IOC) == OrderSpec.limit(D(2), TimeInForce.IOC)


def test_an_intent_carries_its_spec_both_ways() -> None:
    spec = OrderSpec.stop_limit(D(44), D("43.9"), TimeInForce.GTC)
    intent = OrderIntent.of(BHP, Side.SELL, D(10), spec, client_order_id="trd-1", reason="r")
    assert intent.spec == spec
    maker = OrderSpec.limit(D(45), TimeInForce.GTC, post_only=True)
    assert OrderIntent.of(BHP, Side.BUY, D(1), maker).spec == maker
    assert (intent.type, intent.price, intent.client_order_id) == (
        OrderType.STOP_LIMIT, D("43.9"), "trd-1"
    )
    # the positional form every caller already uses still means a limit at that price
    assert OrderIntent(BHP, Side.BUY, D(1), OrderType.LIMIT, D(45)).spec == OrderSpec.limit(D(45))
    with pytest.raises(InvalidOrderError):
        _ = OrderIntent(BHP, Side.BUY, D(1), OrderType.LIMIT, None).spec
