"""The live status view of ``trader run``: venue badge, market state, circuits, equity, orders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trader_cli.domain.display import money_text, price_text, quantity_text, time_text
from trader_cli.domain.display_models import mid_json, symbol_of
from trader_cli.redaction import redact

if TYPE_CHECKING:
    from rich.console import RenderableType

    from trader_cli.services.runner import CycleReport

BADGE_STYLE = {
    "SIMULATED": "bold black on yellow",
    "PAPER": "bold black on cyan",
    "LIVE": "bold white on red",
    "REPLAY": "bold white on magenta",
}


def badge(mode: str) -> str:
    """The label of the session's mode: SIMULATED, PAPER, LIVE or REPLAY (PAPER if unknown)."""
    from trader_cli.domain.scope import Mode

    return Mode(mode).label if mode in set(Mode) else "PAPER"


def render(report: CycleReport, *, clock_note: str = "") -> RenderableType:
    """One frame of the live view."""
    from rich import box
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    label = badge(report.mode)
    header = Text()
    header.append(f" {label} ", style=BADGE_STYLE[label])
    header.append(f"  {report.venue.upper()}  base {report.base_currency}  ")
    header.append(f"cycle {report.cycle}  {time_text(report.at)}")
    if clock_note:
        header.append(f"  ({clock_note})", style="dim")
    opened = [s for s, ok in report.market_open.items() if ok]
    closed = [s for s, ok in report.market_open.items() if not ok]
    markets = Text(f"open: {', '.join(opened) or '-'}   closed: {', '.join(closed) or '-'}")
    base = report.base_currency
    equity = "-" if report.equity is None else money_text(report.equity)

    def pnl(name: str) -> str:
        value = report.pnl.get(name)
        return "-" if value is None else money_text(value, base)

    money = Text(
        f"equity {equity}   PnL net {pnl('net')} (realised {pnl('realised')}, "
        f"unrealised {pnl('unrealised')}, fees {pnl('fees')})"
    )
    circuits = _circuits(report.circuit)

    positions = Table(title="positions (the bot's)", box=box.SIMPLE_HEAD, title_justify="left")
    for col in ("symbol", "qty", "avg", "last"):
        positions.add_column(col, justify="left" if col == "symbol" else "right")
    for p in report.positions:
        sym, tick = symbol_of(p.symbol), report.ticks.get(p.symbol)
        positions.add_row(
            p.symbol,
            quantity_text(p.quantity, sym),
            price_text(p.avg_price, sym, min_tick=tick),
            mid_json(p.current_price, sym, min_tick=tick, grouping=True) or "",
        )

    working = Table(title="working orders", box=box.SIMPLE_HEAD, title_justify="left")
    for col in ("order", "symbol", "side", "amount", "price", "filled", "status"):
        numeric = col in ("amount", "price", "filled")
        working.add_column(col, justify="right" if numeric else "left")
    for o in report.working:
        sym = symbol_of(o["symbol"])
        working.add_row(
            o["clientOrderId"],
            o["symbol"],
            o["side"],
            quantity_text(o["amount"], sym),
            price_text(o["price"], sym, min_tick=report.ticks.get(o["symbol"])),
            quantity_text(o["filled"], sym),
            o["status"],
        )

    decisions = Table(title="last decisions", box=box.SIMPLE_HEAD, title_justify="left")
    for col in ("symbol", "action", "why / result"):
        decisions.add_column(col)
    # free text (the model's reasons, errors) is redacted before rich wraps it into lines: the
    # stdout filter could not recognise a secret split across two lines of a narrow table
    for d in report.decisions[-8:]:
        decisions.add_row(d["symbol"], d["action"], redact(d.get("result") or d.get("reason", "")))
    for e in report.plan_events:
        decisions.add_row(e.symbol, f"plan {e.action}", redact(e.detail))
    parts: list[Any] = [header, markets, money, circuits, positions, working, decisions]
    if report.baseline:
        parts.insert(3, Text(report.baseline, style="dim"))
    parts += [Text(redact(f"! {err}"), style="red") for err in report.errors]
    return Panel(Group(*parts), title="trader run", title_align="left")


def _circuits(status: dict[str, Any]) -> Any:
    from rich.text import Text

    if not status:
        return Text("circuits: not tracked", style="dim")
    text = Text("circuits: ")
    for name, info in (status.get("circuits") or {}).items():
        state = info.get("state", "?") if isinstance(info, dict) else str(info)
        style = {"closed": "green", "open": "bold red", "half_open": "yellow"}.get(state, "")
        text.append(f"{name}={state} ", style=style)
    alert = status.get("alert")
    if alert:
        detail = (status.get("venueDisconnect") or {}).get("message") or "venue disconnected"
        text.append(f"  ALERT: {detail}", style="bold red")
    return text
