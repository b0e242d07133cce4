"""What ``place`` says when things go wrong: a link lost after the acknowledgement, a venue
rejection, and a dry run's daily-loss check. Real ib_async over loopback to the sim gateway."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from trader_cli.sim import SimGateway


@pytest.fixture(autouse=True)
def pinned_sim(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")


@pytest.fixture
def arm(monkeypatch: pytest.MonkeyPatch) -> Callable[[Callable[[SimGateway], None]], None]:
    """Arm a fault on the in-process sim gateway of the next command (once)."""
    armed: list[Callable[[SimGateway], None]] = []
    serve = SimGateway.serve

    async def serve_armed(self: SimGateway) -> None:
        while armed:
            armed.pop(0)(self)
        await serve(self)

    monkeypatch.setattr(SimGateway, "serve", serve_armed)
    return armed.append


def db_rows(home: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(home / "trader-ib-sim.sqlite") as conn:
        return conn.execute(sql).fetchall()


def venue_orders(home: Path) -> list[dict]:
    world = json.loads((home / "sim" / "ib-world.json").read_text())["world"]
    return list(world["orders"].values())


def test_link_lost_after_the_ack_names_the_live_order_and_a_safe_retry(
    trader, clean_env, arm
) -> None:
    arm(SimGateway.drop_links_after_next_ack)
    args = ("place", "BHP/AUD", "buy", "20", "--limit", "41.50", "--venue", "sim")
    r = trader(*args, "--timeout", "5")
    assert r.code == 1, r.err
    err = " ".join(r.err.split())
    match = re.search(r"order (trd-\S+) may be live at the venue", err)
    assert match, err
    cid = match.group(1)
    assert "trader resync" in err
    assert f"--client-order-id {cid}" in err
    assert "resumes this order" in err
    [sent] = venue_orders(clean_env)  # the venue holds the order: it is live
    assert sent["order_ref"] == cid

    again = trader(*args, "--client-order-id", cid, "--timeout", "1", "--json")
    assert again.code == 0, again.err
    data = again.json()
    assert data["resumed"] is True
    assert data["order"]["clientOrderId"] == cid
    assert data["order"]["status"] == "open"
    # venue truth: still exactly one order, nothing new was sent
    assert [o["order_ref"] for o in venue_orders(clean_env)] == [cid]
    assert db_rows(clean_env, "select client_order_id, status from orders") == [(cid, "open")]


def test_venue_rejection_shows_ibs_reason(trader, clean_env, arm) -> None:
    arm(lambda gw: gw.reject_next_order("SIMULATED: insufficient margin"))
    r = trader("place", "BHP/AUD", "buy", "20", "--limit", "41.50", "--venue", "sim")
    assert r.code == 1
    err = " ".join(r.err.split())
    assert "no reason given" not in err
    assert "[201]" in err or "201" in err or "Order rejected" in err
    assert "insufficient margin" in err
    [(status, last_error)] = db_rows(clean_env, "select status, last_error from orders")
    assert status == "rejected"
    assert "insufficient margin" in last_error


def test_dry_run_evaluates_the_daily_loss_as_place_does(trader, clean_env, monkeypatch) -> None:
    monkeypatch.setenv("MAX_DAILY_LOSS", "10")
    bought = trader("place", "BHP/AUD", "buy", "40", "--market", "--venue", "sim", "--json")
    assert bought.code == 0, bought.err
    sold = trader("place", "BHP/AUD", "sell", "40", "--market", "--venue", "sim", "--json")
    assert sold.code == 0, sold.err  # reducing: the daily loss rule does not hold it back
    # two commissions and the spread: today's realised loss is past MAX_DAILY_LOSS
    dry = trader("place", "BHP/AUD", "buy", "20", "--limit", "41.50", "--dry-run", "--venue",
                 "sim", "--json")  # fmt: skip
    assert dry.code == 3, dry.out
    check = {c["name"]: c for c in dry.json()["checks"]}["MAX_DAILY_LOSS"]
    assert check["evaluated"] is True
    assert check["passed"] is False
    assert "reached MAX_DAILY_LOSS 10.00 AUD" in check["message"]
    assert "not evaluated" not in check["message"]
    real = trader("place", "BHP/AUD", "buy", "20", "--limit", "41.50", "--venue", "sim")
    assert real.code == 3
    assert "MAX_DAILY_LOSS" in real.err
    # on an empty database the rule runs too, and passes
    monkeypatch.setenv("TRADER_HOME", str(clean_env.parent / "other-home"))
    fresh = trader("place", "BHP/AUD", "buy", "20", "--limit", "41.50", "--dry-run", "--venue",
                   "sim")  # fmt: skip
    assert fresh.code == 0, fresh.err
    line = next(x for x in fresh.out.splitlines() if "MAX_DAILY_LOSS" in x)
    assert "not evaluated" not in line and "not run" not in line
    assert "pass" in line


def test_a_check_that_did_not_run_is_shown_as_not_run() -> None:
    from trader_cli.cli.commands.place_order import _result
    from trader_cli.risk import Check

    skipped = Check("MAX_DAILY_LOSS", True, "daily loss not evaluated", evaluated=False)
    assert _result(skipped) == "not run"
    assert _result(Check("MAX_ORDER_VALUE", True, "ok")) == "pass"
    assert _result(Check("MAX_ORDER_VALUE", False, "over")) == "FAIL"
