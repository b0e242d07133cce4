"""Ctrl-C during ``trader backtest`` stops it after the current bar with a report of what was
done (``stopped``), exit 0, no traceback; a second Ctrl-C stops at once with a message, exit 1.

The strategy sends the signal to its own process at a chosen step, so nothing waits for the
wall clock: the loop must still see the signal while it replays bars without ever waiting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.backtest.conftest import write_bars
from trader_cli.backtest.engine import YIELD_EVERY

ROOT = Path(__file__).resolve().parents[2]
BARS = 3000
INTERRUPT_AT = 100  # the strategy's step at which Ctrl-C is pressed


def _backtest(tmp_path: Path, presses: int) -> subprocess.CompletedProcess[str]:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "impatient.py").write_text(textwrap.dedent(f"""
        import os, signal

        class Impatient:
            name = "impatient"
            steps = 0

            async def decide(self, ctx):
                Impatient.steps += 1
                if Impatient.steps == {INTERRUPT_AT}:
                    for _ in range({presses}):
                        os.kill(os.getpid(), signal.SIGINT)
                return []
    """))
    bars = tmp_path / "BHP_AUD.csv"
    write_bars(bars, BARS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIM_", "IB_", "OPENAI_"))}
    env.update(PYTHONPATH=os.pathsep.join([str(ROOT), str(plugins)]),
               TRADER_HOME=str(tmp_path / "home"))
    return subprocess.run(
        [sys.executable, "-m", "trader_cli", "backtest", "--bars", str(bars), "--strategy",
         "impatient:Impatient", "--json"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )


def test_ctrl_c_stops_after_the_current_bar_and_reports_what_was_done(tmp_path):
    r = _backtest(tmp_path, presses=1)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    report = json.loads(r.stdout)
    assert report["stopped"] is True
    # stopped within a few bars of the press (the loop lets signal handlers run every
    # YIELD_EVERY bars), not at the end of the file
    assert INTERRUPT_AT <= report["bars"] <= INTERRUPT_AT + 4 * YIELD_EVERY < BARS


@pytest.mark.parametrize("presses", [2])
def test_a_second_ctrl_c_stops_at_once_without_a_traceback(tmp_path, presses):
    r = _backtest(tmp_path, presses=presses)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "CancelledError" not in r.stderr
    error = json.loads(r.stdout)["error"]
    assert "second Ctrl-C" in error["message"]
