"""The sim's clock: pinned, stepped by tests, or running at (a multiple of) real speed."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime; naive values are rejected."""
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        raise ValueError(f"naive datetime: {value!r}; give a timezone")
    return value.astimezone(UTC)


def parse_clock(text: str) -> datetime:
    """Parse an ISO-8601 clock value (``Z`` allowed); it must carry a timezone."""
    return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


class SimClock:
    """Simulated time.

    ``SimClock(start)`` is pinned at ``start`` until :meth:`advance` or :meth:`set` moves it.
    ``SimClock(start, speed=1.0)`` runs: sim time = start + speed * elapsed monotonic time.
    ``SimClock.default()`` starts inside the most recent ASX session and runs at real speed.
    """

    def __init__(
        self,
        start: datetime,
        *,
        speed: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed is not None and speed <= 0:
            raise ValueError("speed must be positive")
        self._base = utc(start)
        self._speed = speed
        self._monotonic = monotonic
        self._anchor = monotonic()

    @classmethod
    def pinned(cls, start: datetime) -> SimClock:
        """A clock that only moves when told to."""
        return cls(start)

    @classmethod
    def default(cls, speed: float = 1.0, now: datetime | None = None) -> SimClock:
        """A running clock starting inside the most recent ASX session before ``now``."""
        from trader_cli.sim.engine.hours import most_recent_session_instant

        real_now = utc(now) if now else datetime.now(UTC)
        return cls(most_recent_session_instant(real_now), speed=speed)

    @property
    def running(self) -> bool:
        """True when the clock moves on its own."""
        return self._speed is not None

    @property
    def speed(self) -> float | None:
        """Sim seconds per real second, or None when pinned."""
        return self._speed

    def now(self) -> datetime:
        """Current sim time (aware, UTC)."""
        if self._speed is None:
            return self._base
        elapsed = (self._monotonic() - self._anchor) * self._speed
        return self._base + timedelta(seconds=elapsed)

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by ``seconds`` of sim time; return the new time."""
        if seconds < 0:
            raise ValueError("the sim clock never goes backwards")
        self._rebase(self.now() + timedelta(seconds=seconds))
        return self.now()

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (forward only)."""
        target = utc(when)
        if target < self.now():
            raise ValueError("the sim clock never goes backwards")
        self._rebase(target)

    def _rebase(self, when: datetime) -> None:
        self._base = when
        if self._speed is not None:  # a pinned clock's time is its base alone
            self._anchor = self._monotonic()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready snapshot."""
        return {"now": self.now().isoformat(), "speed": self._speed}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SimClock:
        """Inverse of :meth:`to_dict`."""
        speed = data.get("speed")
        return cls(parse_clock(str(data["now"])), speed=float(speed) if speed else None)  # type: ignore[arg-type]


def sim_clock(start: datetime | None, speed: float | None) -> SimClock:
    """A pinned clock at ``start`` (``speed`` None), a running one, or the default (live ASX):
    the clock a sim command starts with, from ``SIM_CLOCK`` and ``SIM_SPEED``."""
    if start is None:
        return SimClock.default(speed=speed or 1.0)
    return SimClock(start, speed=speed) if speed else SimClock.pinned(start)
