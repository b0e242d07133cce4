"""The command surface: help everywhere, version, and no heavy imports on the fast paths."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import trader_cli
from trader_cli.cli.app import app

# the subprocesses run in an empty directory: they import this checkout, not an installed one
CHECKOUT = str(Path(trader_cli.__file__).resolve().parents[1])

HEAVY = (
    "ib_async", "ccxt", "pandas", "numpy", "exchange_calendars", "peewee", "streamlit", "apprise",
)
# --help prints plain text and runs nothing: not even the event loop or rich
HELP_HEAVY = (*HEAVY, "asyncio", "rich")


def _commands() -> list[str]:
    import typer.main

    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


def test_every_command_has_help_text(trader) -> None:
    commands = _commands()
    assert "resolve-symbol" in commands
    for name in commands:
        r = trader(name, "--help")
        assert r.code == 0, name
        assert "Usage:" in r.out
        summary = r.out.split("\n\n")[1].strip()
        assert len(summary) > 20, f"{name} has no help text"


def test_root_help_and_version(trader) -> None:
    r = trader("--help")
    assert r.code == 0
    assert "Exit codes" in r.out
    assert trader("--version").out.startswith("trader ")


def test_unknown_command_is_usage_error(trader) -> None:
    assert trader("frobnicate").code == 2


# the one-off commands that answer without a venue load neither the venue SDKs nor pandas, nor
# (on the sim) the gateway: hours reads the sim clock and a generated ASX sessions table
OFFLINE_HEAVY = (*HEAVY, "trader_cli.sim.tws", "trader_cli.sim.engine.matching", "trader_cli.db")


@pytest.mark.parametrize(
    ("args", "heavy"),
    [
        (["--help"], HELP_HEAVY),
        (["resolve-symbol", "BHP/AUD", "--offline", "--json"], OFFLINE_HEAVY),
        (["resolve-symbol", "BHP/AUD", "--offline"], OFFLINE_HEAVY),
        (["resolve-symbol", "BTC/USD", "--offline", "--venue", "gemini"], OFFLINE_HEAVY),
        (["hours", "BHP/AUD"], OFFLINE_HEAVY),
        (["hours", "BHP/AUD", "--venue", "sim", "--json"], OFFLINE_HEAVY),
        (["hours", "BHP/AUD", "--at", "2024-12-24T03:30:00Z", "--venue", "ib"], OFFLINE_HEAVY),
        (["hours", "AUD/USD", "--json"], OFFLINE_HEAVY),
    ],
)
def test_fast_paths_import_nothing_heavy(args: list[str], heavy: tuple[str, ...], tmp_path) -> None:
    probe = (
        "import json, sys\n"
        "from trader_cli.cli.app import main\n"
        "code = 0\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    code = e.code\n"
        f"loaded = [m for m in {heavy!r} if m in sys.modules]\n"
        "sys.stderr.write(json.dumps({'code': code, 'loaded': loaded}))\n"
    )
    env = {"PATH": "", "TRADER_HOME": str(tmp_path), "HOME": str(tmp_path), "PYTHONPATH": CHECKOUT}
    proc = subprocess.run(
        [sys.executable, "-c", probe, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    found = json.loads(proc.stderr.strip().splitlines()[-1])
    assert found["code"] in (0, None), proc.stderr
    assert found["loaded"] == [], f"{args} imported {found['loaded']}"


def test_python_dash_m_entry_point(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "trader_cli", "resolve-symbol", "BHP.AX", "--offline"],
        capture_output=True,
        text=True,
        env={"TRADER_HOME": str(tmp_path), "PATH": "", "PYTHONPATH": CHECKOUT},
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "BHP/AUD" in proc.stderr
