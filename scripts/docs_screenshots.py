"""Re-make the `trader status` picture in docs/img/ from a real short sim run.

    python3 scripts/docs_screenshots.py        # after `python3 scripts/dev.py test` made .venv

Runs `trader run --venue sim --cycles 5` on a pinned sim clock in a scratch home, then
`trader status --venue sim`, and renders what the terminal shows to docs/img/status.svg (and,
where Debian's chromium is installed, to docs/img/status.png). The dashboard's picture,
docs/img/dashboard.png, is the screenshot the browser test saves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
PY = ROOT / ".venv" / "bin" / "python"
WIDTH = 150


def trader(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(PY if PY.exists() else sys.executable), "-m", "trader_cli", *args],
        env=env, capture_output=True, text=True, check=True,
    )
    return done.stdout


def main() -> None:
    from rich.console import Console
    from rich.text import Text

    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IB_", "SIM_", "TRADER_"))}
        env.update(TRADER_HOME=home, SIM_CLOCK="2026-11-30T01:00:00Z", SIM_SEED="7",
                   FORCE_COLOR="1", COLUMNS=str(WIDTH))
        trader(env, "run", "--venue", "sim", "--cycles", "5", "--interval", "60", "--json")
        # a minute after the run's last cycle (each sim command starts at SIM_CLOCK)
        shown = trader({**env, "SIM_CLOCK": "2026-11-30T01:05:00Z"}, "status", "--venue", "sim")
    console = Console(record=True, width=WIDTH, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print("$ trader status --venue sim", style="bold green")
    console.print(Text.from_ansi(shown), soft_wrap=True)
    IMG.mkdir(parents=True, exist_ok=True)
    svg = IMG / "status.svg"
    console.save_svg(str(svg), title="trader status --venue sim")
    print(f"wrote {svg.relative_to(ROOT)}")
    chromium = shutil.which("chromium")
    if chromium:
        png = IMG / "status.png"
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--screenshot={png}", "--window-size=1560,1560",
             svg.as_uri()],
            check=True, capture_output=True,
        )
        print(f"wrote {png.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
