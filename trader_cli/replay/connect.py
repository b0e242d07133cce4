"""An adapter connected to a recording served on loopback, for either venue's replay."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from trader_cli.errors import TraderError, VenueError
from trader_cli.venues.base import BaseTrader


@contextlib.asynccontextmanager
async def connected_to_recording(
    trader: BaseTrader, unmatched: Sequence[str], record_command: str
) -> AsyncIterator[None]:
    """Connect ``trader`` for the block and close it after.

    A failure while the recording's server could not answer a request (``unmatched``, the
    server's list) is re-raised as a ``VenueError`` naming that request; ``record_command`` is
    how to record it (``trader record-fixtures --venue gemini``).
    """
    try:
        await trader.connect()
        try:
            yield
        finally:
            await trader.close()
    except (TraderError, ConnectionError, OSError, TimeoutError) as e:
        if unmatched:
            raise VenueError(
                f"{unmatched[0]}: the recording cannot answer this request",
                hint="the command asked something the recording never recorded; re-record with "
                f"`{record_command}` (docs/fixtures.md), or use --sim",
            ) from e
        raise
