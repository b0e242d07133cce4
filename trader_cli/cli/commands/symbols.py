"""``trader resolve-symbol``: canonical symbol → venue contract."""

from __future__ import annotations

from typing import Annotated, Any

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


def resolve_symbol(
    ctx: typer.Context,
    symbol: Annotated[
        str, typer.Argument(help="Canonical symbol, e.g. BHP/AUD, AUD/USD, BTC/USD.")
    ],
    offline: Annotated[
        bool, typer.Option("--offline", help="Resolve from the symbol alone; no venue connection.")
    ] = False,
    venue: VenueOpt = None,
    sim: SimOpt = False,
    replay: ReplayOpt = None,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Show the venue contract for SYMBOL: secType, exchange, currency; conId, minTick, hours.

    --offline maps the symbol without connecting; otherwise the venue qualifies it.
    """
    st = state(ctx, venue, json_mode, env_file, verbose, sim=sim, replay=replay)
    settings = st.settings()
    if offline:
        from trader_cli.services.symbols import resolve_offline

        result = resolve_offline(symbol, settings)
    else:
        import asyncio

        from trader_cli.services.market import resolve_online

        result = asyncio.run(resolve_online(settings, symbol))
    out = st.output
    if st.json_mode:
        out.json(result)
        return
    _render(out, result)


def _render(out: Any, result: dict[str, Any]) -> None:
    """The contract as a field/value table, online and offline alike."""
    contract = {k: v for k, v in result["contract"].items() if v is not None}
    first = {k: contract.pop(k) for k in ("symbol", "instrumentClass") if k in contract}
    rows = {k: _cell(v) for k, v in {**first, **contract}.items()}
    where = "SIMULATED venue" if result.get("simulated") else result["venue"]
    title = f"{result['symbol']} on {where} ({result['instrumentClass']}, {result['resolved']})"
    out.fields(rows, title=title)
    if not result["allowed"]:
        out.warn(f"{result['symbol']} is not in ALLOWED_SYMBOLS; the bot will not trade it")


def _cell(value: Any) -> str:
    """A contract value as text: lists joined, yes/no for flags."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def register(app: typer.Typer) -> None:
    """Add the symbol commands to ``app``."""
    app.command("resolve-symbol")(resolve_symbol)
