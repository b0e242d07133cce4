"""The events that reach a person, as alerts: a de-duplication key, a title and a text."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class AlertLevel(StrEnum):
    """How an alert is marked at the receiving service (apprise's notification types)."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    FAILURE = "failure"


@dataclass(frozen=True, slots=True)
class Alert:
    """One thing a person should know. Alerts with the same ``key`` inside the de-duplication
    window are sent once (``NOTIFY_DEDUP_MINUTES``)."""

    key: str
    title: str
    body: str
    level: AlertLevel = AlertLevel.WARNING


class AlertSink(Protocol):
    """What the hooks need of a notifier."""

    def notify(self, alert: Alert) -> bool:
        """Queue ``alert`` (False when suppressed or not configured); never raises."""
        ...


# -- the events ----------------------------------------------------------------------------
def venue_down(message: str) -> Alert:
    """The health manager's disconnect alert: the venue is down past its reset window."""
    return Alert("venue_down", "venue down", message, AlertLevel.FAILURE)


CIRCUIT_STATES = {"open", "closed"}


def circuit(dependency: str, old: str, new: str, reason: str) -> Alert | None:
    """A health circuit opening (no new entries) or closing again; None for half-open."""
    if new not in CIRCUIT_STATES:
        return None
    if new == "open":
        return Alert(
            f"circuit:{dependency}:open",
            f"circuit {dependency} opened: no new entries",
            f"{dependency} failed ({reason}); the bot sends no new entries until it recovers, "
            "exits still go out while the venue is connected",
            AlertLevel.WARNING,
        )
    return Alert(
        f"circuit:{dependency}:closed",
        f"circuit {dependency} closed: entries resume",
        f"{dependency} recovered ({reason}, was {old})",
        AlertLevel.SUCCESS,
    )


def kill_switch(message: str, symbol: str) -> Alert:
    """The kill switch refused an order that adds risk."""
    return Alert(
        "kill_switch",
        "kill switch engaged: orders refused",
        f"{message} (refused: an entry in {symbol}). Release it with KILL_SWITCH=false and by "
        "removing the KILL_SWITCH file in the app dir.",
        AlertLevel.WARNING,
    )


FINAL_STATUSES = {"rejected", "expired"}


def order_final(
    client_order_id: str, symbol: str, side: str, amount: Any, status: str, why: str | None
) -> Alert | None:
    """One of our orders was rejected or expired (None for any other status)."""
    if status not in FINAL_STATUSES:
        return None
    reason = f": {why}" if why else ""
    return Alert(
        f"order:{client_order_id}:{status}",
        f"order {status}: {side} {amount} {symbol}",
        f"order {client_order_id} ({side} {amount} {symbol}) was {status}{reason}",
        AlertLevel.FAILURE if status == "rejected" else AlertLevel.WARNING,
    )


class Unexplained(Protocol):
    """A position difference of a resync (``services.resync.PositionDiff``)."""

    @property
    def symbol(self) -> str: ...
    @property
    def venue(self) -> Any: ...
    @property
    def expected(self) -> Any: ...


def resync_unexplained(venue: str, diffs: Iterable[Unexplained]) -> Alert | None:
    """A resync found positions no recorded fill explains (None when there are none)."""
    found = sorted(diffs, key=lambda d: d.symbol)
    if not found:
        return None
    lines = [f"{d.symbol}: venue holds {d.venue}, expected {d.expected or 0}" for d in found]
    return Alert(
        "resync:unexplained:" + "|".join(f"{d.symbol}={d.venue}/{d.expected}" for d in found),
        f"resync: {len(found)} unexplained position(s)",
        f"{venue}: " + "; ".join(lines) + ". Check for trades outside the bot, transfers or "
        "corporate actions; accept them with trader resync --accept-positions.",
        AlertLevel.WARNING,
    )


def bot_stopped(reason: str, cycles: int | None, error: BaseException | None = None) -> Alert:
    """``trader run`` ended: normally, on a signal, or by a crash (``error``); ``cycles`` None
    with an ``error``: it never got going (the venue unreachable, the scope locked)."""
    done = "" if cycles is None else f" after {cycles} cycle(s)"
    if error is not None:
        text = (str(error) or type(error).__name__).splitlines()[0][:300]
        if cycles is None:
            return Alert(
                "bot:not_started",
                "bot could not start",
                f"trader run could not start: {type(error).__name__}: {text}",
                AlertLevel.FAILURE,
            )
        return Alert(
            "bot:crashed",
            "bot crashed",
            f"trader run stopped{done}: {type(error).__name__}: {text}",
            AlertLevel.FAILURE,
        )
    return Alert(
        f"bot:stopped:{reason}", f"bot stopped ({reason})", f"trader run stopped{done}: {reason}",
        AlertLevel.INFO,
    )


def trial_alert(label: str) -> Alert:
    """What ``trader notify --test`` sends."""
    return Alert(
        "test",
        "test alert",
        f"this is a test alert from trader ({label}): alerts reach you here",
        AlertLevel.INFO,
    )


# -- hooks for the health manager -----------------------------------------------------------
ChangeCallback = Callable[[str, str, str, str], None]


def circuit_hook(sink: AlertSink, then: ChangeCallback | None = None) -> ChangeCallback:
    """An ``on_change`` for the health manager: ``then`` (telemetry) and an alert."""

    def on_change(dependency: str, old: str, new: str, reason: str) -> None:
        if then is not None:
            then(dependency, old, new, reason)
        alert = circuit(dependency, old, new, reason)
        if alert is not None:
            sink.notify(alert)

    return on_change


def disconnect_hook(
    sink: AlertSink, then: Callable[[str], None] | None = None
) -> Callable[[str], None]:
    """An ``on_alert`` for the health manager: ``then`` (telemetry) and a venue-down alert."""

    def on_alert(message: str) -> None:
        if then is not None:
            then(message)
        sink.notify(venue_down(message))

    return on_alert


def label(badge: str, venue: str, account: str | None) -> str:
    """``SIMULATED sim DU****567``: the mode badge, the venue and the account as outputs show
    it (an IB account redacted)."""
    from trader_cli.redaction import shown_account

    venue_key = "gemini" if venue.startswith("gemini") else venue
    return " ".join(p for p in (badge, venue, shown_account(venue_key, account)) if p)
