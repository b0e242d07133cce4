"""The bot as a service: BotService runs the loop for any front end, and persists its circuits
so that another process (``trader status``, a dashboard) can read them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trader_cli import heap
from trader_cli.config import load_settings
from trader_cli.domain.scope import Backend, Mode, Scope
from trader_cli.services import bot as bot_module
from trader_cli.services.bot import BotOptions, BotService, BotStarted, read_health
from trader_cli.services.runner import CycleReport

MORNING = "2024-07-03T00:30:00Z"  # Wednesday 10:30 in Sydney: the ASX is open
DEPENDENCIES = {"venue_connection", "market_data", "order_placement", "llm"}


def sim_scope() -> Scope:
    """The scope a sim run trades: the sim's default paper account."""
    return Scope("ib", Backend.SIM, Mode.SIM).with_account("DU1234567")


def test_a_run_persists_its_circuits_for_another_process(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IB_", "SIM_", "TRADER_"))}
    env.update(TRADER_HOME=str(home), SIM_CLOCK=MORNING)
    started = datetime.now(UTC)
    done = subprocess.run(
        [sys.executable, "-m", "trader_cli", "run", "--venue", "sim", "--cycles", "2",
         "--interval", "5m", "--json"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180, check=False,
    )
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    last_cycle = [e for e in events if e["event"] == "cycle"][-1]

    # this process reads what that one wrote: a fresh connection, nothing shared but the file
    for name in list(os.environ):
        if name.startswith(("IB_", "SIM_", "TRADER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TRADER_HOME", str(home))
    monkeypatch.setenv("ACTIVE_EXCHANGE", "sim")
    record = read_health(load_settings(), sim_scope())
    assert record is not None
    assert set(record.status["circuits"]) == DEPENDENCIES
    assert {c["state"] for c in record.status["circuits"].values()} == {"closed"}
    assert record.status["allowsEntries"] is True
    # the last cycle's circuits, stamped with that cycle's (sim) time and the time of writing
    assert record.status["circuits"] == last_cycle["circuit"]["circuits"]
    assert record.at == datetime.fromisoformat(last_cycle["at"].replace("Z", "+00:00"))
    assert started - timedelta(seconds=5) <= record.written_at <= datetime.now(UTC)


def test_reading_circuits_where_no_bot_ran_gives_none(clean_env: Path, monkeypatch) -> None:
    monkeypatch.setenv("ACTIVE_EXCHANGE", "sim")
    assert read_health(load_settings(), sim_scope()) is None


async def test_the_service_runs_cycles_for_a_front_end_and_sums_up(
    clean_env: Path, monkeypatch
) -> None:
    monkeypatch.setenv("SIM_CLOCK", MORNING)
    monkeypatch.setenv("ACTIVE_EXCHANGE", "sim")
    starts: list[BotStarted] = []
    reports: list[CycleReport] = []
    trims: list[int] = []  # the heap's freed pages given back: after each cycle's report

    def trim() -> bool:
        trims.append(len(reports))
        return heap.trim_heap()

    monkeypatch.setattr(bot_module, "trim_heap", trim)
    bot = BotService(
        load_settings(),
        BotOptions(strategy="rules", cycles=2, interval=300.0),
        on_start=starts.append,
        on_cycle=reports.append,
    )
    summary = await bot.run()
    (start,) = starts
    assert (start.venue, start.mode, start.strategy) == ("sim", "sim", "rules")
    assert start.scope.account  # the connected account's scope: what the run lock holds
    assert [r.cycle for r in reports] == [1, 2]
    assert trims == [1, 2]
    assert bot.last_report is reports[-1]
    assert set(reports[-1].circuit["circuits"]) == DEPENDENCIES
    data = summary.to_dict()
    assert list(data) == ["venue", "strategy", "cycles", "stopped", "orders", "fills",
                          "plansOpen", "plansClosed", "telemetry"]
    assert (data["venue"], data["cycles"], data["stopped"]) == ("sim", 2, "after --cycles")
    assert data["telemetry"] == str(start.telemetry_path)


async def test_a_stop_requested_from_the_first_cycle_ends_the_run_there(
    clean_env: Path, monkeypatch
) -> None:
    monkeypatch.setenv("SIM_CLOCK", MORNING)
    monkeypatch.setenv("ACTIVE_EXCHANGE", "sim")
    seconds: list[bool] = []

    def on_cycle(report: CycleReport) -> None:
        seconds.append(bot.request_stop("test"))

    bot = BotService(load_settings(), BotOptions(cycles=5, interval=300.0), on_cycle=on_cycle)
    summary = await bot.run()
    assert summary.cycles == 1
    assert summary.stopped == "on request"
    assert seconds == [False]  # the first request; a second would return True
    assert bot.request_stop("again") is True
    telemetry = [json.loads(x) for x in (clean_env / "telemetry.log").read_text().splitlines()]
    assert [t["event"] for t in telemetry if t["event"] in {"start", "stop", "end"}] == [
        "start", "stop", "end", "stop"]


def test_an_unknown_strategy_is_refused_before_anything_connects(clean_env: Path) -> None:
    from trader_cli.errors import InputError

    with pytest.raises(InputError, match="unknown strategy"):
        BotService(load_settings(), BotOptions(strategy="martingale"))
