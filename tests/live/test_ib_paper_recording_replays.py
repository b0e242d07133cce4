"""Against a real IB paper Gateway: record the safe scenario, replay it, and find no account id.

Set ``TRADER_LIVE_IB=1`` (plus ``IB_HOST``/``IB_PORT``/``IB_CLIENT_ID`` as needed) with a paper
Gateway running. ``TRADER_LIVE_IB_ORDERS=1`` adds the far limit order (then cancelled): the
Gateway's API must not be read-only for that.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trader_cli.config import load_settings
from trader_cli.domain.symbols import parse_symbols
from trader_cli.redaction import ACCOUNT_IN_TEXT

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get("TRADER_LIVE_IB") != "1",
        reason="needs a real IB paper Gateway: set TRADER_LIVE_IB=1 and IB_PORT",
    ),
]


async def test_a_paper_recording_replays_equal_and_names_no_account(tmp_path: Path) -> None:
    from trader_cli.replay.sanitize import scan_directory
    from trader_cli.services.recording import record_ib, replay_ib

    settings = load_settings()
    out = tmp_path / "paper"
    await record_ib(
        settings, parse_symbols(["BHP/AUD", "AUD/USD"]), out,
        with_orders=os.environ.get("TRADER_LIVE_IB_ORDERS") == "1",
        host=settings.ib.host, port=settings.ib.effective_port,
    )  # fmt: skip
    text = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert not ACCOUNT_IN_TEXT.search(text)
    if settings.ib.account_id:
        assert scan_directory(out, [settings.ib.account_id]) == []
    report = await replay_ib(load_settings(), out)
    assert report.ok, report.diffs or report.unmatched
