"""``trader place`` (live, or the ``--dry-run`` preview) and ``trader hours``.

What ``place`` does is in :mod:`trader_cli.cli.commands.place_order`, which the emergency path
runs without typer; its options are declared here (help, usage errors).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from trader_cli.cli.app import (
    EnvFileOpt,
    JsonOpt,
    ReplayOpt,
    SimOpt,
    VenueOpt,
    VerboseOpt,
    root_state,
    state,
)
from trader_cli.cli.commands import place_order
from trader_cli.cli.commands.place_order import when_text
from trader_cli.cli.params import MAX_WAIT_SECONDS, PLACE_TIMEOUT
from trader_cli.domain.display import market_status_text
from trader_cli.domain.models import Side
from trader_cli.domain.orders import TimeInForce


def _local(iso: str) -> str:
    """``2024-12-25 12:00:00``: a local wall time to the second, without its offset."""
    return f"{datetime.fromisoformat(iso):%Y-%m-%d %H:%M:%S}"


def place(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="Symbol, e.g. BHP/AUD or AUD/USD.")],
    side: Annotated[Side, typer.Argument(help="buy or sell.", case_sensitive=False)],
    quantity: Annotated[str, typer.Argument(help="Shares, or units of the base currency for FX.")],
    limit: Annotated[
        str | None,
        typer.Option(
            "--limit", help="Limit price; nudged onto the tick, never worse.", show_default=False
        ),
    ] = None,
    market: Annotated[bool, typer.Option("--market", help="Market order.")] = False,
    tif: Annotated[
        TimeInForce | None,
        typer.Option(
            "--tif",
            case_sensitive=False,
            help="Time in force: day, gtc, or ioc (fill what trades at once, cancel the rest). "
            "Default: the venue's (IB: day; Gemini: gtc).",
            show_default=False,
        ),
    ] = None,
    post_only: Annotated[
        bool,
        typer.Option(
            "--post-only",
            help="Maker only: the venue cancels the order instead of letting it take "
            "(Gemini's maker-or-cancel; not on IB).",
        ),
    ] = False,
    stop: Annotated[
        str | None,
        typer.Option(
            "--stop",
            help="Send a bracket: a stop at this trigger price, held by the venue (IB) with "
            "the entry as its parent; valued at its trigger for risk.",
            show_default=False,
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="Send a bracket: a target limit at this price, in one OCA group with the stop.",
            show_default=False,
        ),
    ] = None,
    allow_far_limit: Annotated[
        bool,
        typer.Option(
            "--allow-far-limit",
            help="Send a limit further from the touch than MAX_PRICE_DEVIATION_PCT_<CLASS>.",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Preview the order and every check; send nothing.")
    ] = False,
    client_order_id: Annotated[
        str | None,
        typer.Option(
            "--client-order-id",
            help="Your own id (PREFIX-...): re-running with it never sends the order twice.",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            parser=PLACE_TIMEOUT,
            metavar="SECONDS",
            help=f"Seconds to wait for the order to finish (0-{MAX_WAIT_SECONDS}).",
        ),
    ] = 30.0,
    live: Annotated[bool, typer.Option("--live", help="Allow an order on a live account.")] = False,
    venue: VenueOpt = None,
    sim: SimOpt = False,
    replay: ReplayOpt = None,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Place one order through every risk and liquidity check; --dry-run only previews it.

    The order is written to the database before the venue sees it and waited on for --timeout
    seconds. Exit 3 when a check refuses it (nothing sent), 2 for bad input, 1 if the venue fails
    or rejects it. Risk values the order at the price it executes at (max of limit and touch); a
    limit far from the touch is refused unless --allow-far-limit.
    """
    place_order.place_command(
        root_state(ctx), symbol=symbol, side=side, quantity=quantity, limit=limit,
        market=market, tif=tif, post_only=post_only, stop=stop, target=target,
        allow_far_limit=allow_far_limit, dry_run=dry_run, client_order_id=client_order_id,
        timeout=timeout, live=live, venue=venue, sim=sim, replay=replay, json_mode=json_mode,
        env_file=env_file, verbose=verbose,
    )  # fmt: skip


def hours(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="Symbol, e.g. BHP/AUD, AUD/USD, BTC/USD.")],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="ISO-8601 time with a zone, e.g. 2024-12-24T03:00:00Z (default: venue clock).",
            show_default=False,
        ),
    ] = None,
    venue: VenueOpt = None,
    sim: SimOpt = False,
    replay: ReplayOpt = None,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Market hours of a symbol: open or closed, the session, next open and close."""
    from trader_cli.errors import InputError
    from trader_cli.services.hours import hours_for

    st = state(ctx, venue, json_mode, env_file, verbose, sim=sim, replay=replay)
    when: datetime | None = None
    if at is not None:
        try:
            when = datetime.fromisoformat(at.strip())
        except ValueError as e:
            raise InputError(
                f"--at {at!r} is not an ISO-8601 time", hint="e.g. 2024-12-24T03:00:00Z"
            ) from e
        if when.tzinfo is None:
            raise InputError(
                f"--at {at!r} has no time zone", hint="add Z or an offset, e.g. +10:00"
            )
        from trader_cli.hours import check_calendar_range

        check_calendar_range(when, what="--at")
    data = hours_for(st.settings(), symbol, when)
    out = st.output
    if st.json_mode:
        out.json(data)
        return
    rows = {
        "symbol": f"{data['symbol']} ({data['instrumentClass']})",
        "market": f"{data['market']} ({data['timeZone']})",
        "at": f"{when_text(data['at'])} = {_local(data['localTime'])} {data['timeZone']} "
        f"({data['clock']})",
        "status": market_status_text(data["open"], data["note"]),
        "session": f"{when_text(data['sessionOpen'])} - {when_text(data['sessionClose'])}"
        if data["open"] and data["sessionOpen"]
        else "",
        "next open": when_text(data["nextOpen"]) or "never closes",
        "next close": when_text(data["nextClose"]) or "never closes",
    }
    out.fields(rows, title=f"Market hours of {data['symbol']}")


def register(app: typer.Typer) -> None:
    """Add ``place`` and ``hours`` to ``app``."""
    app.command("place")(place)
    app.command("hours")(hours)
