"""The sim lets go of orders that finished more than a day (of sim time) ago, with their
executions, as IB's reqExecutions and reqCompletedOrders stop reporting them: today's stay,
a working order of any age stays, and so does every order of a bracket or OCA group that still
has a working member. A long pinned-clock run keeps a world (and a saved file) of bounded size."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from ib_async import IB, ExecutionFilter, LimitOrder, MarketOrder

from tests.sim.conftest import TIMEOUT, bhp_quoted, cents
from trader_cli.sim import SimClock, SimGateway
from trader_cli.sim.engine import MatchingEngine, OrderTicket, RequestError
from trader_cli.sim.engine.catalogue import Catalogue, ContractQuery, Instrument
from trader_cli.sim.engine.market import MarketModel
from trader_cli.sim.engine.world import FINISHED_RETENTION, SimExecution, SimOrder, World
from trader_cli.sim.tws.server import FORGET_EVERY

# Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open (yesterday, seen from TODAY)
YESTERDAY = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
# Thursday 4 July 2024, 11:30 in Sydney: a day and half an hour later, the ASX open again
TODAY = datetime(2024, 7, 4, 1, 30, tzinfo=UTC)
# Monday 1 July 2024, 00:00 UTC: IDEALPRO trades through to Friday 17:00 in New York
MONDAY = datetime(2024, 7, 1, 0, 0, tzinfo=UTC)


async def test_yesterdays_finished_order_is_gone_from_executions_and_completed_orders(
    wait,
) -> None:
    clock = SimClock.pinned(YESTERDAY)
    async with SimGateway.start(seed=7, clock=clock) as gw:
        ib = IB()
        ib.RequestTimeout = TIMEOUT
        await ib.connectAsync("127.0.0.1", gw.port, clientId=1, timeout=TIMEOUT)
        try:
            bhp, ticker = await bhp_quoted(ib, wait)
            old = ib.placeOrder(bhp, MarketOrder("BUY", 100))
            far = float(cents(ticker.bid) - 2)
            resting = ib.placeOrder(bhp, LimitOrder("BUY", 100, far, tif="GTC"))
            await wait(lambda: old.orderStatus.status == "Filled")
            await wait(lambda: resting.orderStatus.status == "Submitted")
            await gw.advance(60)
            # still reported a minute later: nothing is let go too soon
            assert [f.execution.permId for f in await ib.reqExecutionsAsync()] == [
                old.order.permId
            ]

            gw.clock.set(TODAY)
            await gw.tick()
            new = ib.placeOrder(bhp, MarketOrder("SELL", 100))
            await wait(lambda: new.orderStatus.status == "Filled")

            fills = await ib.reqExecutionsAsync(ExecutionFilter())
            assert [f.execution.permId for f in fills] == [new.order.permId]
            completed = await ib.reqCompletedOrdersAsync(False)
            assert [t.order.permId for t in completed] == [new.order.permId]
            open_orders = await ib.reqAllOpenOrdersAsync()
            assert [t.order.permId for t in open_orders] == [resting.order.permId]
            assert old.order.permId not in gw.world.orders
        finally:
            ib.disconnect()


# -- the engine alone ----------------------------------------------------------------------
class Quiet:
    """A notifier that hears nothing."""

    def order_status(self, order: SimOrder, inst: Instrument) -> None:
        pass

    def executions(self, order: SimOrder, inst: Instrument, fills: Sequence[SimExecution]) -> None:
        pass

    def account_changed(self, inst: Instrument) -> None:
        pass

    def request_error(self, client_id: int, req_id: int, error: RequestError) -> None:
        raise AssertionError(error)

    def world_changed(self) -> None:
        pass


def _engine(clock: SimClock) -> tuple[MatchingEngine, Instrument]:
    engine = MatchingEngine(
        world=World(account="DU1234567", epoch="0000e0d5"), catalogue=Catalogue.load(),
        market=MarketModel(seed=7), clock=clock, notifier=Quiet(),
    )  # fmt: skip
    bhp = engine.resolve(ContractQuery(symbol="BHP", sec_type="STK", currency="AUD"))
    assert bhp is not None
    return engine, bhp


def _ticket(bhp: Instrument, order_id: int, action: str, kind: str, **kw: object) -> OrderTicket:
    return OrderTicket(
        client_id=1, order_id=order_id, inst=bhp, action=action, total_qty=Decimal(100),
        order_type=kind, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def _forget_later(engine: MatchingEngine, clock: SimClock, days: float) -> set[int]:
    """Move the clock ``days`` on, let go of what finished more than a day before, and return
    the order ids left."""
    clock.set(clock.now() + timedelta(days=days))
    engine.world.forget_finished(clock.now() - FINISHED_RETENTION)
    return {o.order_id for o in engine.world.orders.values()}


def test_a_working_or_untransmitted_order_of_any_age_is_kept() -> None:
    clock = SimClock.pinned(YESTERDAY)
    engine, bhp = _engine(clock)
    bid = engine.market.quote(bhp, clock.now()).bid
    engine.submit(_ticket(bhp, 1, "BUY", "LMT", lmt_price=bid - 2, tif="GTC"))  # rests
    engine.submit(_ticket(bhp, 2, "BUY", "LMT", lmt_price=bid - 2, transmit=False))  # held
    engine.submit(_ticket(bhp, 3, "BUY", "MKT"))  # fills now
    assert {o.order_id: o.status for o in engine.world.orders.values()} == {
        1: "Submitted", 2: "Untransmitted", 3: "Filled",
    }  # fmt: skip

    assert _forget_later(engine, clock, days=9) == {1, 2}
    assert engine.world.executions == []  # the filled order's went with it


def test_a_bracket_whose_child_still_works_keeps_its_parent_and_its_fills() -> None:
    clock = SimClock.pinned(YESTERDAY)
    engine, bhp = _engine(clock)
    ask = engine.market.quote(bhp, clock.now()).ask
    # parent 1 fills on arrival; target 2 and stop 3 (GTC) then work in one OCA group
    engine.submit(_ticket(bhp, 1, "BUY", "LMT", lmt_price=ask, transmit=False))
    engine.submit(_ticket(bhp, 2, "SELL", "LMT", lmt_price=ask + 5, parent_id=1, tif="GTC",
                          transmit=False))  # fmt: skip
    engine.submit(_ticket(bhp, 3, "SELL", "STP", aux_price=ask - 5, parent_id=1, tif="GTC"))
    # an unrelated order that filled at the same time goes after a day: the rule does act
    engine.submit(_ticket(bhp, 4, "SELL", "MKT"))
    world = engine.world
    assert [world.find_order(1, i).status for i in (1, 2, 3)] == [  # type: ignore[union-attr]
        "Filled", "Submitted", "PreSubmitted",
    ]  # fmt: skip

    assert _forget_later(engine, clock, days=3) == {1, 2, 3}
    parent = world.find_order(1, 1)
    assert parent is not None
    assert [x.perm_id for x in world.executions] == [parent.perm_id]

    engine.cancel(1, 2)  # the target goes; the stop, in its OCA group, still works
    assert _forget_later(engine, clock, days=3) == {1, 2, 3}

    # nothing of the bracket works any more: each member goes a day after it finished
    engine.cancel(1, 3)
    assert _forget_later(engine, clock, days=0) == {3}
    assert _forget_later(engine, clock, days=0.99) == {3}
    assert _forget_later(engine, clock, days=1.01) == set()
    assert world.executions == []


def test_an_oca_group_with_a_working_member_keeps_its_finished_ones() -> None:
    clock = SimClock.pinned(YESTERDAY)
    engine, bhp = _engine(clock)
    bid = engine.market.quote(bhp, clock.now()).bid
    group = {"oca_group": "pair", "oca_type": 3, "tif": "GTC"}
    engine.submit(_ticket(bhp, 1, "BUY", "LMT", lmt_price=bid - 2, **group))
    engine.submit(_ticket(bhp, 2, "BUY", "LMT", lmt_price=bid - 3, **group))
    engine.cancel(1, 1)

    assert _forget_later(engine, clock, days=2) == {1, 2}
    engine.cancel(1, 2)
    assert _forget_later(engine, clock, days=0) == {2}
    assert _forget_later(engine, clock, days=2) == set()


# -- a long run ------------------------------------------------------------------------------
async def test_a_long_pinned_clock_run_keeps_a_bounded_world(tmp_path: Path) -> None:
    """An order an hour for four days: the world holds the last day's (and the file too)."""
    state = tmp_path / "ib-world.json"
    async with SimGateway.start(seed=7, clock=SimClock.pinned(MONDAY), state_path=state) as gw:
        pair = gw.engine.resolve(ContractQuery(symbol="AUD", sec_type="CASH", currency="USD"))
        assert pair is not None
        sizes: list[tuple[int, int, int]] = []
        for hour in range(4 * 24):
            gw.engine.submit(
                OrderTicket(client_id=1, order_id=hour + 1, inst=pair,
                            action="BUY" if hour % 2 else "SELL", total_qty=Decimal(20000),
                            order_type="MKT", tif="GTC")
            )  # fmt: skip
            await gw.advance(3600, step=600)
            if hour % 24 == 23:
                saved = json.loads(state.read_text())["world"]
                sizes.append((len(gw.world.orders), len(gw.world.executions),
                              len(saved["orders"])))  # fmt: skip

        now = gw.clock.now()
        assert gw.world.next_order_id == 4 * 24 + 1
        assert all(o.status == "Filled" for o in gw.world.orders.values())
        assert all(
            o.completed_at is not None
            and o.completed_at >= now - FINISHED_RETENTION - FORGET_EVERY
            for o in gw.world.orders.values()
        )
        # the first day keeps all it made; from then on, a day's worth (the IDEALPRO break
        # holds one order for a quarter of an hour: its fill can fall in the next hour)
        assert sizes[0][0] == 24
        for orders, executions, in_file in sizes[1:]:
            assert 24 <= orders <= 25
            assert executions >= orders
            assert in_file == orders
