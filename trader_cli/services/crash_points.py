"""Test-only crash and pause points on the order path (inert unless their variable is set)."""

from __future__ import annotations

import os
import signal
import time

# Test-only crash points: with TRADER_TEST_CRASH_AT=<name> the process SIGKILLs itself there, so
# tests can prove that a process killed mid-order loses and duplicates nothing.
CRASH_ENV = "TRADER_TEST_CRASH_AT"
# Test-only pause points: with TRADER_TEST_PAUSE_AT=<name>:<seconds> the process stops there for
# that long (blocking, like a slow machine), so tests can make a race window as wide as they need.
PAUSE_ENV = "TRADER_TEST_PAUSE_AT"


def crash_point(name: str) -> None:
    """Die at once (SIGKILL: no cleanup, no flush) if the tests asked for a crash here."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def pause_point(name: str) -> None:
    """Sleep here (blocking) if the tests asked for a pause at ``name``."""
    point, _, seconds = os.environ.get(PAUSE_ENV, "").partition(":")
    if point == name:
        time.sleep(float(seconds or 1))
