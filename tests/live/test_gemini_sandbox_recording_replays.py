"""Against Gemini's sandbox: record the safe scenario, replay it, and find nothing secret.

Set ``TRADER_LIVE_GEMINI=1`` with sandbox keys in ``GEMINI_API_KEY``/``GEMINI_API_SECRET``
(``GEMINI_SANDBOX=true`` is forced here). ``TRADER_LIVE_GEMINI_ORDERS=1`` adds the far limit
order (then cancelled): the key needs the Trader role for that, Fund Manager never.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trader_cli.config import load_settings
from trader_cli.domain.symbols import parse_symbols

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get("TRADER_LIVE_GEMINI") != "1"
        or not os.environ.get("GEMINI_API_KEY")
        or not os.environ.get("GEMINI_API_SECRET"),
        reason="needs Gemini sandbox keys: set TRADER_LIVE_GEMINI=1, GEMINI_API_KEY and "
        "GEMINI_API_SECRET",
    ),
]


async def test_a_sandbox_recording_replays_equal_and_holds_nothing_secret(tmp_path: Path) -> None:
    from trader_cli.replay.gemini_sanitize import API_KEY_SHAPED
    from trader_cli.services.recording import replay_recording
    from trader_cli.services.recording_gemini import record_gemini

    settings = load_settings(GEMINI_SANDBOX="true", GEMINI_API_URL="", BASE_CURRENCY="USD")
    key = os.environ["GEMINI_API_KEY"]
    secret = os.environ["GEMINI_API_SECRET"]
    out = tmp_path / "sandbox"
    await record_gemini(
        settings, parse_symbols(["BTC/USD", "ETH/USD"]), out,
        with_orders=os.environ.get("TRADER_LIVE_GEMINI_ORDERS") == "1", sim=False,
    )  # fmt: skip
    text = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert key not in text and secret not in text
    assert not API_KEY_SHAPED.search(text)
    assert "nonce" not in text.lower() and "x-gemini-" not in text.lower()
    report = await replay_recording(load_settings(BASE_CURRENCY="USD"), out)
    assert report.ok, report.diffs or report.unmatched
