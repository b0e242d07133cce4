"""The committed Gemini recording (made against the Gemini sim) replays equal to its golden files,
and neither it nor a fresh recording holds a key, secret, signature, nonce or account id."""

from __future__ import annotations

import json
from pathlib import Path

from tests.replay.gemini_fixture import (
    API_KEY,
    API_SECRET,
    GEMINI_FIXTURE,
    GEMINI_SYMBOLS,
    record_gemini_against_sim,
)
from trader_cli.config import load_settings
from trader_cli.replay.gemini_sanitize import API_KEY_SHAPED
from trader_cli.services.recording import replay_recording

STEPS = [
    "contracts", "quotes", "bars", "account", "positions", "executions", "open_orders", "order",
]  # fmt: skip


def _all_text(directory: Path) -> str:
    return "".join(p.read_text() for p in sorted(directory.rglob("*")) if p.is_file())


def _assert_nothing_secret(directory: Path, secrets: tuple[str, ...]) -> None:
    text = _all_text(directory)
    lowered = text.lower()
    for secret in secrets:
        assert secret.lower() not in lowered
    for leaked in ("x-gemini-", "signature", "nonce", "apikey"):
        assert leaked not in lowered, leaked
    assert not API_KEY_SHAPED.search(text)


def test_the_committed_gemini_fixture_replays_with_exit_0(trader) -> None:
    r = trader("replay", str(GEMINI_FIXTURE))
    assert r.code == 0, r.out + r.err
    assert "8 steps equal to the golden files" in " ".join(r.out.split())


def test_replay_json_reports_every_step_equal(trader) -> None:
    r = trader("replay", str(GEMINI_FIXTURE), "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["ok"] is True and data["steps"] == STEPS
    assert data["diffs"] == {} and data["unmatched"] == []


def test_the_fixture_holds_no_key_secret_signature_or_nonce() -> None:
    _assert_nothing_secret(GEMINI_FIXTURE, (API_KEY, API_SECRET))
    meta = json.loads((GEMINI_FIXTURE / "recording.json").read_text())
    assert meta["venue"] == "gemini" and meta["backend"] == "sim"
    assert meta["clock"] == "2024-07-03T01:00:00Z"


def test_the_fixture_covers_the_scenario() -> None:
    golden = GEMINI_FIXTURE / "golden"
    bars = json.loads((golden / "bars.json").read_text())
    assert sorted(bars) == sorted(f"{s} {tf}" for s in GEMINI_SYMBOLS for tf in ("5m", "1h", "1d"))
    assert all(len(candles) == 40 for candles in bars.values())
    order = json.loads((golden / "order.json").read_text())
    assert order["placed"]["status"] == "open" and order["cancelled"]["status"] == "canceled"
    assert order["placed"]["clientOrderId"] == "trd-fixture-1"
    quote = next(q for q in json.loads((golden / "quotes.json").read_text())
                 if q["symbol"] == "BTC/USD")  # fmt: skip
    assert 2 * float(order["placed"]["price"]) <= float(quote["bid"])  # far below the market


async def test_a_fresh_recording_replays_equal_and_holds_nothing_secret(
    clean_env: Path, tmp_path: Path
) -> None:
    out = tmp_path / "rec"
    summary = await record_gemini_against_sim(out)
    assert summary.steps == STEPS
    assert sorted(summary.files) == sorted(
        ["cassette.yaml", "recording.json", *(f"golden/{s}.json" for s in STEPS)]
    )
    _assert_nothing_secret(out, (API_KEY, API_SECRET))
    report = await replay_recording(load_settings(None), out)
    assert report.ok, report.diffs or report.unmatched


async def test_without_orders_nothing_is_placed(clean_env: Path, tmp_path: Path) -> None:
    summary = await record_gemini_against_sim(tmp_path / "rec", with_orders=False)
    assert "order" not in summary.steps
    cassette = (tmp_path / "rec" / "cassette.yaml").read_text()
    assert "/v1/order/new" not in cassette and "/v1/order/cancel" not in cassette
