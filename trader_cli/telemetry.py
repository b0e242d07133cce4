"""``telemetry.log``: one redacted JSON line per decision, order, fill and circuit change."""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trader_cli.clock import REAL_CLOCK, Clock
from trader_cli.redaction import (
    REDACTED,
    redact,
    redact_account,
    redact_accounts_in,
)

if TYPE_CHECKING:
    from trader_cli.config import Settings
    from trader_cli.domain.models import Fill, Order
    from trader_cli.strategies.base import Decision
    from trader_cli.venues.base import Instrument

log = logging.getLogger(__name__)

# A field whose name contains one of these (case and separators ignored) is never written.
SECRET_NAME_PARTS = (
    "secret",
    "token",
    "password",
    "passwd",
    "authorization",
    "apikey",
    "credential",
    "cookie",
    "signature",
    "privatekey",
)
# A field whose name says it holds an account id: its value keeps only the kind and last digits.
ACCOUNT_FIELD = re.compile(r"(?i)^(acct|account)([_\-]?(id|number|no|code))?$|^acctnumber$")


def _secret_field(name: str) -> bool:
    flat = re.sub(r"[^a-z0-9]", "", name.lower())
    return flat == "key" or flat.endswith("key") or any(p in flat for p in SECRET_NAME_PARTS)


class Redactor:
    """Scrubs secrets and account ids from any JSON-able value before it is written.

    Text goes through :func:`trader_cli.redaction.redact` (the process-wide registry and the
    credential/account patterns) after this redactor's own ``secrets`` and ``accounts``.
    """

    def __init__(self, *, secrets: Iterable[str] = (), accounts: Iterable[str] = ()) -> None:
        # longest first, so a secret that contains another is replaced whole
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self.accounts = frozenset(a for a in accounts if a)

    def text(self, value: str) -> str:
        """``value`` with known secrets, credential-looking fragments and account ids masked."""
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return redact(redact_accounts_in(value, self.accounts))

    def value(self, value: Any, name: str = "") -> Any:
        """A JSON-safe, redacted copy of ``value`` (the field ``name`` decides what it may hold)."""
        if name and _secret_field(name):
            return None if value is None else REDACTED
        if name and isinstance(value, str) and ACCOUNT_FIELD.match(name):
            return redact_account(value) if value else value
        if isinstance(value, Mapping):
            return {str(k): self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(v) for v in value]
        value = _plain(value)
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict | list):
            return self.value(value, name)
        return value


def _plain(value: Any) -> Any:
    """Our types as JSON values: Decimal → str (exact), datetime → ISO UTC, enums → value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, Path):
        return str(value)
    for attr in ("to_dict", "to_json"):
        method = getattr(value, attr, None)
        if callable(method):
            return method()
    return str(value)


def iso_utc(ts: datetime) -> str:
    """``2024-07-03T01:00:00.123456Z``; a naive datetime is written as-is with a ``?`` marker."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        return ts.isoformat() + "?"
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Telemetry:
    """Appends events to ``telemetry.log`` as JSON lines; never raises into the trading loop.

    Every line has ``ts`` (ISO-8601 UTC on the venue clock), ``event``, ``venue`` and
    ``session``; see docs/telemetry.md for each event's fields. Appends are serialised by a lock
    (safe from threads and from coroutines of one loop: a write never awaits). The file rotates
    by size: ``telemetry.log`` → ``.1`` → … → ``.{backups}``.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        venue: str,
        session: str = "",
        clock: Clock = REAL_CLOCK,
        max_bytes: int = 10_000_000,
        backups: int = 5,
        secrets: Iterable[str] = (),
        accounts: Iterable[str] = (),
    ) -> None:
        self.path = Path(path)
        self.venue = venue
        self.session = session
        self.clock = clock
        self.max_bytes = max_bytes
        self.backups = backups
        self.redactor = Redactor(secrets=secrets, accounts=accounts)
        self._lock = threading.Lock()
        self._warned = False
        self.failures = 0

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        session: str = "",
        clock: Clock = REAL_CLOCK,
        venue: str | None = None,
        accounts: Iterable[str] = (),
    ) -> Telemetry:
        """A telemetry log at ``settings.telemetry_path`` that redacts every configured secret."""
        secrets = [
            s.get_secret_value()
            for s in (settings.gemini.api_key, settings.gemini.api_secret, settings.llm.api_key)
            if s is not None
        ]
        known_accounts = [*accounts, *([settings.ib.account_id] if settings.ib.account_id else [])]
        return cls(
            settings.telemetry_path,
            venue=venue or settings.venue_name,
            session=session,
            clock=clock,
            max_bytes=settings.telemetry.max_bytes,
            backups=settings.telemetry.backups,
            secrets=secrets,
            accounts=known_accounts,
        )

    # -- the one writer -------------------------------------------------------------------
    def emit(self, event: str, **fields: Any) -> None:
        """Write one line for ``event``; failures are logged (once) and swallowed."""
        try:
            record: dict[str, Any] = {
                "ts": iso_utc(self.clock.now()),
                "event": event,
                "venue": self.venue,
                "session": self.session,
            }
            for key, value in fields.items():
                if key not in record:
                    record[key] = value
            line = json.dumps(self.redactor.value(record), separators=(",", ":"), default=str)
        except Exception as e:  # a bad field must not stop trading
            self._warn(f"telemetry event {event!r} could not be serialised: {e!r}")
            return
        self._append(line + "\n")

    def _append(self, line: str) -> None:
        data = line.encode("utf-8")
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._rotate_if_needed(len(data))
                with self.path.open("ab") as fh:
                    fh.write(data)
                self._warned = False
            except OSError as e:
                self.failures += 1
                self._warn(f"cannot write telemetry to {self.path}: {e}")

    def _rotate_if_needed(self, incoming: int) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size == 0 or size + incoming <= self.max_bytes:
            return
        if self.backups == 0:
            self.path.unlink()
            return
        for n in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{n}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{self.path.name}.{n + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))

    def _warn(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning(
                "%s (further telemetry errors are not logged until a write succeeds)",
                self.redactor.text(message),
            )

    # -- helpers --------------------------------------------------------------------------
    def decision(self, decision: Decision, **fields: Any) -> None:
        """One line per strategy decision: a plan (``action=enter``) or a hold and its reason."""
        from trader_cli.strategies.base import Hold

        if isinstance(decision, Hold):
            self.emit(
                "decision",
                action="hold",
                strategy=decision.strategy,
                symbol=str(decision.symbol),
                reason=decision.reason,
                **fields,
            )
            return
        self.emit("decision", action="enter", plan=decision.to_dict(), **fields)

    def order(self, order: Order, instrument: Instrument | None = None, **fields: Any) -> None:
        """An order as sent or as it changed, with contract id, exchange and commission source."""
        info = order.info or {}
        con_id, exchange = _contract(instrument, info)
        self.emit(
            "order",
            clientOrderId=order.client_order_id,
            id=order.id,
            symbol=order.symbol,
            side=order.side,
            type=order.type,
            amount=order.amount,
            price=order.price,
            status=order.status,
            filled=order.filled,
            remaining=order.remaining,
            average=order.average,
            fee=None if order.fee is None else order.fee.to_dict(),
            conId=con_id,
            exchange=exchange,
            commissionSource=None if order.fee is None else order.fee.source,
            info=dict(info),
            **fields,
        )

    def fill(
        self,
        fill: Fill,
        *,
        con_id: int | str | None = None,
        exchange: str | None = None,
        **fields: Any,
    ) -> None:
        """One execution, with contract id, exchange and where its commission figure came from."""
        self.emit(
            "fill",
            id=fill.id,
            orderId=fill.order_id,
            clientOrderId=fill.client_order_id,
            symbol=fill.symbol,
            side=fill.side,
            price=fill.price,
            amount=fill.amount,
            fillTime=fill.timestamp,
            fee=None if fill.fee is None else fill.fee.to_dict(),
            liquidity=fill.liquidity,
            conId=con_id,
            exchange=exchange,
            commissionSource=None if fill.fee is None else fill.fee.source,
            **fields,
        )

    def circuit(self, dependency: str, old: str, new: str, reason: str, **fields: Any) -> None:
        """A health circuit changed state (closed/open/half_open)."""
        self.emit("circuit", dependency=dependency, old=old, new=new, reason=reason, **fields)


def _contract(instrument: Instrument | None, info: Mapping[str, Any]) -> tuple[Any, str | None]:
    if instrument is not None:
        details = instrument.details or {}
        return details.get("conId", instrument.venue_id), instrument.exchange
    return info.get("conId"), info.get("exchange")


class NullTelemetry(Telemetry):
    """Telemetry that writes nothing (dry runs and tests that do not look at it)."""

    def __init__(self) -> None:
        super().__init__(os.devnull, venue="none")

    def emit(self, event: str, **fields: Any) -> None:
        """Discard."""
