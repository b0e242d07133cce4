"""Trading commands open the database in a thread while the venue connects; which failure is
reported stays as it was: a database that cannot be opened before an unreachable venue, and with
a good database the venue's failure, the database opened and migrated."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def no_gateway(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IB_PORT", str(_closed_port()))  # nothing listens: refused at once
    monkeypatch.setenv("IB_CONNECT_TIMEOUT", "2")


@pytest.mark.parametrize("command", [("resync",), ("flatten", "--all")])
def test_a_database_that_cannot_be_reached_is_reported_rather_than_the_venue(
    trader, no_gateway: None, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    # both fail: the PostgreSQL server and the Gateway refuse the connection
    monkeypatch.setenv("DATABASE_URL", f"postgresql://trader@127.0.0.1:{_closed_port()}/trader")
    r = trader(*command, "--venue", "ib")
    assert r.code == 1, r.err
    assert "cannot connect to PostgreSQL" in r.err
    assert "TWS" not in r.err


def test_with_a_good_database_the_unreachable_venue_is_reported_and_the_database_is_ready(
    trader, clean_env: Path, no_gateway: None
) -> None:
    r = trader("resync", "--venue", "ib")
    assert r.code == 1, r.err
    assert "127.0.0.1" in r.err or "connect" in r.err.lower()
    (db,) = clean_env.glob("trader-ib-*.sqlite")
    with sqlite3.connect(db) as conn:
        tables = {row[0] for row in conn.execute("select name from sqlite_master")}
    assert {"orders", "fills"} <= tables
