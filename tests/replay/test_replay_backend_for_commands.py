"""`--replay DIR` is a backend for commands: answers from the recording, labelled REPLAY."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from tests.replay.fixture import FIXTURE
from trader_cli.domain.display import price_json
from trader_cli.domain.symbols import parse_symbol


def _golden_quote(symbol: str) -> dict[str, str]:
    quotes = json.loads((FIXTURE / "golden" / "quotes.json").read_text())
    return next(q for q in quotes if q["symbol"] == symbol)


def test_quote_answers_from_the_recording(trader) -> None:
    r = trader("quote", "BHP/AUD", "--replay", str(FIXTURE), "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["replay"] is True and data["simulated"] is False
    assert data["asOf"] == "2024-07-03T01:00:00Z"  # the recorded Gateway's clock
    (quote,) = data["quotes"]
    expected = _golden_quote("BHP/AUD")
    bhp = parse_symbol("BHP/AUD")
    # the recorded book, its prices written at the tick (42.6 → "42.60")
    assert (quote["bid"], quote["ask"], quote["bid_size"]) == (
        price_json(expected["bid"], bhp), price_json(expected["ask"], bhp), expected["bid_size"],
    )  # fmt: skip


def test_quote_table_is_labelled_replay(trader) -> None:
    r = trader("--replay", str(FIXTURE), "quote", "BHP/AUD")
    assert r.code == 0, r.err
    title = "REPLAY: IB recording (recorded clock 2024-07-03 01:00:00 UTC)"
    assert title in " ".join(r.out.split())
    assert _golden_quote("BHP/AUD")["bid"] in r.out


def test_bars_answer_from_the_recording(trader) -> None:
    r = trader("bars", "AUD/USD", "-t", "1h", "-n", "40", "--replay", str(FIXTURE), "--json")
    assert r.code == 0, r.err
    golden = json.loads((FIXTURE / "golden" / "bars.json").read_text())["AUD/USD 1h"]
    assert len(r.json()["bars"]) == len(golden) == 40


def test_an_unrecorded_request_fails_fast_naming_it(
    trader, caplog: pytest.LogCaptureFixture
) -> None:
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="trader.replay"):
        r = trader("quote", "CBA/AUD", "--replay", str(FIXTURE))
    elapsed = time.monotonic() - started
    assert r.code == 1
    assert "no recorded answer for req_contract_data" in " ".join(r.err.split())
    assert "CBA" in " ".join(r.err.split())
    assert "re-record" in " ".join(r.err.split())
    # the connection is closed at once: no request timeout (5 s and more) is waited out
    assert elapsed < 4.0
    assert any("no recorded answer" in m for m in caplog.messages)


def test_a_directory_without_a_recording_is_bad_input(trader, tmp_path: Path) -> None:
    r = trader("quote", "BHP/AUD", "--replay", str(tmp_path))
    assert r.code == 2
    assert "holds no recording" in " ".join(r.err.split())  # rich wraps long paths


def test_replay_of_a_directory_without_a_recording_is_bad_input(trader, tmp_path: Path) -> None:
    r = trader("replay", str(tmp_path))
    assert r.code == 2
    assert "holds no recording" in " ".join(r.err.split())  # rich wraps long paths
    assert "record-fixtures" in " ".join(r.err.split())
