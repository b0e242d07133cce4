"""`--replay DIR` plays a recording back: commands that would send an order refuse up front.

A recording cannot take an order (the venue it was made against is not there); sending one to
the replay gateway fails only after the intent was written, leaving a pending order in the
replay scope's database that nothing can ever settle. So `place` (without --dry-run),
`flatten` and `run` (without --dry-run) refuse with exit 3 before anything is recorded or sent.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.replay.fixture import FIXTURE


def _orders(home: Path) -> list[tuple[str, str]]:
    path = home / "trader-ib-replay.sqlite"
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        return conn.execute("select client_order_id, status from orders").fetchall()


def test_place_on_a_replay_is_refused_and_records_nothing(trader, clean_env: Path) -> None:
    # a limit on the recorded touch, above MIN_TRADE_SIZE: every preview check passes
    r = trader(
        "place", "BHP/AUD", "buy", "20", "--limit", "42.61", "--timeout", "2",
        "--replay", str(FIXTURE),
    )  # fmt: skip
    assert r.code == 3, r.err
    text = " ".join(r.err.split())
    assert "REPLAY" in text and "takes no orders" in text
    assert "--sim" in text
    assert _orders(clean_env) == []


def test_place_dry_run_on_a_replay_still_previews(trader) -> None:
    r = trader(
        "place", "BHP/AUD", "buy", "20", "--limit", "42.61", "--dry-run",
        "--replay", str(FIXTURE), "--json",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert r.json()["ok"] is True


def test_run_on_a_replay_is_refused_before_a_cycle(trader, clean_env: Path) -> None:
    r = trader("run", "--cycles", "1", "--replay", str(FIXTURE))
    assert r.code == 3, r.err
    assert "takes no orders" in " ".join(r.err.split())
    assert _orders(clean_env) == []


def test_flatten_on_a_replay_is_refused(trader, clean_env: Path) -> None:
    r = trader("flatten", "--all", "--replay", str(FIXTURE))
    assert r.code == 3, r.err
    assert "takes no orders" in " ".join(r.err.split())
    assert _orders(clean_env) == []
