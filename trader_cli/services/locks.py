"""Locks that die with their holder: one ``trader run`` per scope, one sender per client order id.

Two implementations behind one interface (:class:`Lock`), chosen by the database in use, because
the processes that must exclude each other are exactly the ones that share that database:

* **SQLite** — :class:`FileLock`: ``fcntl.flock`` on a file in ``locks/`` beside the database
  file. The kernel releases it when the holding process dies (``kill -9`` included), so a crashed
  holder never leaves a stale lock behind. The file holds ``{pid, host, started_at, what}`` of
  the holder so that a refusal can name it. SQLite is one machine, so a file lock is enough.
* **PostgreSQL** — :class:`AdvisoryLock`: a session-level advisory lock
  (``pg_try_advisory_lock``) on a 64-bit hash of the lock's name, taken on the command's own
  database connection. The server releases it when that connection ends (process killed, host
  lost), so it works across machines that share the database. The holder is recorded in the
  ``sync_state`` table (key ``lock:<name>``) when asked.

Both are exclusive between processes *and* between two acquisitions inside one process (flock
conflicts between separately opened descriptions of a file; advisory locks, which PostgreSQL
lets one session take twice, are guarded by a per-process registry here).

Names in use: ``run <scope key>`` (see :func:`run_lock`), ``send <scope key>`` (see
:func:`send_lock`) and ``order <client order id>`` (see :func:`order_lock`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import re
import socket
import tempfile
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trader_cli.db.connection import database_proxy
from trader_cli.db.driver import peewee
from trader_cli.domain.scope import Scope
from trader_cli.errors import ExitCode, TraderError

# How often a waiting acquirer tries again.
POLL_SECONDS = 0.05
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_FILE_STEM = 100


class LockHeld(TraderError):
    """Another live process holds a lock this command needs (exit 2: not a venue failure)."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, message: str, *, hint: str | None = None, holder: Holder | None = None):
        super().__init__(message, hint=hint)
        self.holder = holder


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a lock: enough for a person to find the process."""

    pid: int
    host: str
    started_at: str
    what: str = ""

    @classmethod
    def me(cls, what: str = "") -> Holder:
        """This process, now."""
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return cls(os.getpid(), socket.gethostname(), now, what)

    def to_json(self) -> str:
        """One line of JSON."""
        return json.dumps(
            {"pid": self.pid, "host": self.host, "started_at": self.started_at, "what": self.what}
        )

    @classmethod
    def from_json(cls, text: str) -> Holder | None:
        """Parse :meth:`to_json` output; None for empty or unreadable text."""
        try:
            data = json.loads(text)
            return cls(int(data["pid"]), str(data["host"]), str(data["started_at"]),
                       str(data.get("what", "")))
        except (ValueError, TypeError, KeyError):
            return None

    def describe(self) -> str:
        """``pid 1234 on host, since 2024-07-03T01:00:00Z``."""
        what = f"{self.what} " if self.what else ""
        return f"{what}pid {self.pid} on {self.host}, since {self.started_at}"


class Lock(ABC):
    """An exclusive, non-reentrant lock released by the system when its holder dies."""

    def __init__(self, name: str, *, what: str = "") -> None:
        self.name = name
        self.what = what
        self.held = False

    @abstractmethod
    def try_acquire(self) -> bool:
        """Take the lock if it is free; True if this object now holds it. Never waits."""

    @abstractmethod
    def release(self) -> None:
        """Give the lock up (nothing if not held)."""

    @abstractmethod
    def holder(self) -> Holder | None:
        """Who holds it, as recorded by the holder (best effort: None if unknown)."""

    async def acquire(self, within: float) -> bool:
        """Wait up to ``within`` seconds of wall time for the lock; True if taken."""
        deadline = time.monotonic() + max(within, 0.0)
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(POLL_SECONDS)
        return True

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class FileLock(Lock):
    """``fcntl.flock`` on ``path``; the holder's details are written into the file.

    The file is removed by a releasing holder (while still locked), and an acquirer checks that
    the file it locked is still the one at ``path``, so removal never lets two holders in at once.
    A holder killed outright leaves the file behind, unlocked: the next acquirer takes it over.
    """

    def __init__(self, name: str, path: Path, *, what: str = "") -> None:
        super().__init__(name, what=what)
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self.held:
            raise RuntimeError(f"lock {self.name!r} is already held by this object")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            except BaseException:
                os.close(fd)
                raise
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # the previous holder removed the file after we opened it: retry
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, (Holder.me(self.what).to_json() + "\n").encode())
            self._fd = fd
            self.held = True
            return True

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)  # before unlocking, so no one locks a file about to vanish
        os.close(self._fd)  # closing the last descriptor releases the flock
        self._fd = None
        self.held = False

    def holder(self) -> Holder | None:
        # a new holder writes its details just after locking: give it a moment
        for _ in range(20):
            try:
                text = self.path.read_text()
            except FileNotFoundError:
                return None
            if text.strip():
                return Holder.from_json(text)
            time.sleep(0.025)
        return None


# Advisory locks this process holds, by key: PostgreSQL would let one session take a lock twice.
_ADVISORY_HELD: set[int] = set()


def advisory_key(name: str) -> int:
    """A signed 64-bit key for ``pg_advisory_lock`` from the lock's name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class AdvisoryLock(Lock):
    """A PostgreSQL session-level advisory lock on :func:`advisory_key` of the name.

    It lives on ``db``'s connection: closing that connection (or the process dying) releases it.
    With ``record_holder`` the holder is written to ``sync_state`` under ``lock:<name>``.
    """

    def __init__(
        self,
        name: str,
        db: peewee.Database,
        *,
        what: str = "",
        record_holder: bool = False,
        scope: Scope | None = None,
    ) -> None:
        super().__init__(name, what=what)
        self.db = db
        self.key = advisory_key(name)
        self.record_holder = record_holder
        self.scope = scope  # whose sync_state records the holder (default: the bound scope)

    def _state(self) -> contextlib.AbstractContextManager[Any]:
        from trader_cli.db.scope import use_scope

        return use_scope(self.scope) if self.scope is not None else contextlib.nullcontext()

    @property
    def _state_key(self) -> str:
        return f"lock:{self.name}"[:128]

    def _scalar(self, sql: str) -> Any:
        return self.db.execute_sql(sql, (self.key,)).fetchone()[0]  # type: ignore[no-untyped-call]

    def try_acquire(self) -> bool:
        if self.held:
            raise RuntimeError(f"lock {self.name!r} is already held by this object")
        if self.key in _ADVISORY_HELD:
            return False
        if not self._scalar("SELECT pg_try_advisory_lock(%s)"):
            return False
        _ADVISORY_HELD.add(self.key)
        self.held = True
        if self.record_holder:
            from trader_cli.db import store

            with self._state():
                store.set_sync_state(self._state_key, Holder.me(self.what).to_json())
        return True

    def release(self) -> None:
        if not self.held:
            return
        try:
            # a connection already gone took the lock with it
            with contextlib.suppress(peewee.InterfaceError, peewee.OperationalError):
                if self.record_holder:
                    from trader_cli.db import store

                    with self._state():
                        store.set_sync_state(self._state_key, "")
                self._scalar("SELECT pg_advisory_unlock(%s)")
        finally:
            _ADVISORY_HELD.discard(self.key)
            self.held = False

    def holder(self) -> Holder | None:
        from trader_cli.db import store

        with self._state():
            return Holder.from_json(store.get_sync_state(self._state_key) or "")


def lock_dir(db: peewee.Database) -> Path:
    """``locks/`` beside a SQLite database file (a per-process temp dir for ``:memory:``)."""
    name = str(db.database)
    if name == ":memory:" or name.startswith("file::memory:"):
        return Path(tempfile.gettempdir()) / f"trader-locks-{os.getpid()}"
    return Path(name).expanduser().resolve().parent / "locks"


def file_stem(name: str) -> str:
    """``name`` made safe for a file name (long names keep a hash so they stay distinct)."""
    stem = _SAFE.sub("_", name).strip("._") or "lock"
    if len(stem) > _MAX_FILE_STEM:
        digest = hashlib.sha256(name.encode()).hexdigest()[:16]
        stem = f"{stem[: _MAX_FILE_STEM - 17]}-{digest}"
    return stem


def lock_for(
    name: str,
    *,
    what: str = "",
    record_holder: bool = False,
    db: peewee.Database | None = None,
    scope: Scope | None = None,
) -> Lock:
    """The lock called ``name`` for the database in use (``db``, else the bound one)."""
    database = db if db is not None else database_proxy.obj
    if isinstance(database, peewee.PostgresqlDatabase):
        return AdvisoryLock(name, database, what=what, record_holder=record_holder, scope=scope)
    if isinstance(database, peewee.SqliteDatabase):
        return FileLock(name, lock_dir(database) / f"{file_stem(name)}.lock", what=what)
    raise TraderError("locks need an open database", hint="this is a bug: call init_db first")


def order_lock(client_order_id: str) -> Lock:
    """The lock whose holder alone may create and send the order ``client_order_id``.

    Keyed by the client order id alone: the orders table keeps those ids unique, and a lock wider
    than a scope is only ever more careful.
    """
    return lock_for(f"order {client_order_id}")


def run_lock(scope: Scope, *, what: str = "trader run") -> Lock:
    """The lock one ``trader run`` holds on ``scope`` for as long as it runs (``flatten`` takes
    it too, for as long as it closes positions)."""
    return lock_for(f"run {scope.key}", what=what, record_holder=True, scope=scope)


def send_lock(scope: Scope, *, what: str) -> Lock:
    """The lock held while orders go out on ``scope`` from a step that must not interleave with
    another: a bot's plan monitor and entries, each cycle, and ``trader flatten`` for as long as
    it closes positions. Flatten beside a running bot thus waits for the bot's current step, and
    the bot's next step waits for flatten (and then finds the plans flatten closed)."""
    return lock_for(f"send {scope.key}", what=what, record_holder=True, scope=scope)


async def hold_send_lock(scope: Scope, *, what: str, wait: float) -> Lock:
    """Take :func:`send_lock` within ``wait`` seconds or raise :class:`LockHeld` naming its
    holder (exit 2; nothing was sent)."""
    lock = send_lock(scope, what=what)
    if await lock.acquire(wait):
        return lock
    holder = lock.holder()
    who = holder.describe() if holder else "another process (it did not say which)"
    raise LockHeld(
        f"orders on {scope.label} {scope} are being sent by {who} and it did not finish within "
        f"{wait:.0f}s",
        hint="try again in a moment; nothing was sent",
        holder=holder,
    )


def hold_run_lock(scope: Scope, *, what: str = "trader run") -> Lock:
    """Take :func:`run_lock` for ``scope`` or raise :class:`LockHeld` naming its holder."""
    lock = run_lock(scope, what=what)
    if lock.try_acquire():
        return lock
    holder = lock.holder()
    who = holder.describe() if holder else "another process (it did not say which)"
    stop = f"kill -TERM {holder.pid} on {holder.host}" if holder else "stop it"
    why = (
        "one bot per account"
        if what == "trader run"
        else f"{what} would race the bot's own entries and plan exits"
    )
    raise LockHeld(
        f"{scope.label} {scope} is in use by {who}: {why}",
        hint=f"stop that process first ({stop}; a bot finishes its step and exits), "
        "then try again",
        holder=holder,
    )


def running_bot(scope: Scope) -> Holder | None:
    """The ``trader run`` holding ``scope``'s run lock, read without taking the lock (a status
    view must never make a starting bot find its scope busy); None when no bot runs.

    A holder on this host whose process is gone (killed outright) is not running.
    """
    holder = run_lock(scope).holder()
    if holder is None:
        return None
    if holder.host == socket.gethostname() and not _alive(holder.pid):
        return None
    return holder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def scope_of(ctx: Any) -> Scope:
    """The scope a command's trading context trades: venue, backend, mode, connected account."""
    scope: Scope = ctx.scope
    return scope
