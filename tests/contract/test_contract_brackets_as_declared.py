"""Contract: brackets exactly where the venue declares them (``broker_brackets``).

A venue that declares them takes an entry with its stop and target children in one call and
holds them by our client order ids; cancelling the entry takes the children with it. A venue that
does not refuses the call before anything is sent.
"""

from __future__ import annotations

import pytest

from trader_cli.domain.models import OrderStatus
from trader_cli.errors import InvalidOrderError

from .backends import Harness
from .helpers import bracket_request, resting_buy_price


async def test_a_declared_bracket_is_held_by_our_ids_and_goes_with_its_entry(
    venue: Harness,
) -> None:
    trader = venue.trader
    if not trader.capabilities.broker_brackets:
        pytest.skip(f"{trader.capabilities.name} declares no brackets")
    req = await bracket_request(venue, "bracket", await resting_buy_price(trader, venue.symbol))

    legs = await trader.place_bracket(req)

    cids = [leg.client_order_id for leg in req.legs]
    assert [o.client_order_id for o in legs] == cids
    assert all(o.status is OrderStatus.OPEN for o in legs)
    working = {o.client_order_id for o in await trader.get_open_orders()}
    assert set(cids) <= working
    again = await trader.place_bracket(req)  # the same ids: known, not sent again
    assert [o.id for o in again] == [o.id for o in legs]

    await trader.cancel_order(req.legs[0].client_order_id)
    await venue.advance(1)
    for cid in cids:
        found = await trader.get_order(cid)
        assert found is not None and found.status is OrderStatus.CANCELED, cid


async def test_a_venue_without_brackets_refuses_one_and_sends_nothing(venue: Harness) -> None:
    trader = venue.trader
    if trader.capabilities.broker_brackets:
        pytest.skip(f"{trader.capabilities.name} declares brackets")
    before = {o.client_order_id for o in await trader.get_open_orders()}
    req = await bracket_request(venue, "no-bracket", await resting_buy_price(trader, venue.symbol))

    with pytest.raises(InvalidOrderError, match="no bracket orders"):
        await trader.place_bracket(req)

    assert {o.client_order_id for o in await trader.get_open_orders()} == before
