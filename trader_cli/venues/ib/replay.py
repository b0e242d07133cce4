"""The IB adapter on a recording: the replay gateway on loopback, the adapter connected to it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from trader_cli.config import Settings
from trader_cli.domain.scope import Backend
from trader_cli.replay.clock import ReplayClock
from trader_cli.replay.connect import connected_to_recording
from trader_cli.replay.server import ReplayGateway
from trader_cli.replay.wirelog import open_recording
from trader_cli.venues.ib.trader import IBTrader


class ReplayTrader(IBTrader):
    """The IB adapter, unmodified, pointed at a :class:`ReplayGateway`."""

    backend = Backend.REPLAY

    def __init__(self, settings: Settings, gateway: ReplayGateway, start: datetime) -> None:
        super().__init__(
            settings, host=gateway.host, port=gateway.port, clock=ReplayClock(start)
        )
        # the recording holds its own (placeholder) account: never the configured one
        self.conn.config.account = None
        self.conn.config.paper = True
        self.conn.config.timeout = 5.0


@dataclass
class ReplayConnection:
    """The adapter connected to a recording, and the gateway serving it."""

    trader: IBTrader
    gateway: ReplayGateway


def recorded_start(gateway: ReplayGateway, meta: dict[str, Any]) -> datetime:
    """When the recording's Gateway said it was (its clock), else when it was recorded."""
    if gateway.book.recorded_time is not None:
        return gateway.book.recorded_time
    text = str(meta.get("recordedAt", "1970-01-01T00:00:00Z")).replace("Z", "+00:00")
    return datetime.fromisoformat(text)


@contextlib.asynccontextmanager
async def replay_connection(settings: Settings, directory: Path) -> AsyncIterator[ReplayConnection]:
    """The IB adapter connected to the recording in ``directory`` served on loopback.

    A failure while the recording could not answer a request is re-raised as a
    ``VenueError`` naming that request.
    """
    meta = open_recording(directory)
    async with ReplayGateway.start(directory) as gateway:
        trader = ReplayTrader(settings, gateway, recorded_start(gateway, meta))
        async with connected_to_recording(
            trader, gateway.unmatched, "trader record-fixtures"
        ):
            yield ReplayConnection(trader, gateway)
