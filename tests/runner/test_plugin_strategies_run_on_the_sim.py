"""``trader run --strategy module:Class``: the SMA example trades on the sim; a plug-in that
fails to load stops the command before it connects; one that raises costs a cycle's entries."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

SMA = "trader_cli.strategies.examples.sma:SmaCrossover"
MORNING = "2024-07-03T00:30:00Z"  # Wednesday 10:30 in Sydney: the ASX is open


def rows(home: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(home / "trader-ib-sim.sqlite") as conn:
        return conn.execute(sql).fetchall()


def cycles(out: str) -> list[dict]:
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [e for e in events if e["event"] == "cycle"]


def test_the_sma_example_decides_and_trades_as_a_plugin(trader, clean_env, monkeypatch):
    monkeypatch.setenv("SIM_CLOCK", MORNING)  # pinned: each cycle advances the sim 5 minutes
    r = trader("run", "--venue", "sim", "--strategy", SMA, "--cycles", "6", "--json")
    assert r.code == 0, r.err
    seen = cycles(r.out)
    assert len(seen) == 6
    assert all(not c["errors"] for c in seen), [c["errors"] for c in seen]
    home = clean_env
    strategies = rows(home, "select distinct strategy from decisions")
    assert strategies == [("sma-crossover",)]
    entries = rows(
        home, "select symbol, entry_client_order_id, rationale from plans order by id"
    )
    assert entries, "no crossover in 30 minutes of five symbols"
    for symbol, client_id, rationale in entries:
        assert rationale.startswith("SMA10 crossed "), rationale
        ((order_symbol, filled),) = rows(
            home, f"select symbol, filled from orders where client_order_id = '{client_id}'"
        )
        assert order_symbol == symbol
        assert float(filled) > 0  # the sim filled the entry: a real trade, in the DB
    # one plan per crossing at most: never a second entry while a position is open
    symbols = [s for s, _, _ in entries]
    assert len(symbols) == len(set(symbols))


def test_a_plugin_that_does_not_load_stops_before_anything_connects(trader, clean_env):
    r = trader("run", "--venue", "sim", "--strategy", "trader_cli.strategies.examples.sma:Smaa")
    assert r.code == 2
    assert "has no 'Smaa'" in r.err
    assert "SmaCrossover" in r.err  # the hint lists what is there
    assert not clean_env.exists()  # no sim world, no database: nothing started


def test_a_plugin_that_raises_costs_its_entries_not_the_loop(
    trader, clean_env, monkeypatch, tmp_path
):
    (tmp_path / "boom_strategy.py").write_text(
        textwrap.dedent(
            """
            class Boom:
                name = "boom"

                async def decide(self, ctx):
                    return [1 / 0]
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("SIM_CLOCK", MORNING)
    r = trader(
        "run", "--venue", "sim", "--strategy", "boom_strategy:Boom", "--cycles", "2", "--json"
    )
    assert r.code == 0, r.err
    assert len(cycles(r.out)) == 2
    for cycle in cycles(r.out):
        assert any("strategy boom raised ZeroDivisionError" in e for e in cycle["errors"])
        assert cycle["decisions"] == []
    assert rows(clean_env, "select count(*) from orders") == [(0,)]


def test_dry_run_of_a_plugin_decides_but_sends_nothing(trader, clean_env, monkeypatch):
    monkeypatch.setenv("SIM_CLOCK", MORNING)
    r = trader("run", "--venue", "sim", "--strategy", SMA, "--cycles", "6", "--dry-run", "--json")
    assert r.code == 0, r.err
    assert rows(clean_env, "select count(*) from orders") == [(0,)]
    actions = [d.get("action", "") for c in cycles(r.out) for d in c["decisions"]]
    assert any(a.startswith("enter") for a in actions), actions
