"""Alerts that reach a person: apprise URLs (``NOTIFY_URLS``), rate-limited and deduplicated.

:class:`~trader_cli.notify.notifier.Notifier` takes :class:`~trader_cli.notify.alerts.Alert`
values built by the functions of :mod:`trader_cli.notify.alerts` (one per event: venue down past
the reset window, a circuit opening or closing, the kill switch, a rejected or expired order, a
resync with unexplained positions, the bot stopping) and sends them off the trading path, on a
thread of its own. apprise is imported only when something is sent.
"""

from __future__ import annotations

from trader_cli.notify.alerts import Alert, AlertLevel
from trader_cli.notify.notifier import Notifier, UrlResult

__all__ = ["Alert", "AlertLevel", "Notifier", "UrlResult"]
