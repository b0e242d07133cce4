"""The ``trader`` Typer app: global options, command groups, and the one error handler."""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from trader_cli import __version__
from trader_cli.cli.console import Output, configure_logging
from trader_cli.domain.venues import VenueChoice

if TYPE_CHECKING:
    from trader_cli.config import Settings
    from trader_cli.domain.scope import Backend

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


DEFAULT_VENUE_NOTE = (
    "no venue configured (no --venue, ACTIVE_EXCHANGE unset): using the SIMULATED IB venue; "
    "set ACTIVE_EXCHANGE=ib for your Gateway"
)


@dataclass
class AppState:
    """What the root options set; commands may override each option after their own name."""

    venue: VenueChoice | None = None
    sim: bool = False
    replay: Path | None = None
    json_mode: bool = False
    env_file: Path | None = None
    verbose: int = 0
    log_file: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def output(self) -> Output:
        """The console for this invocation."""
        return Output(json_mode=self.json_mode, verbose=self.verbose)

    def settings(self) -> Settings:
        """Settings for this invocation, loaded once.

        ``--venue`` wins over ACTIVE_EXCHANGE; ``--sim``/``--replay`` pick the backend.
        """
        if self._settings is None:
            from trader_cli.config import load_settings

            settings = load_settings(self.env_file, ACTIVE_EXCHANGE=self.venue)
            settings.use_backend(*self.backend())
            self._settings = settings
        return self._settings

    def backend(self) -> tuple[Backend | None, Path | None]:
        """The backend the options pick (None: the one the venue choice implies)."""
        from trader_cli.domain.scope import Backend
        from trader_cli.errors import InputError

        if self.sim and self.replay is not None:
            raise InputError(
                "give either --sim or --replay DIR, not both",
                hint="--sim runs the simulator; --replay DIR plays a recording back",
            )
        if self.replay is not None:
            return Backend.REPLAY, self.replay
        return (Backend.SIM, None) if self.sim else (None, None)

    def note_default_venue(self) -> None:
        """One line on stderr when orders go to the sim only because no venue was configured.

        For commands that send or reconcile orders: a cron job with a forgotten ``.env`` must
        not look as if it traded at the broker. Silent with an explicit ``--venue sim`` or
        ``ACTIVE_EXCHANGE`` set anywhere; never on stdout (``--json`` stays parseable).
        """
        from trader_cli.domain.scope import Backend

        settings = self.settings()
        chosen = self.sim or self.replay is not None  # --sim / --replay pick it explicitly
        defaulted = settings.sources.get("ACTIVE_EXCHANGE") == "default"
        if settings.backend is Backend.SIM and defaulted and not chosen:
            sys.stderr.write(f"note: {DEFAULT_VENUE_NOTE}\n")
            sys.stderr.flush()


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
    root: AppState = ctx.find_root().obj or AppState()
    merged = AppState(
        venue=venue or root.venue,
        sim=sim or root.sim,
        replay=replay or root.replay,
        json_mode=json_mode or root.json_mode,
        env_file=env_file or root.env_file,
        verbose=max(verbose, root.verbose),
        log_file=log_file or root.log_file,
    )
    configure_logging(merged.verbose, json_mode=merged.json_mode, log_file=merged.log_file)
    ctx.obj = merged
    return merged


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

# the root options that take a value (the command's name is the first word that is not one)
_ROOT_VALUE_OPTIONS = frozenset({"--venue", "--replay", "--env-file", "--log-file"})


def command_named(args: list[str]) -> str | None:
    """The command ``args`` run: the first word that is not a root option or its value (None
    with none, or with ``--help``/``--version`` before it). Not checked against the commands."""
    expects_value = False
    for arg in args:
        if expects_value:
            expects_value = False
        elif arg in ("-h", "--help", "--version"):
            return None
        elif arg.startswith("-"):
            expects_value = arg in _ROOT_VALUE_OPTIONS
        else:
            return arg
    return None


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
    """Console-script entry point: run the app, map every error to its exit code once.

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
    from trader_cli.errors import TraderError
    from trader_cli.redaction import redacting_streams

    json_mode = "--json" in args
    verbose = sum(len(a) - 1 for a in args if a.startswith("-v") and set(a[1:]) == {"v"})
    verbose += args.count("--verbose")
    with redacting_streams():
        try:
            app_for(args)(args=args, prog_name="trader", standalone_mode=True)
        except TraderError as exc:
            sys.exit(int(Output(json_mode=json_mode, verbose=verbose).error(exc)))
        except Exception as exc:
            sys.exit(int(Output(json_mode=json_mode, verbose=verbose).error(exc)))


def exit_promptly(code: object) -> NoReturn:
    """End the process with ``code`` as ``sys.exit(code)`` would, minus the interpreter's
    teardown of every loaded module (~40-60 ms with pydantic, peewee and ib_async loaded).

    Nothing is cut short: a command has closed its database (every order and fill committed
    before it returned) and its venue link by now; the exit handlers still run (logging
    flushes and closes its files) and the standard streams are flushed. While a non-daemon
    thread is still running, or a profiler or tracer is attached (``python -m cProfile``,
    a debugger), the normal exit happens instead.
    """
    import atexit
    import os
    import threading

    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon for t in threading.enumerate()):
        raise SystemExit(code)
    if sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(code)  # a profiler or tracer writes its results after the program
    status = 0
    if isinstance(code, int):
        status = code
    elif code is not None:  # sys.exit("message"): the message on stderr, exit 1
        sys.stderr.write(f"{code}\n")
        status = 1
    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        status = status or 120  # what Python's own exit reports when stdout cannot be flushed
    os._exit(status)
