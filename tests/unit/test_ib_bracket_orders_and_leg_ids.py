"""IB bracket mapping (parent, children, OCA, transmit) and the ids and specs of bracket legs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader_cli.domain.models import OrderType, Side
from trader_cli.domain.orders import OrderSpec, TimeInForce
from trader_cli.domain.symbols import parse_symbol
from trader_cli.errors import InvalidOrderError
from trader_cli.services.brackets import (
    check_bracket_prices,
    leg_id,
    oca_group,
    parse_leg,
    stop_spec,
)
from trader_cli.venues.base import Instrument
from trader_cli.venues.ib.mapping import OCA_REDUCE_WITH_BLOCK, bracket_orders

BHP = parse_symbol("BHP/AUD")
D = Decimal


def _inst(*types: str) -> Instrument:
    return Instrument(BHP, "1", "SMART", "AUD", D("0.01"), D(1), frozenset(types))


def _legs() -> list[tuple[Side, Decimal, OrderSpec, str]]:
    return [
        (Side.BUY, D(100), OrderSpec.limit(D("42.61")), "trd-1-E"),
        (Side.SELL, D(100), OrderSpec.stop(D("41.60"), TimeInForce.GTC), "trd-1-S"),
        (Side.SELL, D(100), OrderSpec.limit(D("43.60"), TimeInForce.GTC), "trd-1-T"),
    ]


def test_a_bracket_is_a_parent_held_until_its_last_child_transmits() -> None:
    parent, stop, target = bracket_orders(
        _legs(), oca_group="trd-1-OCA", parent_id=41, entry_index=0, account="DU1"
    )
    assert (parent.orderId, parent.orderType, parent.lmtPrice, parent.ocaGroup) == (
        41, "LMT", 42.61, "")
    assert (stop.orderType, stop.auxPrice, stop.tif) == ("STP", 41.60, "GTC")
    assert (target.orderType, target.lmtPrice) == ("LMT", 43.60)
    assert stop.parentId == target.parentId == 41
    assert stop.ocaGroup == target.ocaGroup == "trd-1-OCA"
    assert stop.ocaType == target.ocaType == OCA_REDUCE_WITH_BLOCK == 2
    assert [o.transmit for o in (parent, stop, target)] == [False, False, True]
    assert [o.orderRef for o in (parent, stop, target)] == ["trd-1-E", "trd-1-S", "trd-1-T"]
    assert {o.account for o in (parent, stop, target)} == {"DU1"}


def test_a_stand_alone_oca_pair_has_no_parent_and_transmits_each() -> None:
    stop, target = bracket_orders(
        _legs()[1:], oca_group="trd-1-OCA2", parent_id=None, entry_index=None
    )
    assert stop.parentId == target.parentId == 0
    assert stop.ocaGroup == target.ocaGroup == "trd-1-OCA2"
    assert stop.transmit and target.transmit


def test_leg_ids_name_their_bracket_and_generation() -> None:
    assert [leg_id("trd-ab-3", leg) for leg in "EST"] == ["trd-ab-3-E", "trd-ab-3-S", "trd-ab-3-T"]
    assert leg_id("trd-ab-3", "S", 2) == "trd-ab-3-S2"
    assert parse_leg("trd-ab-3-S2") == ("trd-ab-3", "S", 2)
    assert parse_leg("trd-ab-3-T") == ("trd-ab-3", "T", 1)
    assert parse_leg("trd-ab-3") is None  # a plain order
    assert (oca_group("trd-ab-3"), oca_group("trd-ab-3", 2)) == ("trd-ab-3-OCA", "trd-ab-3-OCA2")


def test_the_stop_is_a_stop_limit_where_the_contract_takes_no_plain_stop() -> None:
    plain = stop_spec(BHP, Side.SELL, D("41.60"), _inst("LMT", "MKT", "STP", "STPLMT"), D(20))
    assert (plain.type, plain.stop_price, plain.limit_price) == (OrderType.STOP, D("41.60"), None)
    # no market orders (so no plain stop) here: a stop limit 20 bp through the trigger
    sell = stop_spec(BHP, Side.SELL, D("41.60"), _inst("LMT", "STP", "STPLMT"), D(20))
    assert (sell.type, sell.stop_price, sell.limit_price) == (
        OrderType.STOP_LIMIT, D("41.60"), D("41.51"))
    buy = stop_spec(BHP, Side.BUY, D("41.60"), _inst("LMT", "STPLMT"), D(20))
    assert buy.limit_price == D("41.69")
    with pytest.raises(InvalidOrderError, match="no stop orders"):
        stop_spec(BHP, Side.SELL, D("41.60"), _inst("LMT"), D(20))


@pytest.mark.parametrize(
    ("side", "stop", "target", "wrong"),
    [
        (Side.BUY, "42.61", "43.60", "stop must be below"),
        (Side.BUY, "41.60", "42.00", "target must be above"),
        (Side.SELL, "42.00", "41.00", "stop must be above"),
        (Side.SELL, "44.00", "43.00", "target must be below"),
        (Side.BUY, "41.605", "43.60", "not on BHP/AUD's price step"),
    ],
)
def test_a_stop_or_target_on_the_wrong_side_is_refused(side, stop, target, wrong) -> None:
    with pytest.raises(InvalidOrderError, match=wrong):
        check_bracket_prices(BHP, side, D("42.61"), D(stop), D(target), D("0.01"))
    check_bracket_prices(BHP, Side.BUY, D("42.61"), D("41.60"), D("43.60"), D("0.01"))
