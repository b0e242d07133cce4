"""``trader run`` across the ASX close: no entries inside the pre-close buffer, so no churn.

The plan monitor exits every plan once the session is inside its pre-close buffer; an entry sent
there is exited on the next cycle and re-entered on the one after, paying commission each way.
The runner asks the monitor's own exit rule before sending, so none is sent.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from trader_cli.domain.symbols import parse_symbol
from trader_cli.hours import market_hours
from trader_cli.services.plans import CLOSE_BUFFER

# Wednesday 3 July 2024: the ASX closes at 16:00 Sydney (06:00 UTC); the buffer starts 15:50.
ASX_CLOSE = datetime(2024, 7, 3, 6, 0, tzinfo=UTC)
BUFFER_STARTS = ASX_CLOSE - CLOSE_BUFFER
START = "2024-07-03T05:45:00Z"  # five minutes before the buffer


def rows(home: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(home / "trader-ib-sim.sqlite") as conn:
        return conn.execute(sql).fetchall()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def inside_the_buffer(symbol: str, when: datetime) -> bool:
    closes = market_hours(parse_symbol(symbol).instrument_class, when).session_close
    return closes is not None and closes - when <= CLOSE_BUFFER


def test_a_run_through_the_close_makes_no_entries_in_the_buffer_and_no_round_trips(
    trader, clean_env, monkeypatch
):
    # pinned: each cycle moves the sim clock one minute, 05:45 → 06:09 UTC, across the close
    monkeypatch.setenv("SIM_CLOCK", START)
    r = trader("run", "--venue", "sim", "--cycles", "25", "--interval", "1m", "--json")
    assert r.code == 0, r.err
    home = clean_env
    orders = rows(home, "select client_order_id, symbol, reason, created_at from orders")
    entries = [(cid, sym, at(ts)) for cid, sym, reason, ts in orders if reason.startswith("entry")]
    exits = [(sym, reason, at(ts)) for _cid, sym, reason, ts in orders if reason.startswith("exit")]
    assert entries, "the strategy never entered: the run does not exercise the close"

    # zero entries sent inside the buffer (the FX pair's close is hours away: it may trade)
    in_buffer = [(cid, sym, t) for cid, sym, t in entries if inside_the_buffer(sym, t)]
    assert in_buffer == [], f"entries sent inside the pre-close buffer: {in_buffer}"

    # no enter→exit round trips at the close: no entry fill inside the buffer, and each symbol
    # is taken out for the close at most once (what was entered before the buffer)
    entry_fills = rows(
        home,
        "select f.symbol, f.timestamp from fills f join orders o on o.id = f.order_id "
        "where o.reason like 'entry%'",
    )
    assert [(s, t) for s, t in entry_fills if inside_the_buffer(s, at(t))] == []
    close_exits = Counter(sym for sym, reason, _t in exits if "market closes" in reason)
    assert all(n == 1 for n in close_exits.values()), close_exits

    # nothing on the ASX carried into the night by a last-minute entry
    plans = rows(home, "select id, symbol, status from plans")
    assert [(i, s) for i, s, status in plans if status == "open" and s.endswith("/AUD")] == []

    # the refusals are decisions with a clear reason, and show in the JSON cycle events
    refused = rows(
        home,
        "select reason from decisions where action = 'enter' and accepted = 0 "
        "and reason like '%pre-close buffer: no new entries'",
    )
    assert refused, "no entry was refused inside the buffer: the strategy never tried"
    events = [json.loads(line) for line in r.out.splitlines() if line.strip()]
    results = [
        (d["symbol"], d.get("result", ""))
        for e in events
        if e["event"] == "cycle" and BUFFER_STARTS <= at(e["at"]) < ASX_CLOSE
        for d in e["decisions"]
        if d["symbol"].endswith("/AUD")
    ]
    assert any(
        res.startswith("refused: market closes in ")
        and res.endswith("min, inside the 10-min pre-close buffer: no new entries")
        for _sym, res in results
    ), results
    assert [(sym, res) for sym, res in results if res.startswith("sent")] == []
