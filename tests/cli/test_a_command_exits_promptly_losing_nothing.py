"""Run as the program, a command ends the process at once (no module-by-module teardown of the
interpreter), and loses nothing by it: exit handlers run, piped output is flushed, the exit code
is the command's, a still-running non-daemon thread is waited for, and an order's fill is on disk
when the process has gone."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, *args: str, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True, text=True, timeout=120, check=False, cwd=cwd,
        env={**(env or os.environ), "PYTHONPATH": str(ROOT)},
    )


EXIT_WITH = """
import atexit, sys
from trader_cli.cli.program import exit_promptly
atexit.register(lambda: sys.stdout.write("exit handler ran\\n"))
sys.stdout.write("piped, so block-buffered: only a flush gets this out\\n")
exit_promptly({code})
"""


@pytest.mark.parametrize(("code", "status"), [("0", 0), ("None", 0), ("3", 3), ("2", 2)])
def test_the_exit_code_and_every_buffered_line_get_out(code: str, status: int) -> None:
    done = _python(EXIT_WITH.format(code=code))
    assert done.returncode == status, done.stderr
    assert done.stdout == (
        "piped, so block-buffered: only a flush gets this out\nexit handler ran\n"
    )


def test_a_message_as_the_exit_code_goes_to_stderr_with_status_1() -> None:
    done = _python(EXIT_WITH.format(code="'no luck'"))
    assert done.returncode == 1
    assert done.stderr.strip() == "no luck"


def test_a_non_daemon_thread_still_running_is_waited_for() -> None:
    done = _python(
        "import sys, threading, time\n"
        "from trader_cli.cli.program import exit_promptly\n"
        "def work():\n"
        "    time.sleep(0.3)\n"
        "    sys.stdout.write('thread finished\\n')\n"
        "threading.Thread(target=work).start()\n"
        "exit_promptly(0)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "thread finished\n"


@pytest.fixture
def sim_env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("IB_", "SIM_", "TRADER_", "GEMINI_", "MAX_", "ACTIVE_"))}
    # Wednesday 3 July 2024, 11:00 in Sydney: IDEALPRO is open
    return {**base, "TRADER_HOME": str(tmp_path / "home"), "SIM_CLOCK": "2024-07-03T01:00:00Z",
            "SIM_SEED": "7", "MAX_ORDER_VALUE": "100000", "MAX_TOTAL_EXPOSURE": "1000000"}


def _trader(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trader_cli", *args],
        capture_output=True, text=True, timeout=120, check=False, cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
    )


def test_a_filled_order_is_on_disk_and_reported_in_full_when_the_process_is_gone(
    sim_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "trader.log"
    done = _trader(sim_env, tmp_path, "--log-file", str(log), "place", "AUD/USD", "buy",
                   "25000", "--market", "--venue", "sim", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # the whole document: flushed before the process ended
    order = result["order"]
    assert order["status"] == "closed"
    with sqlite3.connect(Path(sim_env["TRADER_HOME"]) / "trader-ib-sim.sqlite") as db:
        fills = db.execute(
            "select amount from fills where client_order_id = ?", (order["clientOrderId"],)
        ).fetchall()
    assert fills == [("25000",)]
    assert "connected to IB" in log.read_text()  # the log file's handler flushed and closed
    # the sim's world was saved on the way out: the next process finds the position
    flat = _trader(sim_env, tmp_path, "flatten", "AUD/USD", "--venue", "sim", "--json")
    assert flat.returncode == 0, flat.stderr
    (line,) = json.loads(flat.stdout)["positions"]
    assert (line["before"], line["filled"], line["left"]) == ("25000", "25000", "0")


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (("place", "AUD/USD", "buy", "0.5", "--market"), 2),  # bad input, nothing sent
        (("place", "AUD/USD", "buy", "2000000", "--market"), 3),  # over MAX_ORDER_VALUE
        (("flatten",), 2),  # neither symbols nor --all
    ],
)
def test_refusals_keep_their_exit_codes(
    sim_env: dict[str, str], tmp_path: Path, args: tuple[str, ...], status: int
) -> None:
    done = _trader(sim_env, tmp_path, *args, "--venue", "sim")
    assert done.returncode == status, done.stderr
    assert "error" in done.stderr


def test_under_a_profiler_the_normal_exit_lets_it_write_its_results(tmp_path: Path) -> None:
    stats = tmp_path / "trader.prof"
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "trader_cli", "--version"],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("trader ")
    assert stats.stat().st_size > 0
