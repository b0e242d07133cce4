"""``trader resync`` (and, with the order service, ``flatten``): keep the books straight."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from trader_cli.cli.app import EnvFileOpt, JsonOpt, VenueOpt, VerboseOpt, state


def resync(
    ctx: typer.Context,
    accept_positions: Annotated[
        bool,
        typer.Option(
            "--accept-positions",
            help="Take the venue's positions as the new baseline (after checking them).",
        ),
    ] = False,
    venue: VenueOpt = None,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Reconcile the database with the venue: orders, fills, positions. Safe to run any time.

    Quiet: one summary line (or --json). Exit 1 if the venue is unreachable, 3 if position
    differences remain that no recorded fill explains.
    """
    import asyncio

    st = state(ctx, venue, json_mode, env_file, verbose)
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
                (p.symbol, p.venue, p.expected, "yes" if p.explained else "NO", p.explanation)
                for p in report.positions
            ),
            ("symbol", "venue", "expected", "explained", "why"),
            title="positions",
            justify_right=("venue", "expected"),
        )


def register(app: typer.Typer) -> None:
    """Add the order-keeping commands to ``app``."""
    app.command("resync")(resync)
