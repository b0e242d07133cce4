#!/usr/bin/env python3
"""Set up .venv (once, and again when pyproject.toml changes), then run trader or the tests.

    python3 scripts/dev.py run [ARGS...]    # the main job on the offline simulator
    python3 scripts/dev.py test [PYTEST ARGS...]
    python3 scripts/dev.py trader ARGS...   # any trader command inside the venv
    python3 scripts/dev.py tool NAME ARGS...  # a dev tool inside the venv (ruff, mypy, ...)

Needs only Python >= 3.11 and access to a Python package index.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("TRADER_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".trader-install-stamp"
# The main job: the trading bot on the SIMULATED venue (20 cycles, 1 s apart, market x300).
MAIN_JOB = ["run", "--venue", "sim", "--cycles", "20", "--interval", "1s"]
PYTEST_NO_TESTS = 5


def _say(msg: str) -> None:
    print(f"[dev] {msg}", file=sys.stderr, flush=True)


def ensure_venv() -> None:
    """Create .venv and install the project with its dev extra when missing or out of date."""
    if sys.version_info < (3, 11):
        sys.exit(f"[dev] Python >= 3.11 is required, this is {sys.version.split()[0]}")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    if not (BIN / "python").exists():
        _say(f"creating virtualenv {VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    _say("installing trader and its test dependencies (first run only)")
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(digest)


def test_passes(args: list[str]) -> list[list[str]]:
    """The pytest runs ``dev.py test ARGS`` makes: in parallel by default (pytest-xdist,
    ``-n auto``), then the tests marked ``serial`` alone; as asked when ARGS choose the
    workers (``-n``, ``-p no:xdist``) or a marker expression (``-m``)."""
    chosen = any(
        a in {"-n", "--numprocesses", "-m", "--dist"} or a.startswith(("-n", "--numprocesses=",
        "--dist=")) or a == "no:xdist" for a in args
    )
    if chosen:
        return [args]
    return [["-n", "auto", "-m", "not serial", *args], ["-p", "no:xdist", "-m", "serial", *args]]


def run_tests(args: list[str]) -> int:
    """Run the passes of :func:`test_passes`; the first failure's code (5, no tests at all in
    every pass, is a failure too)."""
    codes = []
    for extra in test_passes(args):
        code = subprocess.call([str(BIN / "python"), "-m", "pytest", *extra], cwd=ROOT)
        if code not in (0, PYTEST_NO_TESTS):
            return code
        codes.append(code)
    if all(code == PYTEST_NO_TESTS for code in codes):
        _say("pytest collected no tests: that is a failure, not a pass")
        return 1
    return 0


def main(argv: list[str]) -> int:
    """Dispatch ``run``, ``test``, ``trader`` or ``tool``."""
    if not argv or argv[0] not in {"run", "test", "trader", "tool"}:
        print(__doc__, file=sys.stderr)
        return 2
    ensure_venv()
    cmd, rest = argv[0], argv[1:]
    if cmd == "test":
        return run_tests(rest)
    if cmd == "tool":
        if not rest:
            print("[dev] name a tool, e.g. ruff check . or mypy", file=sys.stderr)
            return 2
        return subprocess.call([str(BIN / "python"), "-m", *rest], cwd=ROOT)
    args = rest if cmd == "trader" else (rest or MAIN_JOB)
    return subprocess.call([str(BIN / "trader"), *args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
