"""The page over a sim run's database shows what ``trader status --json`` reports, in AUD."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.dashboard.conftest import badge_of, run_page, table_with
from trader_cli.domain.display import money_text


def _money(doc: dict[str, str]) -> str:
    return money_text(Decimal(doc["amount"]), doc["currency"])


def test_badge_account_equity_pnl_and_positions(page_env, sim_status: dict[str, Any]) -> None:
    at = run_page()
    assert not at.exception
    assert badge_of(at) == "SIMULATED"
    assert not [e.value for e in at.error], "a reachable sim is not stale"

    metrics = {m.label: m.value for m in at.metric}
    summary = sim_status["accountSummary"]
    assert summary["baseCurrency"] == "AUD"
    assert metrics["net liquidation"] == _money(summary["netLiquidation"])
    for label, key in (("available funds", "availableFunds"), ("excess liquidity",
                       "excessLiquidity"), ("buying power", "buyingPower"),
                       ("initial margin", "initMargin"), ("maintenance margin", "maintMargin")):
        assert metrics[label] == _money(summary[key])
        assert metrics[label].endswith(" AUD")
    cash = table_with(at, "cash in")
    assert dict(zip(cash["cash in"], cash["amount"], strict=True)) == {
        ccy: _money(m) for ccy, m in summary["cashByCurrency"].items()
    }

    last = sim_status["equityCurve"][-1]
    assert metrics["equity"] == money_text(Decimal(last["equity"]), "AUD")

    pnl = table_with(at, "PnL")
    assert list(pnl["PnL"]) == ["today", "session"]
    assert list(pnl["net"]) == [_money(sim_status["pnl"][s]["net"]) for s in ("today", "session")]
    assert all(cell.endswith(" AUD") for cell in [*pnl["fees"], *pnl["net"]])

    held = table_with(at, "symbol")
    assert sorted(held["symbol"]) == sorted(p["symbol"] for p in sim_status["positions"])
    assert "in AUD" in held.columns


def test_the_header_names_the_base_currency_and_the_account_masked(page_env) -> None:
    at = run_page()
    header = [m.value for m in at.markdown if "base currency" in m.value]
    assert header == [header[0]]
    assert "**AUD**" in header[0]
    assert r"DU\*\*\*\*567" in header[0]
    assert "DU1234567" not in "".join(m.value for m in at.markdown)
