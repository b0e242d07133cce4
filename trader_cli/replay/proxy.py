"""A recording TCP proxy between a TWS API client and a Gateway: every framed message, both ways.

Bytes are forwarded unchanged the moment they arrive; a copy of each direction goes through the
TWS framing decoder (:mod:`trader_cli.sim.tws.codec`) so the log holds whole messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from trader_cli.replay.wirelog import Direction, WireRecord
from trader_cli.sim.tws.codec import FrameDecoder, ProtocolError

log = logging.getLogger("trader.replay")

CHUNK = 64 * 1024


class RecordingProxy:
    """Listens on loopback; each client connection is piped to ``upstream`` and recorded.

    ::

        async with RecordingProxy.start("127.0.0.1", 4002) as proxy:
            ...connect the adapter to 127.0.0.1:proxy.port...
        proxy.records  # every message, in the order the proxy saw them
    """

    def __init__(self, upstream_host: str, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.host = host
        self.port = 0
        self.records: list[WireRecord] = []
        self._started = time.monotonic()
        self._server: asyncio.Server | None = None
        self._connections = 0
        self._pipes: set[asyncio.Task[None]] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    @classmethod
    @contextlib.asynccontextmanager
    async def start(
        cls, upstream_host: str, upstream_port: int, host: str = "127.0.0.1"
    ) -> AsyncIterator[RecordingProxy]:
        """Run the proxy on a free loopback port for the duration of the block."""
        proxy = cls(upstream_host, upstream_port, host)
        proxy._server = await asyncio.start_server(proxy._on_connect, host, 0)
        proxy.port = proxy._server.sockets[0].getsockname()[1]
        try:
            yield proxy
        finally:
            await proxy.close()

    async def close(self) -> None:
        """Stop listening and wait for open pipes to finish."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._pipes):
            task.cancel()
        # each connection's handler closes both sockets once its pipes end
        if self._handlers:
            await asyncio.wait(set(self._handlers), timeout=2.0)

    def _now(self) -> float:
        return time.monotonic() - self._started

    async def _on_connect(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        conn = self._connections
        self._connections += 1
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
            handler.add_done_callback(self._handlers.discard)
        try:
            up_reader, up_writer = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
        except OSError as e:
            log.error("recording proxy: cannot reach the Gateway at %s:%s: %s",
                      self.upstream_host, self.upstream_port, e)
            client_writer.close()
            return
        to_server = asyncio.ensure_future(
            self._pipe(conn, "c2s", client_reader, up_writer, FrameDecoder())
        )
        server_decoder = FrameDecoder()
        server_decoder.handshake_done = True  # the server's stream has no API\0 prefix
        to_client = asyncio.ensure_future(
            self._pipe(conn, "s2c", up_reader, client_writer, server_decoder)
        )
        for task in (to_server, to_client):
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)
        await asyncio.wait({to_server, to_client}, return_when=asyncio.FIRST_COMPLETED)
        for task in (to_server, to_client):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError, ConnectionError):
                await task
        for writer in (client_writer, up_writer):
            writer.close()

    async def _pipe(
        self,
        conn: int,
        direction: Direction,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        decoder: FrameDecoder,
    ) -> None:
        hello_seen = direction == "c2s"
        while True:
            data = await reader.read(CHUNK)
            if not data:
                return
            writer.write(data)
            try:
                messages = decoder.feed(data)
            except ProtocolError as e:
                log.warning("recording proxy: undecodable %s stream: %s", direction, e)
                messages = []
            now = self._now()
            for message in messages:
                if isinstance(message, bytes):
                    self.records.append(
                        WireRecord(conn, direction, now, handshake=message.decode(errors="replace"))
                    )
                    continue
                record = WireRecord(conn, direction, now, message, hello=not hello_seen)
                hello_seen = True
                self.records.append(record)
            await writer.drain()
