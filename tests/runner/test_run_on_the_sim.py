"""``trader run``: the bot trades, exits plans, survives a Gateway restart, and stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trader_cli.config import load_settings
from trader_cli.db import store, use_database
from trader_cli.db.models import FillRow, OrderRow, Plan, PlanStatus, SessionMode
from trader_cli.db.scope import use_scope
from trader_cli.domain.models import OrderStatus
from trader_cli.domain.scope import Backend, Mode, Scope
from trader_cli.services.context import TradingContext
from trader_cli.services.health import HealthCircuitManager
from trader_cli.services.orders import OrderService
from trader_cli.services.runner import StrategyRunner
from trader_cli.sim import SimClock, SimGateway
from trader_cli.strategies.rules import RulesStrategy
from trader_cli.telemetry import Telemetry
from trader_cli.venues.sim.venue import SimTrader

# Wednesday 3 July 2024, 10:30 in Sydney: the ASX has just opened
MORNING = "2024-07-03T00:30:00Z"


def rows(home: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(home / "trader-ib-sim.sqlite") as conn:
        return conn.execute(sql).fetchall()


def test_run_trades_exits_plans_and_leaves_a_consistent_db(trader, clean_env, monkeypatch):
    monkeypatch.setenv("SIM_CLOCK", MORNING)  # pinned: each cycle advances the sim 5 minutes
    r = trader("run", "--venue", "sim", "--cycles", "30", "--interval", "5m", "--json")
    assert r.code == 0, r.err
    events = [json.loads(line) for line in r.out.splitlines() if line.strip()]
    cycles = [e for e in events if e["event"] == "cycle"]
    summary = events[-1]
    assert summary["event"] == "summary"
    assert len(cycles) == 30
    assert summary["orders"] > 0
    assert summary["plansClosed"] > 0, "no plan reached an exit in 150 minutes of market"
    home = clean_env
    # every fill belongs to an order of ours; every order's filled equals its fills
    for cid, filled in rows(home, "select client_order_id, filled from orders"):
        fills = rows(home, f"select amount from fills where client_order_id = '{cid}'")
        assert sum(float(a) for (a,) in fills) == float(filled), cid
    assert rows(home, "select count(*) from fills where order_id is null") == [(0,)]
    assert rows(home, "select count(*) from orders where submitted_at is null") == [(0,)]
    (snapshots,) = rows(home, "select count(*) from equity_snapshots")
    assert snapshots[0] == 30
    assert rows(home, "select count(*) from sessions where ended_at is null") == [(0,)]
    telemetry = [json.loads(x) for x in (home / "telemetry.log").read_text().splitlines()]
    kinds = {t["event"] for t in telemetry}
    assert {"start", "decision", "order", "fill", "end"} <= kinds
    assert all("DU1234567" not in json.dumps(t) for t in telemetry)
    assert any(t.get("conId") for t in telemetry if t["event"] == "order")


def test_a_second_run_picks_up_open_plans(trader, clean_env, monkeypatch):
    monkeypatch.setenv("SIM_CLOCK", MORNING)
    assert trader("run", "--venue", "sim", "--cycles", "8", "--interval", "5m").code == 0
    open_before = rows(clean_env, "select id from plans where status = 'open'")
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:15:00Z")
    assert trader("run", "--venue", "sim", "--cycles", "30", "--interval", "5m").code == 0
    for (plan_id,) in open_before:
        ((status,),) = rows(clean_env, f"select status from plans where id = {plan_id}")
        assert status != "open", f"plan {plan_id} was not carried on by the second run"


def test_dry_run_sends_nothing(trader, clean_env, monkeypatch):
    monkeypatch.setenv("SIM_CLOCK", MORNING)
    r = trader("run", "--venue", "sim", "--cycles", "5", "--interval", "5m", "--dry-run")
    assert r.code == 0, r.err
    assert rows(clean_env, "select count(*) from orders") == [(0,)]
    assert rows(clean_env, "select count(*) from decisions where accepted = 1") != [(0,)]


@pytest.mark.parametrize("bad", ["0s", "soon", "-5m"])
def test_bad_interval_exits_2(trader, bad):
    r = trader("run", "--venue", "sim", "--cycles", "1", "--interval", bad)
    assert r.code == 2


@pytest.fixture
async def bot(clean_env: Path) -> AsyncIterator[tuple[StrategyRunner, SimGateway, list]]:
    settings = load_settings()
    clock = SimClock.pinned(datetime(2024, 7, 3, 0, 30, tzinfo=UTC))
    scope = Scope("ib", Backend.SIM, Mode.SIM)
    with use_database(f"sqlite:///{clean_env / 'bot.sqlite'}"), use_scope(scope):
        async with SimGateway.start(seed=0, clock=clock) as gw:
            venue = SimTrader(settings, gw)
            venue.conn.config.reconnect_attempts = 2
            await venue.connect()
            session = store.open_session(
                venue="sim", mode=SessionMode.SIM, base_currency="AUD", started_at=clock.now()
            )
            ctx = TradingContext(
                settings, venue, session, OrderService(venue, settings, session), scope
            )
            changes: list = []
            telemetry = Telemetry(clean_env / "telemetry.log", venue="sim", clock=venue.clock)
            health = HealthCircuitManager(
                clock=venue.clock,
                venue=venue,
                failure_threshold=1,
                recovery_probes=1,
                backoff_initial=30,
                on_change=lambda *a: (changes.append(a), telemetry.circuit(*a)),
            )
            runner = StrategyRunner(ctx, RulesStrategy(), telemetry=telemetry, health=health)
            try:
                yield runner, gw, changes
            finally:
                await venue.close()


async def test_run_survives_a_gateway_restart_without_duplicates(bot):
    runner, gw, changes = bot
    restarted = False

    def on_cycle(report):
        nonlocal restarted
        if report.cycle == 6 and not restarted:
            restarted = True
            import asyncio

            asyncio.get_running_loop().create_task(gw.refuse_connections(600))

    runner.on_cycle = on_cycle
    await runner.run(cycles=40, interval=300)
    assert restarted
    states = [(dep, new) for dep, _old, new, _why in changes if dep == "venue_connection"]
    assert ("venue_connection", "open") in states
    assert states[-1] == ("venue_connection", "closed"), changes
    assert runner.ctx.venue.is_connected
    refs = [o["order_ref"] for o in gw.world.to_dict()["orders"].values()]
    assert len(refs) == len(set(refs)), "an order was sent twice"
    assert OrderRow.select().count() == len(refs)
    in_flight = OrderRow.select().where(OrderRow.status == OrderStatus.PENDING).count()
    assert in_flight == 0
    venue_fills = {f.id for f in await runner.ctx.venue.get_my_trades()}
    assert venue_fills == {f.venue_fill_id for f in FillRow.select()}
    assert Plan.select().where(Plan.status == PlanStatus.CLOSED).count() > 0


def test_sigterm_finishes_the_step_and_leaves_nothing_half_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IB_", "SIM_", "TRADER_"))}
    env.update(TRADER_HOME=str(home), SIM_CLOCK=MORNING)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trader_cli",
            "run",
            "--venue",
            "sim",
            "--interval",
            "30s",
            "--json",
            "--speed",
            "10",
        ],  # 5 minutes of market per 30 s of wall time
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    first = json.loads(proc.stdout.readline())
    assert first["event"] == "cycle"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["event"] == "summary"
    assert summary["stopped"] == "on request"
    assert rows(home, "pragma integrity_check") == [("ok",)]
    assert rows(home, "select count(*) from orders where submitted_at is null") == [(0,)]
    assert rows(home, "select count(*) from sessions where ended_at is null") == [(0,)]
    last = json.loads((home / "telemetry.log").read_text().splitlines()[-1])
    assert last["event"] == "end"
    # the sim saved its paper world
    world = json.loads((home / "sim" / "ib-world.json").read_text())
    assert "orders" in world["world"]


class FailingLLMDouble:
    """A stand-in for the LLM strategy whose endpoint is down (a test double)."""

    name = "llm"

    async def decide(self, ctx):
        from trader_cli.errors import TemporaryError

        raise TemporaryError("chat endpoint unreachable")


async def test_llm_outage_opens_its_circuit_and_blocks_entries_only(bot):
    runner, _gw, changes = bot
    runner.strategy = FailingLLMDouble()
    first = await runner.cycle()
    assert "strategy llm: chat endpoint unreachable" in first.errors
    assert ("llm", "closed", "open") in [(d, o, n) for d, o, n, _ in changes]
    assert not runner.health.allows_entries()
    assert runner.health.allows_exits()
    second = await runner.cycle()
    assert second.decisions == []  # entries blocked: the strategy is not even asked
    assert runner.health.state("venue_connection") == "closed"


def test_llm_strategy_without_settings_exits_2_before_connecting(trader, clean_env):
    r = trader("run", "--venue", "sim", "--strategy", "llm", "--cycles", "1")
    assert r.code == 2
    assert "LLM_MODEL" in r.err
    assert not (clean_env / "trader-ib-sim.sqlite").exists()
