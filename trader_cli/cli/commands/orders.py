"""``trader resync``, ``flatten`` and ``baseline``: keep the books straight."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from trader_cli.cli.app import (
    EnvFileOpt,
    JsonOpt,
    LogFileOpt,
    ReplayOpt,
    SimOpt,
    VenueOpt,
    VerboseOpt,
    state,
)
from trader_cli.cli.params import MAX_WAIT_SECONDS, seconds, whole
from trader_cli.domain.display import money_text, quantity_text
from trader_cli.domain.display_models import symbol_of

# How long flatten waits for a running bot to finish the step that is sending orders.
FLATTEN_LOCK_WAIT = 60.0


def resync(
    ctx: typer.Context,
    accept_positions: Annotated[
        bool,
        typer.Option(
            "--accept-positions",
            help="Take the venue's positions as the new reconciled positions (after checking "
            "them). The holdings baseline is another thing: see trader baseline.",
        ),
    ] = False,
    venue: VenueOpt = None,
    sim: SimOpt = False,
    replay: ReplayOpt = None,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
    log_file: LogFileOpt = None,
) -> None:
    """Reconcile the database with the venue: orders, fills, positions. Safe to run any time.

    Quiet: one summary line (or --json). Exit 1 if the venue is unreachable, 3 if position
    differences remain that no recorded fill explains.
    """
    import asyncio

    st = state(
        ctx, venue, json_mode, env_file, verbose, sim=sim, replay=replay, log_file=log_file
    )
    st.note_default_venue()
    report = asyncio.run(_resync(st.settings(), accept_positions))
    out = st.output
    if st.json_mode:
        out.json(report.to_dict())
    else:
        typer.echo(report.summary())
        if st.verbose:
            _details(out, report)
    if report.unexplained:
        raise typer.Exit(3)


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


def flatten(
    ctx: typer.Context,
    symbols: Annotated[
        list[str] | None, typer.Argument(help="Symbols to close, e.g. BHP/AUD (or --all).")
    ] = None,
    all_positions: Annotated[
        bool,
        typer.Option(
            "--all", help="Close every position of the bot (the baseline is kept, see below)."
        ),
    ] = False,
    include_baseline: Annotated[
        bool,
        typer.Option(
            "--include-baseline",
            help="Close the baseline too: what a paper or sim account held before the bot "
            "(see trader baseline). Without it, flatten closes only the bot's part.",
        ),
    ] = False,
    market: Annotated[
        bool,
        typer.Option("--market", help="Use market orders where the contract allows them."),
    ] = False,
    reprice: Annotated[
        int,
        typer.Option(
            "--reprice",
            parser=whole("--reprice", 0, 10, example="2"),
            metavar="N",
            help="Re-price unfilled remainders N times (0-10).",
        ),
    ] = 2,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            parser=seconds("--wait", 0.5, MAX_WAIT_SECONDS, example="10"),
            metavar="SECONDS",
            help=f"Seconds to wait for fills per attempt (0.5-{MAX_WAIT_SECONDS}).",
        ),
    ] = 10.0,
    live: Annotated[bool, typer.Option("--live", help="Allow orders on a live account.")] = False,
    venue: VenueOpt = None,
    sim: SimOpt = False,
    replay: ReplayOpt = None,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Close positions, longs and shorts: cancels our working orders on them first.

    Marketable limits (through the touch by MARKETABLE_LIMIT_SLIPPAGE_BPS) unless --market and the
    contract allows market orders. On a paper or sim account the baseline (holdings from before
    the bot) is kept, --all and named symbols alike: only the bot's part is closed and the report
    shows the baseline kept; --include-baseline closes it too. A live account has no baseline.
    Exit 1 if anything asked for is left (market closed, no liquidity).
    """
    import asyncio

    from trader_cli.domain.symbols import parse_symbols
    from trader_cli.errors import InputError

    if bool(symbols) == all_positions:
        raise InputError(
            "name the symbols to flatten, or pass --all (not both)",
            hint="e.g. trader flatten BHP/AUD, or trader flatten --all",
        )
    st = state(ctx, venue, json_mode, env_file, verbose, sim=sim, replay=replay)
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
        raise typer.Exit(1)


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


def baseline(
    ctx: typer.Context,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Take it again: everything the account holds now (the bot's positions too) "
            "becomes the baseline. Flatten first to keep the bot's part the bot's.",
        ),
    ] = False,
    venue: VenueOpt = None,
    sim: SimOpt = False,
    replay: ReplayOpt = None,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Show the baseline: what a paper or sim account held before the bot (--reset re-takes it).

    Taken once per account and mode by the first trading command (run, place, flatten, resync)
    and kept out of the bot's PnL, exposure and flatten. A live account has none: its holdings
    are real exposure. Exit 2 on --reset for a live account.
    """
    import asyncio

    st = state(ctx, venue, json_mode, env_file, verbose, sim=sim, replay=replay)
    st.note_default_venue()
    found, label = asyncio.run(_baseline(st.settings(), reset))
    out = st.output
    if st.json_mode:
        out.json({"mode": label, "baseline": None if found is None else found.to_dict()})
        return
    if found is None:
        from trader_cli.services.baseline import LIVE_HINT, UPGRADED_HINT

        why = {"LIVE": LIVE_HINT, "REPLAY": "a replay plays its recording back as it is"}
        typer.echo(f"no baseline ({label}): {why.get(label, UPGRADED_HINT)}")
        return
    typer.echo(("re-taken: " if reset else "") + found.describe())
    rows = [
        (h.symbol, quantity_text(h.quantity, symbol_of(h.symbol)), money_text(h.value))
        for h in found.holdings
    ]
    rows += [(f"cash {m.currency}", money_text(m), "") for m in found.cash]
    if rows:
        out.table(
            rows, ("holding", "quantity", "value then"), title="baseline",
            justify_right=("quantity", "value then"),
        )


async def _baseline(settings: Any, reset: bool) -> tuple[Any, str]:
    from trader_cli.services.baseline import reset_baseline
    from trader_cli.services.context import trading_context

    async with trading_context(settings, with_session=False) as ctx:
        found = ctx.baseline
        if reset:
            found = await reset_baseline(ctx.venue, ctx.scope, settings.base_currency)
        return found, ctx.scope.label


def register(app: typer.Typer) -> None:
    """Add the order-keeping commands to ``app``."""
    app.command("resync")(resync)
    app.command("flatten")(flatten)
    app.command("baseline")(baseline)
