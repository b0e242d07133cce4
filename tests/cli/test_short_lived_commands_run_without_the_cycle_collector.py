"""The ``trader`` program loads with the cyclic garbage collector off; it stays off only for the
short-lived emergency commands (one order or one pass, then exit) and is back on before any
other command (a bot loop, a gateway, a backtest) runs. Called as a library (``main(argv)``), the
collector is never touched."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trader_cli.cli.entry import SHORT_LIVED

ROOT = Path(__file__).resolve().parents[2]

# the program as the console script and ``python -m trader_cli`` start it; a spy notes whether
# the collector is on when the command's work begins (on Typer or on the emergency parser)
WRAPPER = """
import gc, json, runpy, sys
import trader_cli.cli.program as program
seen = []
real = program.run_guarded
def spy(args, command):
    seen.append(gc.isenabled())
    sys.stderr.write("\\ncollector: " + json.dumps(seen) + "\\n")
    return real(args, command)
program.run_guarded = spy
sys.argv = ["trader", *sys.argv[1:]]
runpy.run_module("trader_cli", run_name="__main__")
"""


def _collector_on(tmp_path: Path, *args: str) -> bool:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("IB_", "SIM_", "TRADER_", "ACTIVE_"))}
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
        env={**env, "TRADER_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)},
    )
    (line,) = [ln for ln in done.stderr.splitlines() if ln.startswith("collector: ")]
    (on,) = json.loads(line.removeprefix("collector: "))
    return bool(on)


@pytest.mark.parametrize(
    "args",
    [
        ("place", "AUD/USD", "buy", "0.5", "--market"),  # refused input: exits 2 at once
        ("--venue", "sim", "flatten"),  # refused input, on the emergency parser
        ("resync", "--help"),  # Typer's help
        ("--venue", "sim", "resync"),
    ],
)
def test_the_emergency_commands_run_with_the_collector_off(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    assert not _collector_on(tmp_path, *args)


@pytest.mark.parametrize(
    "args", [("run", "--help"), ("sim-gateway", "--help"), ("config",), ("--help",), ()]
)
def test_every_other_command_runs_with_the_collector_on(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    assert _collector_on(tmp_path, *args)


def test_the_short_lived_commands_are_the_emergency_path() -> None:
    assert {"place", "flatten", "resync"} == SHORT_LIVED


def test_main_called_as_a_library_leaves_the_collector_alone(trader) -> None:
    assert gc.isenabled()
    assert trader("place", "AUD/USD", "buy", "0.5", "--market", "--venue", "sim").code == 2
    assert gc.isenabled()
