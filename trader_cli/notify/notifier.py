"""The notifier: de-duplicates and rate-limits alerts, labels and redacts them, sends them on a
thread of its own so that nothing on the trading path ever waits for, or fails with, a send."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trader_cli.notify.alerts import Alert, AlertLevel
from trader_cli.notify.transport import AppriseTransport, Transport
from trader_cli.notify.urls import mask_url, split_urls
from trader_cli.redaction import redact

if TYPE_CHECKING:
    from trader_cli.config import Settings

log = logging.getLogger("trader.notify")

#: how long a command waits at its end for queued alerts to go out (wall seconds)
CLOSE_WAIT = 15.0
#: the file (app dir) where sent alert keys are remembered across processes (cron resync)
SENT_FILE = "notify-sent.json"
RATE_WINDOW = 60.0
#: how many of the alerts dropped by the cap a command's closing summary names
SUMMARY_TITLES = 10


@dataclass(frozen=True, slots=True)
class UrlResult:
    """The outcome of one send to one URL (the URL shown masked)."""

    url: str
    ok: bool
    error: str | None = None


class SentLog:
    """Keys of alerts sent recently, kept in a small JSON file so that separate processes (a
    resync timer, restarts) de-duplicate too. Best effort: a file that cannot be used is ignored."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: dict[str, float] = {}

    def claim(self, key: str, now: float, window: float) -> bool:
        """True (and ``key`` recorded as sent at ``now``) unless it was sent within ``window``."""
        if self.path is None:
            return self._claim(self._memory, key, now, window)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+", encoding="utf-8") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                fh.seek(0)
                try:
                    sent = {str(k): float(v) for k, v in json.loads(fh.read() or "{}").items()}
                except (ValueError, AttributeError):
                    sent = {}
                claimed = self._claim(sent, key, now, window)
                if claimed:
                    fh.seek(0)
                    fh.truncate()
                    fh.write(json.dumps(sent, sort_keys=True))
                return claimed
        except OSError as e:
            log.debug("alert history %s unusable (%s); de-duplicating in memory", self.path, e)
            return self._claim(self._memory, key, now, window)

    @staticmethod
    def _claim(sent: dict[str, float], key: str, now: float, window: float) -> bool:
        for old in [k for k, at in sent.items() if now - at >= max(window, RATE_WINDOW)]:
            del sent[old]
        last = sent.get(key)
        if last is not None and now - last < window:
            return False
        sent[key] = now
        return True


class Notifier:
    """Sends :class:`Alert` values to every ``NOTIFY_URLS`` URL; see the module docstring.

    * the same key within ``dedup_seconds`` is sent once (the next one sent after the window
      says how many repeats were suppressed);
    * at most ``max_per_minute`` alerts a minute; the next one sent says how many were dropped;
    * every text is redacted (:func:`trader_cli.redaction.redact`) and starts with ``label``
      (``SIMULATED sim DU****567``);
    * :meth:`notify` only queues: a thread sends; a failing URL is logged (masked), never
      raised. :meth:`close` waits (bounded) for the queue at the end of a command.
    """

    def __init__(
        self,
        urls: Sequence[str] = (),
        *,
        label: str = "",
        dedup_seconds: float = 900.0,
        max_per_minute: int = 6,
        transport: Transport | None = None,
        sent_log: SentLog | None = None,
        now: Callable[[], float] = time.time,
        telemetry: Any = None,
    ) -> None:
        self.urls = list(urls)
        self.label = label
        self.dedup_seconds = dedup_seconds
        self.max_per_minute = max_per_minute
        self.transport: Transport = transport or AppriseTransport()
        self.sent_log = sent_log or SentLog(None)
        self.now = now
        self.telemetry = telemetry
        self.sent = 0
        self.failed = 0
        self._lock = threading.Lock()
        self._recent: deque[float] = deque()
        self._repeats: dict[str, int] = {}
        self._rate_dropped = 0
        self._dropped: list[Alert] = []  # dropped by the cap and not yet told of
        self._queue: queue.Queue[tuple[str, str, Alert] | None] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, label: str = "", history: bool = True
    ) -> Notifier:
        """A notifier for ``NOTIFY_URLS`` (disabled when unset) with ``NOTIFY_*`` limits.

        ``history``: remember sent keys in the app dir, so other processes de-duplicate too.
        """
        n = settings.notify
        urls = split_urls(n.urls.get_secret_value()) if n.urls is not None else []
        sent_log = SentLog(settings.home / SENT_FILE if history and urls else None)
        return cls(
            urls,
            label=label,
            dedup_seconds=n.dedup_minutes * 60,
            max_per_minute=n.max_per_minute,
            sent_log=sent_log,
        )

    @classmethod
    def disabled(cls) -> Notifier:
        """A notifier that sends nothing (no URLs)."""
        return cls(())

    @property
    def enabled(self) -> bool:
        """Whether any URL is configured."""
        return bool(self.urls)

    # -- the trading path's side: never blocks, never raises --------------------------------
    def notify(self, alert: Alert) -> bool:
        """Queue ``alert`` unless it is a repeat inside the window or over the rate limit.

        Returns whether it was queued. Never raises, never waits for the network.
        """
        if not self.urls:
            self._record(alert, "not sent: NOTIFY_URLS is unset")
            return False
        try:
            return self._admit(alert)
        except Exception:
            log.exception("alert %r could not be queued", alert.key)
            return False

    def _admit(self, alert: Alert) -> bool:
        now = self.now()
        scoped_key = f"{self.label}|{alert.key}"
        with self._lock:
            while self._recent and now - self._recent[0] >= RATE_WINDOW:
                self._recent.popleft()
            if len(self._recent) >= self.max_per_minute:
                self._rate_dropped += 1
                self._dropped.append(alert)
                self._record(alert, "rate-limited")
                return False
            if not self.sent_log.claim(scoped_key, now, self.dedup_seconds):
                self._repeats[alert.key] = self._repeats.get(alert.key, 0) + 1
                self._record(alert, "duplicate")
                return False
            self._recent.append(now)
            title, body = self._texts(alert)
            self._pending += 1
            self._ensure_thread()
        self._queue.put((title, body, alert))
        self._record(alert, "queued")
        return True

    def _texts(self, alert: Alert) -> tuple[str, str]:
        notes = []
        repeats = self._repeats.pop(alert.key, 0)
        if repeats:
            minutes = self.dedup_seconds / 60
            notes.append(
                f"{repeats} repeat(s) of this alert suppressed in the last {minutes:g} min"
            )
        if self._rate_dropped:
            notes.append(
                f"{self._rate_dropped} other alert(s) suppressed by the limit of "
                f"{self.max_per_minute} a minute"
            )
            self._rate_dropped = 0
            self._dropped.clear()
        label = f"[{self.label}] " if self.label else ""
        body = alert.body + "".join(f"\n({note})" for note in notes)
        return redact(f"trader {label}{alert.title}"), redact(body)

    def _record(self, alert: Alert, outcome: str) -> None:
        """One ``alert`` line in telemetry.log for every alert, sent or not (and why not)."""
        if self.telemetry is not None:
            self.telemetry.emit(
                "alert",
                alertId=alert.key,  # (a field named "key" is masked as a secret)
                level=alert.level.value,
                title=alert.title,
                message=alert.body,
                outcome=outcome,
            )

    # -- the sending thread ----------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="trader-notify", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            title, body, alert = item
            try:
                for result in self._deliver(title, body, alert):
                    if not result.ok:
                        log.warning("alert %r not delivered to %s: %s",
                                    alert.title, result.url, result.error)
            except Exception:
                log.exception("alert %r could not be sent", alert.title)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, title: str, body: str, alert: Alert) -> list[UrlResult]:
        results = []
        for url in self.urls:
            error = self.transport.send(url, title, body, alert.level)
            results.append(UrlResult(mask_url(url), error is None, redact(error or "") or None))
            with self._lock:
                if error is None:
                    self.sent += 1
                else:
                    self.failed += 1
        return results

    def send_now(self, alert: Alert) -> list[UrlResult]:
        """Send ``alert`` to every URL at once, here, with no limits: ``notify --test``."""
        title, body = self._texts(alert)
        return self._deliver(title, body, alert)

    def flush(self, timeout: float = CLOSE_WAIT) -> bool:
        """Wait until every queued alert was sent (or failed); False if ``timeout`` ran out."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def _summary(self) -> Alert | None:
        """What the cap dropped since the last alert sent, as one alert (None: nothing)."""
        with self._lock:
            dropped, self._dropped = self._dropped, []
            self._rate_dropped = 0
        if not dropped:
            return None
        named = "\n".join(f"- {a.title}: {a.body}" for a in dropped[:SUMMARY_TITLES])
        more = len(dropped) - SUMMARY_TITLES
        rest = f"\n- and {more} more (see telemetry.log)" if more > 0 else ""
        worst = max((a.level for a in dropped), key=list(AlertLevel).index)
        return Alert(
            "suppressed",
            f"{len(dropped)} alert(s) suppressed by the limit of {self.max_per_minute} a minute",
            f"not sent while the limit held:\n{named}{rest}",
            worst,
        )

    def close(self, timeout: float = CLOSE_WAIT) -> None:
        """Send what the cap dropped as one last alert (the end of a command may be the last
        chance: "bot stopped" in a storm), flush (bounded) and stop the thread; alerts still
        queued after ``timeout`` are logged as lost."""
        summary = self._summary() if self.urls else None
        if summary is not None:
            title, body = self._texts(summary)
            with self._lock:
                self._pending += 1
                self._ensure_thread()
            self._queue.put((title, body, summary))
            self._record(summary, "queued")
        if self._thread is None:
            return
        if not self.flush(timeout):
            log.warning("%d alert(s) not sent within %.0fs; giving up on them",
                        self._pending, timeout)
        self._queue.put(None)
        with contextlib.suppress(RuntimeError):
            self._thread.join(timeout=1.0)
        self._thread = None

