"""Open SQLite or PostgreSQL from a URL, bind the models' proxy, keep secrets out of it.

Passwords stay out of errors, and nothing secret is ever stored: every statement's string
parameters pass through :func:`trader_cli.redaction.redact_stored` (registered secrets and
account ids, URL passwords, ``Bearer …`` fragments) in :meth:`_RedactingDatabase.execute_sql`,
the one funnel every peewee query, insert and update goes through.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import peewee

from trader_cli.db.driver import load_postgresql_driver
from trader_cli.db.fields import FIELD_TYPES
from trader_cli.errors import ConfigError, TraderError
from trader_cli.redaction import redact_stored, redact_url

__all__ = [
    "close_db",
    "database_proxy",
    "describe",
    "init_db",
    "open_database",
    "redact_url",
    "use_database",
]

#: Every model binds to this proxy; :func:`init_db` or :func:`use_database` points it at a database.
database_proxy = peewee.DatabaseProxy()

SQLITE_BUSY_TIMEOUT_MS = 5000
PG_CONNECT_TIMEOUT_S = 5
SQLITE_CACHE_KIB = 512
SQLITE_PRAGMAS: tuple[tuple[str, object], ...] = (
    ("busy_timeout", SQLITE_BUSY_TIMEOUT_MS),  # first: switching to WAL may wait for a lock
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("synchronous", 1),  # NORMAL: durable across application crashes, fast with WAL
    # a negative size is KiB. SQLite's default 2 MiB page cache fills as the database grows and
    # stays full for the life of a connection (+1.1-1.5 MB RSS over a 2,000-cycle sim run); a
    # quarter of it measured no slower there (the OS caches the file; bench/runner.py)
    ("cache_size", -SQLITE_CACHE_KIB),
)
_URL_HINT = "use sqlite:///path/to/trader.sqlite or postgresql://user:password@host:5432/dbname"


def _redacted_params(params: Any) -> Any:
    """``params`` with every secret and registered account id masked in its strings."""
    if not params:
        return params
    if isinstance(params, dict):
        return {k: redact_stored(v) if isinstance(v, str) else v for k, v in params.items()}
    return type(params)(redact_stored(v) if isinstance(v, str) else v for v in params)


class _RedactingDatabase(peewee.Database):
    """Masks registered secrets in every statement's parameters before they reach the driver."""

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        return super().execute_sql(sql, _redacted_params(params))  # type: ignore[no-untyped-call]


class RedactingSqliteDatabase(_RedactingDatabase, peewee.SqliteDatabase):
    """SQLite that never stores a registered secret."""


class RedactingPostgresqlDatabase(_RedactingDatabase, peewee.PostgresqlDatabase):
    """PostgreSQL that never stores a registered secret."""


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with any URL password and each of ``secrets`` replaced by ``***``."""
    text = redact_url(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def open_database(url: str) -> peewee.Database:
    """Connect to ``url`` (``sqlite:///path`` or ``postgresql://user:pass@host:port/db``).

    SQLite gets WAL, foreign keys, a busy timeout and ``synchronous=NORMAL``, its parent directory
    is created, and write transactions take the lock up front (``BEGIN IMMEDIATE``). The database
    is connected before returning so a bad setting fails here: :class:`ConfigError` for a URL that
    cannot be used, :class:`TraderError` for a server or file that cannot be reached. Messages
    never contain the password.
    """
    text = url.strip()
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme == "sqlite":
        return _open_sqlite(text)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg2"):
        return _open_postgresql(text)
    raise ConfigError(
        f"unsupported database URL {redact_url(text)!r}", hint=f"set DATABASE_URL; {_URL_HINT}"
    )


def _open_sqlite(url: str) -> peewee.Database:
    if not url.lower().startswith("sqlite:///"):
        raise ConfigError(
            f"bad SQLite URL {redact_url(url)!r}: expected three slashes",
            hint="sqlite:///relative/path.sqlite or sqlite:////absolute/path.sqlite",
        )
    path = url[len("sqlite:///"):].split("?", 1)[0]
    if not path:
        raise ConfigError(f"bad SQLite URL {redact_url(url)!r}: no file name", hint=_URL_HINT)
    if path != ":memory:":
        parent = Path(path).expanduser().parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(
                f"cannot create the database directory {str(parent)!r}: {e.strerror}",
                hint="set DATABASE_URL or TRADER_HOME to a writable place",
            ) from None
        path = str(Path(path).expanduser())
    db = RedactingSqliteDatabase(
        path,
        pragmas=SQLITE_PRAGMAS,
        timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
        lock_type="IMMEDIATE",
        field_types=FIELD_TYPES["sqlite"],
    )
    # Switching a new file to WAL needs an exclusive lock and SQLite may refuse at once (no busy
    # wait) when another process is opening the same new file: retry within the busy timeout.
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.connect(reuse_if_open=True)
            db.execute_sql("SELECT 1")
            return db
        except peewee.DatabaseError as e:
            db.close()
            locked = isinstance(e, peewee.OperationalError) and "locked" in str(e)
            if locked and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            raise TraderError(
                f"cannot open the SQLite database {path!r}: {e}",
                hint="check the path and its permissions (and that no other program holds it "
                "locked), or point DATABASE_URL somewhere else",
            ) from None


def _open_postgresql(url: str) -> peewee.Database:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise ConfigError(
            f"bad PostgreSQL URL {redact_url(url)!r}: {_scrub(str(e), ())}", hint=_URL_HINT
        ) from None
    password = unquote(parts.password) if parts.password is not None else None
    shown = redact_url(url)
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname or "/" in dbname:
        raise ConfigError(f"bad PostgreSQL URL {shown!r}: no database name", hint=_URL_HINT)
    params: dict[str, Any] = {"connect_timeout": PG_CONNECT_TIMEOUT_S}
    params.update(dict(parse_qsl(parts.query)))
    if parts.username:
        params["user"] = unquote(parts.username)
    if password is not None:
        params["password"] = password
    if parts.hostname:
        params["host"] = parts.hostname
    if port is not None:
        params["port"] = port
    secrets = (str(params.get("password", "")), parts.password or "")
    load_postgresql_driver()
    db = RedactingPostgresqlDatabase(dbname, field_types=FIELD_TYPES["postgresql"], **params)
    try:
        db.connect(reuse_if_open=True)
    except peewee.ProgrammingError as e:  # psycopg2 refused the options (invalid dsn)
        raise ConfigError(
            f"bad PostgreSQL URL {shown!r}: {_scrub(str(e).strip(), secrets)}", hint=_URL_HINT
        ) from None
    except peewee.DatabaseError as e:
        detail = _scrub(" ".join(str(e).split()), secrets)
        raise TraderError(
            f"cannot connect to PostgreSQL at {shown!r}: {detail}",
            hint="is the server running and reachable, and are the user, password and database "
            "name in DATABASE_URL right?",
        ) from None
    return db


def describe(db: peewee.Database) -> str:
    """Short, password-free description of ``db`` for logs and ``trader`` output."""
    if isinstance(db, peewee.PostgresqlDatabase):
        params = db.connect_params
        host = params.get("host", "localhost")
        port = params.get("port", 5432)
        user = params.get("user", "")
        who = f"{user}@" if user else ""
        return f"postgresql://{who}{host}:{port}/{db.database}"
    return f"sqlite:///{db.database}"


def init_db(url: str, *, migrate: bool = True) -> peewee.Database:
    """Open ``url``, bind the models to it and bring its schema up to date; returns the database."""
    from trader_cli.db.migrations import migrate as run_migrations

    db = open_database(url)
    try:
        if migrate:
            run_migrations(db)
    except BaseException:
        db.close()
        raise
    database_proxy.initialize(db)
    return db


def close_db() -> None:
    """Close the bound database (if any) and unbind the models."""
    current = database_proxy.obj
    if current is not None:
        current.close()
    database_proxy.initialize(None)


@contextmanager
def use_database(url: str, *, migrate: bool = True) -> Iterator[peewee.Database]:
    """Bind the models to ``url`` for the ``with`` block, then close it and restore the previous
    binding. This is how tests (and short commands) should open a database."""
    previous = database_proxy.obj
    db = init_db(url, migrate=migrate)
    try:
        yield db
    finally:
        db.close()
        database_proxy.initialize(previous)

