"""``place``, ``flatten`` and ``resync`` (the commands run when seconds matter) import no module
they do not use: no retry library unless a link is re-made, no PostgreSQL driver for SQLite, no
pandas, ccxt or exchange calendars on IB, no numpy (ib_async's event library imports it for array
operators we never use: it loads on first use), no typer, click or pydantic for the command
line (their own parser reads it), and a quiet ``resync`` no rich at all.

Each runs in a fresh interpreter (an import is a property of the process) on the in-process sim
with a pinned clock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

NEVER = ("tenacity", "psycopg2", "pandas", "numpy", "ccxt", "exchange_calendars", "apprise",
         "streamlit")
# the command line: Typer, its vendored click (and click itself), the Typer app
CLI = ("typer", "typer._click", "click", "trader_cli.cli.app")

PROBE = """
import json, sys
from trader_cli.cli.entry import main
code = 0
try:
    main(sys.argv[2:])
except SystemExit as e:
    code = e.code
loaded = [m for m in json.loads(sys.argv[1]) if m in sys.modules]
sys.stderr.write("\\n" + json.dumps({"code": code, "loaded": loaded}))
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("IB_", "SIM_", "TRADER_", "GEMINI_", "MAX_", "ACTIVE_",
                                 "DATABASE_", "NOTIFY_"))}
    # Wednesday 3 July 2024, 11:00 in Sydney: IDEALPRO is open
    return {**base, "TRADER_HOME": str(tmp_path / "home"), "SIM_CLOCK": "2024-07-03T01:00:00Z",
            "SIM_SEED": "7", "MAX_ORDER_VALUE": "100000", "MAX_TOTAL_EXPOSURE": "1000000",
            "PYTHONPATH": str(ROOT)}


def _loaded(env: dict[str, str], cwd: Path, heavy: tuple[str, ...], *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(heavy), *args, "--venue", "sim"],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False,
    )
    found = json.loads(done.stderr.strip().splitlines()[-1])
    assert found["code"] in (0, None), done.stderr
    return found["loaded"]  # type: ignore[no-any-return]


def test_place_then_flatten_then_resync_import_nothing_they_do_not_use(
    env: dict[str, str], tmp_path: Path
) -> None:
    heavy = (*NEVER, *CLI)
    assert _loaded(env, tmp_path, heavy, "place", "AUD/USD", "buy", "25000", "--market") == []
    assert _loaded(env, tmp_path, heavy, "flatten", "AUD/USD") == []
    assert _loaded(env, tmp_path, (*heavy, "rich"), "resync") == []  # one summary line


def test_root_options_before_the_name_and_json_need_no_typer_either(
    env: dict[str, str], tmp_path: Path
) -> None:
    heavy = (*NEVER, *CLI)
    assert _loaded(env, tmp_path, heavy, "-v", "--json", "place", "AUD/USD", "buy", "25000",
                   "--market", "--timeout", "10") == []
    assert _loaded(env, tmp_path, heavy, "--json", "flatten", "--all", "--wait", "5") == []
    assert _loaded(env, tmp_path, heavy, "--json", "resync", "-vv") == []


def test_what_their_parser_declines_is_typer_s(env: dict[str, str], tmp_path: Path) -> None:
    """Help goes to Typer (and loads it): the usage text is Typer's own."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(CLI), "resync", "--help"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )
    assert "Usage: trader resync" in done.stdout
    found = json.loads(done.stderr.strip().splitlines()[-1])
    assert found == {"code": 0, "loaded": ["typer", "typer._click", "trader_cli.cli.app"]}
