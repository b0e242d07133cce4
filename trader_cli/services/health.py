"""Health circuits per dependency: stop new entries on repeated failures, reconnect, alert.

Each dependency (:class:`Dependency`) has a circuit. ``HEALTH_FAILURE_THRESHOLD`` consecutive
failures open it: no new entries while any circuit is open or half-open, but exits still go out
unless the venue connection itself is down. An open circuit is probed again after a backoff
(doubling from ``HEALTH_BACKOFF_INITIAL`` to ``HEALTH_BACKOFF_MAX`` on the injected clock) and
closes after ``HEALTH_RECOVERY_PROBES`` healthy probes in a row. For the venue connection the
manager itself probes, by calling the adapter's ``maybe_reconnect()``.

A venue that restarts on a schedule declares it (``VenueCapabilities.maintenance_windows``; IB's
daily resets are described in :mod:`trader_cli.venues.ib.capabilities`). A disconnect that begins
(or is still going) inside one of these windows is reported as expected; one that lasts past the
window's end plus ``HEALTH_RESET_GRACE_MINUTES``, or one outside any window that lasts
``HEALTH_DISCONNECT_ALERT_MINUTES``, raises the alert flag. ``HEALTH_RESET_WINDOWS`` replaces the
venue's windows entirely.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from trader_cli.clock import Clock
from trader_cli.domain.windows import MaintenanceWindow, parse_windows
from trader_cli.redaction import redact_account

log = logging.getLogger(__name__)


class HealthConfig(Protocol):
    """The ``HEALTH_*`` settings the manager reads (``config.HealthSettings``): a protocol, so
    this module needs nothing of :mod:`trader_cli.config`."""

    @property
    def failure_threshold(self) -> int: ...
    @property
    def recovery_probes(self) -> int: ...
    @property
    def backoff_initial(self) -> float: ...
    @property
    def backoff_max(self) -> float: ...
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
    """What the manager needs from a venue adapter (``BaseTrader``'s link methods)."""

    @property
    def is_connected(self) -> bool:
        """Whether the link to the venue is up."""
        ...

    async def maybe_reconnect(self) -> bool:
        """Reconnect if the link is down; True when connected afterwards."""
        ...


# A venue's maintenance windows (IB's are in trader_cli.venues.ib.capabilities) come to the
# manager as the venue's declared capabilities; HEALTH_RESET_WINDOWS replaces them.
ResetWindow = MaintenanceWindow
parse_reset_windows = parse_windows


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
        reset_windows: tuple[ResetWindow, ...] = (),
        reset_grace: timedelta = timedelta(minutes=15),
        disconnect_alert_after: timedelta = timedelta(minutes=5),
        on_change: ChangeCallback | None = None,
        on_alert: AlertCallback | None = None,
        on_status: StatusCallback | None = None,
        venue_name: str = "the venue",
        connectivity_hint: str = "check the venue and the network",
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
        self.venue_name = venue_name
        self.connectivity_hint = connectivity_hint
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
        maintenance_windows: tuple[ResetWindow, ...] = (),
        on_change: ChangeCallback | None = None,
        on_alert: AlertCallback | None = None,
        on_status: StatusCallback | None = None,
        venue_name: str = "the venue",
        connectivity_hint: str = "check the venue and the network",
    ) -> HealthCircuitManager:
        """A manager configured from ``HEALTH_*`` settings.

        ``maintenance_windows`` are the venue's (its declared capabilities);
        ``HEALTH_RESET_WINDOWS`` replaces them.
        """
        h = settings.health
        return cls(
            clock=clock,
            venue=venue,
            failure_threshold=h.failure_threshold,
            recovery_probes=h.recovery_probes,
            backoff_initial=h.backoff_initial,
            backoff_max=h.backoff_max,
            reset_windows=(
                parse_reset_windows(h.reset_windows) if h.reset_windows else maintenance_windows
            ),
            reset_grace=timedelta(minutes=h.reset_grace_minutes),
            disconnect_alert_after=timedelta(minutes=h.disconnect_alert_minutes),
            on_change=on_change,
            on_alert=on_alert,
            on_status=on_status,
            venue_name=venue_name,
            connectivity_hint=connectivity_hint,
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
        return self.venue is None or self.venue.is_connected

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
                f"grace); {self._check_hint()}",
            )
        if lasted >= self.disconnect_alert_after:
            return DisconnectReport(
                since,
                False,
                True,
                f"ALERT: venue disconnected for {_minutes(lasted)}{self._outside_windows()}; "
                f"{self._check_hint()}",
            )
        return DisconnectReport(
            since, False, False, f"venue disconnected for {_minutes(lasted)}; reconnecting"
        )

    def _check_hint(self) -> str:
        return self.connectivity_hint

    def _outside_windows(self) -> str:
        """`` outside IB's reset windows`` where there are any (Gemini has none)."""
        return f" outside {self.venue_name}'s reset windows" if self.reset_windows else ""

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
