"""Brackets, stops and OCA groups in the matching engine alone: the order of events, partial
parent fills, OCA reduction, and a world saved and loaded in the middle of it all."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from trader_cli.sim.engine import MatchingEngine, OrderTicket, Refusal, RequestError
from trader_cli.sim.engine.catalogue import Catalogue, ContractQuery, Instrument
from trader_cli.sim.engine.clock import SimClock
from trader_cli.sim.engine.market import MarketModel
from trader_cli.sim.engine.world import SimExecution, SimOrder, World

# Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open
START = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
CENT = Decimal("0.01")


@dataclass
class Recorder:
    """Every engine event, in order, as plain tuples."""

    events: list[tuple[object, ...]] = field(default_factory=list)

    def order_status(self, order: SimOrder, inst: Instrument) -> None:
        self.events.append(("status", order.order_id, order.status, order.why_held))

    def executions(self, order: SimOrder, inst: Instrument, fills: Sequence[SimExecution]) -> None:
        self.events.append(("fills", order.order_id, sum(f.shares for f in fills)))

    def account_changed(self, inst: Instrument) -> None:
        pass

    def request_error(self, client_id: int, req_id: int, error: RequestError) -> None:
        self.events.append(("error", req_id, error.kind, error.detail))

    def world_changed(self) -> None:
        pass

    def take(self) -> list[tuple[object, ...]]:
        out, self.events = self.events, []
        return out


@dataclass
class Rig:
    engine: MatchingEngine
    market: MarketModel
    clock: SimClock
    notifier: Recorder
    bhp: Instrument

    def move(self, price: Decimal) -> None:
        self.market.move(self.bhp, price, self.clock.now())
        self.engine.match_all()

    def ticket(self, order_id: int, action: str, qty: int, kind: str, **kw: object) -> OrderTicket:
        return OrderTicket(
            client_id=1, order_id=order_id, inst=self.bhp, action=action,
            total_qty=Decimal(qty), order_type=kind, **kw,  # type: ignore[arg-type]
        )  # fmt: skip


def _rig(world: World | None = None, clock: SimClock | None = None) -> Rig:
    catalogue = Catalogue.load()
    clock = clock or SimClock.pinned(START)
    market = MarketModel(seed=7)
    notifier = Recorder()
    engine = MatchingEngine(
        world=world or World(account="DU1234567", epoch="0000e0d5"),
        catalogue=catalogue, market=market, clock=clock, notifier=notifier,
    )  # fmt: skip
    bhp = engine.resolve(ContractQuery(symbol="BHP", sec_type="STK", currency="AUD"))
    assert bhp is not None
    return Rig(engine, market, clock, notifier, bhp)


def _bracket(rig: Rig, entry: Decimal, qty: int = 100, tif: str = "DAY") -> None:
    """Parent 1 (buy limit at ``entry``), target 2, stop 3; the stop transmits the three."""
    t = rig.ticket
    rig.engine.submit(t(1, "BUY", qty, "LMT", lmt_price=entry, transmit=False, tif=tif))
    rig.engine.submit(t(2, "SELL", qty, "LMT", lmt_price=entry + 1, parent_id=1, transmit=False))
    rig.engine.submit(t(3, "SELL", qty, "STP", aux_price=entry - 1, parent_id=1, tif="GTC"))


def test_a_bracket_is_acknowledged_whole_before_the_parent_works_then_its_children_work() -> None:
    rig = _rig()
    ask = rig.market.quote(rig.bhp, START).ask
    _bracket(rig, ask)  # the parent is marketable: it fills on arrival

    assert rig.notifier.take() == [
        ("status", 1, "PreSubmitted", ""),
        ("status", 2, "PreSubmitted", "child"),
        ("status", 3, "PreSubmitted", "child,trigger"),
        ("status", 1, "Submitted", ""),
        ("fills", 1, Decimal(100)),
        ("status", 2, "Submitted", ""),
        ("status", 3, "PreSubmitted", "trigger"),
    ]
    world = rig.engine.world
    target, stop = world.find_order(1, 2), world.find_order(1, 3)
    assert target is not None and stop is not None
    assert target.oca_group == stop.oca_group == str(world.find_order(1, 1).perm_id)  # type: ignore[union-attr]

    rig.move(ask - 1)  # the bid goes through the stop's trigger
    assert rig.notifier.take() == [
        ("status", 3, "Submitted", ""),
        ("fills", 3, Decimal(100)),
        ("status", 2, "Cancelled", ""),
    ]
    assert world.positions[rig.bhp.con_id].quantity == 0


def test_untransmitted_orders_are_reported_to_no_one_and_can_be_cancelled() -> None:
    rig = _rig()
    ask = rig.market.quote(rig.bhp, START).ask
    rig.engine.submit(rig.ticket(1, "BUY", 100, "LMT", lmt_price=ask, transmit=False))
    rig.engine.match_all()
    assert rig.notifier.take() == []
    assert rig.engine.cancel(1, 1) is True
    assert rig.notifier.take() == [("status", 1, "Cancelled", "")]


def test_a_parent_cancelled_after_a_partial_fill_leaves_its_children_protecting_what_filled() -> (
    None
):
    rig = _rig()
    ask = rig.market.quote(rig.bhp, START).ask
    _bracket(rig, ask, qty=5000)  # more than the top of the book: the parent fills in part
    parent = rig.engine.world.find_order(1, 1)
    assert parent is not None and 0 < parent.filled < 5000
    statuses = [e for e in rig.notifier.take() if e[0] == "status" and e[1] != 1]
    assert all(e[2] == "PreSubmitted" for e in statuses)  # children wait for the whole fill

    assert rig.engine.cancel(1, 1)
    target, stop = rig.engine.world.find_order(1, 2), rig.engine.world.find_order(1, 3)
    assert target is not None and stop is not None
    assert (target.status, target.total_qty) == ("Submitted", parent.filled)
    assert (stop.status, stop.why_held, stop.total_qty) == (
        "PreSubmitted",
        "trigger",
        parent.filled,
    )


def test_oca_type_1_cancels_the_rest_and_types_2_and_3_reduce_it() -> None:
    for oca_type, expected in ((1, ("Cancelled", Decimal(100))), (2, ("Submitted", Decimal(60)))):
        rig = _rig()
        q = rig.market.quote(rig.bhp, START)
        far = q.ask + 2
        group = {"oca_group": f"G{oca_type}", "oca_type": oca_type}
        rig.engine.submit(rig.ticket(1, "SELL", 100, "LMT", lmt_price=far, **group))
        rig.engine.submit(rig.ticket(2, "SELL", 40, "LMT", lmt_price=q.bid, **group))
        resting = rig.engine.world.find_order(1, 1)
        assert resting is not None
        assert (resting.status, resting.total_qty) == expected


def test_an_oca_type_ib_does_not_have_and_a_missing_parent_are_refused() -> None:
    rig = _rig()
    price = rig.market.quote(rig.bhp, START).bid - 1
    refused_oca = rig.ticket(1, "BUY", 10, "LMT", lmt_price=price, oca_group="G", oca_type=4)
    orphan = rig.ticket(2, "SELL", 10, "STP", aux_price=price, parent_id=77)
    no_trigger = rig.ticket(3, "SELL", 10, "STP")
    off_tick = rig.ticket(4, "SELL", 10, "STP LMT", lmt_price=price, aux_price=price + CENT / 2)
    for ticket in (refused_oca, orphan, no_trigger, off_tick):
        assert rig.engine.submit(ticket) is None
    kinds = [(e[1], e[2]) for e in rig.notifier.take()]
    assert kinds == [
        (1, Refusal.REJECTED),
        (2, Refusal.REJECTED),
        (3, Refusal.REJECTED),
        (4, Refusal.PRICE_NOT_ON_TICK),
    ]


def test_a_world_saved_and_loaded_keeps_held_children_stops_and_oca_links() -> None:
    rig = _rig()
    bid = rig.market.quote(rig.bhp, START).bid
    _bracket(rig, bid - 1, tif="GTC")  # the parent rests: children wait for it
    saved = json.loads(json.dumps(rig.engine.world.to_dict()))

    later = SimClock.pinned(START + timedelta(days=1))
    again = _rig(World.from_dict(saved), later)
    children = [again.engine.world.find_order(1, n) for n in (2, 3)]
    assert [(c.status, c.why_held) for c in children if c] == [
        ("PreSubmitted", "child"),
        ("PreSubmitted", "child,trigger"),
    ]
    assert children[0] and children[1] and children[0].oca_group == children[1].oca_group != ""
    again.move(bid - 1 - CENT)  # the parent fills after the restart
    again.move(bid - 2)  # then the market goes through the stop
    fills = [e for e in again.notifier.take() if e[0] == "fills"]
    assert [e[1] for e in fills] == [1, 3]
    world = again.engine.world
    assert [world.find_order(1, n).status for n in (1, 2, 3)] == [  # type: ignore[union-attr]
        "Filled",
        "Cancelled",
        "Filled",
    ]


def test_a_day_parent_that_never_filled_expires_at_the_close_with_its_children() -> None:
    rig = _rig()
    _bracket(rig, rig.market.quote(rig.bhp, START).bid - 1)  # DAY parent, GTC stop
    rig.notifier.take()
    close = datetime(2024, 7, 3, 6, 0, tzinfo=UTC)  # 16:00 in Sydney
    rig.clock.set(close - timedelta(seconds=1))
    rig.engine.match_all()
    assert rig.notifier.take() == []
    rig.clock.set(close)
    rig.engine.match_all()
    assert rig.notifier.take() == [
        ("status", 1, "Cancelled", ""),
        ("status", 2, "Cancelled", ""),
        ("status", 3, "Cancelled", ""),
    ]
