"""Maintenance windows: daily times a venue is expected to drop the link (IB's server resets)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """A daily window (local ``start``-``end`` in ``tz``; may cross midnight) of venue restarts.

    ``weekdays`` limits the local weekday the window *starts* on (Monday = 0); None = every day.
    """

    start: time
    end: time
    tz: str
    label: str = "venue maintenance"
    weekdays: frozenset[int] | None = None

    @property
    def duration(self) -> timedelta:
        """Length of the window."""
        day = date(2000, 1, 3)
        begin = datetime.combine(day, self.start)
        finish = datetime.combine(day, self.end)
        if finish <= begin:
            finish += timedelta(days=1)
        return finish - begin

    def occurrence(self, at: datetime) -> tuple[datetime, datetime] | None:
        """The (start, end) of the occurrence of this window that contains ``at``, if any."""
        zone = ZoneInfo(self.tz)
        local = at.astimezone(zone)
        for back in (0, 1):
            day = local.date() - timedelta(days=back)
            if self.weekdays is not None and day.weekday() not in self.weekdays:
                continue
            begin = datetime.combine(day, self.start, tzinfo=zone)
            finish = begin + self.duration
            if begin <= at < finish:
                return begin, finish
        return None

    def describe(self) -> str:
        """``23:45-01:45 America/New_York``."""
        days = ""
        if self.weekdays is not None:
            names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
            days = ",".join(names[d] for d in sorted(self.weekdays)) + " "
        return f"{days}{self.start:%H:%M}-{self.end:%H:%M} {self.tz}"


_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*@\s*([A-Za-z_+\-/0-9]+)\s*$")


def parse_windows(text: str) -> tuple[MaintenanceWindow, ...]:
    """Parse ``HH:MM-HH:MM@Zone;…`` (``HEALTH_RESET_WINDOWS``); raises ``ValueError``."""
    windows = []
    for item in (part for part in text.split(";") if part.strip()):
        match = _WINDOW.match(item)
        if not match:
            raise ValueError(
                f"{item.strip()!r} is not HH:MM-HH:MM@Time/Zone, e.g. 23:45-01:45@America/New_York"
            )
        h1, m1, h2, m2, tz = match.groups()
        try:
            start, end = time(int(h1), int(m1)), time(int(h2), int(m2))
        except ValueError:
            raise ValueError(f"{item.strip()!r}: hours 0-23, minutes 0-59") from None
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{item.strip()!r}: unknown time zone {tz!r}") from None
        windows.append(MaintenanceWindow(start, end, tz, "configured reset window"))
    if not windows:
        raise ValueError("names no window; e.g. 23:45-01:45@America/New_York")
    return tuple(windows)
