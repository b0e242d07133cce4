"""``trader status`` after ``trader run --venue sim --cycles 5``: the account in AUD, the badge,
hours, circuits and the positions the run left — read live, read-only, in readable numbers."""

from __future__ import annotations

import json
import re
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

MONEY = re.compile(r"^-?\d+\.\d{2}$")


@pytest.fixture
def after_a_run(trader, clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Monday 30 November 2026, 12:00 in Sydney: the ASX and IDEALPRO are open
    monkeypatch.setenv("SIM_CLOCK", "2026-11-30T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")
    r = trader("run", "--venue", "sim", "--cycles", "5", "--interval", "60", "--json")
    assert r.code == 0, r.err
    return clean_env / "trader-ib-sim.sqlite"


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def table_counts(db: Path) -> dict[str, int]:
    names = [n for (n,) in rows(db, "select name from sqlite_master where type='table'")]
    return {n: rows(db, f'select count(*) from "{n}"')[0][0] for n in names}


def net_fills(db: Path) -> dict[str, Decimal]:
    held: dict[str, Decimal] = {}
    for symbol, side, amount in rows(db, "select symbol, side, amount from fills"):
        sign = 1 if side == "buy" else -1
        held[symbol] = held.get(symbol, Decimal(0)) + sign * Decimal(amount)
    return {s: q for s, q in held.items() if q}


def all_money(node: object) -> list[dict]:
    found = []
    if isinstance(node, dict):
        if set(node) == {"amount", "currency"}:
            found.append(node)
        for value in node.values():
            found += all_money(value)
    elif isinstance(node, list):
        for value in node:
            found += all_money(value)
    return found


def test_status_json_shows_the_account_badge_hours_circuits_and_positions(
    trader, after_a_run: Path
) -> None:
    r = trader("status", "--venue", "sim", "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["badge"] == "SIMULATED"
    assert data["source"] == "venue"
    assert data["stale"] is False
    assert data["baseCurrency"] == "AUD"
    account = data["accountSummary"]
    assert account["netLiquidation"]["currency"] == "AUD"
    assert Decimal(account["netLiquidation"]["amount"]) > 0
    assert set(account["cashByCurrency"]) >= {"AUD"}
    # the positions the run left are the run's own fills, netted
    held = {p["symbol"]: Decimal(p["quantity"]) for p in data["positions"]}
    assert held, "the run left no position: the test would prove nothing"
    assert held == net_fills(after_a_run)
    markets = {h["market"]: h for h in data["hours"]}
    assert markets["XASX"]["open"] is True
    assert markets["XASX"]["nextClose"] == "2026-11-30T05:00:00Z"
    circuits = {c["dependency"]: c["state"] for c in data["bot"]["circuits"]}
    assert circuits["venue_connection"] == "closed"
    assert data["bot"]["running"] is False
    assert data["bot"]["lastCycleAt"] == "2026-11-30T01:04:00Z"
    # the open plans and the equity curve come from the database the run wrote
    [(open_plans,)] = rows(after_a_run, "select count(*) from plans where status='open'")
    assert len(data["plans"]) == open_plans
    assert len(data["equityCurve"]) == 5
    assert data["pnl"]["session"]["fees"]["currency"] == "AUD"
    # readable: every fiat amount at two decimals, no exponent, no float
    fiat = [m for m in all_money(data) if m["currency"] in ("AUD", "USD")]
    assert fiat
    assert all(MONEY.match(m["amount"]) for m in fiat), fiat


def test_status_table_names_the_badge_and_the_base_currency(trader, after_a_run: Path) -> None:
    r = trader("status", "--venue", "sim")
    assert r.code == 0, r.err
    assert r.out.startswith("[SIMULATED] IB sim")
    assert re.search(r"net liquidation\s+[\d,]+\.\d\d AUD", r.out)
    assert "STALE" not in r.out
    for symbol in net_fills(after_a_run):
        assert symbol in r.out
    assert re.search(r"venue_connection\s+CLOSED", r.out)
    assert re.search(r"XASX .* OPEN", r.out)


def sim_world(home: Path) -> dict:
    """The saved sim world, less its clock (SIM_CLOCK pins every command's start)."""
    return json.loads((home / "sim" / "ib-world.json").read_text())["world"]


def test_status_changes_nothing(trader, after_a_run: Path) -> None:
    before = table_counts(after_a_run)
    world = sim_world(after_a_run.parent)
    assert trader("status", "--venue", "sim").code == 0
    assert trader("status", "--venue", "sim", "--offline", "--json").code == 0
    assert table_counts(after_a_run) == before
    assert sim_world(after_a_run.parent) == world  # no order sent, cancelled or changed


def test_offline_status_reads_what_the_bot_recorded(trader, after_a_run: Path) -> None:
    live = trader("status", "--venue", "sim", "--json").json()
    r = trader("status", "--venue", "sim", "--offline", "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["stale"] is True
    assert data["source"] == "database"
    assert data["dataAsOf"] == "2026-11-30T01:04:00Z"  # the last cycle's account figures
    assert data["accountSummary"]["netLiquidation"]["currency"] == "AUD"
    assert {p["symbol"]: p["quantity"] for p in data["positions"]} == {
        p["symbol"]: p["quantity"] for p in live["positions"]
    }
    assert data["account"] == live["account"]
    r = trader("status", "--venue", "sim", "--offline")
    assert "STALE" in r.out


def test_the_recorded_account_keeps_no_raw_account_id(trader, after_a_run: Path) -> None:
    account = trader("status", "--venue", "sim", "--json").json()["account"]
    assert account.startswith("DU") and "*" in account
    stored = rows(after_a_run, "select value from sync_state")
    assert stored
    raw = "DU" + "1234567"
    assert all(raw not in value for (value,) in stored)
