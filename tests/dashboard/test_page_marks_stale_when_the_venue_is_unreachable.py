"""When the venue cannot be reached the page says STALE, why, and shows what was recorded."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.dashboard.conftest import badge_of, free_port, run_page
from trader_cli.domain.display import money_text


def test_ib_gateway_not_listening_is_stale_with_the_reason(
    page_env, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("TRADER_HOME", str(tmp_path / "ib-home"))
    monkeypatch.setenv("TRADER_DASHBOARD_VENUE", "ib")
    monkeypatch.setenv("IB_PORT", str(free_port()))  # nothing listens there
    at = run_page()
    assert not at.exception
    assert badge_of(at) == "PAPER"
    stale = [e.value for e in at.error if e.value.startswith("STALE:")]
    assert len(stale) == 1, [e.value for e in at.error]
    assert "showing what was recorded (never)" in stale[0]
    assert len(stale[0]) > len("STALE: ; showing what was recorded (never)") + 5, "no reason given"


def test_database_only_shows_the_recorded_figures_marked_stale(
    page_env, monkeypatch: pytest.MonkeyPatch, sim_status: dict[str, Any]
) -> None:
    monkeypatch.setenv("TRADER_DASHBOARD_OFFLINE", "1")
    at = run_page()
    assert not at.exception
    assert badge_of(at) == "SIMULATED"
    stale = [e.value for e in at.error if e.value.startswith("STALE:")]
    assert len(stale) == 1
    assert "--offline" in stale[0]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["net liquidation"].endswith(" AUD")
    last = sim_status["equityCurve"][-1]
    assert metrics["equity"] == money_text(Decimal(last["equity"]), "AUD")


def test_a_reachable_venue_is_not_stale(page_env) -> None:
    at = run_page()
    assert not [e.value for e in at.error if e.value.startswith("STALE")]
