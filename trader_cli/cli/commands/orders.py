"""``trader resync``, ``flatten`` and ``baseline``: keep the books straight.

The options of ``resync`` and ``flatten`` are declared here (help, usage errors); what they do is
in :mod:`trader_cli.cli.commands.books`, which the emergency path runs without typer.
"""

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
    root_state,
    state,
)
from trader_cli.cli.commands import books
from trader_cli.cli.params import FLATTEN_REPRICE, FLATTEN_WAIT, MAX_WAIT_SECONDS
from trader_cli.domain.display import money_text, quantity_text
from trader_cli.domain.display_models import symbol_of


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
    books.resync_command(
        root_state(ctx), accept_positions=accept_positions, venue=venue, sim=sim,
        replay=replay, json_mode=json_mode, env_file=env_file, verbose=verbose,
        log_file=log_file,
    )  # fmt: skip


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
            parser=FLATTEN_REPRICE,
            metavar="N",
            help="Re-price unfilled remainders N times (0-10).",
        ),
    ] = 2,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            parser=FLATTEN_WAIT,
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
    books.flatten_command(
        root_state(ctx), symbols=symbols, all_positions=all_positions,
        include_baseline=include_baseline, market=market, reprice=reprice, wait=wait,
        live=live, venue=venue, sim=sim, replay=replay, json_mode=json_mode,
        env_file=env_file, verbose=verbose,
    )  # fmt: skip


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
