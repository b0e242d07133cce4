"""A live account never gets a baseline: its holdings are the user's and real exposure.

The live account here is the test double the sim tests already use for one: the TWS simulator
serving a live-style account id (``U…``), reached as ``--venue ib`` with ``IB_PAPER=false``, so
the command's scope is LIVE exactly as against a real Gateway. The same account set-up as paper
(``DU…``, ``IB_PAPER=true``) does get one, so the difference is the mode and nothing else.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from trader_cli.config import load_settings
from trader_cli.db.models import BaselineItemRow, BaselineRow
from trader_cli.domain.scope import Mode
from trader_cli.errors import InputError
from trader_cli.services.baseline import own_positions, reset_baseline
from trader_cli.services.context import trading_context
from trader_cli.sim import SimClock, SimGateway
from trader_cli.sim.engine.world import SimPosition

from .conftest import ASX_OPEN

LIVE_ACCOUNT_DOUBLE = "U7654321"  # the sim gateway as a live account (see test_sim_connect…)
PAPER_ACCOUNT = "DU1234567"


@pytest.mark.parametrize(
    ("account", "ib_paper", "mode"),
    [(LIVE_ACCOUNT_DOUBLE, "false", Mode.LIVE), (PAPER_ACCOUNT, "true", Mode.PAPER)],
)
async def test_only_a_non_live_account_records_a_baseline(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, account: str, ib_paper: str, mode: Mode
) -> None:
    clock = SimClock.pinned(ASX_OPEN)
    async with SimGateway.start(seed=7, clock=clock, account=account) as gw:
        inst = next(i for i in gw.catalogue.instruments if i.local_symbol == "BHP")
        gw.world.positions[inst.con_id] = SimPosition(inst.con_id, Decimal(100), Decimal(44))
        for name, value in {
            "ACTIVE_EXCHANGE": "ib", "IB_PAPER": ib_paper, "IB_HOST": "127.0.0.1",
            "IB_PORT": str(gw.port), "IB_CONNECT_TIMEOUT": "2",
        }.items():
            monkeypatch.setenv(name, value)
        settings = load_settings()
        async with trading_context(settings, with_session=False) as ctx:
            assert ctx.scope.mode is mode
            held = await ctx.venue.get_positions()
            if mode is Mode.LIVE:
                assert ctx.baseline is None
                assert BaselineRow.select().count() == 0
                assert BaselineItemRow.select().count() == 0
                # the 100 BHP are the bot's exposure like any other holding
                assert [p.quantity for p in own_positions(held, ctx.baseline)] == [100]
                with pytest.raises(InputError, match="no baseline on a LIVE account"):
                    await reset_baseline(ctx.venue, ctx.scope, "AUD")
                assert BaselineRow.select().count() == 0
            else:
                assert ctx.baseline is not None
                assert [(h.symbol, h.quantity) for h in ctx.baseline.holdings] == [
                    ("BHP/AUD", 100)
                ]
                assert own_positions(held, ctx.baseline) == []
