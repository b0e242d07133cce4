"""One writer per sim world: an OS file lock held from load to save, and where its owner serves.

The process that owns a world holds an exclusive ``flock`` on ``<world>.lock`` from before it
loads the world until after it has saved it. The kernel drops the lock when the holder exits,
however it exits, so a crashed owner never blocks anyone. Beside the lock the owner keeps
``<world>.owner.json``: ``{pid, host, port, serving}``. A long-lived owner (``trader run``,
``trader sim-gateway``) is ``serving``: other commands connect to its gateway port on loopback
instead of opening the world themselves. A short command is not: others wait for it to finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from trader_cli.errors import ExitCode, TraderError

DEFAULT_WAIT_SECONDS = 30.0
POLL_SECONDS = 0.05


class WorldBusy(TraderError):
    """The sim world stayed owned by another process for longer than we would wait."""

    exit_code = ExitCode.BAD_INPUT


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Who owns a world: process id, machine, gateway port (0: not listening yet), serving."""

    pid: int
    host: str
    port: int
    serving: bool

    def describe(self) -> str:
        """``pid 123 on host h`` (plus where it serves)."""
        where = f", serving on 127.0.0.1:{self.port}" if self.serving and self.port else ""
        return f"pid {self.pid} on host {self.host}{where}"


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: a temp file, fsync, rename, fsync of the directory.

    A reader (or a kill -9 at any point) sees the old file or the new one, never a torn one.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class WorldLock:
    """The lock and endpoint files of one world file."""

    def __init__(self, world: Path) -> None:
        self.world = world
        self.lock_path = world.with_name(world.name + ".lock")
        self.endpoint_path = world.with_name(world.name + ".owner.json")
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it (never blocks)."""
        if self._fd is not None:
            return True
        self.world.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def publish(self, port: int, *, serving: bool) -> None:
        """Say (as the holder) who owns the world and where it serves."""
        if self._fd is None:
            raise RuntimeError("publish without holding the world lock")
        endpoint = Endpoint(os.getpid(), socket.gethostname(), port, serving)
        write_atomically(self.endpoint_path, json.dumps(asdict(endpoint)))

    def owner(self) -> Endpoint | None:
        """The owner's endpoint as it published it (None if unknown or unreadable)."""
        try:
            data = json.loads(self.endpoint_path.read_text(encoding="utf-8"))
            return Endpoint(
                int(data["pid"]), str(data["host"]), int(data["port"]), bool(data["serving"])
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def release(self) -> None:
        """Forget the endpoint and drop the lock."""
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            if (ep := self.owner()) is not None and ep.pid == os.getpid():
                self.endpoint_path.unlink()
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def _alive_here(endpoint: Endpoint) -> bool:
    if endpoint.host != socket.gethostname():
        return False
    try:
        os.kill(endpoint.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def claim_world(
    world: Path,
    *,
    serving: bool,
    wait: float = DEFAULT_WAIT_SECONDS,
    join_serving: bool = True,
    poll: float = POLL_SECONDS,
) -> WorldLock | Endpoint:
    """Own ``world`` (a held :class:`WorldLock`) or, beside a serving owner, its endpoint.

    While another process holds the world: if it serves it on this machine, its endpoint is
    returned (``join_serving``) or :class:`WorldBusy` raised at once (not ``join_serving``);
    otherwise the lock is retried every ``poll`` seconds for up to ``wait`` seconds, then
    :class:`WorldBusy` names the pid and host that hold it.
    """
    lock = WorldLock(world)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        if lock.try_acquire():
            # claim it at once (not yet listening) so a stale endpoint is never believed
            lock.publish(0, serving=False)
            return lock
        owner = lock.owner()
        live = owner is not None and _alive_here(owner)
        if owner is not None and live and owner.serving and owner.port:
            if join_serving:
                return owner
            raise WorldBusy(
                f"the sim world {world} is already served by {owner.describe()}",
                hint="connect to that gateway (IB_PORT) or stop it first",
            )
        if loop.time() >= deadline:
            who = owner.describe() if owner is not None else "another process"
            raise WorldBusy(
                f"the sim world {world} is held by {who}; waited {wait:g} s for it",
                hint="let that command finish or stop it (a crashed holder releases the lock "
                "by itself); SIM_LOCK_TIMEOUT sets the wait",
            )
        await asyncio.sleep(poll)


@contextlib.asynccontextmanager
async def serving_world(
    state_path: Path | None, *, fresh: bool, wait: float
) -> AsyncIterator[Callable[[int], None]]:
    """Own ``state_path``'s world for a long-lived server (``sim-gateway``) while it runs.

    Takes the world's lock as a serving owner (other commands then join it), deletes the saved
    world first when ``fresh``, and yields ``publish(port)`` to call once the server listens.
    Without a ``state_path`` there is nothing to own: ``publish`` does nothing.
    """
    lock = None
    if state_path is not None:
        claim = await claim_world(state_path, serving=True, wait=wait, join_serving=False)
        assert not isinstance(claim, Endpoint)
        lock = claim
    try:
        if fresh and state_path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(state_path)

        def publish(port: int) -> None:
            if lock is not None:
                lock.publish(port, serving=True)

        yield publish
    finally:
        if lock is not None:
            lock.release()
