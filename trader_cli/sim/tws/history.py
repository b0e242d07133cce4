"""Historical bars as TWS serves them: bar sizes, durations, step rules, pacing, dates."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from trader_cli.sim.engine import hours

HMDS = "Historical Market Data Service error message:"
PACING_VIOLATION = HMDS + "Historical data request pacing violation"
TIME_LENGTH_EXCEEDED = HMDS + "Time length exceed max."
LEGAL_BAR_SIZES_TEXT = (
    "1 secs, 5 secs, 10 secs, 15 secs, 30 secs, 1 min, 2 mins, 3 mins, 5 mins, 10 mins, "
    "15 mins, 20 mins, 30 mins, 1 hour, 2 hours, 3 hours, 4 hours, 8 hours, 1 day, 1W, 1M"
)
BAR_SIZE_INVALID = (
    "Error validating request.-'bK' : cause - Historical data bar size setting is invalid. "
    "Legal ones are: " + LEGAL_BAR_SIZES_TEXT
)

DAY = 86400
WEEK_SECONDS = 7 * DAY
MONTH_SECONDS = 30 * DAY

BAR_SIZES: dict[str, int] = {
    "1 secs": 1, "5 secs": 5, "10 secs": 10, "15 secs": 15, "30 secs": 30,
    "1 min": 60, "2 mins": 120, "3 mins": 180, "5 mins": 300, "10 mins": 600,
    "15 mins": 900, "20 mins": 1200, "30 mins": 1800,
    "1 hour": 3600, "2 hours": 7200, "3 hours": 10800, "4 hours": 14400, "8 hours": 28800,
    "1 day": DAY, "1 week": WEEK_SECONDS, "1W": WEEK_SECONDS,
    "1 month": MONTH_SECONDS, "1M": MONTH_SECONDS,
}  # fmt: skip

# IB's step-size table: for a duration up to the first column, the smallest bar size allowed
STEP_TABLE: tuple[tuple[int, int], ...] = (
    (60, 1), (120, 1), (1800, 1), (3600, 5), (14400, 10), (28800, 30),
    (DAY, 60), (2 * DAY, 120), (WEEK_SECONDS, 180), (MONTH_SECONDS, 1800), (365 * DAY, DAY),
)  # fmt: skip
MAX_BARS_LOOSE = 50_000
DURATION_UNITS = {"S": 1, "D": DAY, "W": WEEK_SECONDS, "M": MONTH_SECONDS, "Y": 365 * DAY}
MAX_DURATION = {"S": DAY, "D": 365, "W": 52, "M": 12, "Y": 20}
_DURATION = re.compile(r"^\s*(\d+)\s+([SDWMY])\s*$")


class HistoryRequestError(Exception):
    """A request TWS would refuse; ``code`` and ``message`` are what it sends."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Duration:
    """A parsed duration string such as ``'2 D'``."""

    count: int
    unit: str

    @property
    def seconds(self) -> int:
        """Nominal length in seconds (months are 30 days, years 365)."""
        return self.count * DURATION_UNITS[self.unit]


def parse_bar_size(text: str) -> int:
    """Bar size in seconds; raises :class:`HistoryRequestError` (321) for an illegal setting."""
    seconds = BAR_SIZES.get(text.strip())
    if seconds is None:
        raise HistoryRequestError(321, BAR_SIZE_INVALID)
    return seconds


def parse_duration(text: str) -> Duration:
    """Parse ``'<n> <S|D|W|M|Y>'``."""
    match = _DURATION.match(text)
    if not match:
        raise HistoryRequestError(162, HMDS + "Invalid duration: " + text)
    return Duration(int(match.group(1)), match.group(2))


def validate_step(duration: Duration, bar_seconds: int) -> None:
    """Apply IB's duration limits and step-size table (strictly for bars under a minute)."""
    if duration.count <= 0 or duration.count > MAX_DURATION[duration.unit]:
        raise HistoryRequestError(162, TIME_LENGTH_EXCEEDED)
    span = duration.seconds
    if bar_seconds >= 60:
        # IB applies its table loosely to minute and larger bars (e.g. 5 D of 1 min bars works);
        # the sim refuses only requests for an absurd number of bars
        if span // bar_seconds > MAX_BARS_LOOSE:
            raise HistoryRequestError(162, HMDS + f"invalid step: {bar_seconds}")
        return
    for limit, smallest in STEP_TABLE:
        if span <= limit:
            if bar_seconds < smallest:
                raise HistoryRequestError(162, HMDS + f"invalid step: {bar_seconds}")
            return
    if bar_seconds < DAY:
        raise HistoryRequestError(162, HMDS + f"invalid step: {bar_seconds}")


def parse_end(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """Parse ``endDateTime`` ('' = now; 'yyyyMMdd HH:mm:ss [zone]'; 'yyyyMMdd-HH:mm:ss' UTC)."""
    text = text.strip()
    if not text:
        return now
    try:
        if "-" in text and len(text) == 17:
            return datetime.strptime(text, "%Y%m%d-%H:%M:%S").replace(tzinfo=UTC)
        parts = text.split()
        zone = ZoneInfo(parts[2]) if len(parts) > 2 else tz
        stamp = datetime.strptime(parts[0] + " " + parts[1], "%Y%m%d %H:%M:%S").replace(
            tzinfo=zone
        )
        return stamp.astimezone(UTC)
    except (ValueError, IndexError, KeyError) as e:
        raise HistoryRequestError(162, HMDS + f"End date/time: {text} is invalid: {e}") from e


def bar_windows(
    kind: str,
    end: datetime,
    duration: Duration,
    bar_seconds: int,
    *,
    use_rth: bool,
    tz: ZoneInfo,
) -> list[tuple[datetime, datetime, datetime]]:
    """The bars a request covers, as (label start, data start, data end) in UTC.

    ``N D`` on an exchange with sessions means the last N sessions; other units are calendar
    time. Intraday bars are aligned to the clock in ``tz`` and clipped to sessions; daily bars are
    one per session; weekly/monthly bars group daily ones.
    """
    lookback = timedelta(seconds=duration.seconds)
    probe = sessions_between(kind, end - lookback - timedelta(days=10), end, use_rth)
    if duration.unit == "D" and kind == "ASX":
        recent = [s for s in probe if s[0] < end][-duration.count :]
        start = recent[0][0] if recent else end
    else:
        start = end - lookback
    found = [(o, c) for o, c in probe if c > start and o < end]
    if bar_seconds >= DAY:
        return _daily_windows(kind, found, start, end, bar_seconds, tz)
    out: list[tuple[datetime, datetime, datetime]] = []
    for o, c in found:
        lo = max(o, start)
        local_midnight = datetime.combine(lo.astimezone(tz).date(), time(0), tz).astimezone(UTC)
        offset = int((lo - local_midnight).total_seconds()) // bar_seconds * bar_seconds
        label = local_midnight + timedelta(seconds=offset)
        while label < min(c, end):
            data_start = max(label, o, start)
            data_end = min(label + timedelta(seconds=bar_seconds), c, end)
            if data_end > data_start:
                out.append((label, data_start, data_end))
            label += timedelta(seconds=bar_seconds)
    return out


def sessions_between(
    kind: str, start: datetime, end: datetime, use_rth: bool
) -> list[tuple[datetime, datetime]]:
    """Trading intervals: ASX sessions, or IDEALPRO's daily sessions (17:15 to 17:00 NY)."""
    if kind != "FX":
        return hours.asx_sessions(start, end, use_rth=use_rth)
    return hours.fx_sessions(start, end)


def _daily_windows(
    kind: str,
    found: list[tuple[datetime, datetime]],
    start: datetime,
    end: datetime,
    bar_seconds: int,
    tz: ZoneInfo,
) -> list[tuple[datetime, datetime, datetime]]:
    days = [(o, max(o, start), min(c, end)) for o, c in found if min(c, end) > max(o, start)]
    if bar_seconds == DAY:
        return days
    groups: dict[tuple[int, int], list[tuple[datetime, datetime, datetime]]] = {}
    for row in days:
        local = trade_date(kind, row[0], tz)
        key = local.isocalendar()[:2] if bar_seconds == WEEK_SECONDS else (local.year, local.month)
        groups.setdefault(key, []).append(row)
    return [(rows[0][0], rows[0][1], rows[-1][2]) for rows in groups.values()]


def trade_date(kind: str, session_open: datetime, tz: ZoneInfo) -> date:
    """The date a session belongs to (FX days are named for the day they end on)."""
    if kind == "FX":
        return (session_open + timedelta(hours=12)).astimezone(hours.NEW_YORK).date()
    return session_open.astimezone(tz).date()


def format_bar_time(
    kind: str, label: datetime, bar_seconds: int, format_date: int, tz: ZoneInfo
) -> str:
    """A bar's date field: 'yyyyMMdd' for daily and longer bars; otherwise 'yyyyMMdd HH:mm:ss
    <zone>' (formatDate 1) or epoch seconds (formatDate 2)."""
    if bar_seconds >= DAY:
        return trade_date(kind, label, tz).strftime("%Y%m%d")
    if format_date == 2:
        return str(int(label.timestamp()))
    return format_ib_time(label, tz)


def format_ib_time(when: datetime, tz: ZoneInfo) -> str:
    """'yyyyMMdd HH:mm:ss <zone>' as TWS writes times with a zone."""
    return f"{when.astimezone(tz):%Y%m%d %H:%M:%S} {tz.key}"


@dataclass(frozen=True, slots=True)
class PacingKey:
    """What IB compares to detect identical and same-contract requests."""

    con_id: int
    exchange: str
    what_to_show: str
    end: str
    duration: str
    bar_size: str
    use_rth: bool


class PacingTracker:
    """IB's historical-data pacing rules, on the sim clock.

    A request is refused (162 pacing violation) when it repeats an identical request within
    15 s, when it is the 6th+ request for the same contract/exchange/tick type within 2 s, or when
    60 requests were already made in the last 10 minutes. Like IB, only bars of
    ``small_bar_seconds`` (30 s) or less are paced unless ``pace_all`` is set. Refused requests
    do not count.
    """

    IDENTICAL_WINDOW = timedelta(seconds=15)
    BURST_WINDOW = timedelta(seconds=2)
    BURST_LIMIT = 6
    TOTAL_WINDOW = timedelta(minutes=10)
    TOTAL_LIMIT = 60

    def __init__(self, *, pace_all: bool = False, small_bar_seconds: int = 30) -> None:
        self.pace_all = pace_all
        self.small_bar_seconds = small_bar_seconds
        self._history: deque[tuple[datetime, PacingKey]] = deque()
        self.force_next = False

    def check(self, key: PacingKey, bar_seconds: int, now: datetime) -> None:
        """Record a request at ``now`` or raise :class:`HistoryRequestError` if it breaks a rule."""
        while self._history and now - self._history[0][0] > self.TOTAL_WINDOW:
            self._history.popleft()
        if self.force_next:
            self.force_next = False
            raise HistoryRequestError(162, PACING_VIOLATION)
        if self.pace_all or bar_seconds <= self.small_bar_seconds:
            if any(k == key and now - t < self.IDENTICAL_WINDOW for t, k in self._history):
                raise HistoryRequestError(162, PACING_VIOLATION)
            same = [
                t
                for t, k in self._history
                if (k.con_id, k.exchange, k.what_to_show)
                == (key.con_id, key.exchange, key.what_to_show)
                and now - t < self.BURST_WINDOW
            ]
            if len(same) + 1 >= self.BURST_LIMIT:
                raise HistoryRequestError(162, PACING_VIOLATION)
            if len(self._history) >= self.TOTAL_LIMIT:
                raise HistoryRequestError(162, PACING_VIOLATION)
        self._history.append((now, key))
