"""`trader status --replay DIR`: the recorded account, labelled REPLAY, asking the recording
nothing it cannot answer (a recording closes the link on an unrecorded request)."""

from __future__ import annotations

import json
import logging

import pytest

from tests.replay.fixture import FIXTURE


def test_status_shows_the_recorded_account(trader, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="trader")
    r = trader("status", "--venue", "ib", "--replay", str(FIXTURE), "--json")
    assert r.code == 0, r.err
    unanswered = [m for m in caplog.messages if "no recorded answer" in m]
    assert unanswered == []
    data = r.json()
    assert data["badge"] == "REPLAY"
    assert data["source"] == "venue"
    assert data["asOf"] == "2024-07-03T01:00:00Z"  # the recorded Gateway's clock
    golden = json.loads((FIXTURE / "golden" / "account.json").read_text())
    assert data["accountSummary"]["netLiquidation"] == golden["net_liquidation"]
    assert data["accountSummary"]["buyingPower"] == golden["buying_power"]
    recorded = json.loads((FIXTURE / "golden" / "positions.json").read_text())
    assert len(data["positions"]) == len(recorded)
