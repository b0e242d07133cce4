"""Named read queries behind ``trader status`` and the dashboard, and the records they need from
the bot: the account and positions as its last cycle saw them, and its health circuits.

Every query reads the bound scope only (:mod:`trader_cli.db.scope`). ``record_account`` replaces
a single row per scope each cycle, so a status view can show the account when the venue cannot
be reached, marked with the time it describes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from trader_cli.db.fields import to_utc
from trader_cli.db.models import (
    Decision,
    EquitySnapshot,
    MarketDataRow,
    ScopeRow,
    SyncState,
    TradingSession,
)
from trader_cli.db.scope import current_scope_id, scoped_key
from trader_cli.domain.models import AccountSummary, Position, jsonable
from trader_cli.domain.scope import Backend, Mode, Scope

ACCOUNT_KEY = "account"


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """The account summary and the bot's positions its last cycle saw (JSON-safe dicts), the
    venue-clock time they describe (``at``) and when they were written (``written_at``)."""

    summary: dict[str, Any]
    positions: list[dict[str, Any]]
    at: datetime | None
    written_at: datetime
    account: str | None = None  # redacted


def record_account(
    summary: AccountSummary, positions: Sequence[Position], *, at: datetime | None = None
) -> None:
    """Store ``summary`` and ``positions`` for the bound scope, replacing the last record.

    The raw account id is not stored, only its redacted form (``DU****567``, as every output
    shows it); everything else is the venue's own figures, amounts as exact decimal strings.
    """
    from trader_cli.db.scope import current_scope
    from trader_cli.db.store import set_sync_state
    from trader_cli.redaction import shown_account

    data = summary.to_dict()
    account = data.pop("account_id", None)
    value = json.dumps(
        {
            "at": to_utc(at).isoformat() if at else None,
            "account": shown_account(current_scope().venue, account) or None,
            "summary": data,
            "positions": [p.to_dict() for p in positions],
        },
        separators=(",", ":"),
        default=lambda v: jsonable(v),
    )
    set_sync_state(ACCOUNT_KEY, value)


def last_account() -> AccountRecord | None:
    """What :func:`record_account` last stored for the bound scope, or None."""
    row = SyncState.get_or_none(SyncState.key == scoped_key(ACCOUNT_KEY))
    if row is None or not row.value:
        return None
    data = json.loads(row.value)
    at = datetime.fromisoformat(data["at"]) if data.get("at") else None
    return AccountRecord(
        dict(data.get("summary") or {}),
        list(data.get("positions") or []),
        at,
        to_utc(row.updated_at),
        data.get("account"),
    )


HEALTH_KEY = "health"


@dataclass(frozen=True, slots=True)
class HealthRecord:
    """The health circuits a running bot last wrote: its ``status()`` payload, the venue-clock
    time it describes (``at``) and the wall-clock time it was written (``written_at``)."""

    status: dict[str, Any]
    at: datetime | None
    written_at: datetime


def record_health(status: Mapping[str, Any], *, at: datetime | None = None) -> None:
    """Store the health circuits' ``status`` for the bound scope (replacing the last one)."""
    from trader_cli.db.store import set_sync_state

    value = json.dumps(
        {"at": to_utc(at).isoformat() if at else None, "status": dict(status)},
        separators=(",", ":"),
        default=str,
    )
    set_sync_state(HEALTH_KEY, value)


def last_health() -> HealthRecord | None:
    """What :func:`record_health` last stored for the bound scope, or None."""
    row = SyncState.get_or_none(SyncState.key == scoped_key(HEALTH_KEY))
    if row is None or not row.value:
        return None
    data = json.loads(row.value)
    at = datetime.fromisoformat(data["at"]) if data.get("at") else None
    return HealthRecord(dict(data.get("status") or {}), at, to_utc(row.updated_at))


def equity_curve(limit: int = 500) -> list[EquitySnapshot]:
    """The scope's most recent ``limit`` equity snapshots, oldest first."""
    rows = list(
        EquitySnapshot.select()
        .where(EquitySnapshot.scope == current_scope_id())
        .order_by(EquitySnapshot.timestamp.desc(), EquitySnapshot.id.desc())
        .limit(limit)
    )
    rows.reverse()
    return rows


def recent_decisions(limit: int = 20) -> list[Decision]:
    """The scope's most recent ``limit`` strategy decisions, newest first."""
    return list(
        Decision.select()
        .where(Decision.scope == current_scope_id())
        .order_by(Decision.timestamp.desc(), Decision.id.desc())
        .limit(limit)
    )


def last_session() -> TradingSession | None:
    """The scope's most recently started session (a run, a place, a flatten), or None."""
    found: TradingSession | None = (
        TradingSession.select()
        .where(TradingSession.scope == current_scope_id())
        .order_by(TradingSession.started_at.desc(), TradingSession.id.desc())
        .first()
    )
    return found


def last_run_session() -> TradingSession | None:
    """The scope's most recent session of ``trader run`` (one with a strategy), or None."""
    found: TradingSession | None = (
        TradingSession.select()
        .where(
            (TradingSession.scope == current_scope_id())
            & TradingSession.strategy.is_null(False)
        )
        .order_by(TradingSession.started_at.desc(), TradingSession.id.desc())
        .first()
    )
    return found


def last_prices(symbols: Sequence[str]) -> dict[str, MarketDataRow]:
    """The latest recorded quote of each of ``symbols`` (those with one)."""
    out: dict[str, MarketDataRow] = {}
    for symbol in symbols:
        row = (
            MarketDataRow.select()
            .where((MarketDataRow.scope == current_scope_id()) & (MarketDataRow.symbol == symbol))
            .order_by(MarketDataRow.timestamp.desc(), MarketDataRow.id.desc())
            .first()
        )
        if row is not None:
            out[symbol] = row
    return out


def known_scopes(venue: str, backend: str, mode: str) -> list[Scope]:
    """The scopes of this venue, backend and mode that the database holds state for, the one
    with the most recent session first (scopes with no session last)."""
    found: list[tuple[datetime | None, Scope]] = []
    for row in ScopeRow.select().where(
        (ScopeRow.venue == venue) & (ScopeRow.backend == backend) & (ScopeRow.mode == mode)
    ):
        latest = (
            TradingSession.select(TradingSession.started_at)
            .where(TradingSession.scope == row.id)
            .order_by(TradingSession.started_at.desc())
            .first()
        )
        scope = Scope(row.venue, Backend(row.backend), Mode(row.mode), row.account or None)
        found.append((to_utc(latest.started_at) if latest else None, scope))
    never = datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda item: (item[0] is not None, item[0] or never), reverse=True)
    return [scope for _, scope in found]


__all__ = [
    "AccountRecord",
    "equity_curve",
    "known_scopes",
    "last_account",
    "last_prices",
    "last_run_session",
    "last_session",
    "recent_decisions",
    "record_account",
]
