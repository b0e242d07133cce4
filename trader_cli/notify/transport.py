"""Sending one alert to one apprise URL (apprise is imported here, and only when sending)."""

from __future__ import annotations

from typing import Any, Protocol

from trader_cli.notify.alerts import AlertLevel


class Transport(Protocol):
    """Delivers a title and a text to one URL; returns None on success, else why not."""

    def send(self, url: str, title: str, body: str, level: AlertLevel) -> str | None:
        """Deliver; never raises."""
        ...


class AppriseTransport:
    """apprise, one :class:`apprise.Apprise` per URL (so each URL's outcome is known)."""

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}

    def _client(self, url: str) -> Any:
        if url not in self._clients:
            import apprise

            # nothing persisted on disk: no cache of URLs (they hold tokens) in a home directory
            asset = apprise.AppriseAsset(storage_mode=apprise.PersistentStoreMode.MEMORY)
            client = apprise.Apprise(asset=asset)
            self._clients[url] = client if client.add(url) else None
        return self._clients[url]

    def send(self, url: str, title: str, body: str, level: AlertLevel) -> str | None:
        """Send through apprise; the reason it failed, or None."""
        try:
            client = self._client(url)
            if client is None:
                return "not a URL apprise understands (check the scheme and its parts)"
            import apprise

            ok = client.notify(title=title, body=body, notify_type=apprise.NotifyType(level.value))
        except Exception as e:  # a plugin bug must not reach the caller
            return f"{type(e).__name__}: {e}"
        return None if ok else "the service did not accept it (unreachable or refused)"
