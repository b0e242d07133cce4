"""The estimator gives what ``trader place … --market --dry-run`` gives, and never sends."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.conftest import run_page, table_with, trader_sub
from trader_cli.domain.display import money_text
from trader_cli.venues.gemini.trader import GeminiTrader
from trader_cli.venues.ib.trader import IBTrader


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every attempt to send, cancel or change an order on a venue, which then fails loudly."""
    calls: list[str] = []

    def refuse(name: str) -> Any:
        async def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            calls.append(f"{type(self).__name__}.{name}")
            raise AssertionError(f"the dashboard called {name}")

        return method

    for cls in (IBTrader, GeminiTrader):
        for name in ("place_order", "cancel_order"):
            monkeypatch.setattr(cls, name, refuse(name))
    return calls


def _estimate(symbol: str, side: str, qty: str) -> Any:
    at = run_page()
    at.selectbox(key="est_symbol").set_value(symbol)
    at.selectbox(key="est_side").set_value(side)
    at.text_input(key="est_qty").input(qty)
    [button] = [b for b in at.button if b.label.startswith("Estimate")]
    return button.click().run()


def _result(check: dict[str, Any]) -> str:
    if not check.get("evaluated", True):
        return "not run"
    return "waived" if check.get("waived") else "pass" if check["passed"] else "FAIL"


@pytest.mark.parametrize(
    ("symbol", "side", "qty"),
    [("BHP/AUD", "buy", "25"), ("CSL/AUD", "buy", "60"), ("AUD/USD", "sell", "20000")],
)
def test_the_estimate_is_the_dry_run_preview(
    page_env: Path, sent: list[str], symbol: str, side: str, qty: str
) -> None:
    r = trader_sub(page_env, "place", symbol, side, qty, "--market", "--dry-run", "--venue",
                   "sim", "--json")
    assert r.returncode in (0, 3), r.stderr
    cli = json.loads(r.stdout)

    at = _estimate(symbol, side, qty)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    fee = cli["commission"]
    assert metrics["commission (est.)"] == money_text(Decimal(fee["cost"]), fee["currency"])
    base = cli["commissionBase"]
    assert metrics["commission (AUD)"] == money_text(Decimal(base["amount"]), "AUD")
    checks = table_with(at, "check")
    assert list(zip(checks["check"], checks["result"], strict=True)) == [
        (c["name"], _result(c)) for c in cli["checks"]
    ]
    verdicts = [s.value for s in at.success] + [e.value for e in at.error]
    assert len(verdicts) == 1
    assert verdicts[0].endswith("nothing was sent") or "nothing was sent" in verdicts[0]
    assert (r.returncode == 3) == verdicts[0].startswith("place would refuse")
    assert sent == []


def test_bad_input_is_a_clean_error_and_sends_nothing(page_env: Path, sent: list[str]) -> None:
    at = _estimate("BHP/AUD", "buy", "1.5")
    assert not at.exception
    [error] = [e.value for e in at.error if not e.value.startswith("STALE")]
    assert "whole shares" in error
    assert not [m for m in at.metric if m.label.startswith("commission (")]
    assert sent == []
