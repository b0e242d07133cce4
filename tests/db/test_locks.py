"""Locks on both backends: a file lock beside SQLite, an advisory lock on PostgreSQL.

Exclusive (between processes and inside one), named by their holder, and free again the moment
the holder dies: a ``kill -9``'d holder leaves nothing to clean up.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import peewee
import pytest

from trader_cli.domain.scope import Backend, Mode, Scope
from trader_cli.services.locks import (
    AdvisoryLock,
    FileLock,
    LockHeld,
    hold_run_lock,
    lock_for,
    order_lock,
    run_lock,
)

pytestmark = pytest.mark.db

SCOPE = Scope("ib", Backend.SIM, Mode.SIM).with_account("DU1234567")

HOLDER = """
import sys, time
from trader_cli.db import init_db
from trader_cli.domain.scope import Backend, Mode, Scope
from trader_cli.services.locks import hold_run_lock
init_db(sys.argv[1], migrate=False)
hold_run_lock(Scope("ib", Backend.SIM, Mode.SIM).with_account("DU1234567"))
print("held", flush=True)
time.sleep(120)
"""


def test_the_backend_picks_the_lock(db: peewee.Database, backend: str) -> None:
    lock = lock_for("order trd-1")
    assert isinstance(lock, AdvisoryLock if backend == "postgresql" else FileLock)
    if isinstance(lock, FileLock):  # beside the database file
        assert lock.path.parent == Path(db.database).resolve().parent / "locks"


def test_exclusive_within_one_process_and_free_after_release(db: peewee.Database) -> None:
    first, second = order_lock("trd-1"), order_lock("trd-1")
    assert first.try_acquire()
    assert not second.try_acquire()
    assert order_lock("trd-2").try_acquire()  # another id is another lock
    first.release()
    assert second.try_acquire()
    second.release()


async def test_acquire_waits_until_released(db: peewee.Database) -> None:
    import asyncio

    first, second = order_lock("trd-3"), order_lock("trd-3")
    assert first.try_acquire()
    assert not await second.acquire(0.1)
    asyncio.get_running_loop().call_later(0.2, first.release)
    assert await second.acquire(5)
    second.release()


def test_a_second_run_lock_is_refused_naming_the_holder(db: peewee.Database) -> None:
    lock = hold_run_lock(SCOPE)
    try:
        with pytest.raises(LockHeld) as refused:
            hold_run_lock(SCOPE)
        holder = refused.value.holder
        assert holder is not None
        assert (holder.pid, holder.host) == (os.getpid(), socket.gethostname())
        assert f"pid {os.getpid()} on {socket.gethostname()}" in refused.value.message
        assert refused.value.exit_code == 2
        other = Scope("ib", Backend.SIM, Mode.SIM).with_account("DU7654321")
        hold_run_lock(other).release()  # another account is another scope
    finally:
        lock.release()
    hold_run_lock(SCOPE).release()


def test_a_killed_holder_leaves_the_lock_free(db: peewee.Database, db_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, db_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline()
        assert line.strip() == "held", holder.stderr.read() if holder.poll() is not None else line
        with pytest.raises(LockHeld, match=f"pid {holder.pid} on {socket.gethostname()}"):
            hold_run_lock(SCOPE)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    deadline = time.monotonic() + 10  # PostgreSQL notices the dead connection almost at once
    while True:
        try:
            lock = hold_run_lock(SCOPE)
            break
        except LockHeld:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    holder_now = run_lock(SCOPE).holder()
    assert holder_now is not None and holder_now.pid == os.getpid()
    lock.release()
