"""``place`` and ``flatten`` start importing rich (for the tables they draw at the end) in the
background once an order is out, so the import overlaps the wait for the venue; never before the
order is sent, and not at all with ``--json``.

Each command runs in a fresh interpreter (an import is a property of the process) on the sim with
a pinned clock; a wrapper notes, in order, the sends and the warm-up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

WRAPPER = """
import atexit, json, runpy, sys
import trader_cli.cli.console as console
import trader_cli.services.orders as orders

events = []
report = sys.argv[1]
real_send, real_warm = orders.OrderService._send, console.warm_up_rich

async def send(self, cid, request):
    events.append(["send", "rich" in sys.modules])
    return await real_send(self, cid, request)

def warm():
    events.append(["warm-up", "rich" in sys.modules])
    real_warm()

orders.OrderService._send = send
console.warm_up_rich = warm
atexit.register(lambda: open(report, "w").write(json.dumps(events)))
sys.argv = ["trader", *sys.argv[2:]]
runpy.run_module("trader_cli", run_name="__main__")
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("IB_", "SIM_", "TRADER_", "GEMINI_", "MAX_", "ACTIVE_"))}
    # Wednesday 3 July 2024, 11:00 in Sydney: IDEALPRO is open
    return {**base, "TRADER_HOME": str(tmp_path / "home"), "SIM_CLOCK": "2024-07-03T01:00:00Z",
            "SIM_SEED": "7", "MAX_ORDER_VALUE": "100000", "MAX_TOTAL_EXPOSURE": "1000000",
            "PYTHONPATH": str(ROOT)}


def _events(env: dict[str, str], tmp_path: Path, *args: str) -> list[list[object]]:
    report = tmp_path / "events.json"
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(report), *args, "--venue", "sim"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(report.read_text())  # type: ignore[no-any-return]


def test_place_then_flatten_warm_rich_up_only_after_sending(
    env: dict[str, str], tmp_path: Path
) -> None:
    placed = _events(env, tmp_path, "place", "AUD/USD", "buy", "25000", "--market")
    assert placed[0] == ["send", False]  # the order first, with nothing of rich loaded
    assert ["warm-up", False] in placed[1:]
    flattened = _events(env, tmp_path, "flatten", "AUD/USD")
    assert flattened[:2] == [["send", False], ["warm-up", False]]


def test_json_output_never_warms_rich_up(env: dict[str, str], tmp_path: Path) -> None:
    placed = _events(env, tmp_path, "place", "AUD/USD", "buy", "25000", "--market", "--json")
    flattened = _events(env, tmp_path, "flatten", "AUD/USD", "--json")
    assert [e[0] for e in placed + flattened] == ["send", "send"]


def test_tables_drawn_after_a_warm_up_wait_for_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c",
         "from trader_cli.cli.console import Output, warm_up_rich\n"
         "warm_up_rich()\n"
         "Output().table([('AUD/USD', '25,000')], ('symbol', 'filled'), title='flatten')\n"],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert "AUD/USD" in done.stdout and "25,000" in done.stdout
