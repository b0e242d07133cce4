"""``place --stop --target`` sends a bracket through the same checks; ``flatten`` cancels its
children before it closes; ``status`` says where stops and targets are held, per venue."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

# the sim's BHP/AUD at the pinned clock: bid 42.60, ask 42.61
BRACKET = ("place", "BHP/AUD", "buy", "100", "--limit", "42.61", "--stop", "41.60",
           "--target", "43.60", "--venue", "sim")


@pytest.fixture(autouse=True)
def pinned_sim(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")


def db_rows(home: Path, sql: str, name: str = "trader-ib-sim.sqlite") -> list[tuple]:
    if not (home / name).exists():
        return []
    with sqlite3.connect(home / name) as conn:
        return conn.execute(sql).fetchall()


def world_orders(home: Path) -> list[dict]:
    world = json.loads((home / "sim" / "ib-world.json").read_text())["world"]
    return list(world["orders"].values())


def test_dry_run_shows_the_three_legs_and_sends_nothing(trader, clean_env) -> None:
    r = trader(*BRACKET, "--dry-run", "--json")
    assert r.code == 0, r.err
    preview = r.json()
    legs = [(leg["leg"], leg["side"], leg["type"], leg["limitPrice"], leg["stopPrice"],
             leg["timeInForce"]) for leg in preview["bracket"]]
    assert legs == [
        ("entry", "buy", "limit", "42.61", None, None),
        ("stop", "sell", "stop", None, "41.60", "GTC"),
        ("target", "sell", "limit", "43.60", None, "GTC"),
    ]
    checks = {c["name"]: c for c in preview["checks"]}
    assert checks["bracket_stop_value"]["passed"] is True
    assert checks["bracket_stop_value"]["value"]["amount"] == "4160.00"  # 100 x 41.60
    assert db_rows(clean_env, "select count(*) from orders") in ([], [(0,)])

    text = trader(*BRACKET, "--dry-run")
    assert text.code == 0, text.err
    assert "stop     sell 100 stop trigger 41.60 GTC" in text.out
    assert "target   sell 100 limit at 43.60 GTC" in text.out


def test_place_sends_a_bracket_once_and_flatten_cancels_its_children_first(
    trader, clean_env
) -> None:
    args = (*BRACKET, "--client-order-id", "trd-br-1", "--timeout", "2", "--json")
    r = trader(*args)
    assert r.code == 0, r.err
    placed = r.json()
    assert placed["order"]["clientOrderId"] == "trd-br-1-E"
    assert placed["order"]["status"] == "closed"
    assert [(c["clientOrderId"], c["status"]) for c in placed["children"]] == [
        ("trd-br-1-S", "open"), ("trd-br-1-T", "open")]
    assert placed["preview"]["bracket"][1]["stopPrice"] == "41.60"
    assert placed["children"][0]["info"]["stopPrice"] == "41.60"
    rows = db_rows(clean_env, "select client_order_id, parent_client_order_id, oca_group "
                              "from orders order by id")
    assert rows == [("trd-br-1-E", None, None), ("trd-br-1-S", "trd-br-1-E", "trd-br-1-OCA"),
                    ("trd-br-1-T", "trd-br-1-E", "trd-br-1-OCA")]

    again = trader(*args)  # the same id resumes the bracket: nothing is sent twice
    assert again.code == 0, again.err
    assert again.json()["resumed"] is True
    refs = sorted(o["order_ref"] for o in world_orders(clean_env))
    assert refs == ["trd-br-1-E", "trd-br-1-S", "trd-br-1-T"]

    flat = trader("flatten", "--all", "--venue", "sim", "--json")
    assert flat.code == 0, flat.err
    report = flat.json()
    assert report["cancelled"] == ["trd-br-1-S", "trd-br-1-T"]
    assert report["flat"] is True
    (line,) = report["positions"]
    (close,) = line["orders"]
    assert (line["before"], line["filled"], line["left"]) == ("100", "100", "0")
    # the children were cancelled before the closing order was written, let alone sent
    (cancelled_at,) = db_rows(
        clean_env, "select max(updated_at) from orders where client_order_id in "
                   "('trd-br-1-S', 'trd-br-1-T') and status = 'canceled'")[0]
    (closed_at,) = db_rows(clean_env, "select created_at from orders where client_order_id = "
                                      f"'{close['clientOrderId']}'")[0]
    assert cancelled_at is not None and cancelled_at <= closed_at
    by_ref = {o["order_ref"]: o for o in world_orders(clean_env)}
    assert {by_ref[f"trd-br-1-{leg}"]["status"] for leg in "ST"} == {"Cancelled"}


def test_a_stop_on_the_wrong_side_is_bad_input_and_records_nothing(trader, clean_env) -> None:
    r = trader("place", "BHP/AUD", "buy", "100", "--limit", "42.61", "--stop", "43.00",
               "--target", "44.00", "--venue", "sim")
    assert r.code == 2
    assert "a buy's stop must be below its entry 42.61" in r.err
    assert db_rows(clean_env, "select count(*) from orders") in ([], [(0,)])


def test_a_short_bracket_is_refused_when_its_stop_at_the_trigger_is_too_big(
    trader, clean_env
) -> None:
    # the entry is worth 110 x 42.60 = 4,686 AUD, within MAX_ORDER_VALUE 5,000; its stop, a buy
    # at 46.00 once triggered, is worth 5,060 AUD
    r = trader("place", "BHP/AUD", "sell", "110", "--limit", "42.60", "--stop", "46.00",
               "--target", "41.00", "--venue", "sim")
    assert r.code == 3, r.err
    assert "stop valued at its trigger: 5,060.00 AUD over MAX_ORDER_VALUE" in r.err
    assert db_rows(clean_env, "select count(*) from orders") in ([], [(0,)])


def test_gemini_keeps_protection_local_and_says_so(trader, clean_env) -> None:
    r = trader("place", "BTC/USD", "buy", "0.01", "--limit", "60000", "--stop", "59000",
               "--target", "61000", "--venue", "gemini", "--sim")
    assert r.code == 2
    assert "Gemini holds no stops or targets for us" in r.err
    assert db_rows(clean_env, "select count(*) from orders", "trader-gemini-sim.sqlite") in (
        [], [(0,)])

    gemini = trader("status", "--venue", "gemini", "--sim", "--json")
    assert gemini.code == 0, gemini.err
    assert gemini.json()["protection"].startswith("local: Gemini has no stop orders")

    ib = trader("status", "--venue", "sim", "--json")
    assert ib.code == 0, ib.err
    assert ib.json()["protection"].startswith("broker: stops and targets are held by IB")


def test_protection_local_is_said_on_ib(trader, monkeypatch) -> None:
    monkeypatch.setenv("PROTECTION", "local")
    r = trader("status", "--venue", "sim", "--json")
    assert r.code == 0, r.err
    assert r.json()["protection"].startswith("local (PROTECTION=local)")


def test_a_bracket_entry_cannot_be_ioc(trader, clean_env) -> None:
    r = trader(*BRACKET, "--tif", "ioc", "--dry-run")
    assert r.code == 2
    assert "a bracket's entry cannot be IOC" in r.err
