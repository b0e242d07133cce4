"""Alerts as a command sees them: the test alert of ``trader notify --test``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trader_cli.config import Settings
    from trader_cli.notify.notifier import UrlResult


def send_test_alert(settings: Settings) -> list[UrlResult]:
    """``trader notify --test``: one test alert to every URL now; ``ConfigError`` (exit 2)
    when ``NOTIFY_URLS`` is unset."""
    from trader_cli.errors import ConfigError
    from trader_cli.notify.alerts import label, trial_alert
    from trader_cli.notify.notifier import Notifier
    from trader_cli.services.context import command_scope

    tag = label(command_scope(settings).label, settings.venue_name, None)
    notifier = Notifier.from_settings(settings, label=tag, history=False)
    if not notifier.enabled:
        raise ConfigError(
            "NOTIFY_URLS is not set: there is nowhere to send alerts",
            hint="set NOTIFY_URLS to one or more apprise URLs (tgram://BOT_TOKEN/CHAT_ID, "
            "ntfy://TOPIC, mailto://..., json://host/path), in the environment or .env; see "
            "docs/operations.md",
        )
    return notifier.send_now(trial_alert(tag))
