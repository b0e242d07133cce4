"""Stops, brackets, OCA groups and DAY expiry: the pure rules the matching engine applies.

The engine (:mod:`trader_cli.sim.engine.matching`) decides *when* to apply them and reports what
happened; this module only answers questions about orders and the market.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from trader_cli.sim.engine import hours
from trader_cli.sim.engine.catalogue import Instrument
from trader_cli.sim.engine.market import Quote
from trader_cli.sim.engine.world import UNTRANSMITTED, SimOrder, World

# time in force values that end at the close of the session they were placed in (or the next
# session, when placed while the market is closed); "" is IB's default, DAY
DAY_TIFS = ("DAY", "")
# OCA types (IB's ``ocaType``): 1 cancels the other members on a fill; 2 and 3 reduce their
# quantity by what filled (2 "with block", 3 "without": the sim matches one order at a time,
# so it cannot overfill either way and treats them alike)
OCA_CANCEL_WITH_BLOCK = 1
OCA_REDUCE_WITH_BLOCK = 2
OCA_REDUCE_NON_BLOCK = 3
OCA_TYPES = (OCA_CANCEL_WITH_BLOCK, OCA_REDUCE_WITH_BLOCK, OCA_REDUCE_NON_BLOCK)
# what a bracket's children get when the client gave them no OCA group: IB links the children
# of one parent itself, reducing the other child by what one fills
BRACKET_OCA_TYPE = OCA_REDUCE_WITH_BLOCK
_LOOKAHEAD = timedelta(days=14)


def stop_elected(order: SimOrder, quote: Quote) -> bool:
    """Whether the market reaches a stop's trigger: a sell stop when the market trades or bids
    at or below it, a buy stop when it trades or offers at or above it."""
    return stop_reached(order, quote.bid, quote.ask, quote.last)


def stop_reached(order: SimOrder, bid: Decimal, ask: Decimal, last: Decimal) -> bool:
    """:func:`stop_elected` at a touch of ``bid``, ``ask`` and ``last``."""
    trigger = order.aux_price
    if trigger is None:
        return False
    if order.action == "SELL":
        return bid <= trigger or last <= trigger
    return ask >= trigger or last >= trigger


def touch_reaches(order: SimOrder, bid: Decimal, ask: Decimal, last: Decimal) -> bool:
    """Whether a touch of ``bid``, ``ask`` and ``last`` lets ``order`` act: elect it (a stop
    not yet elected, :func:`stop_reached`) or fill it (a buy limit when the ask is at or under
    its limit, a sell limit when the bid is at or over it; an order without a limit always)."""
    if order.is_stop and not order.triggered:
        return stop_reached(order, bid, ask, last)
    if order.lmt_price is None:
        return True
    if order.action == "BUY":
        return ask <= order.lmt_price
    return bid >= order.lmt_price


def day_close(inst: Instrument, placed: datetime, *, outside_rth: bool) -> datetime | None:
    """When a DAY order placed at ``placed`` expires: the close of the session it was placed in,
    or of the next session when the market was closed (ASX 16:00 Sydney, or after the closing
    auction for ``outside_rth`` orders; IDEALPRO 17:00 New York). None for crypto (24/7)."""
    if inst.is_crypto:
        return None
    use_rth = not outside_rth or inst.market == "FX"
    close = hours.next_close(inst.market, placed, use_rth=use_rth)  # from the cached week
    if close is not None:
        return close
    for _open, close in hours.sessions(inst.market, placed, placed + _LOOKAHEAD, use_rth=use_rth):
        if close > placed:
            return close
    return None


def children_of(world: World, parent: SimOrder) -> list[SimOrder]:
    """The orders whose ``parentId`` is ``parent`` (same client), in order id order."""
    found = [
        o
        for o in world.orders.values()
        if o.parent_id == parent.order_id and o.client_id == parent.client_id and o is not parent
    ]
    return sorted(found, key=lambda o: o.order_id)


def parent_of(world: World, child: SimOrder) -> SimOrder | None:
    """The parent of a bracket child (None for an order without one)."""
    if not child.parent_id:
        return None
    return world.find_order(child.client_id, child.parent_id)


def oca_peers(world: World, order: SimOrder) -> list[SimOrder]:
    """The other working orders of ``order``'s OCA group (same account), in order id order."""
    if not order.oca_group:
        return []
    found = [
        o
        for o in world.orders.values()
        if o is not order
        and o.is_active
        and o.oca_group == order.oca_group
        and o.account == order.account
    ]
    return sorted(found, key=lambda o: o.order_id)


def release_group(world: World, order: SimOrder) -> list[SimOrder]:
    """Everything a transmitted ``order`` releases, parent first: its bracket's untransmitted
    parent and children, and the untransmitted members of its OCA group (same client)."""
    root = parent_of(world, order) or order
    members = [root, order, *children_of(world, root)]
    if order.oca_group:
        members += [
            o
            for o in world.orders.values()
            if o.client_id == order.client_id and o.oca_group == order.oca_group
        ]
    out: list[SimOrder] = []
    for member in members:
        held = member.status == UNTRANSMITTED
        if (held or member is order) and all(member is not m for m in out):
            out.append(member)
    head = [m for m in out if m is root]
    rest = sorted((m for m in out if m is not root), key=lambda o: o.order_id)
    return head + rest
