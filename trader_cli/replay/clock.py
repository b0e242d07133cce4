"""The adapter's clock on a replay: the recorded venue time; waits pass instantly."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta


class ReplayClock:
    """The recorded time plus every wait so far (a replay never waits for the wall clock)."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        """The recorded time plus every wait so far."""
        return self._now

    async def sleep(self, seconds: float) -> None:
        """Advance without waiting."""
        self._now += timedelta(seconds=max(0.0, seconds))
        await asyncio.sleep(0)
