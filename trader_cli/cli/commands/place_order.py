"""What ``trader place`` does, given plain values (live, or the ``--dry-run`` preview): no typer.

Typer's command (:mod:`trader_cli.cli.commands.preview`) and the emergency path's own parser
(:mod:`trader_cli.cli.lean`) both call :func:`place_command` with the values they parsed.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trader_cli.cli.console import venue_label, warm_up_rich
from trader_cli.cli.state import AppState, merge_state
from trader_cli.domain.display import (
    market_status_text,
    money_exact_text,
    money_text,
    price_text,
    quantity_text,
    time_text,
)
from trader_cli.domain.display_models import symbol_of
from trader_cli.domain.models import Side
from trader_cli.domain.orders import TimeInForce
from trader_cli.domain.venues import VenueChoice

if TYPE_CHECKING:
    from trader_cli.cli.console import Output
    from trader_cli.domain.orders import OrderSpec
    from trader_cli.risk import Check
    from trader_cli.services.preview import OrderPreview


def when_text(value: Any) -> str:
    """A time as shown in tables (empty for none)."""
    if value is None:
        return ""
    return time_text(value) if isinstance(value, datetime) else str(value)


def _money(value: Any) -> str:
    return money_text(value)


def _result(check: Check) -> str:
    """A check's result as shown: a check that did not run is never shown as passed."""
    if not check.evaluated:
        return "not run"
    return "waived" if check.waived else "pass" if check.passed else "FAIL"


def _render(out: Output, p: OrderPreview) -> None:
    label = venue_label(p.venue, p.as_of, simulated=p.simulated)
    q, sym, tick = p.quote, p.symbol, p.min_tick

    def price(value: Any) -> str:
        return price_text(value, sym, min_tick=tick)

    fields = {
        "symbol": f"{p.symbol} ({p.instrument_class.label})",
        "order": f"{p.side.value} {quantity_text(p.quantity, sym)} {p.order_type.value}",
        "time in force": ("" if p.time_in_force is None else p.time_in_force.value)
        + (", post-only" if p.post_only else ""),
        "asked price": price(p.requested_price),
        "price": price(p.price),
        "price note": p.price_note,
        "bid / ask": f"{price(q.bid) or '-'} / {price(q.ask) or '-'}",
        "valuation": "" if p.valuation is None else p.valuation.note,
        "notional": _money(p.notional),
        "notional (base)": _money(p.notional_base),
        "commission (est.)": _money(p.commission.money if p.commission else None),
        "commission (base)": _money(p.commission_base),
        "position": f"{quantity_text(p.position_before, sym)} -> "
        f"{quantity_text(p.position_after, sym)}"
        + (" (reduces)" if p.reducing else ""),
        "market": market_status_text(p.market_open, p.market.note),
    }
    out.fields(fields, title=f"DRY RUN, nothing sent - {label}")
    if p.legs:
        out.table(
            ((leg.leg, leg.describe(sym, tick)) for leg in p.legs),
            ("leg", "order"),
            title="bracket (held by the venue: the stop and target in one OCA group)",
        )
    rows = [(c.name, _result(c), c.message) for c in p.checks]
    out.table(rows, ("check", "result", "detail"))
    for note in p.notes:
        out.warn(note)


def place_command(
    root: AppState,
    *,
    symbol: str,
    side: Side,
    quantity: str,
    limit: str | None,
    market: bool,
    tif: TimeInForce | None,
    post_only: bool,
    stop: str | None,
    target: str | None,
    allow_far_limit: bool,
    dry_run: bool,
    client_order_id: str | None,
    timeout: float,
    live: bool,
    venue: VenueChoice | None,
    sim: bool,
    replay: Path | None,
    json_mode: bool,
    env_file: Path | None,
    verbose: int,
) -> None:
    """``trader place`` with the root options ``root`` and the command's own values."""
    import asyncio

    from trader_cli.services.place import check_place_input, parse_bracket_prices
    from trader_cli.services.preview import place_dry_run

    st = merge_state(root, venue, json_mode, env_file, verbose, sim=sim, replay=replay)
    out = st.output
    # every input is checked before the database or the venue is opened
    spec = check_place_input(
        st.settings(), symbol, quantity, limit, market, client_order_id,
        tif=tif, post_only=post_only, stop=stop, target=target,
    )  # fmt: skip
    stop_price, target_price = parse_bracket_prices(stop, target)
    if dry_run:
        preview = asyncio.run(
            place_dry_run(
                st.settings(), symbol, side, quantity, spec, allow_far_limit=allow_far_limit,
                stop=stop_price, target=target_price,
            )
        )
        if st.json_mode:
            out.json(preview.to_dict())
            if not preview.allowed:
                raise SystemExit(3)
            return
        _render(out, preview)
        preview.raise_if_refused()
        out.info(f"{_checks_summary(preview)}; nothing was sent (--dry-run)")
        return
    st.note_default_venue()
    result = asyncio.run(_place(st, symbol, side, quantity, spec, client_order_id,
                                timeout, live, allow_far_limit, stop_price, target_price))
    order = result.order
    if st.json_mode:
        out.json(result.to_dict())
    else:
        if result.preview is not None:
            _render_checks(out, result.preview)
        _render_order(out, result)
    if order.status.value == "rejected":
        from trader_cli.errors import OrderRejected

        raise OrderRejected(
            f"the venue rejected {order.client_order_id}: "
            f"{(order.info or {}).get('lastError') or 'no reason given'}"
        )


async def _place(st: Any, symbol: str, side: Side, quantity: str, spec: OrderSpec | None,
                 client_order_id: str | None, wait: float, live: bool,
                 allow_far_limit: bool = False, stop: Any = None, target: Any = None) -> Any:
    from trader_cli.services.context import trading_context
    from trader_cli.services.place import place as place_order
    from trader_cli.services.venue import refuse_orders_on_replay

    out = st.output
    refuse_orders_on_replay(st.settings(), "trader place")
    status: Any = None
    # nothing of rich is imported before the order is sent (the order goes out first); then it
    # loads in the background while the venue works, for the tables drawn at the end, and a
    # terminal gets a spinner (not for an order already final)
    spinner = not st.json_mode and sys.stderr.isatty()

    def progress(order: Any) -> None:
        nonlocal status
        if not st.json_mode:
            warm_up_rich()  # the order is out: rich loads while the venue works on it
        if not spinner or (status is None and order.status.is_final):
            return
        if status is None:
            status = out.err.status("")
            status.start()
        sym = symbol_of(order.symbol)
        status.update(f"{order.client_order_id}: {order.status.value}, filled "
                      f"{quantity_text(order.filled, sym)} of "
                      f"{quantity_text(order.amount, sym)}")

    settings = st.settings()
    try:
        async with trading_context(settings, live=live, strategy="place") as ctx:
            return await place_order(ctx, symbol, side, quantity, spec,
                                     client_order_id=client_order_id, wait_seconds=wait,
                                     on_update=progress, allow_far_limit=allow_far_limit,
                                     stop=stop, target=target)
    finally:
        if status is not None:
            status.stop()


def _checks_summary(p: OrderPreview) -> str:
    """``12 checks passed``, ``11 checks passed, 1 not run (MAX_DAILY_LOSS)`` or the failures."""
    failed = [c for c in p.checks if not c.passed and not c.waived]
    if failed:
        return f"{len(failed)} check(s) failed"
    not_run = [c.name for c in p.checks if not c.evaluated]
    text = f"{len(p.checks) - len(not_run)} checks passed"
    return f"{text}, {len(not_run)} not run ({', '.join(not_run)})" if not_run else text


def _render_checks(out: Output, p: OrderPreview) -> None:
    out.info(_checks_summary(p))


def _render_order(out: Output, result: Any) -> None:
    o = result.order
    sym = symbol_of(o.symbol)
    amount = quantity_text(o.amount, sym)
    fields = {
        "client order id": o.client_order_id + (" (resumed)" if result.resumed else ""),
        "venue order id": o.id or "(not yet acknowledged)",
        "order": f"{o.side.value} {amount} {o.symbol} {o.type.value}"
        + (f" @ {price_text(o.price, sym)}" if o.price is not None else ""),
        "status": o.status.value,
        "filled": f"{quantity_text(o.filled, sym)} of {amount}"
        + (f" @ {price_text(o.average, sym)}" if o.average else ""),
        "commission": "" if o.fee is None else money_exact_text(o.fee.cost, o.fee.currency)
        + (f" ({result.liquidity})" if result.liquidity else ""),
    }
    last_error = (o.info or {}).get("lastError")
    if o.status.value in ("canceled", "expired") and last_error:
        fields["note"] = str(last_error)
    if o.status.value == "pending":
        from trader_cli.services.place import retry_hint

        fields["note"] = (
            f"no acknowledgement yet: the order may be live; {retry_hint(o.client_order_id)}"
        )
    out.fields(fields, title="order")
    if result.children:
        out.table(
            ((c.client_order_id, c.side.value, quantity_text(c.amount, sym), c.type.value,
              price_text((c.info or {}).get("stopPrice"), sym), price_text(c.price, sym),
              c.status.value) for c in result.children),
            ("child", "side", "amount", "type", "trigger", "limit", "status"),
            title="held at the venue (one OCA group)",
        )
    if result.fills:
        out.table(((when_text(datetime.fromisoformat(f["timestamp"])),
                    quantity_text(f["amount"], sym), price_text(f["price"], sym),
                    money_exact_text(f["commission"], f["commissionCurrency"] or None),
                    f["liquidity"])
                   for f in result.fills),
                  ("time", "amount", "price", "commission", "liquidity"), title="fills",
                  justify_right=("amount", "price", "commission"))
