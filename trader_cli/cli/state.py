"""What the global options set for one invocation (:class:`AppState`), built without typer."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from trader_cli.cli.console import Output, configure_logging

if TYPE_CHECKING:
    from trader_cli.config import Settings
    from trader_cli.domain.scope import Backend
    from trader_cli.domain.venues import VenueChoice

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


def merge_state(
    root: AppState,
    venue: VenueChoice | None = None,
    json_mode: bool = False,
    env_file: Path | None = None,
    verbose: int = 0,
    *,
    sim: bool = False,
    replay: Path | None = None,
    log_file: Path | None = None,
) -> AppState:
    """A command's own global options merged over the root ones; logging set up for them."""
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
    return merged
