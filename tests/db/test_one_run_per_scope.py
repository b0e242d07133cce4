"""One ``trader run`` per scope, as a user meets it: real processes, SQLite and PostgreSQL.

A second ``run`` on the same venue, mode and account exits 2 naming the process that trades it,
before it sends anything; once that process is ``kill -9``'d its lock is gone with it (flock and
advisory locks die with their holder) and a new ``run`` starts.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.db

# Wednesday 3 July 2024, 10:30 in Sydney, then real speed: a cycle a second
MORNING = "2024-07-03T00:30:00Z"
RUN = ("run", "--venue", "sim", "--interval", "1s", "--speed", "1")


def env_for(tmp_path: Path, db_url: str) -> dict[str, str]:
    prefixes = ("IB_", "SIM_", "TRADER_", "GEMINI_", "LLM_", "HEALTH_", "TELEMETRY_")
    base = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    base.pop("DATABASE_URL", None)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {**base, "TRADER_HOME": str(home), "SIM_CLOCK": MORNING, "DATABASE_URL": db_url}


def trader(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trader_cli", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_second_run_on_a_scope_is_refused_until_the_first_dies(tmp_path: Path, db_url) -> None:
    env = env_for(tmp_path, db_url)
    first = subprocess.Popen(
        [sys.executable, "-m", "trader_cli", *RUN, "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert first.stdout is not None
        line = first.stdout.readline()  # the first cycle: the lock is held by now
        assert json.loads(line)["event"] == "cycle", (line, first.stderr.read())

        second = trader(env, *RUN, "--cycles", "1")
        assert second.returncode == 2, second.stderr
        message = " ".join(second.stderr.split())
        assert f"trader run pid {first.pid} on {socket.gethostname()}" in message
        assert "one bot per account" in message
        assert first.poll() is None  # the refusal did nothing to the running bot

        as_json = trader(env, *RUN, "--cycles", "1", "--json")
        assert as_json.returncode == 2
        error = json.loads(as_json.stdout)["error"]
        assert f"pid {first.pid}" in error["message"]
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=20)

    third = trader(env, *RUN, "--cycles", "2", "--json")
    assert third.returncode == 0, third.stderr
    events = [json.loads(x) for x in third.stdout.splitlines() if x.strip()]
    assert [e["event"] for e in events] == ["cycle", "cycle", "summary"]
