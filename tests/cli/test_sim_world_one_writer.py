"""One writer for the sim world: real ``trader`` processes sharing one app dir.

Concurrent ``--venue sim`` commands take turns owning the world (an OS lock held from load to
save), go through a serving owner's gateway when there is one, and take over a lock whose holder
was killed. The sim clock is pinned everywhere.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from trader_cli.sim.owner import WorldLock, claim_world

CLOCK = "2024-07-03T01:00:00Z"  # Wednesday 11:00 in Sydney: the ASX is open
# a buy resting far under the market (the price band would refuse it as a typo without the flag)
PLACE = ("place", "BHP/AUD", "buy", "20", "--limit", "30.00", "--allow-far-limit", "--timeout", "0",
         "--json")


def _env(home: Path, **extra: str) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("IB_", "SIM_", "TRADER_", "GEMINI_", "LLM_", "HEALTH_"))
        and k not in ("ACTIVE_EXCHANGE", "DATABASE_URL", "ALLOWED_SYMBOLS")
    }
    return {**base, "TRADER_HOME": str(home), "SIM_CLOCK": CLOCK, **extra}


def _spawn(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "trader_cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trader_cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _world(home: Path) -> dict:
    return json.loads((home / "sim" / "ib-world.json").read_text())["world"]


def _db_orders(home: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(home / "trader-ib-sim.sqlite") as conn:
        return conn.execute("select client_order_id, status from orders").fetchall()


def test_ten_concurrent_places_all_land_in_the_sim_world(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = _env(home, SIM_LOCK_TIMEOUT="300")
    procs = [
        _spawn(env, *PLACE, "--venue", "sim", "--client-order-id", f"trd-par-{i}")
        for i in range(10)
    ]
    results = [(p, *p.communicate(timeout=320)) for p in procs]
    for proc, _out, err in results:
        assert proc.returncode == 0, err
    refs = sorted(o["order_ref"] for o in _world(home)["orders"].values())
    assert refs == sorted(f"trd-par-{i}" for i in range(10))
    assert len(_db_orders(home)) == 10
    assert not (home / "sim" / "ib-world.json.owner.json").exists()


def test_place_beside_a_serving_gateway_goes_through_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = _env(home)
    gateway = _spawn(env, "sim-gateway", "--port", "0", "--clock", CLOCK)
    try:
        assert gateway.stdout is not None
        banner = gateway.stdout.readline()
        match = re.search(r"listening on 127\.0\.0\.1:(\d+)", banner)
        assert match, banner
        owner = json.loads((home / "sim" / "ib-world.json.owner.json").read_text())
        assert owner["serving"] is True
        assert owner["pid"] == gateway.pid
        assert owner["port"] == int(match.group(1))

        placed = _run(
            {**env, "SIM_LOCK_TIMEOUT": "2"},
            *PLACE, "--venue", "sim", "--client-order-id", "trd-guest-1", "-v",
        )  # fmt: skip
        assert placed.returncode == 0, placed.stderr
        assert f"pid {gateway.pid}" in placed.stderr  # it said whose gateway it used
        assert json.loads(placed.stdout)["order"]["status"] == "open"
        # the owner saved it: the world holds the guest's order while the gateway still runs
        assert [o["order_ref"] for o in _world(home)["orders"].values()] == ["trd-guest-1"]

        second = _run({**env, "SIM_LOCK_TIMEOUT": "2"}, "sim-gateway", "--port", "0")
        assert second.returncode == 2
        assert f"pid {gateway.pid}" in second.stderr + second.stdout
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.communicate(timeout=30)
    assert gateway.returncode == 0
    refs = [o["order_ref"] for o in _world(home)["orders"].values()]
    assert refs == ["trd-guest-1"]
    assert _db_orders(home) == [("trd-guest-1", "open")]


HOLDER = (
    "import fcntl, os, sys, time\n"
    "from pathlib import Path\n"
    "from trader_cli.sim.owner import WorldLock\n"
    "lock = WorldLock(Path(sys.argv[1]))\n"
    "assert lock.try_acquire()\n"
    "lock.publish(0, serving=False)\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)


def test_a_held_world_makes_a_command_wait_then_exit_2_naming_the_holder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    world = home / "sim" / "ib-world.json"
    world.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(world)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        env = _env(home, SIM_LOCK_TIMEOUT="0.5")
        r = _run(env, *PLACE, "--venue", "sim")
        assert r.returncode == 2, r.stderr
        said = r.stdout + r.stderr  # --json puts the error on stdout
        assert f"pid {holder.pid} on host {socket.gethostname()}" in said

        holder.send_signal(signal.SIGKILL)  # the kernel drops its lock
        holder.wait(timeout=10)
        r = _run(env, *PLACE, "--venue", "sim", "--client-order-id", "trd-after-kill")
        assert r.returncode == 0, r.stderr
        refs = [o["order_ref"] for o in _world(home)["orders"].values()]
        assert refs == ["trd-after-kill"]
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait(timeout=10)


async def test_claims_in_one_process_take_turns_and_ignore_a_stale_endpoint(
    tmp_path: Path,
) -> None:
    world = tmp_path / "sim" / "ib-world.json"
    stale = WorldLock(world)
    world.parent.mkdir(parents=True)
    # a dead owner's endpoint left behind (pid 2**22+ is beyond any live pid here)
    stale.endpoint_path.write_text(
        json.dumps({"pid": 4_194_999, "host": socket.gethostname(), "port": 1, "serving": True})
    )
    first = await claim_world(world, serving=False, wait=1)
    assert isinstance(first, WorldLock)
    second = asyncio.create_task(claim_world(world, serving=False, wait=5, poll=0.01))
    await asyncio.sleep(0.05)
    assert not second.done()  # waiting, not joining the stale "serving" endpoint
    first.release()
    got = await second
    assert isinstance(got, WorldLock)
    got.release()


def test_an_old_world_file_is_moved_to_the_ib_sim_scope(clean_env: Path) -> None:
    from trader_cli.config import load_settings

    clean_env.mkdir(parents=True, exist_ok=True)
    (clean_env / "sim-world.json").write_text('{"version": 1}')
    path = load_settings().sim_state_path
    assert path == clean_env / "sim" / "ib-world.json"
    assert path.read_text() == '{"version": 1}'
    assert not (clean_env / "sim-world.json").exists()


@pytest.mark.parametrize("kill_at", ["before-rename"])
def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kill_at: str) -> None:
    from trader_cli.sim import owner

    path = tmp_path / "w.json"
    owner.write_atomically(path, "old")

    def boom(*_a: object) -> None:
        raise KeyboardInterrupt  # the process dies between the write and the rename

    monkeypatch.setattr(owner.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        owner.write_atomically(path, "new" * 1000)
    assert path.read_text() == "old"
