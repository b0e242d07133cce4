"""``trader place`` sends the order before it imports rich (tables, spinner): the order goes first.

The command runs in a fresh interpreter (whether a module was imported is a property of the
process) on the sim with a pinned clock, its stderr a terminal so the spinner is wanted; a
wrapper notes what was imported at the moment the order service hands the order to the venue.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

WRAPPER = """
import atexit, json, runpy, sys
import trader_cli.services.orders as orders

seen = {}
report = sys.argv[1]
real = orders.OrderService._send

async def spy(self, cid, request):
    seen.setdefault("rich_before_send", "rich" in sys.modules)
    return await real(self, cid, request)

orders.OrderService._send = spy
atexit.register(lambda: open(report, "w").write(
    json.dumps({**seen, "rich_at_exit": "rich" in sys.modules})))
sys.argv = ["trader", *sys.argv[2:]]
runpy.run_module("trader_cli", run_name="__main__")
"""


@pytest.fixture(autouse=True)
def pinned_sim(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")


def _place(tmp_path: Path, *args: str) -> dict[str, bool]:
    report = tmp_path / "seen.json"
    leader, follower = pty.openpty()  # stderr a terminal: the spinner is wanted
    try:
        done = subprocess.run(
            [sys.executable, "-c", WRAPPER, str(report), "place", *args, "--venue", "sim"],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE, stderr=follower, timeout=120, check=False,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 0, done.stdout
    return json.loads(report.read_text())  # type: ignore[no-any-return]


def test_a_working_order_is_sent_before_rich_is_imported(tmp_path: Path) -> None:
    seen = _place(
        tmp_path, "BHP/AUD", "buy", "20", "--limit", "30.00", "--allow-far-limit", "--timeout", "1"
    )
    assert seen == {"rich_before_send": False, "rich_at_exit": True}  # tables after the send


def test_a_market_order_is_sent_before_rich_is_imported(tmp_path: Path) -> None:
    seen = _place(tmp_path, "BHP/AUD", "buy", "20", "--market")
    assert seen["rich_before_send"] is False
