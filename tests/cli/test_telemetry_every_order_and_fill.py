"""telemetry.log has every order we send and every fill we get, from every command, each with
the contract id, the exchange and where the commission came from (docs/telemetry.md)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def pinned_sim(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")


def db_rows(home: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(home / "trader-ib-sim.sqlite") as conn:
        return conn.execute(sql).fetchall()


def telemetry(home: Path, event: str) -> list[dict[str, Any]]:
    lines = [json.loads(x) for x in (home / "telemetry.log").read_text().splitlines()]
    return [t for t in lines if t["event"] == event]


def assert_every_order_and_fill_is_logged(home: Path) -> None:
    orders = telemetry(home, "order")
    fills = telemetry(home, "fill")
    for line in orders + fills:
        assert isinstance(line["conId"], int) and line["conId"] > 0, line
        assert line["exchange"], line
        assert "commissionSource" in line, line
    for line in fills:
        assert line["commissionSource"] == "venue", line
    logged_orders = {t["clientOrderId"] for t in orders}
    for (cid,) in db_rows(home, "select client_order_id from orders"):
        assert cid in logged_orders, f"order {cid} sent but not in telemetry.log"
    logged_fills = {t["id"] for t in fills}
    for (fill_id,) in db_rows(home, "select venue_fill_id from fills"):
        assert fill_id in logged_fills, f"fill {fill_id} recorded but not in telemetry.log"
    for line in orders:
        if line["fee"] is not None:
            assert line["commissionSource"] in ("venue", "estimate"), line


def test_place_logs_its_order_and_fills(trader, clean_env) -> None:
    r = trader("place", "BHP/AUD", "buy", "40", "--market", "--venue", "sim", "--json")
    assert r.code == 0, r.err
    cid = r.json()["order"]["clientOrderId"]
    assert r.json()["fills"]
    assert_every_order_and_fill_is_logged(clean_env)
    assert telemetry(clean_env, "order")[-1]["clientOrderId"] == cid
    assert {f["exchange"] for f in telemetry(clean_env, "fill")} <= {"ASX", "CHIXAU", "SMART"}


def test_flatten_logs_its_orders_and_fills(trader, clean_env) -> None:
    assert trader("place", "BHP/AUD", "buy", "40", "--market", "--venue", "sim").code == 0
    (log := clean_env / "telemetry.log").unlink()
    r = trader("flatten", "BHP/AUD", "--venue", "sim", "--json")
    assert r.code == 0, r.err
    flatten_orders = db_rows(clean_env, "select client_order_id from orders where side = 'sell'")
    assert flatten_orders
    assert log.exists()
    logged = {t["clientOrderId"] for t in telemetry(clean_env, "order")}
    assert {cid for (cid,) in flatten_orders} <= logged
    assert telemetry(clean_env, "fill")
    for line in telemetry(clean_env, "order") + telemetry(clean_env, "fill"):
        assert line["conId"] and line["exchange"], line


def test_run_logs_entries_plan_exits_and_their_fills(trader, clean_env, monkeypatch) -> None:
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T00:30:00Z")  # each cycle advances 5 minutes
    r = trader("run", "--venue", "sim", "--cycles", "30", "--interval", "5m", "--json")
    assert r.code == 0, r.err
    exits = db_rows(clean_env, "select client_order_id from orders where reason like 'exit plan%'")
    assert exits, "no plan exit in 150 minutes of market"
    assert_every_order_and_fill_is_logged(clean_env)
    logged = {t["clientOrderId"]: t for t in telemetry(clean_env, "order")}
    for (cid,) in exits:
        assert logged[cid]["reason"].startswith("exit plan"), logged[cid]
