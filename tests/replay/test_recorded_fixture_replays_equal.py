"""The committed IB recording (made against the sim gateway) replays equal to its golden files."""

from __future__ import annotations

import json
from pathlib import Path

from tests.replay.fixture import FIXTURE, SIM_ACCOUNT, SYMBOLS, record_against_sim
from trader_cli.config import load_settings
from trader_cli.redaction import ACCOUNT_IN_TEXT
from trader_cli.replay.sanitize import scan_directory
from trader_cli.services.recording import replay_ib


def test_the_committed_fixture_replays_with_exit_0(trader) -> None:
    r = trader("replay", str(FIXTURE))
    assert r.code == 0, r.out + r.err
    assert "8 steps equal to the golden files" in " ".join(r.out.split())


def test_replay_json_reports_every_step_equal(trader) -> None:
    r = trader("replay", str(FIXTURE), "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["ok"] is True
    assert data["steps"] == [
        "contracts", "quotes", "bars", "account", "positions", "executions", "open_orders",
        "order",
    ]  # fmt: skip
    assert data["diffs"] == {} and data["unmatched"] == []


def test_the_fixture_holds_no_account_id_of_the_recorded_account() -> None:
    assert scan_directory(FIXTURE, [SIM_ACCOUNT]) == []
    text = "".join(p.read_text() for p in FIXTURE.rglob("*") if p.is_file())
    assert not ACCOUNT_IN_TEXT.search(text)
    assert "DUREC0001" in text  # the placeholder took its place, consistently


def test_the_fixture_covers_the_scenario() -> None:
    golden = FIXTURE / "golden"
    bars = json.loads((golden / "bars.json").read_text())
    assert sorted(bars) == sorted(f"{s} {tf}" for s in SYMBOLS for tf in ("5m", "1h", "1d"))
    assert all(len(candles) == 40 for candles in bars.values())
    order = json.loads((golden / "order.json").read_text())
    assert order["placed"]["status"] == "open"
    assert order["cancelled"]["status"] == "canceled"
    quote = next(q for q in json.loads((golden / "quotes.json").read_text())
                 if q["symbol"] == "BHP/AUD")  # fmt: skip
    # the order was far below the market: at most half the bid
    assert 2 * float(order["placed"]["price"]) <= float(quote["bid"])


async def test_a_fresh_recording_of_another_account_replays_and_names_no_account(
    clean_env: Path, tmp_path: Path
) -> None:
    out = tmp_path / "rec"
    summary = await record_against_sim(out, account="DU7654321")
    assert summary.accounts_rewritten == 1
    assert scan_directory(out, ["DU7654321"]) == []
    report = await replay_ib(load_settings(None), out)
    assert report.ok, report.diffs
    assert report.steps[-1] == "order"
