"""FX rates kept in the database for recording fills (accounting only, never sizing or valuing).

A cron ``trader resync`` is a new process each time, so the venue's own one-minute cache is always
cold there: without a kept rate every run that finds a new fill in another currency pays for a
market-data request. The rate is kept per scope in ``sync_state`` under ``fx:<CCY>-><BASE>`` with
the venue time it was read, and serves for at most :data:`FILL_FX_MAX_AGE`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

from trader_cli.db import store

# The oldest kept FX rate a new fill may be recorded with.
FILL_FX_MAX_AGE = timedelta(minutes=15)


def _key(currency: str, base: str) -> str:
    return f"fx:{currency}->{base}"


def kept_rate(currency: str, base: str, now: datetime) -> Decimal | None:
    """The kept rate of ``currency`` in ``base`` if it is at most ``FILL_FX_MAX_AGE`` old."""
    text = store.get_sync_state(_key(currency, base))
    if not text:
        return None
    data = json.loads(text)
    age = now - datetime.fromisoformat(data["at"])
    return Decimal(data["rate"]) if timedelta(0) <= age <= FILL_FX_MAX_AGE else None


def keep_rate(currency: str, base: str, rate: Decimal, now: datetime) -> None:
    """Keep ``rate`` (units of ``base`` per ``currency``) as read at venue time ``now``."""
    value = json.dumps({"rate": str(rate), "at": now.isoformat()})
    store.set_sync_state(_key(currency, base), value, at=now)
