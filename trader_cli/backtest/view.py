"""The backtest report as people read it: a summary, a table per symbol, the last trades."""

from __future__ import annotations

from typing import Any

from trader_cli.cli.console import Output
from trader_cli.domain.display import money_text


def _pct(value: str | None) -> str:
    return "" if value is None else f"{value}%"


def show(out: Output, report: dict[str, Any]) -> None:
    """Print ``report`` (from :func:`trader_cli.backtest.report.build_report`)."""
    ccy = report["currency"]
    rate = report["barsPerSecond"]
    summary = {
        "strategy": report["strategy"],
        "symbols": ", ".join(report["symbols"]),
        "bars": f"{report['bars']:,} from {report['from']} to {report['to']}"
        + (" (stopped early)" if report["stopped"] else ""),
        "speed": f"{report['seconds']:.2f} s, {rate:,.0f} bars/s" if rate else "",
        "trades": f"{report['trades']:,} closed, {report['wins']:,} won "
        f"({_pct(report['winRatePct'])})" if report["trades"] else "none closed",
        "net PnL": f"{money_text(report['netPnl'], ccy)} ({_pct(report['returnPct'])})",
        "fees": money_text(report["fees"], ccy),
        "max drawdown": f"{money_text(report['maxDrawdown'], ccy)} "
        f"({_pct(report['maxDrawdownPct'])})",
        "exposure": _pct(report["exposurePct"]),
        "Sharpe (daily, annualised)": report["sharpe"] or "n/a (under two days)",
        "equity": f"{money_text(report['startingCash'], ccy)} → "
        f"{money_text(report['endingEquity'], ccy)}",
    }
    if report["openTrades"]:
        summary["still open"] = ", ".join(
            f"{t['symbol']} {t['side']} {t['quantity']}" for t in report["openTrades"])
    if report["errorCount"]:
        summary["errors"] = f"{report['errorCount']} (last: {report['errors'][-1]})"
    if report.get("plot"):
        summary["plot"] = report["plot"]
    out.fields(summary, title="backtest (SIMULATED fills on recorded bars)")
    per = report["perSymbol"]
    if per:
        out.table(
            [[sym, s["trades"], _pct(s["winRatePct"]), money_text(s["gross"], ccy),
              money_text(s["fees"], ccy), money_text(s["net"], ccy)] for sym, s in per.items()],
            ["symbol", "trades", "win rate", "gross", "fees", "net"],
            title="per symbol (closed trades)",
            justify_right=["trades", "win rate", "gross", "fees", "net"],
        )
    if report["tradeList"]:
        out.table(
            [[t["symbol"], t["side"], t["opened"], t["closed"], t["quantity"], t["entry"],
              t["exit"], money_text(t["net"], ccy)] for t in report["tradeList"]],
            ["symbol", "side", "opened", "closed", "qty", "entry", "exit", "net"],
            title=f"last {len(report['tradeList'])} trades",
            justify_right=["qty", "entry", "exit", "net"],
        )
