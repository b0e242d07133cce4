"""Health circuits: open after N failures, block entries not exits, reconnect with backoff on the
clock, close after K healthy probes, and tell an IB nightly reset from a real outage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from trader_cli.config import load_settings
from trader_cli.errors import ConfigError, TemporaryError
from trader_cli.services.health import (
    CircuitState,
    Dependency,
    HealthCircuitManager,
    parse_reset_windows,
)
from trader_cli.venues.ib.capabilities import reset_windows_for

HK = ZoneInfo("Asia/Hong_Kong")
NY = ZoneInfo("America/New_York")
# Wednesday 2024-07-03 12:00 Sydney (02:00 UTC): mid ASX session, far from any IB reset window.
MIDDAY = datetime(2024, 7, 3, 2, 0, tzinfo=UTC)


class InstantClockDouble:
    """Test double for time: ``sleep`` advances ``now`` instantly and records each sleep."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.at

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.at += timedelta(seconds=seconds)

    def advance(self, **kw: float) -> None:
        self.at += timedelta(**kw)


class ScriptedVenueDouble:
    """Test double for a venue adapter: ``maybe_reconnect`` answers from a script."""

    def __init__(self, script: list[bool | Exception]) -> None:
        self.script = list(script)
        self.calls: list[datetime] = []
        self.clock: InstantClockDouble | None = None
        self.is_connected = True

    async def maybe_reconnect(self) -> bool:
        if self.clock is not None:
            self.calls.append(self.clock.now())
        outcome = self.script.pop(0) if self.script else True
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


Change = tuple[str, str, str, str]


def manager(
    clock: InstantClockDouble, venue: ScriptedVenueDouble | None = None, **kw: object
) -> tuple[HealthCircuitManager, list[Change], list[str]]:
    changes: list[Change] = []
    alerts: list[str] = []
    if venue is not None:
        venue.clock = clock
    params: dict[str, Any] = {
        "failure_threshold": 3,
        "recovery_probes": 2,
        "backoff_initial": 2.0,
        "backoff_max": 30.0,
        "reset_windows": reset_windows_for("asia_pacific"),  # IB's, for Australian accounts
        "venue_name": "IB",
        "connectivity_hint": "check TWS/IB Gateway and the network",
        **kw,
    }
    m = HealthCircuitManager(
        clock=clock,
        venue=venue,
        on_change=lambda *c: changes.append(c),
        on_alert=alerts.append,
        **params,
    )
    return m, changes, alerts


def test_circuit_opens_after_n_consecutive_failures_and_blocks_only_entries() -> None:
    clock = InstantClockDouble(MIDDAY)
    m, changes, _ = manager(clock)
    m.record_failure(Dependency.MARKET_DATA, TemporaryError("farm down"))
    m.record_success(Dependency.MARKET_DATA)  # a success resets the count
    for _ in range(2):
        m.record_failure(Dependency.MARKET_DATA, TemporaryError("farm down"))
    assert m.state(Dependency.MARKET_DATA) is CircuitState.CLOSED
    assert m.allows_entries()
    m.record_failure(
        Dependency.MARKET_DATA, TemporaryError("market data farm connection is broken")
    )
    assert m.state(Dependency.MARKET_DATA) is CircuitState.OPEN
    assert not m.allows_entries()
    assert m.allows_exits()
    assert changes == [
        (
            "market_data",
            "closed",
            "open",
            "3 consecutive failures: market data farm connection is broken",
        )
    ]
    st = m.status()["circuits"]["market_data"]
    assert st["state"] == "open"
    assert st["consecutiveFailures"] == 3
    assert st["totalFailures"] == 4
    assert st["lastError"] == "market data farm connection is broken"
    assert st["openedAt"] == MIDDAY.isoformat()


def test_open_circuit_half_opens_after_backoff_and_closes_after_k_healthy_probes() -> None:
    clock = InstantClockDouble(MIDDAY)
    m, changes, _ = manager(clock)
    for _ in range(3):
        m.record_failure("llm", "timeout")
    assert not m.should_try("llm")
    clock.advance(seconds=2)
    assert m.state("llm") is CircuitState.HALF_OPEN
    assert m.should_try("llm")
    assert not m.allows_entries()  # half-open still blocks entries
    m.record_success("llm")
    assert m.state("llm") is CircuitState.HALF_OPEN
    m.record_success("llm")
    assert m.state("llm") is CircuitState.CLOSED
    assert m.allows_entries()
    assert [(c[1], c[2]) for c in changes] == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]


def test_a_failed_probe_reopens_with_a_longer_backoff() -> None:
    clock = InstantClockDouble(MIDDAY)
    m, _, _ = manager(clock)
    for _ in range(3):
        m.record_failure("order_placement", "rejected by gateway")
    first = m.circuits[Dependency.ORDER_PLACEMENT].next_probe_at
    assert first == MIDDAY + timedelta(seconds=2)
    clock.advance(seconds=2)
    assert m.state("order_placement") is CircuitState.HALF_OPEN
    m.record_failure("order_placement", "still failing")
    assert m.state("order_placement") is CircuitState.OPEN
    assert m.circuits[Dependency.ORDER_PLACEMENT].next_probe_at == clock.now() + timedelta(
        seconds=4
    )
    assert m.circuits[Dependency.ORDER_PLACEMENT].opened_at == MIDDAY  # first opening kept


async def test_guard_records_outcomes_and_reraises() -> None:
    clock = InstantClockDouble(MIDDAY)
    m, _, _ = manager(clock)

    async def boom() -> int:
        raise TemporaryError("timeout")

    async def fine() -> int:
        return 7

    for _ in range(3):
        with pytest.raises(TemporaryError):
            await m.guard(Dependency.LLM, boom)
    assert m.state(Dependency.LLM) is CircuitState.OPEN
    clock.advance(seconds=2)
    assert await m.guard(Dependency.LLM, fine) == 7
    assert await m.guard(Dependency.LLM, fine) == 7
    assert m.state(Dependency.LLM) is CircuitState.CLOSED


async def test_venue_down_blocks_exits_and_reconnects_with_backoff_on_the_clock() -> None:
    clock = InstantClockDouble(MIDDAY)
    venue = ScriptedVenueDouble([False, TemporaryError("refused"), False, True, True])
    m, changes, _ = manager(clock, venue)
    for _ in range(3):
        m.record_failure(Dependency.VENUE_CONNECTION, "connection reset by peer")
    assert not m.allows_exits()
    assert not m.allows_entries()
    # not due yet: maybe_reconnect does not touch the venue
    assert await m.maybe_reconnect() is False
    assert venue.calls == []
    assert await m.reconnect() is True
    assert m.state(Dependency.VENUE_CONNECTION) is CircuitState.CLOSED
    assert m.allows_exits()
    assert m.allows_entries()
    # backoff doubles after each failed attempt (2, 4, 8, 16), then half-open probes are spaced
    assert clock.sleeps == [2.0, 4.0, 8.0, 16.0, 2.0]
    assert len(venue.calls) == 5
    assert [(c[1], c[2]) for c in changes] == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]


async def test_reconnect_backoff_is_capped_and_attempts_can_be_limited() -> None:
    clock = InstantClockDouble(MIDDAY)
    venue = ScriptedVenueDouble([False] * 10)
    m, _, _ = manager(clock, venue)
    for _ in range(3):
        m.record_failure(Dependency.VENUE_CONNECTION, "down")
    assert await m.reconnect(max_attempts=6) is False
    assert clock.sleeps == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert m.state(Dependency.VENUE_CONNECTION) is CircuitState.OPEN


async def test_half_open_venue_probe_failure_reopens() -> None:
    clock = InstantClockDouble(MIDDAY)
    venue = ScriptedVenueDouble([True, False])
    m, _, _ = manager(clock, venue)
    for _ in range(3):
        m.record_failure(Dependency.VENUE_CONNECTION, "down")
    await m.reconnect(max_attempts=1)
    assert m.state(Dependency.VENUE_CONNECTION) is CircuitState.HALF_OPEN
    assert m.allows_exits()
    assert not m.allows_entries()
    await m.reconnect(max_attempts=1)
    assert m.state(Dependency.VENUE_CONNECTION) is CircuitState.OPEN


def test_callers_that_reconnect_themselves_follow_the_backoff_with_should_try() -> None:
    clock = InstantClockDouble(MIDDAY)
    m, changes, _ = manager(clock, recovery_probes=1)
    m.record_failure(Dependency.VENUE_CONNECTION, "down")
    m.record_failure(Dependency.VENUE_CONNECTION, "down")
    m.record_failure(Dependency.VENUE_CONNECTION, "down")
    assert not m.should_try(Dependency.VENUE_CONNECTION)
    clock.advance(seconds=2)
    assert m.should_try(Dependency.VENUE_CONNECTION)
    m.record_failure(Dependency.VENUE_CONNECTION, "still down")  # next wait doubles
    clock.advance(seconds=3)
    assert not m.should_try(Dependency.VENUE_CONNECTION)
    clock.advance(seconds=1)
    assert m.should_try(Dependency.VENUE_CONNECTION)
    m.record_success(Dependency.VENUE_CONNECTION)
    assert m.state(Dependency.VENUE_CONNECTION) is CircuitState.CLOSED
    assert [(c[1], c[2]) for c in changes][-1] == ("half_open", "closed")


def _at(local: datetime) -> datetime:
    return local.astimezone(UTC)


async def test_disconnect_inside_asia_pacific_reset_is_expected_then_alerts_when_it_lasts() -> None:
    # 05:00 HKT on a Wednesday: inside IB's first APAC daily reset (04:45-06:45 HKT incl. old)
    clock = InstantClockDouble(_at(datetime(2024, 7, 3, 5, 0, tzinfo=HK)))
    venue = ScriptedVenueDouble([False] * 100)
    m, _, alerts = manager(clock, venue, reset_grace=timedelta(minutes=15))
    for _ in range(3):
        m.record_failure(Dependency.VENUE_CONNECTION, "Connectivity between IB and TWS lost")
    report = m.disconnect_report()
    assert report is not None
    assert report.expected
    assert not report.alert
    assert "expected (IB first daily reset" in report.message
    clock.advance(minutes=100)  # 06:40 HKT: still inside the window
    assert m.status()["alert"] is False
    clock.advance(minutes=19)  # 06:59 HKT: inside the 15-minute grace
    assert not m.alert
    clock.advance(minutes=2)  # 07:01 HKT: beyond window + grace
    assert m.alert
    status = m.status()
    assert status["alert"] is True
    assert "ALERT" in status["venueDisconnect"]["message"]
    assert "beyond IB first daily reset" in status["venueDisconnect"]["message"]
    m.status()
    assert len(alerts) == 1  # told once per disconnect
    # the link comes back: the alert clears
    venue.script = [True, True]
    await m.reconnect()
    assert m.disconnect_report() is None
    assert not m.alert


def test_disconnect_outside_any_window_alerts_after_the_delay() -> None:
    clock = InstantClockDouble(MIDDAY)
    m, _, alerts = manager(clock, disconnect_alert_after=timedelta(minutes=5))
    m.record_failure(Dependency.VENUE_CONNECTION, "socket closed")
    report = m.disconnect_report()
    assert report is not None
    assert (report.expected, report.alert) == (False, False)
    clock.advance(minutes=5)
    assert m.alert
    assert "outside IB's reset windows" in alerts[0]
    assert "check TWS/IB Gateway" in alerts[0]


def test_a_venue_without_reset_windows_is_not_told_of_them() -> None:
    """Gemini has no daily reset: its alert names neither IB's windows nor IB's Gateway."""
    from trader_cli.config import load_settings
    from trader_cli.venues.gemini.capabilities import gemini_capabilities

    caps = gemini_capabilities(load_settings(None))
    clock = InstantClockDouble(MIDDAY)
    m, _, alerts = manager(
        clock, disconnect_alert_after=timedelta(minutes=5), reset_windows=(),
        venue_name=caps.name, connectivity_hint=caps.connectivity_hint,
    )  # fmt: skip
    m.record_failure(Dependency.VENUE_CONNECTION, "HTTP 503")
    clock.advance(minutes=5)
    assert m.alert
    assert alerts, "no alert after the delay"
    assert "IB" not in alerts[0] and "TWS" not in alerts[0]
    assert "status.gemini.com" in alerts[0]


def test_north_america_window_covers_old_and_new_published_schedules() -> None:
    clock = InstantClockDouble(_at(datetime(2024, 7, 2, 23, 50, tzinfo=NY)))
    m, _, _ = manager(clock, reset_windows=reset_windows_for("north_america"))
    m.record_failure(Dependency.VENUE_CONNECTION, "down")
    clock.advance(minutes=90)  # 01:20 ET: inside the current 00:15-01:45 schedule
    report = m.disconnect_report()
    assert report is not None
    assert report.expected


def test_weekend_maintenance_is_expected_in_every_region() -> None:
    # Friday 23:30 ET
    clock = InstantClockDouble(_at(datetime(2024, 7, 5, 23, 30, tzinfo=NY)))
    m, _, _ = manager(clock, reset_windows=reset_windows_for("europe"))
    m.record_failure(Dependency.VENUE_CONNECTION, "down")
    clock.advance(hours=3)  # Saturday 02:30 ET
    report = m.disconnect_report()
    assert report is not None
    assert report.expected
    assert "weekend maintenance" in report.message


def test_reset_windows_parse_and_reject_bad_text() -> None:
    (w,) = parse_reset_windows("23:45-00:45@America/New_York")
    assert w.describe() == "23:45-00:45 America/New_York"
    assert w.duration == timedelta(hours=1)
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        parse_reset_windows("midnight")
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_reset_windows("01:00-02:00@Mars/Olympus")


def test_settings_configure_the_manager(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTH_FAILURE_THRESHOLD", "5")
    monkeypatch.setenv("HEALTH_RESET_WINDOWS", "01:00-02:00@Australia/Sydney")
    settings = load_settings()
    m = HealthCircuitManager.from_settings(settings, clock=InstantClockDouble(MIDDAY))
    assert m.failure_threshold == 5
    assert [w.describe() for w in m.reset_windows] == ["01:00-02:00 Australia/Sydney"]
    monkeypatch.setenv("HEALTH_RESET_WINDOWS", "soon")
    with pytest.raises(ConfigError, match="HEALTH_RESET_WINDOWS"):
        load_settings()


def test_status_lists_every_dependency() -> None:
    m, _, _ = manager(InstantClockDouble(MIDDAY))
    status = m.status()
    assert set(status["circuits"]) == {"venue_connection", "market_data", "order_placement", "llm"}
    assert status["allowsEntries"] is True
    assert status["allowsExits"] is True
    assert status["venueDisconnect"] is None
    assert status["resetWindows"][0] == "04:45-06:45 Asia/Hong_Kong"


def test_errors_recorded_have_account_ids_masked() -> None:
    m, _, _ = manager(InstantClockDouble(MIDDAY))
    m.record_failure(Dependency.ORDER_PLACEMENT, "order rejected for account U7654321")
    last = m.status()["circuits"]["order_placement"]["lastError"]
    assert "U7654321" not in last


def test_every_change_and_every_publish_hands_the_whole_status_to_on_status() -> None:
    clock = InstantClockDouble(MIDDAY)
    written: list[tuple[dict[str, Any], datetime]] = []
    m = HealthCircuitManager(
        clock=clock, failure_threshold=2, recovery_probes=1, backoff_initial=10,
        on_status=lambda status, at: written.append((status, at)),
    )
    m.record_failure(Dependency.MARKET_DATA, "no quote")
    assert written == []  # nothing changed yet
    clock.advance(seconds=1)
    m.record_failure(Dependency.MARKET_DATA, "no quote")
    (status, at), = written
    assert at == MIDDAY + timedelta(seconds=1)
    assert status["circuits"]["market_data"]["state"] == "open"
    assert status["allowsEntries"] is False
    assert status == m.status()
    clock.advance(seconds=11)  # backoff over: reading the status turns it half-open (a change)
    published = m.publish()
    assert published["circuits"]["market_data"]["state"] == "half_open"
    assert [s["circuits"]["market_data"]["state"] for s, _ in written] == [
        "open", "half_open", "half_open"]
    m.record_success(Dependency.MARKET_DATA)
    assert written[-1][0]["circuits"]["market_data"]["state"] == "closed"


def test_a_failing_status_sink_does_not_stop_the_manager() -> None:
    def broken(status: dict[str, Any], at: datetime) -> None:
        raise OSError("database is locked")

    m = HealthCircuitManager(clock=InstantClockDouble(MIDDAY), failure_threshold=1,
                             on_status=broken)
    m.record_failure(Dependency.LLM, "timeout")
    assert m.state(Dependency.LLM) is CircuitState.OPEN
    assert m.publish()["circuits"]["llm"]["state"] == "open"
