"""The sim saves its world before any reply that follows from a change leaves the gateway, once
per batch: the requests a session read together (a bracket's three orders) make one save, and
so does a tick (a fill and the OCA cancel it causes). A client can never have seen an order or
a fill that the world on disk lacks, so a sim killed at any point loses nothing a client saw.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from ib_async import IB, Stock

from tests.sim.conftest import CENT, TIMEOUT, cents, until
from trader_cli.sim import SimClock, SimGateway

ORDER_STATUS = b"3"


def watch(gw: SimGateway, path: Path) -> list[tuple[str, Any]]:
    """Record, in order, each save (the filled quantity of every order on disk, by permId) and
    each orderStatus a session writes to its client (permId, filled)."""
    log: list[tuple[str, Any]] = []
    real_save = gw.save_state

    def save() -> None:
        real_save()
        orders = json.loads(path.read_text())["world"]["orders"]
        log.append(("save", {int(k): Decimal(o["filled"]) for k, o in orders.items()}))

    gw.save_state = save  # type: ignore[method-assign]
    for session in gw.all_sessions():
        real_write = session.writer.write

        def write(data: bytes, real_write: Any = real_write) -> None:
            fields = data[4:].split(b"\0")
            if fields[0] == ORDER_STATUS:
                log.append(("status", (int(fields[6]), Decimal(fields[3].decode()))))
            real_write(data)

        session.writer.write = write  # type: ignore[method-assign]
    return log


def assert_saved_before_sent(log: list[tuple[str, Any]]) -> None:
    on_disk: dict[int, Decimal] | None = None
    for kind, what in log:
        if kind == "save":
            on_disk = what
            continue
        perm, filled = what
        assert on_disk is not None and perm in on_disk, f"order {perm} sent before saved"
        assert on_disk[perm] >= filled, f"order {perm}'s fill sent before saved"


async def test_a_bracket_and_its_fills_are_on_disk_before_the_client_hears_of_them(
    clock: SimClock, tmp_path: Path
) -> None:
    path = tmp_path / "ib-world.json"
    async with SimGateway.start(seed=7, clock=clock, state_path=path) as gw:
        ib = IB()
        await ib.connectAsync("127.0.0.1", gw.port, clientId=1, timeout=TIMEOUT)
        try:
            bhp = Stock("BHP", "SMART", "AUD", primaryExchange="ASX")
            await ib.qualifyContractsAsync(bhp)
            ticker = ib.reqMktData(bhp)
            await until(lambda: ticker.bid > 0 and ticker.ask > 0)
            log = watch(gw, path)
            entry = cents(ticker.bid) - Decimal("0.50")
            bracket = ib.bracketOrder("BUY", 100, float(entry), float(entry + 1),
                                      float(entry - 1), orderRef="BR-1")  # fmt: skip
            parent, target, stop = (ib.placeOrder(bhp, order) for order in bracket)
            await until(lambda: stop.orderStatus.status == "PreSubmitted")
            assert [kind for kind, _ in log].count("save") == 1  # three orders, read together

            await gw.move_market("BHP", entry - CENT)  # the parent fills, its children work
            await until(lambda: parent.orderStatus.status == "Filled")
            await until(lambda: target.orderStatus.status == "Submitted")
            saves = [kind for kind, _ in log].count("save")
            await gw.move_market("BHP", entry + 1 + CENT)  # the target fills, the stop goes
            await until(lambda: stop.orderStatus.status == "Cancelled")
            assert target.orderStatus.status == "Filled"
            assert [kind for kind, _ in log].count("save") == saves + 1  # one tick, one save
            assert_saved_before_sent(log)
        finally:
            ib.disconnect()
