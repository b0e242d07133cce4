"""``trader status``: the account, positions, orders, plans, PnL, hours and circuits of a scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from trader_cli.cli.app import (
    EnvFileOpt,
    JsonOpt,
    ReplayOpt,
    SimOpt,
    VenueOpt,
    VerboseOpt,
    state,
)

if TYPE_CHECKING:
    from trader_cli.cli.console import Output
    from trader_cli.domain.symbols import Symbol
    from trader_cli.services.status_model import StatusReport

RECENT_DECISIONS = 5


def status(
    ctx: typer.Context,
    offline: Annotated[
        bool,
        typer.Option("--offline", help="Read the database only; do not contact the venue."),
    ] = False,
    require_venue: Annotated[
        bool,
        typer.Option(
            "--require-venue",
            help="Exit 1 when the venue cannot be reached (default: show the last recorded "
            "state, marked stale, and exit 0).",
        ),
    ] = False,
    venue: VenueOpt = None,
    sim: SimOpt = False,
    replay: ReplayOpt = None,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Account (cash, margin, equity in the base currency), positions, working orders, plans,
    PnL, market hours, circuits and commission estimates. Read-only: sends nothing.

    When the venue cannot be reached, shows what the bot last recorded, marked STALE (exit 0;
    exit 1 with --require-venue)."""
    import asyncio

    from trader_cli.errors import NotConnectedError
    from trader_cli.services.status import collect_status

    st = state(ctx, venue, json_mode, env_file, verbose, sim=sim, replay=replay)
    settings = st.settings()
    report = asyncio.run(collect_status(settings, connect=not offline))
    if report.stale and require_venue:
        raise NotConnectedError(
            f"{settings.venue_name} could not be reached: {report.stale_reason}",
            hint="start the Gateway (or check the network), or drop --require-venue to see the "
            "last recorded state",
        )
    out = st.output
    if st.json_mode:
        out.json(report.to_dict())
        return
    render(out, report)


def render(out: Output, r: StatusReport) -> None:
    """The rich layout of ``trader status``."""
    from trader_cli.domain import display as d

    where = r.venue.upper() if r.backend == "api" else f"{r.venue.upper()} {r.backend}"
    head = f"[{r.badge}] {where} · account {r.account or 'unknown'} · base " \
        f"{r.base_currency} · as of {d.time_text(r.as_of)}"
    out.out.print(head, style="bold", markup=False)
    if r.stale:
        when = d.time_text(r.data_as_of) if r.data_as_of else "never"
        out.out.print(
            f"STALE: {r.stale_reason}; showing what was recorded ({when})",
            style="bold yellow", markup=False,
        )
    for note in r.notes:
        out.warn(note)
    a = r.account_view
    if a is not None:
        rows = [(label, d.money_text(m)) for label, m in a.figures() if m is not None]
        rows += [(f"cash {ccy}", d.money_text(m)) for ccy, m in sorted(a.cash_by_currency.items())]
        out.table(rows, ("account", f"amount ({r.badge})"), justify_right=[f"amount ({r.badge})"])
    pnl = [p for p in (r.pnl_today, r.pnl_session) if p is not None]
    if pnl:
        out.table(
            [(p.span, d.money_text(p.realised), d.money_text(p.unrealised), d.money_text(p.fees),
              d.money_text(p.net)) for p in pnl],
            ("PnL", "realised", "unrealised", "fees", "net"),
            justify_right=("realised", "unrealised", "fees", "net"),
        )
    if r.equity_curve:
        first, last = r.equity_curve[0], r.equity_curve[-1]
        out.out.print(
            f"equity {d.money_text(last.equity)} (from {d.money_text(first.equity)} at "
            f"{d.time_text(first.at)}, {len(r.equity_curve)} points)", markup=False,
        )
    _positions(out, r)
    _orders_and_plans(out, r)
    _hours_and_bot(out, r)
    if r.commissions:
        out.table(
            [(c.symbol, d.quantity_text(c.quantity, _sym(c.symbol)),
              d.price_text(c.price, _sym(c.symbol)), c.price_source, d.money_text(c.notional),
              d.money_text(c.commission), d.money_text(c.commission_base)) for c in r.commissions],
            ("commission est.", "qty", "price", "price from", "notional", "commission",
             f"in {r.base_currency}"),
            justify_right=("qty", "price", "notional", "commission", f"in {r.base_currency}"),
        )
    if r.decisions:
        out.table(
            [(d.time_text(x.at), x.symbol or "", x.action, "yes" if x.accepted else "no",
              x.reason or "") for x in r.decisions[:RECENT_DECISIONS]],
            ("decided", "symbol", "action", "accepted", "reason"),
        )
    if r.baseline:
        out.out.print(f"baseline kept out: {r.baseline}", markup=False)
    out.out.print(f"protection: {r.protection}", markup=False)


def _sym(text: str) -> Symbol | None:
    from trader_cli.services.status_model import symbol_or_none

    return symbol_or_none(text)


def _positions(out: Output, r: StatusReport) -> None:
    from trader_cli.domain import display as d

    if not r.positions:
        out.out.print("positions: none", markup=False)
        return
    out.table(
        [(p.symbol, d.quantity_text(p.quantity, _sym(p.symbol)),
          d.price_text(p.avg_price, _sym(p.symbol)), d.price_text(p.current_price, _sym(p.symbol)),
          d.money_text(p.market_value), d.money_text(p.unrealised),
          d.money_text(p.unrealised_base)) for p in r.positions],
        ("position", "qty", "avg", "last", "value", "unrealised", f"in {r.base_currency}"),
        justify_right=("qty", "avg", "last", "value", "unrealised", f"in {r.base_currency}"),
    )


def _orders_and_plans(out: Output, r: StatusReport) -> None:
    from trader_cli.domain import display as d

    if r.orders:
        out.table(
            [(o.client_order_id, o.symbol, o.side, o.order_type,
              d.quantity_text(o.amount, _sym(o.symbol)), d.quantity_text(o.filled, _sym(o.symbol)),
              d.price_text(o.price, _sym(o.symbol)), o.status) for o in r.orders],
            ("working order", "symbol", "side", "type", "amount", "filled", "price", "status"),
            justify_right=("amount", "filled", "price"),
        )
    else:
        out.out.print("working orders: none", markup=False)
    if r.plans:
        out.table(
            [(str(p.id), p.symbol, p.side, d.quantity_text(p.size, _sym(p.symbol)),
              d.price_text(p.entry, _sym(p.symbol)), d.price_text(p.stop, _sym(p.symbol)),
              d.price_text(p.target, _sym(p.symbol)), d.time_text(p.expiry)) for p in r.plans],
            ("open plan", "symbol", "side", "size", "entry", "stop", "target", "expires"),
            justify_right=("size", "entry", "stop", "target"),
        )


def _hours_and_bot(out: Output, r: StatusReport) -> None:
    from trader_cli.domain import display as d

    if r.hours:
        out.table(
            [(h.market, ", ".join(h.symbols), h.status_text, d.time_text(h.next_open),
              d.time_text(h.next_close)) for h in r.hours],
            ("market", "symbols", "now", "next open", "next close"),
        )
    b = r.bot
    if b is None:
        return
    running = f"running ({b.holder})" if b.running else "not running"
    seen = f"; last cycle {d.time_text(b.last_cycle_at)}" if b.last_cycle_at else ""
    entries = "" if b.allows_entries is None else \
        f"; entries {'allowed' if b.allows_entries else 'PAUSED'}"
    out.out.print(f"bot: {running}{seen}{entries}", markup=False)
    if b.circuits:
        out.table(
            [(c.dependency, c.state.upper(), str(c.failures), d.time_text(c.opened_at),
              c.last_error or "") for c in b.circuits],
            ("circuit", "state", "failures", "opened", "last error"),
        )
    if b.disconnect:
        out.warn(f"venue link: {b.disconnect}")


def register(app: typer.Typer) -> None:
    """Add ``status`` to ``app``."""
    app.command("status")(status)
