"""One console wrapper for every command: rich tables for people, JSON for scripts, errors."""

from __future__ import annotations

import importlib
import json
import logging
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trader_cli.errors import ExitCode, TraderError, exit_code_for

if TYPE_CHECKING:
    from rich.console import Console


def _default(value: Any) -> Any:
    """JSON for our types: models via ``to_dict``, Decimals as strings, datetimes as ISO UTC
    to the second."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, datetime):
        from trader_cli.domain.display import time_json

        return time_json(value)  # UTC to the second, like every time we write
    from trader_cli.domain.models import jsonable

    converted = jsonable(value)
    return converted if converted is not value else str(value)


_WIDEST_TABLE = 100_000  # characters: no table we print is wider

# what drawing tables and messages imports; a warm-up imports it while the venue works
_RICH_MODULES = ("rich.console", "rich.table", "rich.box", "rich.markup")
_warming: threading.Thread | None = None


def warm_up_rich() -> None:
    """Import rich in a background thread, to draw tables later without waiting for it.

    For a command with an order out: the thread runs while the process waits for the venue
    (its ~15 ms of imports then cost nothing), never before the order is sent. Idempotent.
    """
    global _warming
    if _warming is not None or all(m in sys.modules for m in _RICH_MODULES):
        return

    def work() -> None:
        for name in _RICH_MODULES:
            importlib.import_module(name)

    _warming = threading.Thread(target=work, name="trader-rich-import", daemon=True)
    _warming.start()


def _rich_ready() -> None:
    """Wait for a warm-up to finish before rich is used: never two threads importing it (a
    concurrent import of a package with circular imports can see a half-initialised module)."""
    if _warming is not None:
        _warming.join()


class Output:
    """Where a command writes: tables or JSON on stdout; logs and errors on stderr."""

    def __init__(self, *, json_mode: bool = False, verbose: int = 0) -> None:
        self.json_mode = json_mode
        self.verbose = verbose
        self._out: Console | None = None
        self._err: Console | None = None

    @property
    def out(self) -> Console:
        """rich console on stdout (created on first use: rich is not imported for ``--help``)."""
        if self._out is None:
            _rich_ready()
            from rich.console import Console

            # piped or captured output is not cut to 80 columns: numbers must never be truncated
            width = None if sys.stdout.isatty() else 200
            self._out = Console(highlight=False, soft_wrap=False, width=width)
        return self._out

    @property
    def err(self) -> Console:
        """rich console on stderr."""
        if self._err is None:
            _rich_ready()
            from rich.console import Console

            self._err = Console(stderr=True, highlight=False, emoji=False)  # ":x:" stays text
        return self._err

    def json(self, payload: Any) -> None:
        """Write ``payload`` as one JSON document on stdout."""
        sys.stdout.write(json.dumps(payload, default=_default, indent=2, sort_keys=False) + "\n")
        sys.stdout.flush()

    def table(
        self,
        rows: Iterable[Sequence[Any]],
        columns: Sequence[str],
        *,
        title: str | None = None,
        caption: str | None = None,
        justify_right: Iterable[str] = (),
    ) -> None:
        """Render rows as a rich table on stdout."""
        _rich_ready()
        from rich import box
        from rich.table import Table

        right = set(justify_right)
        cells = [["" if v is None else str(v) for v in row] for row in rows]
        table = Table(
            title=title, caption=caption, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False
        )
        for i, col in enumerate(columns):
            numeric = col in right
            widest = max((len(r[i]) for r in cells if i < len(r)), default=0)
            # cells are never cut or wrapped: a cropped price is a wrong price; the table is
            # printed as wide as it needs and the terminal wraps lines if it must
            table.add_column(
                col,
                justify="right" if numeric else "left",
                no_wrap=True,
                min_width=max(widest, len(col)),
            )
        for row in cells:
            table.add_row(*row)
        # measured without the console's width as a cap: a value wider than the terminal must
        # not make rich drop a column (the field names of a two-column table went missing)
        unbounded = self.out.options.update(max_width=_WIDEST_TABLE)
        needed = self.out.measure(table, options=unbounded).maximum
        width = self.out.width
        self.out.width = max(needed, width)  # print(width=) alone is capped at the console's
        try:
            self.out.print(table, crop=False)
        finally:
            self.out.width = width

    def fields(self, data: Mapping[str, Any], *, title: str | None = None) -> None:
        """Render a mapping as a two-column table."""
        self.table(((k, v) for k, v in data.items()), ("field", "value"), title=title)

    def info(self, message: str) -> None:
        """A progress or status line for people: stderr, suppressed in JSON mode unless -v."""
        if not self.json_mode or self.verbose:
            self.err.print(message)

    def warn(self, message: str) -> None:
        """A warning: always on stderr."""
        self.err.print(f"[yellow]warning:[/yellow] {message}")

    def error(self, exc: BaseException) -> ExitCode:
        """Report ``exc`` and return the exit code the process should end with."""
        code = exit_code_for(exc)
        if isinstance(exc, TraderError):
            kind, message, hint = type(exc).__name__, exc.message, exc.hint
            if getattr(exc, "code", None) is not None:
                message = f"[{exc.code}] {message}"  # type: ignore[attr-defined]
        else:
            kind, message = type(exc).__name__, str(exc) or type(exc).__name__
            hint = "this is a bug or an unexpected failure; run again with -v for the traceback"
        if self.json_mode:
            self.json(
                {
                    "ok": False,
                    "error": {
                        "type": kind,
                        "message": message,
                        "hint": hint,
                        "exit_code": int(code),
                    },
                }
            )
        else:
            _rich_ready()
            from rich.markup import escape

            self.err.print(f"[bold red]error:[/bold red] {escape(message)}")
            if hint:
                self.err.print(f"  [dim]hint:[/dim] {escape(hint)}")
        if self.verbose and not isinstance(exc, TraderError | KeyboardInterrupt):
            self.err.print_exception()
        return code


def venue_label(venue: str, as_of: datetime, *, simulated: bool, replay: bool = False) -> str:
    """``SIMULATED market (sim clock …)`` on the sim, ``REPLAY: IB recording …`` on a replay,
    else ``IB at …``: the title of tables."""
    from trader_cli.domain.display import time_text

    when = time_text(as_of)
    if replay:
        return f"REPLAY: {venue.upper()} recording (recorded clock {when})"
    if simulated:
        return f"SIMULATED market (sim clock {when})"
    return f"{venue.upper()} at {when}"


#: ``--log-file`` rotation: this many bytes a file, this many old files kept (``.1`` … ``.5``)
LOG_FILE_MAX_BYTES = 10_000_000
LOG_FILE_BACKUPS = 5
LOG_FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(
    verbose: int, *, json_mode: bool, log_file: Path | None = None
) -> None:
    """Logs go to stderr: warnings by default, info with -v, debug with -vv; all redacted.

    With ``log_file`` they also go to that file (info and up, debug with -vv), rotated by size
    (:func:`add_log_file`). The redacting filter goes on every root handler, so records of
    third-party loggers (ib_async's wire dump at -vv, asyncio, peewee) are scrubbed like our own.
    """
    from trader_cli.redaction import install_log_redaction

    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s" if verbose else "%(message)s",
    )
    # ib_async logs every API error itself; we translate them into our own messages instead.
    logging.getLogger("ib_async").setLevel(logging.CRITICAL if verbose < 2 else logging.DEBUG)
    # apprise reports a failed send itself; the notifier logs one masked line instead
    logging.getLogger("apprise").setLevel(logging.CRITICAL if verbose < 2 else logging.DEBUG)
    if log_file is not None:
        root = logging.getLogger()
        for handler in root.handlers:  # stderr keeps its level; the file gets info too
            if handler.level == logging.NOTSET and not _is_file_handler(handler):
                handler.setLevel(level)
        add_log_file(log_file, level=min(level, logging.INFO))
    install_log_redaction()
    del json_mode  # logs never go to stdout, in either mode


def _is_file_handler(handler: logging.Handler) -> bool:
    return isinstance(handler, logging.FileHandler)


def add_log_file(
    path: Path,
    *,
    level: int = logging.INFO,
    max_bytes: int = LOG_FILE_MAX_BYTES,
    backups: int = LOG_FILE_BACKUPS,
) -> logging.Handler:
    """Log to ``path`` too, rotated at ``max_bytes`` (``path.1`` … ``path.{backups}``), times in
    UTC, every record redacted. Idempotent per path; raises ``ConfigError`` for a path that
    cannot be written."""
    import time
    from logging.handlers import RotatingFileHandler

    from trader_cli.errors import ConfigError
    from trader_cli.redaction import install_log_redaction

    root = logging.getLogger()
    target = path.expanduser().resolve()
    for handler in root.handlers:
        if isinstance(handler, RotatingFileHandler) and Path(handler.baseFilename) == target:
            return handler
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            target, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
    except OSError as e:
        raise ConfigError(
            f"cannot write the log file {str(target)!r}: {e.strerror or e}",
            hint="give --log-file a path in a directory trader can create or write",
        ) from None
    formatter = logging.Formatter(LOG_FILE_FORMAT, "%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.setLevel(level)
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.WARNING, level))
    install_log_redaction()
    return handler
