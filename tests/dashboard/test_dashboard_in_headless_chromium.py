"""The dashboard as a person sees it: a real ``trader dashboard`` in Debian's headless Chromium."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.conftest import free_port
from trader_cli.domain.display import money_text

CHROMIUM = Path("/usr/bin/chromium")
APT = "apt-get install -y chromium chromium-driver"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
#: Streamlit's first render of the page (the status collection included), in milliseconds.
RENDER_TIMEOUT_MS = 90_000
REPO = Path(__file__).resolve().parents[2]


def _artifacts() -> Path:
    path = Path(os.environ.get("TRADER_TEST_ARTIFACTS") or REPO / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's Chromium ({APT})"
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    pytest.importorskip("playwright", reason="playwright (the dev extra) is not installed")
    return CHROMIUM


@pytest.mark.browser
def test_a_person_sees_the_badge_balances_pnl_and_positions(
    chromium: Path, sim_home: Path, sim_status: dict[str, Any], serve, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    port = free_port()
    server = serve(sim_home, "--venue", "sim", "--port", str(port))
    server.wait_for(rf"URL: http://127\.0\.0\.1:{port}")

    summary = sim_status["accountSummary"]
    net = money_text(Decimal(summary["netLiquidation"]["amount"]), "AUD")
    equity = money_text(Decimal(sim_status["equityCurve"][-1]["equity"]), "AUD")
    symbol = sim_status["positions"][0]["symbol"]
    shot = _artifacts() / "dashboard.png"

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh profile each run
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            page = context.new_page()
            page.set_default_timeout(RENDER_TIMEOUT_MS)
            page.goto(f"http://127.0.0.1:{port}/")
            badge = page.locator('[data-testid="trader-badge"]')
            expect(badge).to_have_text("SIMULATED")
            expect(badge).to_have_attribute("data-badge", "SIMULATED")

            def metric(label: str) -> Any:
                box = page.locator('[data-testid="stMetric"]').filter(
                    has=page.get_by_text(label, exact=True)
                )
                return box.locator('[data-testid="stMetricValue"]')

            expect(metric("net liquidation")).to_have_text(net)
            expect(metric("equity")).to_have_text(equity)
            for label in ("available funds", "excess liquidity", "buying power"):
                expect(metric(label)).to_contain_text(" AUD")
            header = page.get_by_text("base currency AUD")
            expect(header).to_be_visible()
            expect(header).to_contain_text(f"account {sim_status['account']}")

            pnl = page.locator('[data-testid="stTable"]').filter(has_text="session")
            expect(pnl).to_contain_text("today")
            today_net = sim_status["pnl"]["today"]["net"]
            expect(pnl).to_contain_text(money_text(Decimal(today_net["amount"]), "AUD"))
            held = page.locator('[data-testid="stTable"]').filter(has_text="unrealised").filter(
                has_text="avg"
            )
            expect(held).to_contain_text(symbol)
            expect(page.get_by_text("STALE", exact=False)).to_have_count(0)
            expect(page.get_by_text("Commission estimator")).to_be_visible()
            # the estimator's form works in a real browser (its figures: the AppTest tests)
            page.get_by_label("quantity").fill("25")
            page.get_by_role("button", name="Estimate (sends nothing)").click()
            expect(page.get_by_text("every check passes; nothing was sent")).to_be_visible()
            expect(metric("commission (est.)")).to_contain_text(" AUD")
            # Streamlit scrolls inside its main block: grow the window to all of it, then shoot
            height = page.evaluate(
                "() => Math.max(document.body.scrollHeight, ...Array.from("
                "document.querySelectorAll('[data-testid=stMain], section.main'), "
                "e => e.scrollHeight))"
            )
            page.set_viewport_size({"width": 1400, "height": int(height) + 40})
            expect(held).to_contain_text(symbol)
            page.screenshot(path=str(shot), full_page=True)
        finally:
            context.close()
    assert shot.stat().st_size > 10_000
    assert server.stop() == 0
