"""Dashboard fixtures: a database made by a short sim run, the page under AppTest, a real server."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("streamlit", reason="the dashboard extra is not installed")

#: A Monday at noon in Sydney: the ASX is open, and every run of these tests sees the same market.
SIM_CLOCK = "2026-11-30T01:00:00Z"
APP = Path(__file__).resolve().parents[2] / "trader_cli" / "dashboard" / "app.py"
SETTING_PREFIXES = (
    "IB_", "GEMINI_", "SIM_", "LLM_", "HEALTH_", "TELEMETRY_", "TRADER_", "DASHBOARD_",
)
SETTING_NAMES = {
    "ACTIVE_EXCHANGE", "ALLOWED_SYMBOLS", "CLIENT_ORDER_PREFIX", "DATABASE_URL", "TELEMETRY_LOG",
    "MAX_ORDER_VALUE", "MAX_TOTAL_EXPOSURE", "MIN_TRADE_SIZE", "MIN_TOP_OF_BOOK_NOTIONAL",
    "MAX_DAILY_LOSS", "BASE_CURRENCY",
}
#: How long a started server gets to say where it listens (Streamlit starts in a few seconds).
START_TIMEOUT = 90.0


def environ(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any trader setting, with ``home`` and a pinned clock."""
    env = {
        k: v for k, v in os.environ.items()
        if k not in SETTING_NAMES and not k.startswith(SETTING_PREFIXES)
    }
    env.update(TRADER_HOME=str(home), SIM_CLOCK=SIM_CLOCK, **extra)
    return env


def trader_sub(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """``trader *args`` in a fresh interpreter over ``home``."""
    return subprocess.run(
        [sys.executable, "-m", "trader_cli", *args],
        capture_output=True, text=True, timeout=300, env=environ(home, **extra),
        cwd=home.parent, check=False,
    )


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> list[str]:
    """The local addresses (hex, as /proc/net/tcp{,6} has them) listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.append(address)
    return found


LOOPBACK_V4 = "0100007F"  # 127.0.0.1 in /proc/net/tcp's little-endian hex


@pytest.fixture(scope="module")
def sim_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An app dir whose sim database holds three cycles of ``trader run --venue sim``."""
    home = tmp_path_factory.mktemp("dash") / "home"
    r = trader_sub(home, "run", "--venue", "sim", "--cycles", "3", "--interval", "60")
    assert r.returncode == 0, r.stderr
    return home


@pytest.fixture(scope="module")
def sim_status(sim_home: Path) -> dict[str, Any]:
    """``trader status --venue sim --json`` over :func:`sim_home`."""
    r = trader_sub(sim_home, "status", "--venue", "sim", "--json")
    assert r.returncode == 0, r.stderr
    data: dict[str, Any] = json.loads(r.stdout)
    assert data["positions"], "the sim run opened no position: the page would have none to show"
    return data


@pytest.fixture
def page_env(clean_env: Path, monkeypatch: pytest.MonkeyPatch, sim_home: Path) -> Path:
    """The page's environment (it runs in this process under AppTest): the sim over ``sim_home``."""
    for name in list(os.environ):
        if name.startswith(("TRADER_DASHBOARD_", "DASHBOARD_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TRADER_HOME", str(sim_home))
    monkeypatch.setenv("SIM_CLOCK", SIM_CLOCK)
    monkeypatch.setenv("TRADER_DASHBOARD_VENUE", "sim")
    return sim_home


def run_page() -> Any:
    """The dashboard script run once by Streamlit's AppTest."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(APP), default_timeout=120).run()


def badge_of(at: Any) -> str | None:
    """The badge the page shows (``data-badge``), or None when it shows none."""
    for m in at.markdown:
        found = re.search(r'data-testid="trader-badge" data-badge="([A-Z]+)"', m.value)
        if found:
            return found.group(1)
    return None


def table_with(at: Any, column: str) -> Any:
    """The first table (a DataFrame) with ``column``."""
    for t in at.table:
        frame = t.value
        if column in frame.columns:
            return frame
    raise AssertionError(f"no table with a {column!r} column")


class Server:
    """``trader dashboard`` as a real process (its own process group), read line by line."""

    def __init__(self, home: Path, *args: str, **extra: str) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "trader_cli", "dashboard", *args],
            env=environ(home, **extra), cwd=home.parent, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float = START_TIMEOUT) -> str:
        """The first output line matching ``pattern``; fails if the process ends first."""
        while True:
            try:
                line = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {pattern!r} in {timeout}s: {self.lines}") from None
            if line is None:
                raise AssertionError(f"the dashboard ended ({self.proc.wait()}): {self.lines}")
            self.lines.append(line)
            if re.search(pattern, line):
                return line

    def children(self) -> list[int]:
        """Process ids of the command's children (the Streamlit server)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()]

    def stop(self) -> int:
        """SIGTERM the command (as a service manager would) and wait for it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        finally:
            self.kill_group()

    def kill_group(self) -> None:
        """Whatever is left of the process group this test started (nothing, when all is well)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.wait(30)
        self._reader.join(30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def serve() -> Iterator[Any]:
    """``serve(home, *args, **env)`` starts ``trader dashboard``; every one is stopped after."""
    started: list[Server] = []

    def start(home: Path, *args: str, **extra: str) -> Server:
        server = Server(home, *args, **extra)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill_group()


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, reaped by nobody yet, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
