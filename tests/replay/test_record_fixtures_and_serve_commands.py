"""`trader record-fixtures` against `trader sim-gateway`, and `trader replay --serve`, as a user
runs them: separate processes, the real ib_async client."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ib_async import IB

from tests.replay.fixture import FIXTURE
from trader_cli.replay.sanitize import scan_directory


def _spawn(args: list[str], home: Path, pattern: str) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "TRADER_HOME": str(home), "SIM_CLOCK": "2024-07-03T01:00:00Z"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "trader_cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=home,
    )  # fmt: skip
    assert proc.stdout is not None
    banner = proc.stdout.readline()
    match = re.search(pattern, banner)
    assert match, f"no banner: {banner!r} {proc.stderr.read() if proc.poll() is not None else ''}"
    return proc, int(match.group(1))


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    return err


def test_record_against_the_sim_gateway_then_replay_and_quote(trader, clean_env: Path) -> None:
    clean_env.mkdir(parents=True, exist_ok=True)
    proc, port = _spawn(
        ["sim-gateway", "--port", "0", "--fresh"], clean_env, r"listening on 127\.0\.0\.1:(\d+)"
    )
    out = clean_env / "fixtures" / "ib" / "mine"
    try:
        r = trader(
            "record-fixtures", "--out", str(out), "--port", str(port), "--with-orders",
            "--symbols", "BHP/AUD,AUD/USD", "--json",
        )  # fmt: skip
    finally:
        _stop(proc)
    assert r.code == 0, r.err
    summary = r.json()
    assert summary["ok"] is True and summary["steps"][-1] == "order"
    assert "wire.jsonl" in summary["files"] and "golden/order.json" in summary["files"]
    assert scan_directory(out, ["DU1234567"]) == []
    replayed = trader("replay", str(out))
    assert replayed.code == 0, replayed.out + replayed.err
    quote = trader("quote", "BHP/AUD", "--replay", str(out), "--json")
    assert quote.code == 0, quote.err
    assert quote.json()["quotes"][0]["bid"]


@pytest.fixture
def home(clean_env: Path) -> Path:
    clean_env.mkdir(parents=True, exist_ok=True)
    return clean_env


async def test_replay_serve_answers_a_plain_client_until_sigterm(home: Path) -> None:
    proc, port = _spawn(
        ["replay", str(FIXTURE), "--serve", "--port", "0"], home,
        r"REPLAY IB Gateway .* listening on 127\.0\.0\.1:(\d+)",
    )  # fmt: skip
    try:
        ib = IB()
        await ib.connectAsync("127.0.0.1", port, clientId=7, timeout=5)
        try:
            assert ib.managedAccounts() == ["DUREC0001"]
            assert await ib.reqCurrentTimeAsync() == datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
        finally:
            ib.disconnect()
    finally:
        err = _stop(proc)
    assert "REPLAY gateway stopped" in err
