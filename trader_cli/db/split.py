"""Split the single SQLite file of older versions into one file per venue and mode.

Before scopes, every venue and mode shared ``trader.sqlite`` in the app dir. The first command of
this version migrates that file (every row gets its scope, see migration 3), copies each venue and
mode's rows into its own file (``trader-ib-sim.sqlite``, ``trader-ib-paper.sqlite`` …) with their
ids, and renames the old file to ``trader.sqlite.pre-scopes``. Rows the migration could not
attribute stay in that renamed file only. Runs once, under a lock, before any other database work;
each file is built aside and renamed into place, the old file renamed last, so a split killed at
any point is finished by the next command (files already written carry the old file's token).
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

import peewee

from trader_cli.db.connection import open_database
from trader_cli.db.fields import FIELD_TYPES
from trader_cli.db.migrations import SCOPED_TABLES, migrate
from trader_cli.errors import ConfigError

log = logging.getLogger("trader.db")

LEGACY_NAME = "trader.sqlite"
# sync_state key (outside every scope's prefix) holding the token of one split
_MARKER_KEY = "db:split-token"
BACKUP_SUFFIX = ".pre-scopes"
# parents before children, so foreign keys hold while copying
_COPY_ORDER = ("sessions", "plans", "orders", "fills", "position_snapshots", "market_data",
               "equity_snapshots", "decisions")
assert set(_COPY_ORDER) == set(SCOPED_TABLES)


def _columns(db: peewee.Database, table: str) -> str:
    return ", ".join(f'"{c.name}"' for c in db.get_columns(table))


def _has_rows(path: Path) -> bool:
    db = open_database(f"sqlite:///{path}")
    try:
        return bool(
            db.table_exists("orders")
            and db.execute_sql("SELECT COUNT(*) FROM orders").fetchone()[0]  # type: ignore[no-untyped-call]
        )
    finally:
        db.close()


def split_legacy_database(home: Path) -> list[Path]:
    """Split ``home/trader.sqlite`` into per venue-and-mode files; returns the files written.

    Does nothing (returns ``[]``) when there is no old file. Raises :class:`ConfigError`, changing
    nothing, if a target file already holds orders (the two would have to be merged by hand).
    """
    legacy = home / LEGACY_NAME
    if not legacy.exists():
        return []
    lock_dir = home / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with (lock_dir / "split-database.lock").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another command may be splitting: wait for it
        if not legacy.exists():
            return []
        return _split(home, legacy)


def _split(home: Path, legacy: Path) -> list[Path]:
    db = open_database(f"sqlite:///{legacy}")
    try:
        migrate(db)
        token = _split_token(db)
        scopes = db.execute_sql(  # type: ignore[no-untyped-call]
            "SELECT id, venue, mode FROM scopes WHERE backend != 'unknown'"
        ).fetchall()
        groups: dict[str, list[int]] = {}
        for scope_id, venue, mode in scopes:
            groups.setdefault(f"{venue}-{mode}", []).append(int(scope_id))
        targets = {key: home / f"trader-{key}.sqlite" for key in groups}
        done = {key for key, p in targets.items() if p.exists() and _marker(p) == token}
        busy = [str(p) for key, p in targets.items()
                if key not in done and p.exists() and _has_rows(p)]
        if busy:
            raise ConfigError(
                f"{legacy} (from an older trader) and {', '.join(busy)} both hold orders",
                hint=f"move one of them away, or set DATABASE_URL=sqlite:///{legacy} to keep "
                "using the old file (its rows are told apart by venue, mode and account)",
            )
        written = []
        for key, ids in sorted(groups.items()):
            target = targets[key]
            written.append(target)
            if key in done:  # copied by an earlier split that was interrupted before the end
                continue
            # built aside in rollback-journal mode (no WAL file to carry along), then moved into
            # place in one rename: a kill at any point leaves either no file or a complete one
            partial = target.with_name(target.name + ".partial")
            partial.unlink(missing_ok=True)
            fresh = peewee.SqliteDatabase(
                str(partial), pragmas={"journal_mode": "delete"},
                field_types=FIELD_TYPES["sqlite"],
            )
            try:
                fresh.connect()
                migrate(fresh)
            finally:
                fresh.close()
            _copy(db, partial, ids, token)
            os.replace(partial, target)
            log.info("moved %s rows of %s into %s", key, legacy.name, target.name)
    finally:
        db.close()
    backup = legacy.with_name(legacy.name + BACKUP_SUFFIX)
    legacy.rename(backup)
    for extra in ("-wal", "-shm"):
        side = legacy.with_name(legacy.name + extra)
        if side.exists():
            side.rename(backup.with_name(backup.name + extra))
    return written


def _split_token(db: peewee.Database) -> str:
    """This old file's split token (made once): it marks the files split from it."""
    found = db.execute_sql(  # type: ignore[no-untyped-call]
        "SELECT value FROM sync_state WHERE key = ?", (_MARKER_KEY,)
    ).fetchone()
    if found:
        return str(found[0])
    token = secrets.token_hex(8)
    with db.atomic():
        db.execute_sql(  # type: ignore[no-untyped-call]
            "INSERT INTO sync_state (key, value, updated_at) VALUES (?, ?, ?)",
            (_MARKER_KEY, token, datetime.now(UTC).isoformat()),
        )
    return token


def _marker(path: Path) -> str | None:
    """The split token a per-scope file carries, if it was split from an old file."""
    db = open_database(f"sqlite:///{path}")
    try:
        if not db.table_exists("sync_state"):
            return None
        found = db.execute_sql(  # type: ignore[no-untyped-call]
            "SELECT value FROM sync_state WHERE key = ?", (_MARKER_KEY,)
        ).fetchone()
        return str(found[0]) if found else None
    finally:
        db.close()


def _copy(db: peewee.Database, target: Path, ids: list[int], token: str) -> None:
    marks = ", ".join(str(int(i)) for i in ids)
    db.execute_sql("ATTACH DATABASE ? AS target", (str(target),))  # type: ignore[no-untyped-call]
    try:
        with db.atomic():
            db.execute_sql(  # type: ignore[no-untyped-call]
                f"INSERT INTO target.scopes SELECT * FROM main.scopes WHERE id IN ({marks})"  # noqa: S608
            )
            for table in _COPY_ORDER:
                cols = _columns(db, table)
                db.execute_sql(  # type: ignore[no-untyped-call]
                    f"INSERT INTO target.{table} ({cols}) SELECT {cols} FROM main.{table} "  # noqa: S608
                    f"WHERE scope_id IN ({marks})"
                )
            prefixes = " OR ".join(f"key LIKE 's{int(i)}:%'" for i in ids)
            db.execute_sql(  # type: ignore[no-untyped-call]
                f"INSERT INTO target.sync_state SELECT * FROM main.sync_state WHERE {prefixes}"  # noqa: S608
            )
            db.execute_sql(  # type: ignore[no-untyped-call]
                "INSERT INTO target.sync_state SELECT * FROM main.sync_state WHERE key = ?",
                (_MARKER_KEY,),
            )
    finally:
        db.execute_sql("DETACH DATABASE target")  # type: ignore[no-untyped-call]
