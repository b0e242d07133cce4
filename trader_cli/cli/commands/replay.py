"""``trader record-fixtures`` and ``trader replay``: capture a safe scenario, play it back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trader_cli.cli.app import EnvFileOpt, JsonOpt, VerboseOpt, state
from trader_cli.cli.commands.sim import SimVenue
from trader_cli.cli.params import whole

if TYPE_CHECKING:
    from trader_cli.cli.console import Output

IB_SYMBOLS = "BHP/AUD,AUD/USD"
GEMINI_SYMBOLS = "BTC/USD,ETH/USD"


class StepProgress:
    """A rich progress bar over the scenario's steps, on stderr (off for piped ``--json``)."""

    def __init__(self, out: Output, title: str, total: int) -> None:
        self._progress: Any = None
        self._task: Any = None
        if out.json_mode and not out.err.is_terminal:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(bar_width=24), MofNCompleteColumn(),
            console=out.err, transient=True,
        )  # fmt: skip
        self._task = self._progress.add_task(title, total=total)
        self._progress.start()

    def step(self, step: Any) -> None:
        """One step done."""
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=f"done: {step.title}")

    def stop(self) -> None:
        """Take the bar off the terminal."""
        if self._progress is not None:
            self._progress.stop()


def record_fixtures(
    ctx: typer.Context,
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Directory to write the recording to, e.g. fixtures/ib/NAME or "
            "fixtures/gemini/NAME.",
            file_okay=False, resolve_path=True,
        ),
    ],
    symbols: Annotated[
        str | None,
        typer.Option(
            "--symbols", show_default=False,
            help=f"Comma-separated symbols (default: {IB_SYMBOLS}; Gemini: {GEMINI_SYMBOLS}).",
        ),
    ] = None,
    venue: Annotated[
        SimVenue,
        typer.Option(
            "--venue", help="Which venue to record: ib (a Gateway) or gemini (ccxt, a cassette)."
        ),
    ] = SimVenue.IB,
    with_orders: Annotated[
        bool,
        typer.Option(
            "--with-orders",
            help="Also place one limit order far from the market, then cancel it: IB paper "
            "accounts, the Gemini sandbox or --sim only.",
        ),
    ] = False,
    host: Annotated[
        str | None, typer.Option("--host", help="Gateway host (default IB_HOST).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port", parser=whole("--port", 1, 65535, example="4002"), metavar="PORT",
            help="Gateway port (default IB_PORT, else the paper port).",
        ),
    ] = None,
    sim: Annotated[
        bool,
        typer.Option(
            "--sim", help="Gemini: record against the in-process SIMULATED Gemini (SIM_SEED, "
            "clock pinned at SIM_CLOCK)."
        ),
    ] = False,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Record a fixed, safe scenario: IB against a Gateway (paper) or `trader sim-gateway`
    through a recording proxy; Gemini through ccxt into a vcrpy cassette (GEMINI_API_URL, the
    sandbox, or --sim). Sanitised, plus golden results (see docs/fixtures.md)."""
    import asyncio

    from trader_cli.domain.symbols import parse_symbols
    from trader_cli.domain.venues import VenueChoice
    from trader_cli.errors import InputError
    from trader_cli.services.scenario import scenario_steps

    gemini = venue is SimVenue.GEMINI
    # Gemini's settings (its ALLOWED_SYMBOLS default) whatever ACTIVE_EXCHANGE says
    st = state(ctx, VenueChoice.GEMINI if gemini else None, json_mode, env_file, verbose)
    if gemini and (host is not None or port is not None):
        raise InputError(
            "--host/--port are for IB's Gateway",
            hint="for Gemini set GEMINI_API_URL (or GEMINI_SANDBOX=true), or use --sim",
        )
    if not gemini and sim:
        raise InputError(
            "record-fixtures --sim is for --venue gemini",
            hint="for IB start `trader sim-gateway` and give its --port",
        )
    if symbols is None:
        symbols = GEMINI_SYMBOLS if gemini else IB_SYMBOLS
    syms = parse_symbols([s for s in symbols.split(",") if s.strip()])
    settings = st.settings()
    out = st.output
    total = len(scenario_steps(syms, settings, with_orders=with_orders))
    progress = StepProgress(out, "recording", total)
    try:
        if gemini:
            from trader_cli.services.recording_gemini import record_gemini

            summary = asyncio.run(
                record_gemini(
                    settings, syms, out_dir, with_orders=with_orders, sim=sim or st.sim,
                    on_step=progress.step,
                )
            )  # fmt: skip
        else:
            from trader_cli.services.recording import record_ib

            summary = asyncio.run(
                record_ib(
                    settings, syms, out_dir, with_orders=with_orders,
                    host=host or settings.ib.host,
                    port=port or settings.ib.effective_port, on_step=progress.step,
                )
            )  # fmt: skip
    finally:
        progress.stop()
    if st.json_mode:
        out.json(summary.to_dict())
        return
    unit = "requests" if gemini else "messages"
    out.out.print(
        f"recorded {len(summary.steps)} steps ({summary.messages} {unit}) into "
        f"{summary.directory}; {summary.accounts_rewritten} identifying value(s) rewritten"
    )


def replay(
    ctx: typer.Context,
    directory: Annotated[
        Path,
        typer.Argument(
            help="A recording directory (fixtures/ib/NAME).", exists=True, file_okay=False,
            resolve_path=True,
        ),
    ],
    serve: Annotated[
        bool,
        typer.Option(
            "--serve", help="Serve the recording as a Gateway until interrupted (Ctrl-C)."
        ),
    ] = False,
    port: Annotated[
        int | None,
        typer.Option(
            "--port", parser=whole("--port", 0, 65535, example="4012"), metavar="PORT",
            help="With --serve: the port, 0-65535 (0: any free one; default 4012 for IB, "
            "8743 for Gemini).",
        ),
    ] = None,
    host: Annotated[
        str, typer.Option("--host", help="With --serve: the address (loopback by default).")
    ] = "127.0.0.1",
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Replay a recording through the current adapter of its venue (IB or Gemini) and compare
    with its golden files: exit 0 when equal, 1 with a diff otherwise. --serve keeps it up as a
    REPLAY Gateway (IB) or REPLAY Gemini REST API."""
    import asyncio

    from trader_cli.replay.wirelog import open_recording
    from trader_cli.services.recording import replay_recording

    st = state(ctx, None, json_mode, env_file, verbose)
    meta = open_recording(directory, None)
    if serve:
        if meta.get("venue") == "gemini":
            _serve_gemini(st, directory, host, port)
        else:
            _serve(st, directory, host, port)
        return
    out = st.output
    settings = st.settings()
    from trader_cli.services.scenario import scenario_steps

    total = len(
        scenario_steps([], settings, with_orders=bool(meta.get("withOrders")))
    )
    progress = StepProgress(out, "replaying", total)
    try:
        report = asyncio.run(replay_recording(settings, directory, on_step=progress.step))
    finally:
        progress.stop()
    if st.json_mode:
        out.json(report.to_dict())
    elif report.ok:
        out.out.print(
            f"REPLAY {directory}: {len(report.steps)} steps equal to the golden files"
        )
    else:
        from rich.markup import escape

        out.out.print(
            f"REPLAY {directory}: {len(report.diffs)} of {len(report.steps)} steps differ from "
            f"the golden files ({', '.join(sorted(report.diffs))})"
        )
        for diff in report.diffs.values():
            out.out.print(escape(diff), end="")
    if not report.ok:
        raise typer.Exit(1)


def _serve(st: Any, directory: Path, host: str, port: int | None) -> None:
    """Serve ``directory`` as a REPLAY Gateway until SIGINT/SIGTERM."""
    from trader_cli.cli.commands.sim import _serve_until_signalled
    from trader_cli.replay.server import DEFAULT_REPLAY_PORT, ReplayGateway

    gw = ReplayGateway.from_directory(
        directory, host, DEFAULT_REPLAY_PORT if port is None else port
    )

    async def serve() -> None:
        await gw.serve()
        print(gw.banner, flush=True)
        try:
            import asyncio

            await asyncio.Event().wait()
        finally:
            await gw.close()

    _serve_until_signalled(st, serve(), host, port, "REPLAY gateway", "nothing to save")


def _serve_gemini(st: Any, directory: Path, host: str, port: int | None) -> None:
    """Serve ``directory``'s cassette as a REPLAY Gemini REST API until SIGINT/SIGTERM."""
    from trader_cli.cli.commands.sim import _serve_until_signalled
    from trader_cli.replay.gemini_server import DEFAULT_GEMINI_REPLAY_PORT, GeminiReplayServer

    server = GeminiReplayServer.from_directory(
        directory, host, DEFAULT_GEMINI_REPLAY_PORT if port is None else port
    )

    async def serve() -> None:
        await server.serve()
        print(server.banner, flush=True)
        try:
            import asyncio

            await asyncio.Event().wait()
        finally:
            await server.close()

    _serve_until_signalled(st, serve(), host, port, "REPLAY Gemini API", "nothing to save")


def register(app: typer.Typer) -> None:
    """Add the recording commands to ``app``."""
    app.command("record-fixtures")(record_fixtures)
    app.command("replay")(replay)
