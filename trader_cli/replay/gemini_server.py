"""The Gemini replay server: a cassette served back on loopback as Gemini's REST API.

Each request is matched to a recorded one by method, path, query and payload without its nonce
(:func:`~trader_cli.replay.gemini_cassette.request_key`); the key and signature are not checked
(any key signs). The n-th of several identical requests gets the n-th recorded answer; once
they are all served, a read is answered again by the last one, an order or a cancel never.
A request whose client order id differs from the recorded one (and nothing else does) is
matched to it, and the two ids are mapped both ways from then on (requests and answers).
A request the recording cannot answer gets Gemini's error shape with HTTP 400, naming the
request, and is logged: the client fails at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trader_cli.replay.gemini_cassette import (
    CASSETTE_FILE,
    PAYLOAD_HEADER,
    Interaction,
    RequestKey,
    decode_payload,
    load_cassette,
    request_key,
    without_nonce,
)
from trader_cli.sim.gemini_rest.errors import INVALID_JSON, GeminiError
from trader_cli.sim.gemini_rest.wire import BadHttp, Request, json_response, read_request, response

log = logging.getLogger("trader.replay")

DEFAULT_GEMINI_REPLAY_PORT = 8743
UNMATCHED_PREFIX = "REPLAY: no recorded answer for"
NO_RECORDED_ANSWER = "NoRecordedAnswer"  # the error reason (not one of Gemini's own)
BAD_REQUEST = 400
# Requests whose recorded answer is served once only (an order is sent once).
ONCE_ONLY_PATHS = frozenset({"/v1/order/new", "/v1/order/cancel", "/v1/order/cancel/all",
                             "/v1/order/cancel/session"})  # fmt: skip
CLIENT_ORDER_ID = "client_order_id"


@dataclass
class Served:
    """The recorded answers to one request key, and how many were served."""

    answers: list[Interaction]
    served: int = 0


class GeminiReplayServer:
    """A recording of Gemini's REST API, served on loopback."""

    def __init__(
        self, interactions: list[Interaction], host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.host = host
        self.port = port
        self.interactions = interactions
        self._by_key: dict[RequestKey, Served] = {}
        for interaction in interactions:
            self._by_key.setdefault(interaction.key, Served([])).answers.append(interaction)
        self.unmatched: list[str] = []
        self.client_ids: dict[str, str] = {}  # the client's id -> the recorded one
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @classmethod
    def from_directory(
        cls, directory: Path, host: str = "127.0.0.1", port: int = 0
    ) -> GeminiReplayServer:
        """The server for the cassette in ``directory``."""
        return cls(load_cassette(directory / CASSETTE_FILE), host, port)

    @classmethod
    @contextlib.asynccontextmanager
    async def start(
        cls, directory: Path, host: str = "127.0.0.1", port: int = 0
    ) -> AsyncIterator[GeminiReplayServer]:
        """Serve ``directory``'s cassette for the block."""
        server = cls.from_directory(directory, host, port)
        await server.serve()
        try:
            yield server
        finally:
            await server.close()

    async def serve(self) -> None:
        """Start listening."""
        self._server = await asyncio.start_server(self._on_connect, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening and close client connections."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    @property
    def base_url(self) -> str:
        """Where a ccxt client's ``urls.api`` should point."""
        return f"http://{self.host}:{self.port}"

    @property
    def banner(self) -> str:
        """One line saying where the recording is served."""
        return (
            f"REPLAY Gemini REST API ({len(self.interactions)} recorded answers) on "
            f"{self.base_url} - any API key signs; no real orders, no real market data"
        )

    # ----- HTTP ---------------------------------------------------------------------------------
    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    request = await read_request(reader)
                except BadHttp as err:
                    bad = GeminiError(INVALID_JSON, str(err))
                    writer.write(json_response(bad.status, bad.body(), keep_alive=False))
                    break
                if request is None:
                    break
                writer.write(self.handle(request))
                await writer.drain()
                if not request.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def handle(self, request: Request) -> bytes:
        """The complete HTTP response to ``request``: the recorded one, or an error naming it."""
        payload = _payload(request)
        answer = self.answer(request.method, request.path, request.query, payload)
        if answer is None:
            key = request_key(request.method, request.path, request.query.items(), payload)
            message = f"{UNMATCHED_PREFIX} {key.describe()}"
            self.unmatched.append(message)
            log.error("%s", message)
            unmatched = GeminiError(NO_RECORDED_ANSWER, message, BAD_REQUEST)
            return json_response(BAD_REQUEST, unmatched.body(), keep_alive=request.keep_alive)
        return response(
            answer.status, self._to_client(answer.body).encode(),
            content_type=answer.content_type, keep_alive=request.keep_alive,
        )  # fmt: skip

    # ----- matching -----------------------------------------------------------------------------
    def answer(
        self, method: str, path: str, query: dict[str, str], payload: dict[str, Any] | None
    ) -> Interaction | None:
        """The recorded answer to this request (None: the recording has none)."""
        payload = self._to_recorded(payload)
        key = request_key(method, path, query.items(), payload)
        found = self._next(key, path)
        if found is None and payload:
            found = self._with_another_client_id(method, path, payload)
        return found

    def _next(self, key: RequestKey, path: str) -> Interaction | None:
        entry = self._by_key.get(key)
        if entry is None:
            return None
        if entry.served < len(entry.answers):
            entry.served += 1
            return entry.answers[entry.served - 1]
        return None if path in ONCE_ONLY_PATHS else entry.answers[-1]

    def _with_another_client_id(
        self, method: str, path: str, payload: dict[str, Any]
    ) -> Interaction | None:
        """A recorded request equal but for its client order id (one no other id took yet):
        the two ids are mapped both ways from then on."""
        cid = payload.get(CLIENT_ORDER_ID)
        if not isinstance(cid, str) or cid in self.client_ids:
            return None
        taken = set(self.client_ids.values())
        for key, entry in self._by_key.items():
            if key.method != method.upper() or key.path != path or not key.payload:
                continue
            if entry.served >= len(entry.answers):
                continue
            recorded = json.loads(key.payload)
            recorded_cid = recorded.get(CLIENT_ORDER_ID)
            if not isinstance(recorded_cid, str) or recorded_cid in taken:
                continue
            if {**recorded, CLIENT_ORDER_ID: cid} == without_nonce(payload):
                self.client_ids[cid] = recorded_cid
                log.info(
                    "REPLAY: client order id %s answered as the recorded %s", cid, recorded_cid
                )
                entry.served += 1
                return entry.answers[entry.served - 1]
        return None

    def _to_recorded(self, payload: dict[str, Any] | None) -> dict[str, Any] | None:
        if not payload or not self.client_ids:
            return payload
        cid = payload.get(CLIENT_ORDER_ID)
        if isinstance(cid, str) and cid in self.client_ids:
            return {**payload, CLIENT_ORDER_ID: self.client_ids[cid]}
        return payload

    def _to_client(self, body: str) -> str:
        for client, recorded in self.client_ids.items():
            body = body.replace(json.dumps(recorded), json.dumps(client))
        return body


def _payload(request: Request) -> dict[str, Any] | None:
    header = request.headers.get(PAYLOAD_HEADER)
    if header is not None:
        return without_nonce(decode_payload(header))
    return None
