"""The ``trader`` Typer app: global options, command groups, and the one error handler."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Annotated

import typer

from trader_cli import __version__
from trader_cli.cli import program
from trader_cli.cli.program import command_named, exit_promptly
from trader_cli.cli.state import DEFAULT_VENUE_NOTE, AppState, merge_state
from trader_cli.domain.venues import VenueChoice

__all__ = ["DEFAULT_VENUE_NOTE", "AppState", "app", "command_named", "exit_promptly", "main",
           "state"]

HELP = (
    "Trading bot and operations toolkit for Interactive Brokers Australia and Gemini.\n\n"
    "Paper and the offline simulator are the defaults; live orders need IB_PAPER=false, a live "
    "account and an explicit --live.\n\n"
    "Exit codes: 0 ok, 1 venue or runtime failure, 2 bad input or config, 3 refused by a risk "
    "or safety check."
)

VenueOpt = Annotated[
    VenueChoice | None,
    typer.Option(
        "--venue",
        help="Venue: ib or gemini (default: ACTIVE_EXCHANGE, else IB on the sim); sim is IB "
        "on the simulator (--venue ib --sim).",
        show_default=False,
    ),
]
SimOpt = Annotated[
    bool,
    typer.Option("--sim", help="Backend: the embedded simulator instead of the venue's API."),
]
ReplayOpt = Annotated[
    Path | None,
    typer.Option(
        "--replay",
        metavar="DIR",
        help="Backend: a recording in DIR instead of the venue's API.",
        exists=True,
        file_okay=False,
        dir_okay=True,
        resolve_path=True,
        show_default=False,
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Machine-readable JSON on stdout; logs go to stderr.")
]
EnvFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--env-file",
        help="Read settings from this .env file (default: TRADER_ENV_FILE, else ./.env, else "
        "the app dir's .env).",
        show_default=False,
    ),
]
VerboseOpt = Annotated[
    int, typer.Option("--verbose", "-v", count=True, help="More logging (-vv for debug).")
]
LogFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--log-file",
        metavar="PATH",
        help="Also write logs (info and up, redacted, UTC) to PATH, rotated at 10 MB with 5 "
        "old files kept.",
        dir_okay=False,
        show_default=False,
    ),
]


def state(
    ctx: typer.Context,
    venue: VenueChoice | None = None,
    json_mode: bool = False,
    env_file: Path | None = None,
    verbose: int = 0,
    *,
    sim: bool = False,
    replay: Path | None = None,
    log_file: Path | None = None,
) -> AppState:
    """Merge a command's own global options over the root ones, and set up logging."""
    merged = merge_state(
        root_state(ctx), venue, json_mode, env_file, verbose,
        sim=sim, replay=replay, log_file=log_file,
    )  # fmt: skip
    ctx.obj = merged
    return merged


def root_state(ctx: typer.Context) -> AppState:
    """What the root options (before the command's name) set."""
    root: AppState = ctx.find_root().obj or AppState()
    return root


app = typer.Typer(
    name="trader",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rendering it with rich costs ~120 ms of imports
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trader {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    venue: VenueOpt = None,
    sim: SimOpt = False,
    replay: ReplayOpt = None,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
    log_file: LogFileOpt = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Global options; each command also accepts them after its own name."""
    ctx.obj = AppState(
        venue=venue, sim=sim, replay=replay, json_mode=json_mode, env_file=env_file,
        verbose=verbose, log_file=log_file,
    )


def _register() -> None:
    from trader_cli.cli.commands import market, orders, run, sim, symbols

    symbols.register(app)
    market.register(app)
    sim.register(app)
    orders.register(app)
    run.register(app)
    from trader_cli.cli.commands import (
        backtest,
        dashboard,
        notify,
        preview,
        replay,
        settings,
        status,
    )

    notify.register(app)
    preview.register(app)
    settings.register(app)
    replay.register(app)
    status.register(app)
    dashboard.register(app)
    backtest.register(app)


_register()


def app_for(args: list[str]) -> typer.Typer:
    """``app`` with only the command ``args`` name, when they name one exactly.

    Typer builds a command's parser (a pydantic adapter per parameter) for every registered
    command on each run (~20 ms); a command needs only its own. Everything else (no command, a
    name that is not one, ``--help`` or ``--version`` before it) gets the whole app, so root
    help, "No such command" and its suggestions are unchanged.
    """
    name = command_named(args)
    found = [c for c in app.registered_commands if name is not None and c.name == name]
    if len(found) != 1 or app.registered_groups:
        return app
    only = copy.copy(app)
    only.registered_commands = found
    return only


def main(argv: list[str] | None = None) -> None:
    """Run the Typer app, with every error mapped to its exit code once.

    The program itself is :func:`trader_cli.cli.entry.main`, which sends everything but the
    emergency commands its own parser reads (:mod:`trader_cli.cli.lean`) here.

    Typer handles usage errors itself (exit 2); a :class:`TraderError` becomes its documented
    exit code with a message and a hint; anything else exits 1 without a traceback unless -v.
    Everything the command writes to stdout and stderr (tables, JSON, the live view, logs,
    errors, tracebacks) is redacted on the way out (:func:`trader_cli.redaction.redact`).

    Run as the program (``argv`` None: the console script, ``python -m trader_cli``), the
    process then ends at once (:func:`exit_promptly`); called with ``argv`` it raises
    ``SystemExit`` as usual.
    """
    if argv is not None:
        _run(argv)
        return
    try:
        _run(sys.argv[1:])
    except SystemExit as done:
        exit_promptly(done.code)
    exit_promptly(0)


def _run(args: list[str]) -> None:
    program.run_guarded(
        args, lambda: app_for(args)(args=args, prog_name="trader", standalone_mode=True)
    )
