"""`--venue gemini --replay DIR` answers commands from a Gemini recording, labelled REPLAY; a
request the recording cannot answer fails at once, naming it."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from tests.replay.fixture import FIXTURE as IB_FIXTURE
from tests.replay.gemini_fixture import GEMINI_FIXTURE
from trader_cli.domain.display import price_text
from trader_cli.domain.symbols import parse_symbol


def _golden_quote(symbol: str) -> dict[str, str]:
    quotes = json.loads((GEMINI_FIXTURE / "golden" / "quotes.json").read_text())
    return next(q for q in quotes if q["symbol"] == symbol)


def test_quote_answers_from_the_recording(trader) -> None:
    r = trader("quote", "BTC/USD", "--venue", "gemini", "--replay", str(GEMINI_FIXTURE), "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["replay"] is True and data["simulated"] is False and data["venue"] == "gemini"
    assert data["asOf"] == "2024-07-03T01:00:00Z"  # the recorded clock
    (quote,) = data["quotes"]
    expected = _golden_quote("BTC/USD")
    assert (quote["bid"], quote["ask"], quote["bid_size"]) == (
        expected["bid"], expected["ask"], expected["bid_size"],
    )  # fmt: skip


def test_quote_table_is_labelled_replay(trader) -> None:
    r = trader("--venue", "gemini", "--replay", str(GEMINI_FIXTURE), "quote", "ETH/USD")
    assert r.code == 0, r.err
    title = "REPLAY: GEMINI recording (recorded clock 2024-07-03 01:00:00 UTC)"
    assert title in " ".join(r.out.split())
    # the recorded bid, written at the tick like every price in a table
    assert price_text(_golden_quote("ETH/USD")["bid"], parse_symbol("ETH/USD")) in r.out


def test_an_unrecorded_request_fails_fast_naming_it(
    trader, caplog: pytest.LogCaptureFixture
) -> None:
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="trader.replay"):
        r = trader("quote", "SOL/USD", "--venue", "gemini", "--replay", str(GEMINI_FIXTURE))
    elapsed = time.monotonic() - started
    assert r.code == 1, r.out + r.err
    err = " ".join(r.err.split())
    assert "REPLAY: no recorded answer for GET /v1/symbols/details/solusd" in err
    assert "re-record" in err
    assert elapsed < 4.0  # an HTTP 400 at once: no timeout waited out, no retries
    assert any("no recorded answer for GET /v1/symbols/details/solusd" in m
               for m in caplog.messages)  # fmt: skip


def test_a_recording_of_the_other_venue_is_bad_input(trader) -> None:
    r = trader("quote", "BTC/USD", "--venue", "gemini", "--replay", str(IB_FIXTURE))
    assert r.code == 2
    assert "is an IB recording, not a Gemini one" in " ".join(r.err.split())
    r = trader("quote", "BHP/AUD", "--venue", "ib", "--replay", str(GEMINI_FIXTURE))
    assert r.code == 2
    assert "is a Gemini recording, not an IB one" in " ".join(r.err.split())


def test_a_directory_without_a_recording_is_bad_input(trader, tmp_path: Path) -> None:
    r = trader("quote", "BTC/USD", "--venue", "gemini", "--replay", str(tmp_path))
    assert r.code == 2
    assert "holds no recording" in " ".join(r.err.split())
