"""The matching engine runs in-process: world, market, clock and a recording notifier, no socket."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from trader_cli.costs import ibkr
from trader_cli.sim.engine import MatchingEngine, OrderTicket, Refusal, RequestError
from trader_cli.sim.engine.catalogue import Catalogue, ContractQuery, Instrument
from trader_cli.sim.engine.clock import SimClock
from trader_cli.sim.engine.market import MarketModel
from trader_cli.sim.engine.world import SimExecution, SimOrder, World

# Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open. With seed 7, BHP's ask is 42.61 here
# and first reaches 42.58 110 seconds later.
START = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
LIMIT = Decimal("42.58")


@dataclass
class RecordingNotifier:
    """Keeps every engine event, in order, as plain tuples."""

    events: list[tuple[object, ...]] = field(default_factory=list)

    def order_status(self, order: SimOrder, inst: Instrument) -> None:
        self.events.append(("status", order.order_id, order.status, order.filled))

    def executions(self, order: SimOrder, inst: Instrument, fills: Sequence[SimExecution]) -> None:
        for ex in fills:
            self.events.append(("fill", ex.order_id, ex.time, ex.shares, ex.price, ex.cum_qty))
            self.events.append(("commission", ex.exec_id, ex.commission, ex.commission_currency))
        self.events.append(("after fills", order.order_id, order.status, order.remaining))

    def account_changed(self, inst: Instrument) -> None:
        self.events.append(("account", inst.con_id))

    def request_error(self, client_id: int, req_id: int, error: RequestError) -> None:
        self.events.append(("error", client_id, req_id, error.kind))

    def world_changed(self) -> None:
        self.events.append(("saved",))

    def of(self, kind: str) -> list[tuple[object, ...]]:
        return [e for e in self.events if e[0] == kind]


def _engine() -> tuple[MatchingEngine, RecordingNotifier, SimClock, Instrument]:
    catalogue = Catalogue.load()
    clock = SimClock.pinned(START)
    notifier = RecordingNotifier()
    engine = MatchingEngine(
        world=World(account="DU1234567", epoch="0000e0d5"),
        catalogue=catalogue,
        market=MarketModel(seed=7),
        clock=clock,
        notifier=notifier,
    )
    bhp = engine.resolve(ContractQuery(symbol="BHP", sec_type="STK", currency="AUD"))
    assert bhp is not None
    return engine, notifier, clock, bhp


def _buy(
    bhp: Instrument, qty: str, price: Decimal | None = LIMIT, order_id: int = 1
) -> OrderTicket:
    return OrderTicket(
        client_id=1,
        order_id=order_id,
        inst=bhp,
        action="BUY",
        total_qty=Decimal(qty),
        order_type="LMT",
        lmt_price=price,
    )


def test_a_resting_limit_fills_in_parts_with_commissions_once_the_clock_crosses_it() -> None:
    engine, notifier, clock, bhp = _engine()

    order = engine.submit(_buy(bhp, "5000"))

    assert order is not None
    assert notifier.events[:2] == [
        ("status", 1, "PreSubmitted", 0),
        ("status", 1, "Submitted", 0),
    ]
    assert notifier.of("fill") == []  # 42.58 is below the 42.61 ask: the order rests

    seconds = 0
    while order.is_active and seconds < 600:
        clock.advance(1)
        seconds += 1
        engine.match_all()

    fills = notifier.of("fill")
    assert fills[0][2] == START + timedelta(seconds=110)  # not one second before the cross
    assert all(f[4] <= LIMIT for f in fills)  # type: ignore[operator]
    assert len({f[2] for f in fills}) > 1  # the book refills each second: fills come in parts
    assert [f[5] for f in fills] == sorted({f[5] for f in fills})  # cumulative, increasing
    assert sum(f[3] for f in fills) == Decimal(5000)  # type: ignore[misc]
    assert order.status == "Filled"

    batches = notifier.of("after fills")
    assert [b[2] for b in batches] == ["Submitted"] * (len(batches) - 1) + ["Filled"]
    assert all(b[3] > 0 for b in batches[:-1])  # type: ignore[operator]

    # one commission report per fill, in AUD, adding up to IBKR's ASX fixed commission
    commissions = notifier.of("commission")
    assert len(commissions) == len(fills)
    assert {c[3] for c in commissions} == {"AUD"}
    total = sum((c[2] for c in commissions), Decimal(0))  # type: ignore[misc]
    assert total == ibkr.asx_commission(order.filled_value).amount == order.commission

    # each batch of executions is followed by an account change, and the position is there
    for i, event in enumerate(notifier.events):
        if event[0] == "after fills":
            assert notifier.events[i + 1] == ("account", bhp.con_id)
    assert engine.world.positions[bhp.con_id].quantity == Decimal(5000)


def test_refusals_and_cancels_reach_the_notifier() -> None:
    engine, notifier, _clock, bhp = _engine()

    assert engine.submit(_buy(bhp, "0")) is None
    assert engine.submit(_buy(bhp, "10", Decimal("42.585"), order_id=2)) is None
    engine.faults.reject_next_order = "closed for the test"
    assert engine.submit(_buy(bhp, "10", order_id=3)) is None
    assert engine.cancel(1, 99) is False

    assert notifier.of("error") == [
        ("error", 1, 1, Refusal.SIZE_ZERO),
        ("error", 1, 2, Refusal.PRICE_NOT_ON_TICK),
        ("error", 1, 3, Refusal.REJECTED),
        ("error", 1, 99, Refusal.UNKNOWN_ORDER),
    ]

    order = engine.submit(_buy(bhp, "10", order_id=4))
    assert order is not None and order.is_active
    assert engine.cancel(1, 4) is True
    assert notifier.events[-2:] == [("status", 4, "Cancelled", 0), ("saved",)]
