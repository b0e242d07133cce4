"""The ``trader`` Typer app: global options, command groups, and the one error handler."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trader_cli import __version__
from trader_cli.cli.console import Output, configure_logging
from trader_cli.domain.venues import Venue

if TYPE_CHECKING:
    from trader_cli.config import Settings

HELP = (
    "Trading bot and operations toolkit for Interactive Brokers Australia and Gemini.\n\n"
    "Paper and the offline simulator are the defaults; live orders need IB_PAPER=false, a live "
    "account and an explicit --live.\n\n"
    "Exit codes: 0 ok, 1 venue or runtime failure, 2 bad input or config, 3 refused by a risk "
    "or safety check."
)

VenueOpt = Annotated[
    Venue | None,
    typer.Option(
        "--venue",
        help="Venue (default: ACTIVE_EXCHANGE, else sim).",
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


DEFAULT_VENUE_NOTE = (
    "no venue configured (no --venue, ACTIVE_EXCHANGE unset): using the SIMULATED IB venue; "
    "set ACTIVE_EXCHANGE=ib for your Gateway"
)


@dataclass
class AppState:
    """What the root options set; commands may override each option after their own name."""

    venue: Venue | None = None
    json_mode: bool = False
    env_file: Path | None = None
    verbose: int = 0
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def output(self) -> Output:
        """The console for this invocation."""
        return Output(json_mode=self.json_mode, verbose=self.verbose)

    def settings(self) -> Settings:
        """Settings for this invocation, loaded once (``--venue`` wins over ACTIVE_EXCHANGE)."""
        if self._settings is None:
            from trader_cli.config import load_settings

            self._settings = load_settings(self.env_file, ACTIVE_EXCHANGE=self.venue)
        return self._settings

    @property
    def active_venue(self) -> Venue:
        """The venue this invocation talks to."""
        return self.settings().venue

    def note_default_venue(self) -> None:
        """One line on stderr when orders go to the sim only because no venue was configured.

        For commands that send or reconcile orders: a cron job with a forgotten ``.env`` must
        not look as if it traded at the broker. Silent with an explicit ``--venue sim`` or
        ``ACTIVE_EXCHANGE`` set anywhere; never on stdout (``--json`` stays parseable).
        """
        settings = self.settings()
        if settings.venue is Venue.SIM and settings.sources.get("ACTIVE_EXCHANGE") == "default":
            sys.stderr.write(f"note: {DEFAULT_VENUE_NOTE}\n")
            sys.stderr.flush()


def state(
    ctx: typer.Context,
    venue: Venue | None = None,
    json_mode: bool = False,
    env_file: Path | None = None,
    verbose: int = 0,
) -> AppState:
    """Merge a command's own global options over the root ones, and set up logging."""
    root: AppState = ctx.find_root().obj or AppState()
    merged = AppState(
        venue=venue or root.venue,
        json_mode=json_mode or root.json_mode,
        env_file=env_file or root.env_file,
        verbose=max(verbose, root.verbose),
    )
    configure_logging(merged.verbose, json_mode=merged.json_mode)
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
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Global options; each command also accepts them after its own name."""
    ctx.obj = AppState(venue=venue, json_mode=json_mode, env_file=env_file, verbose=verbose)


def _register() -> None:
    from trader_cli.cli.commands import market, orders, run, sim, symbols

    symbols.register(app)
    market.register(app)
    sim.register(app)
    orders.register(app)
    run.register(app)
    from trader_cli.cli.commands import preview, settings

    preview.register(app)
    settings.register(app)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app, map every error to its exit code once.

    Typer handles usage errors itself (exit 2); a :class:`TraderError` becomes its documented
    exit code with a message and a hint; anything else exits 1 without a traceback unless -v.
    Everything the command writes to stdout and stderr (tables, JSON, the live view, logs,
    errors, tracebacks) is redacted on the way out (:func:`trader_cli.redaction.redact`).
    """
    from trader_cli.errors import TraderError
    from trader_cli.redaction import redacting_streams

    args = sys.argv[1:] if argv is None else argv
    json_mode = "--json" in args
    verbose = sum(len(a) - 1 for a in args if a.startswith("-v") and set(a[1:]) == {"v"})
    verbose += args.count("--verbose")
    with redacting_streams():
        try:
            app(args=args, prog_name="trader", standalone_mode=True)
        except TraderError as exc:
            sys.exit(int(Output(json_mode=json_mode, verbose=verbose).error(exc)))
        except Exception as exc:
            sys.exit(int(Output(json_mode=json_mode, verbose=verbose).error(exc)))
