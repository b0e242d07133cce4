"""The replay gateway: a recording served back on loopback as a TWS API Gateway.

Each request a client sends is matched to a recorded one by message type and significant
fields (:func:`~trader_cli.replay.protocol.request_key`), never by its request or order id: the
client's ids are mapped onto the recorded ones, and the recorded replies go back with the
client's ids. Each reply belongs to the request its connection sent last before it arrived, so
streamed data (ticks, order updates) reaches the client at the same point of the conversation
as it did when recorded; replies that arrived apart (separate reads of the proxy) are sent
apart, with the recorded gap up to :data:`MAX_BURST_GAP`, so the client sees the same batches.
A request the recording cannot answer gets an IB-style error naming it, is logged, and the
connection is closed at once so the client fails fast instead of waiting out a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from trader_cli.replay.protocol import (
    ANSWERLESS,
    ANSWERS_TO,
    ENDED_BY,
    ONCE_ONLY,
    ORDER_ID_AT,
    REPLY_ORDER_ID_AT,
    REPLY_REQUEST_ID_AT,
    REQUEST_ID_AT,
    field_at,
    message_id,
    request_key,
    request_name,
)
from trader_cli.replay.wirelog import WIRE_LOG, WireRecord, load_records
from trader_cli.sim.tws.codec import (
    FrameDecoder,
    ProtocolError,
    encode_fields,
    parse_version_range,
)
from trader_cli.sim.tws.messages import Out

log = logging.getLogger("trader.replay")

# IB's "Error validating request", with a text that names the request the recording lacks.
NO_RECORDED_ANSWER = 321
UNMATCHED_PREFIX = "REPLAY: no recorded answer for"
DEFAULT_REPLAY_PORT = 4012
# Longest pause kept between two recorded bursts of replies (a real Gateway streams ticks).
MAX_BURST_GAP = 0.05
# Gaps shorter than this are one burst (the messages of one read).
MIN_BURST_GAP = 0.001
CHUNK = 64 * 1024


@dataclass
class Exchange:
    """One recorded request and the replies attributed to it."""

    request: WireRecord
    replies: list[WireRecord] = field(default_factory=list)
    served: int = 0
    key: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.key = request_key(self.request.fields)

    @property
    def msg(self) -> int | None:
        """The request's message id."""
        return message_id(self.request.fields)


@dataclass
class ReplayBook:
    """A recording indexed for serving: the server's hello and every exchange."""

    hello: list[WireRecord]
    exchanges: list[Exchange]
    server_version: int
    recorded_time: datetime | None

    @classmethod
    def from_records(cls, records: list[WireRecord]) -> ReplayBook:
        """Attribute every reply to the request it answers (see :func:`_owner`)."""
        hello: list[WireRecord] = []
        exchanges: list[Exchange] = []
        state: dict[int, _ConnState] = {}
        for record in records:
            if record.handshake is not None:
                continue
            conn = state.setdefault(record.conn, _ConnState())
            if record.direction == "c2s":
                conn.add(Exchange(record))
                exchanges.append(conn.sent[-1])
                continue
            if record.hello:
                if not hello:
                    hello.append(record)
                continue
            owner = conn.owner(record.fields)
            if owner is None:
                if record.conn == records[0].conn:
                    hello.append(record)  # before any request: part of the greeting
            else:
                owner.replies.append(record)
        if not hello:
            raise ValueError("the recording has no server handshake")
        return cls(hello, exchanges, _server_version(hello[0]), _recorded_time(records))

    def match(self, fields: list[str]) -> Exchange | None:
        """The recorded exchange answering ``fields`` (None: the recording has none).

        The first unserved one with the same key; once all are served, reads are answered
        again by the last one (a heartbeat asks for the time many times), orders never.
        """
        key = request_key(fields)
        # a recorded request without its whole answer cannot be served: the client would wait
        # for the rest forever
        candidates = [e for e in self.exchanges if e.key == key and _answered(e)]
        for exchange in candidates:
            if exchange.served == 0:
                return exchange
        msg = message_id(fields)
        if candidates and msg not in ONCE_ONLY:
            return candidates[-1]
        if msg in ANSWERLESS:
            return Exchange(WireRecord(-1, "c2s", 0.0, list(fields)))
        return None


@dataclass
class _ConnState:
    """One recorded connection while its replies are attributed."""

    sent: list[Exchange] = field(default_factory=list)
    by_request_id: dict[int, Exchange] = field(default_factory=dict)
    by_order_id: dict[int, Exchange] = field(default_factory=dict)
    ended: set[int] = field(default_factory=set)  # ids of exchanges whose answer has ended

    def add(self, exchange: Exchange) -> None:
        """A request the client sent."""
        self.sent.append(exchange)
        msg = exchange.msg
        for table, ids in ((REQUEST_ID_AT, self.by_request_id), (ORDER_ID_AT, self.by_order_id)):
            value = field_at(exchange.request.fields, table.get(msg or -1))
            if value is not None:
                ids[value] = exchange

    def owner(self, fields: list[str]) -> Exchange | None:
        """The request a reply answers: the one whose request id it carries; else the oldest
        unended request of a kind it answers (open orders, positions...); else the order it is
        about; else the request sent last (a stream's later messages)."""
        msg = message_id(fields) or -1
        rid = field_at(fields, REPLY_REQUEST_ID_AT.get(msg))
        if rid is not None and rid in self.by_request_id:
            return self.by_request_id[rid]
        kinds = ANSWERS_TO.get(msg)
        if kinds:
            for exchange in self.sent:
                if exchange.msg in kinds and id(exchange) not in self.ended:
                    if ENDED_BY.get(exchange.msg or -1) == msg:
                        self.ended.add(id(exchange))
                    return exchange
        oid = field_at(fields, REPLY_ORDER_ID_AT.get(msg))
        if oid is not None and oid in self.by_order_id:
            return self.by_order_id[oid]
        return self.sent[-1] if self.sent else None


def _answered(exchange: Exchange) -> bool:
    """Whether the recorded replies hold a whole answer (its end, or an error) to the request."""
    end = ENDED_BY.get(exchange.msg or -1)
    if end is None:
        return True
    return any(message_id(r.fields) in (end, Out.ERROR) for r in exchange.replies)


def _server_version(hello: WireRecord) -> int:
    try:
        return int(hello.fields[0])
    except (IndexError, ValueError):
        raise ValueError("the recording's server handshake has no server version") from None


def _recorded_time(records: list[WireRecord]) -> datetime | None:
    """The Gateway's time as first reported (reqCurrentTime) in the recording."""
    for r in records:
        if r.direction == "s2c" and message_id(r.fields) == Out.CURRENT_TIME and len(r.fields) > 2:
            return datetime.fromtimestamp(int(r.fields[2]), UTC)
    return None


class ReplaySession:
    """One client connection: handshake, request matching, id rewriting."""

    def __init__(
        self,
        gateway: ReplayGateway,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.gateway = gateway
        self.reader = reader
        self.writer = writer
        self.req_ids: dict[int, int] = {}  # recorded request id -> this client's
        self.order_ids: dict[int, int] = {}  # recorded order id -> this client's

    async def run(self) -> None:
        """Serve until the client hangs up (or a request cannot be answered)."""
        decoder = FrameDecoder()
        try:
            while data := await self.reader.read(CHUNK):
                for message in decoder.feed(data):
                    if isinstance(message, bytes):
                        if not self._version_ok(message):
                            await self.writer.drain()
                            return
                        await self._send_all(self.gateway.book.hello, None)
                    elif not await self._serve(message):
                        await self.writer.drain()
                        return
                await self.writer.drain()
        except ProtocolError as e:
            log.warning("replay gateway: %s", e)
        except (ConnectionError, OSError):
            pass
        finally:
            self.writer.close()

    def _version_ok(self, handshake: bytes) -> bool:
        """Whether the client speaks the server version the recording was made at."""
        recorded = self.gateway.book.server_version
        low, high, _ = parse_version_range(handshake)
        if low <= recorded <= high:
            return True
        text = (
            f"{UNMATCHED_PREFIX} this client: the recording was made at server version "
            f"{recorded}, the client speaks {low}..{high}"
        )
        self.gateway.unmatched.append(text)
        log.error("%s", text)
        return False

    async def _serve(self, fields: list[str]) -> bool:
        exchange = self.gateway.book.match(fields)
        msg = message_id(fields)
        if exchange is None:
            self._unmatched(fields)
            return False
        exchange.served += 1
        recorded = exchange.request.fields
        for table, ids in ((REQUEST_ID_AT, self.req_ids), (ORDER_ID_AT, self.order_ids)):
            if msg in table:
                theirs, ours = field_at(recorded, table[msg]), field_at(fields, table[msg])
                if theirs is not None and ours is not None:
                    ids[theirs] = ours
        await self._send_all(exchange.replies, exchange)
        return True

    def _unmatched(self, fields: list[str]) -> None:
        name = request_name(fields)
        shown = ", ".join(f for f in request_key(fields)[1:] if f not in ("", "*"))[:200]
        text = f"{UNMATCHED_PREFIX} {name}({shown})"
        self.gateway.unmatched.append(text)
        log.error("%s: the recording cannot answer it; closing the connection", text)
        msg = message_id(fields)
        req_id = field_at(fields, REQUEST_ID_AT.get(msg or -1))
        if req_id is None:
            req_id = field_at(fields, ORDER_ID_AT.get(msg or -1))
        self.writer.write(
            encode_fields([Out.ERROR, 2, -1 if req_id is None else req_id,
                           NO_RECORDED_ANSWER, text, ""])
        )  # fmt: skip

    async def _send_all(self, replies: list[WireRecord], exchange: Exchange | None) -> None:
        previous: float | None = None
        for reply in replies:
            if previous is not None and reply.t - previous >= MIN_BURST_GAP:
                await self.writer.drain()
                await asyncio.sleep(min(reply.t - previous, MAX_BURST_GAP))
            previous = reply.t
            self.writer.write(encode_fields(self._rewrite(reply.fields, exchange)))

    def _rewrite(self, fields: list[str], exchange: Exchange | None) -> list[str]:
        """``fields`` with the recorded request and order ids replaced by this client's."""
        msg = message_id(fields)
        out = list(fields)
        is_order_request = exchange is not None and exchange.msg in ORDER_ID_AT
        lookups = []
        if msg in REPLY_REQUEST_ID_AT:
            lookups.append((REPLY_REQUEST_ID_AT[msg], self.req_ids))
        if msg in REPLY_ORDER_ID_AT:
            pair = (REPLY_ORDER_ID_AT[msg], self.order_ids)
            lookups.insert(0 if is_order_request else len(lookups), pair)
        done: set[int] = set()
        for index, ids in lookups:
            value = field_at(out, index)
            if index in done or value is None or value not in ids:
                continue
            out[index] = str(ids[value])
            done.add(index)
        return out


class ReplayGateway:
    """A REPLAY Gateway on loopback serving one recording.

    ::

        async with ReplayGateway.start(Path("fixtures/ib/sim-basic")) as gw:
            await ib.connectAsync("127.0.0.1", gw.port, clientId=1)
        gw.unmatched  # requests the recording could not answer
    """

    def __init__(self, book: ReplayBook, host: str = "127.0.0.1", port: int = 0) -> None:
        self.book = book
        self.host = host
        self.port = port
        self.unmatched: list[str] = []
        self._server: asyncio.Server | None = None
        self._sessions: set[ReplaySession] = set()

    @classmethod
    def from_directory(
        cls, directory: Path, host: str = "127.0.0.1", port: int = 0
    ) -> ReplayGateway:
        """A gateway for the recording in ``directory``."""
        return cls(ReplayBook.from_records(load_records(directory / WIRE_LOG)), host, port)

    @classmethod
    @contextlib.asynccontextmanager
    async def start(
        cls, directory: Path, host: str = "127.0.0.1", port: int = 0
    ) -> AsyncIterator[ReplayGateway]:
        """Serve the recording in ``directory`` for the duration of the block."""
        gw = cls.from_directory(directory, host, port)
        await gw.serve()
        try:
            yield gw
        finally:
            await gw.close()

    async def serve(self) -> None:
        """Start listening."""
        self._server = await asyncio.start_server(self._on_connect, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening and drop every client."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for session in list(self._sessions):
            session.writer.close()
        for _ in range(50):  # each session ends as soon as its socket is closed
            if not self._sessions:
                break
            await asyncio.sleep(0.01)

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = ReplaySession(self, reader, writer)
        self._sessions.add(session)
        try:
            await session.run()
        finally:
            self._sessions.discard(session)

    @property
    def banner(self) -> str:
        """One line saying where the REPLAY gateway listens."""
        return (
            f"REPLAY IB Gateway (TWS API server v{self.book.server_version}) listening on "
            f"{self.host}:{self.port} - {len(self.book.exchanges)} recorded requests - "
            "no real orders, no live market data"
        )
