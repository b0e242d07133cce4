"""`trader record-fixtures --venue gemini` and `trader replay DIR --serve` for a Gemini recording,
as a user runs them; the served recording answers plain ccxt."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.replay.gemini_fixture import GEMINI_FIXTURE

SIM_ENV = {
    "SIM_CLOCK": "2024-07-03T01:00:00Z", "SIM_SEED": "7", "BASE_CURRENCY": "USD",
    "MAX_TOTAL_EXPOSURE": "200000",  # the sim account holds 1 BTC beside the far order
}  # fmt: skip


def test_record_against_the_gemini_sim_then_replay_and_quote(
    trader, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SIM_ENV.items():
        monkeypatch.setenv(name, value)
    out = clean_env / "fixtures" / "gemini" / "mine"
    r = trader(
        "record-fixtures", "--venue", "gemini", "--sim", "--with-orders", "--out", str(out),
        "--json",
    )  # fmt: skip
    assert r.code == 0, r.err
    summary = r.json()
    assert summary["ok"] is True and summary["steps"][-1] == "order"
    assert "cassette.yaml" in summary["files"] and "golden/order.json" in summary["files"]
    meta = (out / "recording.json").read_text()
    assert '"venue": "gemini"' in meta and '"backend": "sim"' in meta
    replayed = trader("replay", str(out))
    assert replayed.code == 0, replayed.out + replayed.err
    quote = trader("quote", "BTC/USD", "--venue", "gemini", "--replay", str(out), "--json")
    assert quote.code == 0, quote.err
    assert quote.json()["quotes"][0]["bid"]


def test_with_orders_against_live_gemini_is_refused_and_nothing_written(
    trader, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_SANDBOX", "false")
    monkeypatch.setenv("GEMINI_API_URL", "http://127.0.0.1:9")  # nothing is ever sent there
    out = clean_env / "rec"
    r = trader("record-fixtures", "--venue", "gemini", "--with-orders", "--out", str(out))
    assert r.code == 3
    assert "sandbox or the simulator only" in " ".join(r.err.split())
    assert not out.exists()


def test_ib_options_are_refused_for_gemini(trader, clean_env: Path) -> None:
    r = trader("record-fixtures", "--venue", "gemini", "--port", "4002", "--out", "x")
    assert r.code == 2
    assert "GEMINI_API_URL" in " ".join(r.err.split())


def _serve(home: Path) -> tuple[subprocess.Popen[str], str]:
    """``trader replay FIXTURE --serve --port 0`` in its own process, and its URL."""
    env = {**os.environ, "TRADER_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "trader_cli", "replay", str(GEMINI_FIXTURE), "--serve", "--port",
         "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=home,
    )  # fmt: skip
    assert proc.stdout is not None
    banner = proc.stdout.readline()
    match = re.search(r"REPLAY Gemini REST API .* on http://127\.0\.0\.1:(\d+)", banner)
    assert match, f"{banner!r} {proc.stderr.read() if proc.poll() is not None else ''}"
    return proc, f"http://127.0.0.1:{match.group(1)}"


@pytest.fixture
def home(clean_env: Path) -> Path:
    clean_env.mkdir(parents=True, exist_ok=True)
    return clean_env


async def test_replay_serve_answers_plain_ccxt_until_sigterm(home: Path) -> None:
    import ccxt.async_support as ccxt

    proc, url = _serve(home)
    # any key signs: the recording's requests are matched without key, signature or nonce
    client = ccxt.gemini({"apiKey": "account-anyone", "secret": "any", "enableRateLimit": False})
    client.urls["api"] = {"public": url, "private": url, "web": url, "webExchange": url}
    try:
        ticker = await client.publicGetV1PubtickerSymbol({"symbol": "btcusd"})
        assert ticker["bid"]
        balances = await client.privatePostV1Balances()
        assert {b["currency"] for b in balances} >= {"USD", "BTC"}
        with pytest.raises(ccxt.ExchangeError, match="no recorded answer for POST /v1/order/new"):
            await client.privatePostV1OrderNew({
                "symbol": "btcusd", "amount": "1", "price": "1.00", "side": "buy",
                "type": "exchange limit",
            })  # fmt: skip
    finally:
        await client.close()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "REPLAY Gemini API stopped" in err
