"""``--plot``: the equity curve over the drawdown, as a PNG (matplotlib, the ``plot`` extra) or
as one self-contained HTML page with an inline SVG (nothing to install, opens anywhere)."""

from __future__ import annotations

import html
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from trader_cli.errors import ConfigError, InputError

WIDTH, HEIGHT = 1000, 560  # the HTML chart's SVG size


def _series(report: dict[str, Any]) -> tuple[list[datetime], list[float], list[float]]:
    times, equity = [], []
    for when, value in report["equityCurve"]:
        times.append(datetime.fromisoformat(when.replace("Z", "+00:00")))
        equity.append(float(Decimal(value)))
    peak, drawdown = float("-inf"), []
    for v in equity:
        peak = max(peak, v)
        drawdown.append((v - peak) / peak * 100 if peak > 0 else 0.0)
    return times, equity, drawdown


def _title(report: dict[str, Any]) -> str:
    symbols = ", ".join(report["symbols"])
    net = f"{Decimal(report['netPnl']):,.2f}"
    return (f"{report['strategy']} on {symbols} — {report['from'][:10]} to {report['to'][:10]}: "
            f"net {net} {report['currency']}, {report['trades']:,} trades, "
            f"max drawdown {report['maxDrawdownPct']}%")


def check_plot_target(path: Path) -> None:
    """Refuse, before a backtest runs, a ``--plot`` it could not write at its end (a wrong
    suffix, a folder that is missing or not writable, a PNG without matplotlib): the run's
    report would be lost to the error."""
    import importlib.util
    import os

    suffix = path.suffix.lower()
    if suffix not in (".png", ".html", ".htm"):
        raise InputError(f"--plot {str(path)!r}: write a .png or an .html file")
    folder = path.parent
    if path.is_dir():
        raise InputError(f"--plot {str(path)!r} is a folder", hint="name a file in it")
    if not folder.is_dir():
        raise InputError(f"--plot {str(path)!r}: no folder {str(folder)!r}",
                         hint="create it first, or write the plot elsewhere")
    if not os.access(folder, os.W_OK | os.X_OK) or (
        path.exists() and not os.access(path, os.W_OK)
    ):
        raise InputError(f"--plot {str(path)!r}: not writable here",
                         hint="write the plot to a folder you can write to")
    if suffix == ".png" and importlib.util.find_spec("matplotlib") is None:
        raise ConfigError(
            "--plot FILE.png needs matplotlib",
            hint="pip install 'trader-cli[plot]', or write --plot FILE.html (no extra needed)",
        )


def write_plot(path: Path, report: dict[str, Any]) -> None:
    """Write the chart of ``report`` to ``path`` (``.png`` or ``.html``): to a temporary file
    beside it first, so a failure never leaves a half-written chart."""
    import os

    if not report["equityCurve"]:
        raise InputError("nothing to plot: the backtest made no step")
    part = path.with_name(f".{path.name}.part")
    try:
        if path.suffix.lower() == ".png":
            _png(part, report)
        else:
            part.write_text(_html(report), encoding="utf-8")
        os.replace(part, path)
    except OSError as e:
        raise InputError(f"--plot {str(path)!r}: cannot write it ({e.strerror or e})") from None
    finally:
        part.unlink(missing_ok=True)


def _png(path: Path, report: dict[str, Any]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError(
            "--plot FILE.png needs matplotlib",
            hint="pip install 'trader-cli[plot]', or write --plot FILE.html (no extra needed)",
        ) from None
    times, equity, drawdown = _series(report)
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(11, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    try:
        top.plot(times, equity, color="#1f5fa8", linewidth=1.2)
        top.axhline(float(Decimal(report["startingCash"])), color="#888", linewidth=0.8,
                    linestyle="--", label="starting cash")
        top.set_ylabel(f"equity ({report['currency']})")
        top.grid(True, alpha=0.3)
        top.legend(loc="upper left", fontsize=8)
        from matplotlib.ticker import FuncFormatter

        top.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        top.set_title(_title(report), fontsize=10)
        bottom.fill_between(times, drawdown, 0, color="#c0392b", alpha=0.4, linewidth=0)
        bottom.set_ylabel("drawdown (%)")
        bottom.set_xlabel("time (UTC)")
        bottom.grid(True, alpha=0.3)
        fig.autofmt_xdate()
        fig.tight_layout()
        fig.savefig(path, dpi=110, format="png")
    finally:
        plt.close(fig)


def _html(report: dict[str, Any]) -> str:
    times, equity, drawdown = _series(report)
    left, right, top, mid, bottom = 90, 20, 40, 380, 520
    t0, t1 = times[0].timestamp(), times[-1].timestamp()
    span = max(t1 - t0, 1.0)
    lo, hi = min(equity), max(equity)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    dd_lo = min(min(drawdown), -0.01)

    def x(when: datetime) -> float:
        return left + (when.timestamp() - t0) / span * (WIDTH - left - right)

    def y(value: float) -> float:
        return mid - (value - lo) / (hi - lo) * (mid - top)

    def y_dd(value: float) -> float:
        return mid + 30 + value / dd_lo * (bottom - mid - 30)

    line = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in zip(times, equity, strict=True))
    area = " ".join(f"{x(t):.1f},{y_dd(d):.1f}" for t, d in zip(times, drawdown, strict=True))
    area = f"{x(times[0]):.1f},{y_dd(0):.1f} {area} {x(times[-1]):.1f},{y_dd(0):.1f}"
    ticks = []
    for k in range(5):
        value = lo + (hi - lo) * k / 4
        ticks.append(
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value:,.0f}</text>'
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'class="grid"/>'
        )
    for k in range(5):
        when = datetime.fromtimestamp(t0 + span * k / 4, tz=times[0].tzinfo)
        ticks.append(f'<text x="{x(when):.1f}" y="{bottom + 18}" text-anchor="middle">'
                     f'{when:%Y-%m-%d}</text>')
    ticks.append(f'<text x="{left - 6}" y="{y_dd(dd_lo) + 4:.1f}" text-anchor="end">'
                 f'{dd_lo:.2f}%</text>')
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(report[k]))}</td></tr>"
        for k in ("strategy", "symbols", "from", "to", "bars", "trades", "winRatePct", "netPnl",
                  "fees", "maxDrawdown", "maxDrawdownPct", "exposurePct", "sharpe")
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>trader backtest</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 24px; color: #222; }}
svg text {{ font-size: 12px; fill: #444; }} .grid {{ stroke: #ddd; stroke-width: 1; }}
table {{ border-collapse: collapse; margin-top: 12px; }}
th, td {{ text-align: left; padding: 2px 12px 2px 0; font-size: 14px; }}
</style></head><body>
<h2>{html.escape(_title(report))}</h2>
<svg width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"
 aria-label="equity curve and drawdown">
{''.join(ticks)}
<text x="{left}" y="{top - 12}">equity ({html.escape(report['currency'])})</text>
<polyline points="{line}" fill="none" stroke="#1f5fa8" stroke-width="1.5"/>
<text x="{left}" y="{mid + 22}">drawdown (%)</text>
<polygon points="{area}" fill="#c0392b" fill-opacity="0.4"/>
</svg>
<table>{rows}</table>
</body></html>
"""
