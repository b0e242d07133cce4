"""What ``trader resync`` and ``trader flatten`` do, given plain values: no typer here.

Typer's commands (:mod:`trader_cli.cli.commands.orders`) and the emergency path's own parser
(:mod:`trader_cli.cli.lean`) both call these with the values they parsed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from trader_cli.cli.state import AppState, merge_state
from trader_cli.domain.display import quantity_text
from trader_cli.domain.display_models import symbol_of
from trader_cli.domain.venues import VenueChoice

# How long flatten waits for a running bot to finish the step that is sending orders.
FLATTEN_LOCK_WAIT = 60.0


def echo(text: str) -> None:
    """One line on stdout, flushed (what ``typer.echo`` does with plain text)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def resync_command(
    root: AppState,
    *,
    accept_positions: bool,
    venue: VenueChoice | None,
    sim: bool,
    replay: Path | None,
    json_mode: bool,
    env_file: Path | None,
    verbose: int,
    log_file: Path | None,
) -> None:
    """``trader resync`` with the root options ``root`` and the command's own values."""
    import asyncio

    st = merge_state(
        root, venue, json_mode, env_file, verbose, sim=sim, replay=replay, log_file=log_file
    )
    st.note_default_venue()
    report = asyncio.run(_resync(st.settings(), accept_positions))
    out = st.output
    if st.json_mode:
        out.json(report.to_dict())
    else:
        echo(report.summary())
        if st.verbose:
            _details(out, report)
    if report.unexplained:
        raise SystemExit(3)


async def _resync(settings: Any, accept_positions: bool) -> Any:
    from trader_cli.services.context import trading_context
    from trader_cli.services.resync import ResyncService

    async with trading_context(settings, with_session=False) as ctx:
        return await ResyncService(ctx.orders).run(accept_positions=accept_positions)


def _details(out: Any, report: Any) -> None:
    rows = [(u["clientOrderId"], f"{u['from']} → {u['to']}") for u in report.updated]
    rows += [(cid, "adopted") for cid in report.adopted]
    rows += [(e["clientOrderId"], f"expired: {e['why']}") for e in report.expired]
    rows += [(cid, "in flight") for cid in report.in_flight]
    if rows:
        out.table(rows, ("order", "change"), title="orders")
    if report.positions:
        out.table(
            (
                (
                    p.symbol,
                    quantity_text(p.venue, symbol_of(p.symbol)),
                    quantity_text(p.baseline, symbol_of(p.symbol)),
                    quantity_text(p.expected, symbol_of(p.symbol)),
                    "yes" if p.explained else "NO",
                    p.explanation,
                )
                for p in report.positions
            ),
            ("symbol", "venue", "baseline", "expected", "explained", "why"),
            title="positions",
            justify_right=("venue", "baseline", "expected"),
        )


def flatten_command(
    root: AppState,
    *,
    symbols: list[str] | None,
    all_positions: bool,
    include_baseline: bool,
    market: bool,
    reprice: int,
    wait: float,
    live: bool,
    venue: VenueChoice | None,
    sim: bool,
    replay: Path | None,
    json_mode: bool,
    env_file: Path | None,
    verbose: int,
) -> None:
    """``trader flatten`` with the root options ``root`` and the command's own values."""
    import asyncio

    from trader_cli.domain.symbols import parse_symbols
    from trader_cli.errors import InputError

    if bool(symbols) == all_positions:
        raise InputError(
            "name the symbols to flatten, or pass --all (not both)",
            hint="e.g. trader flatten BHP/AUD, or trader flatten --all",
        )
    st = merge_state(root, venue, json_mode, env_file, verbose, sim=sim, replay=replay)
    targets = parse_symbols(symbols) if symbols else None
    st.note_default_venue()
    report = asyncio.run(
        _flatten(st.settings(), targets, market, reprice, wait, live, include_baseline,
                 st.json_mode)
    )
    out = st.output
    if st.json_mode:
        out.json(report.to_dict())
    else:
        if report.cancelled:
            out.info(f"cancelled {len(report.cancelled)} working order(s) first")
        if report.baseline is not None and report.baseline.holdings:
            out.info(report.baseline.describe() + " (and out of flatten)")
        out.table(
            (
                (
                    line.symbol,
                    quantity_text(line.before, symbol_of(line.symbol)),
                    line.side.value if line.side else "",
                    *(
                        quantity_text(q, symbol_of(line.symbol))
                        for q in (line.filled, line.left, line.baseline_kept)
                    ),
                    line.note,
                )
                for line in report.lines
            ),
            ("symbol", "position", "side", "filled", "left", "baseline kept", "note"),
            title="flatten",
            justify_right=("position", "filled", "left", "baseline kept"),
        )
    if report.remaining:
        raise SystemExit(1)


async def _flatten(
    settings: Any,
    targets: Any,
    market: bool,
    reprice: int,
    wait: float,
    live: bool,
    include_baseline: bool,
    json_mode: bool = False,
) -> Any:
    from trader_cli.cli.console import warm_up_rich
    from trader_cli.services.context import trading_context
    from trader_cli.services.flatten import flatten as run_flatten
    from trader_cli.services.locks import hold_send_lock, scope_of
    from trader_cli.services.venue import refuse_orders_on_replay

    refuse_orders_on_replay(settings, "trader flatten")
    async with trading_context(settings, live=live, strategy="flatten") as ctx:
        if not json_mode:  # once an order is out, rich loads while the venue works on it
            ctx.orders.on_sent = lambda _cid: warm_up_rich()
        # beside a running bot: wait for its current step, then close its plans on these
        # symbols and the positions while it waits (see docs/orders.md)
        lock = await hold_send_lock(scope_of(ctx), what="trader flatten", wait=FLATTEN_LOCK_WAIT)
        with lock:
            return await run_flatten(
                ctx,
                targets,
                use_market=market,
                reprice=reprice,
                wait_seconds=wait,
                include_baseline=include_baseline,
            )
