"""The backtest's report: trades, win rate, PnL net of commissions, fees, drawdown, exposure,
Sharpe, a breakdown per symbol, and the equity curve — as a dict for ``--json`` and the view."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from trader_cli.backtest.engine import BacktestRun
from trader_cli.backtest.metrics import Tally
from trader_cli.domain.display import pct_json

_CENT = Decimal("0.01")


def _money(value: Decimal) -> str:
    return str(value.quantize(_CENT))


def _stats(t: Tally) -> dict[str, Any]:
    return {
        "trades": t.trades,
        "wins": t.wins,
        "winRatePct": None if not t.trades else pct_json(Decimal(100 * t.wins) / t.trades),
        "gross": _money(t.gross),
        "fees": _money(t.fees),
        "net": _money(t.net),
        "averageNet": None if not t.trades else _money(t.net / t.trades),
        "profitFactor": None if not t.lost else pct_json(t.won / t.lost),
    }


def build_report(run: BacktestRun, base: str) -> dict[str, Any]:
    """The report of ``run`` (JSON-safe: money as exact strings, percentages at three
    significant digits)."""
    eq = run.equity
    eq.finish(run.last)
    rt = run.trades
    sharpe = eq.sharpe()
    totals = _stats(rt.total)
    return {
        "strategy": run.strategy,
        "from": _iso(run.first),
        "to": _iso(run.last),
        "symbols": [str(s) for s in run.symbols],
        "bars": run.bars,
        "historyBars": run.history,
        "steps": run.steps,
        "seconds": round(run.seconds, 3),
        "barsPerSecond": round(run.bars / run.seconds, 1) if run.seconds > 0 else None,
        "stopped": run.stopped,
        "currency": base,
        "startingCash": _money(eq.start),
        "endingEquity": _money(eq.last),
        # the equity's change: closed trades, an open one at its last mark, and every fee
        "netPnl": _money(eq.last - eq.start),
        "fees": _money(rt.fees),
        "returnPct": pct_json((eq.last - eq.start) / eq.start * 100) if eq.start else None,
        "maxDrawdown": _money(eq.max_drawdown),
        "maxDrawdownPct": pct_json(eq.max_drawdown_pct * 100),
        "exposurePct": pct_json(eq.exposure * 100),
        "sharpe": None if sharpe is None else pct_json(Decimal(repr(sharpe))),
        **{k: v for k, v in totals.items() if k != "fees"},
        "closedFees": totals["fees"],
        "decisions": run.decisions,
        "entries": run.entries,
        "orders": run.orders,
        "refusals": run.refusals,
        "openTrades": [t.to_dict() for t in rt.open.values()],
        "perSymbol": {sym: _stats(t) for sym, t in sorted(rt.per_symbol.items())},
        "tradeList": [t.to_dict() for t in rt.last],
        "equityCurve": [[_iso(when), _money(value)] for when, value in eq.curve],
        "errors": run.errors,
        "errorCount": run.error_count,
    }


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat().replace("+00:00", "Z")
