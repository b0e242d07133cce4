"""The dashboard page: ``trader status`` drawn with Streamlit, refreshed every ``--refresh``.

Every figure is written by :mod:`trader_cli.domain.display` (money with its currency, prices at
tick precision, times in UTC), exactly as ``trader status`` writes it. Read-only.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import streamlit as st

from trader_cli.dashboard.estimator import estimator_section
from trader_cli.dashboard.launch import DashboardOptions
from trader_cli.dashboard.widgets import VENUE_LOCK, show_error, table
from trader_cli.domain import display as d
from trader_cli.domain.symbols import Symbol, parse_symbol
from trader_cli.errors import InputError, TraderError
from trader_cli.redaction import install_log_redaction, redact

if TYPE_CHECKING:
    from trader_cli.config import Settings
    from trader_cli.services.status_model import StatusReport

AUTH_KEY = "trader_dashboard_authorised"
RECENT_DECISIONS = 10
#: Seconds under ``--refresh`` that a collected status is reused for.
CACHE_MARGIN = 1.0

#: The badge's colours; LIVE is the one that must never be mistaken for another.
BADGE_STYLE = {
    "LIVE": ("#b71c1c", "#ffffff", "LIVE: real money, real orders"),
    "PAPER": ("#e65100", "#ffffff", "PAPER account"),
    "SIMULATED": ("#1565c0", "#ffffff", "SIMULATED"),
    "REPLAY": ("#6a1b9a", "#ffffff", "REPLAY of a recording"),
}

_cache: dict[str, tuple[float, StatusReport]] = {}


def main(environ: Mapping[str, str] | None = None) -> None:
    """Draw the page (the script Streamlit runs calls this)."""
    st.set_page_config(page_title="trader dashboard", layout="wide")
    install_log_redaction()
    options = DashboardOptions.from_env(os.environ if environ is None else environ)
    try:
        settings = options.settings()
    except TraderError as e:
        show_error(e)
        return
    if not authorised(settings):
        return
    st.fragment(run_every=options.refresh)(status_section)(settings, options)
    estimator_section(settings)


def authorised(settings: Settings) -> bool:
    """True once this browser session gave ``DASHBOARD_PASSWORD`` (or none is set)."""
    secret = settings.core.dashboard_password
    if secret is None or st.session_state.get(AUTH_KEY):
        return True
    st.title("trader dashboard")
    with st.form("login"):
        entered = st.text_input("Password", type="password")
        sent = st.form_submit_button("Open the dashboard")
    if sent:
        expected = secret.get_secret_value().encode()
        if hmac.compare_digest(entered.encode(), expected):
            st.session_state[AUTH_KEY] = True
            st.rerun()
        st.error("wrong password")
    return False


def load_status(settings: Settings, options: DashboardOptions) -> StatusReport:
    """The scope's status, collected at most once per refresh interval for all viewers."""
    from trader_cli.services.status import collect_status

    key = repr((settings.venue_name, settings.backend, settings.replay_dir, options.offline,
                sorted(settings.public_dict().items(), key=lambda kv: kv[0])))
    with VENUE_LOCK:
        hit = _cache.get(key)
        # a little under the interval: the page's next refresh always finds it due
        if hit is not None and time.monotonic() - hit[0] < options.refresh - CACHE_MARGIN:
            return hit[1]
        report = asyncio.run(collect_status(settings, connect=not options.offline))
        _cache[key] = (time.monotonic(), report)
        return report


def status_section(settings: Settings, options: DashboardOptions) -> None:
    """Badge, staleness, account, PnL, equity, positions, orders, plans, hours, circuits."""
    try:
        r = load_status(settings, options)
    except TraderError as e:
        show_error(e)
        return
    header(r)
    account(r)
    pnl_and_equity(r)
    positions(r)
    orders_and_plans(r)
    hours_and_bot(r)
    commissions_and_decisions(r)
    if r.baseline:
        st.caption(f"baseline kept out: {r.baseline}")
    st.caption(f"protection: {r.protection}")


def header(r: StatusReport) -> None:
    """The venue/mode badge, where and when, and the STALE marker."""
    bg, fg, text = BADGE_STYLE.get(r.badge, ("#424242", "#ffffff", r.badge))
    size = "2.4rem" if r.badge == "LIVE" else "1.8rem"
    border = "6px solid #000000" if r.badge == "LIVE" else "none"
    st.markdown(
        f'<div data-testid="trader-badge" data-badge="{html.escape(r.badge)}" '
        f'style="background:{bg};color:{fg};font-size:{size};font-weight:800;'
        f'padding:0.4rem 1rem;border-radius:0.4rem;border:{border};letter-spacing:0.05em">'
        f"{html.escape(text)}</div>",
        unsafe_allow_html=True,
    )
    where = r.venue.upper() if r.backend == "api" else f"{r.venue.upper()} {r.backend}"
    st.markdown(
        f"**{_plain(where)}** · account {_plain(r.account or 'unknown')} · base currency "
        f"**{_plain(r.base_currency)}** · as of {d.time_text(r.as_of)}"
    )
    if r.stale:
        when = d.time_text(r.data_as_of) if r.data_as_of else "never"
        st.error(f"STALE: {redact(r.stale_reason or '')}; showing what was recorded ({when})")
    for note in r.notes:
        st.warning(redact(note))


def account(r: StatusReport) -> None:
    """Net liquidation, cash, funds, margins and buying power in the base currency."""
    st.subheader(f"Account ({r.base_currency})")
    a = r.account_view
    if a is None:
        st.caption("no account figures: the venue was not reached and none were recorded")
        return
    figures = [(label, m) for label, m in a.figures() if m is not None]
    for row in range(0, len(figures), 4):
        cols = st.columns(4)
        for col, (label, m) in zip(cols, figures[row : row + 4], strict=False):
            col.metric(label, d.money_text(m))
    if a.cash_by_currency:
        table(
            [(ccy, d.money_text(m)) for ccy, m in sorted(a.cash_by_currency.items())],
            ("cash in", "amount"),
        )


def pnl_and_equity(r: StatusReport) -> None:
    """PnL today and this session, and the equity curve, in the base currency."""
    st.subheader(f"PnL and equity ({r.base_currency})")
    pnl = [p for p in (r.pnl_today, r.pnl_session) if p is not None]
    if pnl:
        table(
            [(p.span, d.money_text(p.realised), d.money_text(p.unrealised), d.money_text(p.fees),
              d.money_text(p.net)) for p in pnl],
            ("PnL", "realised", "unrealised", "fees", "net"),
        )
    else:
        st.caption("no PnL recorded yet")
    if not r.equity_curve:
        st.caption("no equity recorded yet")
        return
    first, last = r.equity_curve[0], r.equity_curve[-1]
    st.metric(
        "equity", d.money_text(last.equity),
        help=f"from {d.money_text(first.equity)} at {d.time_text(first.at)}, "
        f"{len(r.equity_curve)} points",
    )
    import altair as alt

    column = f"equity ({r.base_currency})"
    points = [
        {"at": p.at.isoformat(), column: float(p.equity.amount)}  # a chart's y, not money
        for p in r.equity_curve
    ]
    chart = (
        alt.Chart({"values": points})
        .mark_line(point=True)
        .encode(
            x=alt.X("at:T", title="time (UTC)"),
            # the equity's own range: from zero, a 0.01 % move would be a flat line
            y=alt.Y(f"{column}:Q", title=column, scale=alt.Scale(zero=False)),
        )
    )
    st.altair_chart(chart, use_container_width=True)


def positions(r: StatusReport) -> None:
    """The bot's positions, marked, with unrealised PnL in the base currency."""
    st.subheader("Positions")
    if not r.positions:
        st.caption("none")
        return
    table(
        [(p.symbol, d.quantity_text(p.quantity, _sym(p.symbol)),
          d.price_text(p.avg_price, _sym(p.symbol)), d.price_text(p.current_price, _sym(p.symbol)),
          d.money_text(p.market_value), d.money_text(p.unrealised),
          d.money_text(p.unrealised_base)) for p in r.positions],
        ("symbol", "qty", "avg", "last", "value", "unrealised", f"in {r.base_currency}"),
    )


def orders_and_plans(r: StatusReport) -> None:
    """Working orders and open plans (entry, stop, target)."""
    st.subheader("Working orders")
    if r.orders:
        table(
            [(o.client_order_id, o.symbol, o.side, o.order_type,
              d.quantity_text(o.amount, _sym(o.symbol)), d.quantity_text(o.filled, _sym(o.symbol)),
              d.price_text(o.price, _sym(o.symbol)), o.status) for o in r.orders],
            ("client order id", "symbol", "side", "type", "amount", "filled", "price", "status"),
        )
    else:
        st.caption("none")
    st.subheader("Open plans")
    if r.plans:
        table(
            [(str(p.id), p.symbol, p.side, d.quantity_text(p.size, _sym(p.symbol)),
              d.price_text(p.entry, _sym(p.symbol)), d.price_text(p.stop, _sym(p.symbol)),
              d.price_text(p.target, _sym(p.symbol)), d.time_text(p.expiry)) for p in r.plans],
            ("plan", "symbol", "side", "size", "entry", "stop", "target", "expires"),
        )
    else:
        st.caption("none")


def hours_and_bot(r: StatusReport) -> None:
    """Market hours of the traded markets; the bot, its circuits and the venue link."""
    st.subheader("Market hours")
    if r.hours:
        table(
            [(h.market, ", ".join(h.symbols), h.status_text, d.time_text(h.next_open),
              d.time_text(h.next_close)) for h in r.hours],
            ("market", "symbols", "now", "next open", "next close"),
        )
    st.subheader("Bot and circuits")
    b = r.bot
    if b is None:
        st.caption("no bot has run on this scope")
        return
    running = f"running ({b.holder})" if b.running else "not running"
    seen = f"; last cycle {d.time_text(b.last_cycle_at)}" if b.last_cycle_at else ""
    entries = "" if b.allows_entries is None else \
        f"; entries {'allowed' if b.allows_entries else 'PAUSED'}"
    st.markdown(f"bot: {running}{seen}{entries}")
    if b.circuits:
        table(
            [(c.dependency, c.state.upper(), str(c.failures), d.time_text(c.opened_at),
              redact(c.last_error or "")) for c in b.circuits],
            ("circuit", "state", "failures", "opened", "last error"),
        )
    if b.disconnect:
        st.warning(f"venue link: {redact(b.disconnect)}")


def commissions_and_decisions(r: StatusReport) -> None:
    """Commission estimates of typical orders, and the strategy's recent decisions."""
    if r.commissions:
        st.subheader("Typical commissions")
        table(
            [(c.symbol, d.quantity_text(c.quantity, _sym(c.symbol)),
              d.price_text(c.price, _sym(c.symbol)), c.price_source, d.money_text(c.notional),
              d.money_text(c.commission), d.money_text(c.commission_base))
             for c in r.commissions],
            ("symbol", "qty", "price", "price from", "notional", "commission",
             f"in {r.base_currency}"),
        )
    st.subheader("Recent decisions")
    if not r.decisions:
        st.caption("none")
        return
    table(
        [(d.time_text(x.at), x.symbol or "", x.action, "yes" if x.accepted else "no",
          x.reason or "") for x in r.decisions[:RECENT_DECISIONS]],
        ("decided", "symbol", "action", "accepted", "reason"),
    )


def _plain(text: str) -> str:
    """``text`` shown as is in Markdown (a masked account's ``****`` is not emphasis)."""
    return "".join(f"\\{c}" if c in "\\`*_[]<>#|~" else c for c in text)


def _sym(text: str) -> Symbol | None:
    try:
        return parse_symbol(text)
    except (ValueError, InputError):
        return None
