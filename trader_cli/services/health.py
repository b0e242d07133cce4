"""Health circuits per dependency: stop new entries on repeated failures, reconnect, alert.

Each dependency (:class:`Dependency`) has a circuit. ``HEALTH_FAILURE_THRESHOLD`` consecutive
failures open it: no new entries while any circuit is open or half-open, but exits still go out
unless the venue connection itself is down. An open circuit is probed again after a backoff
(doubling from ``HEALTH_BACKOFF_INITIAL`` to ``HEALTH_BACKOFF_MAX`` on the injected clock) and
closes after ``HEALTH_RECOVERY_PROBES`` healthy probes in a row. For the venue connection the
manager itself probes, by calling the adapter's ``maybe_reconnect()``.

IB restarts its servers every day, and the API link to TWS/Gateway drops while it does. IBKR's
System Status page ("System Availability", e.g.
https://www.interactivebrokers.co.uk/pt/software/systemStatus.php, and the English page at
https://www.interactivebrokers.com/en/software/systemStatus.php) publishes a daily reset
schedule (Sunday-Friday) per data centre region:

* North America: 00:15-01:45 ET (the schedule published until 2024 said 23:45-00:45 ET),
* Europe: 06:25-07:45 CET (earlier 05:45-06:45 CET),
* Asia-Pacific (Hong Kong servers, where Australian accounts are usually served from): a first
  reset 04:45-06:05 HKT (earlier 16:45-17:45 ET) and a second reset 20:15-21:15 HKT,
* and for every region a weekend maintenance from Friday 23:00 ET to Saturday 03:00 ET.

The defaults below cover both the current and the earlier schedule of each region. A
disconnect that begins (or is still going) inside one of these windows is reported as
"expected (IB nightly reset)"; one that lasts past the window's end plus
``HEALTH_RESET_GRACE_MINUTES``, or one outside any window that lasts
``HEALTH_DISCONNECT_ALERT_MINUTES``, raises the alert flag. ``HEALTH_IB_SERVER_REGION`` picks
the region; ``HEALTH_RESET_WINDOWS`` replaces the windows entirely.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from trader_cli.clock import Clock
from trader_cli.redaction import redact_account

log = logging.getLogger(__name__)

T = TypeVar("T")


class Dependency(StrEnum):
    """Things the trading loop depends on, each with its own circuit."""

    VENUE_CONNECTION = "venue_connection"
    MARKET_DATA = "market_data"
    ORDER_PLACEMENT = "order_placement"
    LLM = "llm"


class CircuitState(StrEnum):
    """Closed: healthy. Open: failing, no new entries. Half-open: probing after a backoff."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Reconnectable(Protocol):
    """What the manager needs from a venue adapter (``BaseTrader.maybe_reconnect``)."""

    async def maybe_reconnect(self) -> bool:
        """Reconnect if the link is down; True when connected afterwards."""
        ...


class HealthConfig(Protocol):
    """The ``HEALTH_*`` settings the manager reads (``config.HealthSettings``).

    A protocol, so this module needs nothing of :mod:`trader_cli.config` (which imports
    :func:`parse_reset_windows` from here to validate ``HEALTH_RESET_WINDOWS``).
    """

    @property
    def failure_threshold(self) -> int: ...
    @property
    def recovery_probes(self) -> int: ...
    @property
    def backoff_initial(self) -> float: ...
    @property
    def backoff_max(self) -> float: ...
    @property
    def ib_server_region(self) -> str: ...
    @property
    def reset_windows(self) -> str | None: ...
    @property
    def reset_grace_minutes(self) -> float: ...
    @property
    def disconnect_alert_minutes(self) -> float: ...


class HasHealthConfig(Protocol):
    """Settings with a ``health`` section (``config.Settings``)."""

    @property
    def health(self) -> HealthConfig: ...


# -- IB reset windows ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ResetWindow:
    """A daily window (local ``start``-``end`` in ``tz``; may cross midnight) of IB restarts.

    ``weekdays`` limits the local weekday the window *starts* on (Monday = 0); None = every day.
    """

    start: time
    end: time
    tz: str
    label: str = "IB nightly reset"
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


_NY = "America/New_York"
WEEKEND_MAINTENANCE = ResetWindow(
    time(23, 0), time(3, 0), _NY, "IB weekend maintenance", frozenset({4})
)
RESET_WINDOWS: dict[str, tuple[ResetWindow, ...]] = {
    "north_america": (ResetWindow(time(23, 45), time(1, 45), _NY),),
    "europe": (ResetWindow(time(5, 45), time(7, 45), "Europe/Zurich"),),
    "asia_pacific": (
        ResetWindow(time(4, 45), time(6, 45), "Asia/Hong_Kong", "IB first daily reset"),
        ResetWindow(time(20, 15), time(21, 15), "Asia/Hong_Kong", "IB second daily reset"),
    ),
}
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*@\s*([A-Za-z_+\-/0-9]+)\s*$")


def parse_reset_windows(text: str) -> tuple[ResetWindow, ...]:
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
        windows.append(ResetWindow(start, end, tz, "configured reset window"))
    if not windows:
        raise ValueError("names no window; e.g. 23:45-01:45@America/New_York")
    return tuple(windows)


def reset_windows_for(region: str, override: str | None = None) -> tuple[ResetWindow, ...]:
    """The windows of ``region`` (plus weekend maintenance), or ``override`` parsed."""
    if override:
        return parse_reset_windows(override)
    return (*RESET_WINDOWS[region], WEEKEND_MAINTENANCE)


@dataclass(frozen=True, slots=True)
class DisconnectReport:
    """How a venue disconnect looks right now: expected (reset window), pending, or an alert."""

    since: datetime
    expected: bool
    alert: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields."""
        return {
            "since": self.since.isoformat(),
            "expected": self.expected,
            "alert": self.alert,
            "message": self.message,
        }


# -- circuits ------------------------------------------------------------------------------
@dataclass
class Circuit:
    """The state of one dependency's circuit."""

    dependency: Dependency
    state: CircuitState = CircuitState.CLOSED
    consecutive_failures: int = 0
    total_failures: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    opened_at: datetime | None = None
    healthy_probes: int = 0
    failed_probes: int = 0
    next_probe_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields for the status view."""

        def iso(ts: datetime | None) -> str | None:
            return None if ts is None else ts.isoformat()

        return {
            "state": self.state.value,
            "consecutiveFailures": self.consecutive_failures,
            "totalFailures": self.total_failures,
            "lastError": self.last_error,
            "lastErrorAt": iso(self.last_error_at),
            "openedAt": iso(self.opened_at),
            "healthyProbes": self.healthy_probes,
            "nextProbeAt": iso(self.next_probe_at),
        }


ChangeCallback = Callable[[str, str, str, str], None]
AlertCallback = Callable[[str], None]
# called with the status() payload and the clock's time, each cycle and on every change
StatusCallback = Callable[[dict[str, Any], datetime], None]
_ACCOUNT_IN_TEXT = re.compile(r"\b(?:DU|DF|U|F|I)\d{5,10}\b")


def _error_text(error: BaseException | str) -> str:
    text = error if isinstance(error, str) else (str(error) or type(error).__name__)
    text = text.splitlines()[0] if text else text
    return _ACCOUNT_IN_TEXT.sub(lambda m: redact_account(m.group(0)), text)[:300]


class HealthCircuitManager:
    """Counts failures per dependency, opens/probes/closes circuits, reconnects the venue.

    Wire it into the loop like this::

        health = HealthCircuitManager.from_settings(settings, clock=venue.clock, venue=venue,
                                                    on_change=telemetry.circuit)
        quote = await health.guard(Dependency.MARKET_DATA, lambda: venue.get_market_data(s))
        if not health.allows_exits():
            await health.reconnect(max_attempts=1)   # backoff sleeps on the clock
        if health.allows_entries(): ...              # otherwise only exits

    Every state change goes to ``on_change(dependency, old, new, reason)``; an alert (a venue
    disconnect outlasting IB's reset window) goes to ``on_alert(message)`` once per disconnect.
    ``on_status(payload, at)`` receives the whole :meth:`status` after every change and on each
    :meth:`publish` (the bot persists it there, so another process can read the circuits).
    """

    def __init__(
        self,
        *,
        clock: Clock,
        venue: Reconnectable | None = None,
        failure_threshold: int = 3,
        recovery_probes: int = 2,
        backoff_initial: float = 2.0,
        backoff_max: float = 120.0,
        reset_windows: tuple[ResetWindow, ...] = reset_windows_for("asia_pacific"),
        reset_grace: timedelta = timedelta(minutes=15),
        disconnect_alert_after: timedelta = timedelta(minutes=5),
        on_change: ChangeCallback | None = None,
        on_alert: AlertCallback | None = None,
        on_status: StatusCallback | None = None,
    ) -> None:
        if failure_threshold < 1 or recovery_probes < 1:
            raise ValueError("failure_threshold and recovery_probes must be at least 1")
        self.clock = clock
        self.venue = venue
        self.failure_threshold = failure_threshold
        self.recovery_probes = recovery_probes
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.reset_windows = reset_windows
        self.reset_grace = reset_grace
        self.disconnect_alert_after = disconnect_alert_after
        self.on_change = on_change
        self.on_alert = on_alert
        self.on_status = on_status
        self._publishing = False
        self.circuits = {dep: Circuit(dep) for dep in Dependency}
        self.disconnected_since: datetime | None = None
        self._alerted = False
        self.reconnect_attempts = 0

    @classmethod
    def from_settings(
        cls,
        settings: HasHealthConfig,
        *,
        clock: Clock,
        venue: Reconnectable | None = None,
        on_change: ChangeCallback | None = None,
        on_alert: AlertCallback | None = None,
        on_status: StatusCallback | None = None,
    ) -> HealthCircuitManager:
        """A manager configured from ``HEALTH_*`` settings."""
        h = settings.health
        return cls(
            clock=clock,
            venue=venue,
            failure_threshold=h.failure_threshold,
            recovery_probes=h.recovery_probes,
            backoff_initial=h.backoff_initial,
            backoff_max=h.backoff_max,
            reset_windows=reset_windows_for(h.ib_server_region, h.reset_windows),
            reset_grace=timedelta(minutes=h.reset_grace_minutes),
            disconnect_alert_after=timedelta(minutes=h.disconnect_alert_minutes),
            on_change=on_change,
            on_alert=on_alert,
            on_status=on_status,
        )

    # -- recording ------------------------------------------------------------------------
    def record_failure(self, dependency: Dependency | str, error: BaseException | str) -> None:
        """One failure of ``dependency``; opens its circuit at the threshold (or in half-open)."""
        c = self.circuits[Dependency(dependency)]
        now = self.clock.now()
        c.consecutive_failures += 1
        c.total_failures += 1
        c.last_error = _error_text(error)
        c.last_error_at = now
        if c.dependency is Dependency.VENUE_CONNECTION and self.disconnected_since is None:
            self.disconnected_since = now
        if c.state is CircuitState.HALF_OPEN:
            c.failed_probes += 1
            self._open(c, f"probe failed: {c.last_error}")
        elif c.state is CircuitState.OPEN:
            c.failed_probes += 1
            c.next_probe_at = now + timedelta(seconds=self._backoff(c))
        elif c.consecutive_failures >= self.failure_threshold:
            c.failed_probes = 0
            self._open(c, f"{c.consecutive_failures} consecutive failures: {c.last_error}")

    def record_success(self, dependency: Dependency | str) -> None:
        """One healthy call or probe; closes a half-open circuit after enough of them."""
        c = self.circuits[Dependency(dependency)]
        c.consecutive_failures = 0
        if c.dependency is Dependency.VENUE_CONNECTION:
            self.disconnected_since = None
            self._alerted = False
        if c.state is CircuitState.CLOSED:
            return
        if c.state is CircuitState.OPEN:
            self._change(c, CircuitState.HALF_OPEN, "healthy probe after backoff")
            c.healthy_probes = 0
        c.healthy_probes += 1
        c.next_probe_at = self.clock.now() + timedelta(seconds=self.backoff_initial)
        if c.healthy_probes >= self.recovery_probes:
            c.opened_at = None
            c.failed_probes = 0
            c.next_probe_at = None
            self._change(c, CircuitState.CLOSED, f"{c.healthy_probes} healthy probes")
            c.healthy_probes = 0

    async def guard(self, dependency: Dependency | str, call: Callable[[], Awaitable[T]]) -> T:
        """Await ``call()`` and record its outcome against ``dependency``; re-raises failures."""
        try:
            result = await call()
        except Exception as e:
            self.record_failure(dependency, e)
            raise
        self.record_success(dependency)
        return result

    # -- questions the loop asks ---------------------------------------------------------
    def state(self, dependency: Dependency | str) -> CircuitState:
        """State of ``dependency``; an open circuit whose backoff ran out reads half-open."""
        c = self.circuits[Dependency(dependency)]
        self._maybe_half_open(c)
        return c.state

    def allows_entries(self) -> bool:
        """New positions only when every circuit is closed."""
        return all(self.state(dep) is CircuitState.CLOSED for dep in Dependency)

    def allows_exits(self) -> bool:
        """Exits always, unless the venue itself is down (its connection circuit is open)."""
        if self.circuits[Dependency.VENUE_CONNECTION].state is CircuitState.OPEN:
            return False
        connected = getattr(self.venue, "is_connected", True)
        return connected if isinstance(connected, bool) else True

    def should_try(self, dependency: Dependency | str) -> bool:
        """Whether to call ``dependency`` now: closed, half-open, or open with its backoff over.

        For the venue connection this is how a caller that reconnects by itself (instead of
        :meth:`maybe_reconnect`) follows the backoff; it records the outcome as usual.
        """
        c = self.circuits[Dependency(dependency)]
        if self.state(dependency) is not CircuitState.OPEN:
            return True
        return c.next_probe_at is None or self.clock.now() >= c.next_probe_at

    # -- venue reconnects ----------------------------------------------------------------
    async def maybe_reconnect(self) -> bool:
        """One reconnect attempt if the venue circuit is open and due (or half-open: a probe).

        Returns whether the venue is up afterwards (circuit not open). Never raises.
        """
        c = self.circuits[Dependency.VENUE_CONNECTION]
        if c.state is CircuitState.CLOSED or self.venue is None:
            return c.state is not CircuitState.OPEN
        now = self.clock.now()
        if c.next_probe_at is not None and now < c.next_probe_at:
            self.check_disconnect()
            return c.state is not CircuitState.OPEN
        self.reconnect_attempts += 1
        try:
            ok = await self.venue.maybe_reconnect()
        except Exception as e:
            ok = False
            error: BaseException | str = e
        else:
            error = "maybe_reconnect() returned False (venue still down)"
        if ok:
            self.record_success(Dependency.VENUE_CONNECTION)
        else:
            self.record_failure(Dependency.VENUE_CONNECTION, error)
            self.check_disconnect()
        return c.state is not CircuitState.OPEN

    async def reconnect(self, *, max_attempts: int | None = None) -> bool:
        """Call the venue's ``maybe_reconnect()`` with backoff until the circuit closes.

        Sleeps between attempts on the injected clock. Stops after ``max_attempts`` attempts
        (None: until closed). Returns whether the venue is up (circuit not open).
        """
        c = self.circuits[Dependency.VENUE_CONNECTION]
        attempts = 0
        while c.state is not CircuitState.CLOSED and self.venue is not None:
            if max_attempts is not None and attempts >= max_attempts:
                break
            now = self.clock.now()
            if c.next_probe_at is not None and now < c.next_probe_at:
                await self.clock.sleep((c.next_probe_at - now).total_seconds())
            await self.maybe_reconnect()
            attempts += 1
        return c.state is not CircuitState.OPEN

    # -- disconnect alert ----------------------------------------------------------------
    def disconnect_report(self) -> DisconnectReport | None:
        """Whether the current venue disconnect is expected (IB reset window) or an alert."""
        since = self.disconnected_since
        if since is None:
            return None
        now = self.clock.now()
        lasted = now - since
        window = self._window(since) or self._window(now)
        if window is not None:
            label, begin, end = window
            if now <= end + self.reset_grace:
                return DisconnectReport(
                    since,
                    True,
                    False,
                    f"venue disconnected for {_minutes(lasted)}: expected ({label} "
                    f"{begin:%H:%M}-{end:%H:%M} {begin.tzinfo}, grace until "
                    f"{(end + self.reset_grace):%H:%M})",
                )
            return DisconnectReport(
                since,
                False,
                True,
                f"ALERT: venue disconnected for {_minutes(lasted)}, beyond {label} "
                f"{begin:%H:%M}-{end:%H:%M} {begin.tzinfo} (+{_minutes(self.reset_grace)} "
                "grace); check TWS/IB Gateway and the network",
            )
        if lasted >= self.disconnect_alert_after:
            return DisconnectReport(
                since,
                False,
                True,
                f"ALERT: venue disconnected for {_minutes(lasted)} outside IB's reset windows; "
                "check TWS/IB Gateway and the network",
            )
        return DisconnectReport(
            since, False, False, f"venue disconnected for {_minutes(lasted)}; reconnecting"
        )

    def check_disconnect(self) -> DisconnectReport | None:
        """:meth:`disconnect_report`, telling ``on_alert`` (once per disconnect) on an alert."""
        report = self.disconnect_report()
        if report is not None and report.alert and not self._alerted:
            self._alerted = True
            log.warning("%s", report.message)
            if self.on_alert is not None:
                try:
                    self.on_alert(report.message)
                except Exception:
                    log.exception("alert callback failed")
        return report

    @property
    def alert(self) -> bool:
        """True while a venue disconnect outlasts IB's reset window (or the alert delay)."""
        report = self.check_disconnect()
        return bool(report and report.alert)

    def status(self) -> dict[str, Any]:
        """Per dependency state, failure counts, last error, opened_at; plus disconnect alert."""
        for c in self.circuits.values():
            self._maybe_half_open(c)
        report = self.check_disconnect()
        return {
            "allowsEntries": self.allows_entries(),
            "allowsExits": self.allows_exits(),
            "circuits": {dep.value: c.to_dict() for dep, c in self.circuits.items()},
            "venueDisconnect": None if report is None else report.to_dict(),
            "alert": bool(report and report.alert),
            "resetWindows": [w.describe() for w in self.reset_windows],
        }

    def publish(self) -> dict[str, Any]:
        """:meth:`status`, also handed to ``on_status`` (once a cycle; failures are logged)."""
        payload = self.status()
        self._publish(payload)
        return payload

    def _publish(self, payload: dict[str, Any] | None = None) -> None:
        if self.on_status is None or self._publishing:
            return
        self._publishing = True  # status() may itself change a circuit: publish once
        try:
            self.on_status(payload if payload is not None else self.status(), self.clock.now())
        except Exception:
            log.exception("circuit status callback failed")
        finally:
            self._publishing = False

    # -- internals ------------------------------------------------------------------------
    def _window(self, at: datetime) -> tuple[str, datetime, datetime] | None:
        for w in self.reset_windows:
            span = w.occurrence(at)
            if span is not None:
                return w.label, span[0], span[1]
        return None

    def _backoff(self, c: Circuit) -> float:
        return float(min(self.backoff_max, self.backoff_initial * 2 ** max(0, c.failed_probes)))

    def _open(self, c: Circuit, reason: str) -> None:
        now = self.clock.now()
        if c.state is CircuitState.CLOSED:
            c.opened_at = now
        c.healthy_probes = 0
        c.next_probe_at = now + timedelta(seconds=self._backoff(c))
        self._change(c, CircuitState.OPEN, reason)

    def _maybe_half_open(self, c: Circuit) -> None:
        # the venue circuit is probed by maybe_reconnect(); other circuits by the next real call
        if (
            c.state is CircuitState.OPEN
            and c.dependency is not Dependency.VENUE_CONNECTION
            and c.next_probe_at is not None
            and self.clock.now() >= c.next_probe_at
        ):
            c.healthy_probes = 0
            self._change(c, CircuitState.HALF_OPEN, "backoff elapsed; probing")

    def _change(self, c: Circuit, new: CircuitState, reason: str) -> None:
        old = c.state
        if old is new:
            return
        c.state = new
        log.log(
            logging.WARNING if new is CircuitState.OPEN else logging.INFO,
            "circuit %s: %s -> %s (%s)",
            c.dependency.value,
            old.value,
            new.value,
            reason,
        )
        if self.on_change is not None:
            try:
                self.on_change(c.dependency.value, old.value, new.value, reason)
            except Exception:
                log.exception("circuit change callback failed")
        self._publish()


def _minutes(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    return f"{seconds // 60} min"
