"""Time as a dependency: the real clock, or a simulated one that tests and the sim can drive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What code that waits or timestamps needs from time."""

    def now(self) -> datetime:
        """Current time, aware UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class RealClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        """``datetime.now(UTC)``."""
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep``."""
        import asyncio  # here, not at the top: ``trader hours`` reads the clock and never waits

        await asyncio.sleep(max(0.0, seconds))


REAL_CLOCK = RealClock()


class OffsetClock:
    """Wall-clock time shifted by a fixed offset: the venue's own time as its server reports it.

    Against a real Gateway the offset is within a second and is ignored; against a SIMULATED
    gateway running from a pinned start it is the distance to the sim's clock, so market hours
    and timestamps follow the venue rather than this machine.
    """

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self.offset = offset_seconds

    def now(self) -> datetime:
        """Wall time plus the offset."""
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep`` (the offset does not change how long things take)."""
        import asyncio

        await asyncio.sleep(max(0.0, seconds))
