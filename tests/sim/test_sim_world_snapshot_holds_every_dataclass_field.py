"""The sim's world snapshot (what its file holds) is every field of its dataclasses, walked once
(no deep copy of the world on every save): the same data ``dataclasses.asdict`` gives, with
Decimals and datetimes as text and the engine's ``consumed`` book left out; it loads back into
the same world."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from trader_cli.sim.engine.world import SimExecution, SimPosition, World

T0 = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)


def by_asdict(value: Any) -> Any:
    """The snapshot as ``asdict`` and a plain walk of its result give it."""
    if isinstance(value, dict):
        return {str(k): by_asdict(v) for k, v in value.items() if k != "consumed"}
    if isinstance(value, list | tuple):
        return [by_asdict(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def a_world() -> World:
    world = World(account="DU1234567", epoch="0000beef")
    order = world.new_order(
        order_id=7, client_id=1, con_id=8644, action="BUY", total_qty=Decimal(100),
        order_type="STP LMT", lmt_price=Decimal("45.10"), tif="DAY", account="DU1234567",
        order_ref="T-1-E", outside_rth=False, status="Filled", created_at=T0,
        aux_price=Decimal("45.20"), oca_group="oca-1", oca_type=2, triggered=True,
    )  # fmt: skip
    order.filled, order.completed_at, order.expires_at = Decimal(100), T0, None
    world.new_order(
        order_id=8, client_id=1, con_id=8644, action="SELL", total_qty=Decimal("100.5"),
        order_type="LMT", lmt_price=None, tif="GTC", account="DU1234567", order_ref="",
        outside_rth=True, status="Submitted", created_at=T0, parent_id=7,
        awaiting_parent=True,
    )  # fmt: skip
    world.executions.append(SimExecution(
        "0000beef.01.01", 7, 1, order.perm_id, 8644, "BOT", Decimal(100), Decimal("45.1"), T0,
        "ASX", "DU1234567", Decimal(100), Decimal("45.1"), "T-1-E", 2, Decimal("6.00"), "AUD",
        None,
    ))  # fmt: skip
    world.positions[8644] = SimPosition(8644, Decimal(100), Decimal("45.16"), Decimal(0))
    world.cash["USD"] = Decimal("-12.345")
    world.consumed[order.perm_id] = (3, {"45.10": Decimal(100)})
    return world


def test_the_snapshot_is_what_asdict_gives_and_loads_back() -> None:
    world = a_world()
    snapshot = world.to_dict()
    assert snapshot == by_asdict(asdict(world))
    assert "consumed" not in snapshot
    again = World.from_dict(snapshot)
    assert again.to_dict() == snapshot
    assert again.orders == world.orders and again.executions == world.executions
