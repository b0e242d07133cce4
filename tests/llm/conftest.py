"""LLM strategy fixtures: a local stub chat-completions server and a market data test double."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from trader_cli.config import Settings, load_settings
from trader_cli.domain.book import BookLevel, OrderBook, PublicTrade
from trader_cli.domain.models import Candle, Quote, Side
from trader_cli.domain.symbols import Symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.strategies.base import StrategyContext
from trader_cli.venues.ib.capabilities import ib_capabilities

API_KEY = "sk-test-4f1c9a7e2b6d8053"
NOW = datetime(2024, 7, 3, 2, 0, tzinfo=UTC)  # 12:00 Sydney, ASX open
BHP = Symbol("BHP", "AUD")
CBA = Symbol("CBA", "AUD")
AUDUSD = Symbol("AUD", "USD")
UNIVERSE = [BHP, CBA, AUDUSD]


class StubChatServer:
    """A local stub of an OpenAI-compatible ``/chat/completions`` endpoint on 127.0.0.1.

    Each POST takes the next scripted reply: a dict (sent as HTTP 200 JSON), a
    ``(status, body)`` or ``(status, body, headers)`` tuple (``Retry-After`` and the like), or
    ``("sleep", seconds)`` to outlast a client timeout (``stalled`` is set while it sleeps).
    ``json_schema`` / ``json_object`` False make it refuse that ``response_format`` with HTTP
    400, before taking a reply, as servers without structured outputs do. Every request
    (headers and JSON body) is kept in ``requests``.
    """

    def __init__(self) -> None:
        self.replies: list[Any] = []
        self.requests: list[dict[str, Any]] = []
        self.json_schema = True
        self.json_object = True
        self.stalled = threading.Event()
        self.release = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                stub.requests.append(
                    # headers: an HTTPMessage, looked up case-insensitively (as HTTP is)
                    {"path": self.path, "headers": self.headers, "body": body}
                )
                refused = stub.refusal(body)
                reply = refused or (stub.replies.pop(0) if stub.replies else (500, "no reply"))
                status: Any
                payload: Any
                headers: dict[str, str] = {}
                if isinstance(reply, dict):
                    status, payload = 200, reply
                elif len(reply) == 3:
                    status, payload, headers = reply
                else:
                    status, payload = reply
                if status == "sleep":
                    stub.stalled.set()
                    stub.release.wait(payload)  # stop() ends a stall at once
                    status, payload = 200, content_reply('{"decisions": []}')
                data = payload if isinstance(payload, str) else json.dumps(payload)
                raw = data.encode()
                self.send_response(int(status))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                # the client may have given up first (timeout tests)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.stopped = False

    def refusal(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """HTTP 400 for a response_format this server is set not to support (vLLM's words)."""
        kind = (body.get("response_format") or {}).get("type")
        if (kind == "json_schema" and not self.json_schema) or (
            kind == "json_object" and not self.json_object
        ):
            message = f"response_format type {kind!r} is not supported by this server"
            return 400, {"error": {"message": message, "type": "invalid_request_error"}}
        return None

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *replies: Any) -> None:
        self.replies.extend(replies)

    def start(self) -> StubChatServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def content_reply(content: str, *, usage: tuple[int, int] | None = None) -> dict[str, Any]:
    """A final chat-completions answer with ``content``; ``usage`` is (prompt, completion)
    tokens, as the server counts them."""
    reply: dict[str, Any] = {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "model": "stub-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
    }
    if usage is not None:
        reply["usage"] = with_usage(*usage)
    return reply


def with_usage(prompt: int, completion: int) -> dict[str, int]:
    """A chat-completions ``usage`` object."""
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def decisions_reply(
    *decisions: dict[str, Any], usage: tuple[int, int] | None = None
) -> dict[str, Any]:
    return content_reply(json.dumps({"decisions": list(decisions)}), usage=usage)


def tool_reply(
    *calls: tuple[str, str, Any], usage: tuple[int, int] | None = None
) -> dict[str, Any]:
    """An answer that calls tools: ``(id, name, arguments)``; dict arguments become JSON text."""
    reply: dict[str, Any] = {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": cid,
                            "type": "function",
                            "function": {
                                "name": name,
                                "arguments": args if isinstance(args, str) else json.dumps(args),
                            },
                        }
                        for cid, name, args in calls
                    ],
                },
            }
        ],
    }
    if usage is not None:
        reply["usage"] = with_usage(*usage)
    return reply


class MarketDataDouble:
    """Test double for the MarketData protocol: canned candles and quotes, calls recorded."""

    def __init__(self) -> None:
        self.candle_calls: list[tuple[Symbol, Timeframe, int]] = []
        self.quote_calls: list[Symbol] = []
        self.book_calls: list[tuple[Symbol, int]] = []
        self.trade_calls: list[tuple[Symbol, int]] = []
        self.prices = {BHP: Decimal("45.10"), CBA: Decimal("120.00"), AUDUSD: Decimal("0.6650")}

    async def candles(self, symbol: Symbol, timeframe: Timeframe, limit: int) -> list[Candle]:
        self.candle_calls.append((symbol, timeframe, limit))
        p = self.prices[symbol]
        start = NOW - timeframe.delta * limit
        return [
            Candle(start + timeframe.delta * i, p, p + 1, p - 1, p, Decimal(1000))
            for i in range(min(limit, 3))
        ]

    async def quote(self, symbol: Symbol) -> Quote:
        self.quote_calls.append(symbol)
        p = self.prices[symbol]
        return Quote(str(symbol), NOW, p - Decimal("0.01"), p + Decimal("0.01"), p)

    async def order_book(self, symbol: Symbol, depth: int = 10) -> dict[str, Any]:
        self.book_calls.append((symbol, depth))
        p, step = self.prices[symbol], Decimal("0.01")
        bids = tuple(BookLevel(p - step * (n + 1), Decimal(100 * (n + 1))) for n in range(depth))
        asks = tuple(BookLevel(p + step * (n + 1), Decimal(50 * (n + 1))) for n in range(depth))
        return OrderBook(str(symbol), NOW, bids, asks).to_ccxt()

    async def trades(self, symbol: Symbol, limit: int = 50) -> list[dict[str, Any]]:
        self.trade_calls.append((symbol, limit))
        p = self.prices[symbol]
        return [
            PublicTrade(str(symbol), p, Decimal(10), NOW, Side.BUY, str(n)).to_ccxt()
            for n in range(min(limit, 2))
        ]


@pytest.fixture
def stub_chat_server() -> Iterator[StubChatServer]:
    server = StubChatServer().start()
    yield server
    server.stop()


@pytest.fixture
def llm_env(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No LLM_/HEALTH_/TELEMETRY_ settings from the outer environment."""
    for name in list(os.environ):
        if name.startswith(("LLM_", "HEALTH_", "TELEMETRY_")):
            monkeypatch.delenv(name)
    return clean_env


@pytest.fixture
def llm_settings(llm_env: Path, stub_chat_server: StubChatServer) -> Settings:
    return load_settings(
        LLM_BASE_URL=stub_chat_server.base_url,
        LLM_MODEL="stub-model",
        LLM_API_KEY=API_KEY,
        LLM_TIMEOUT=2,
        LLM_MAX_TOOL_CALLS=2,
    )


@pytest.fixture
def market_data() -> MarketDataDouble:
    return MarketDataDouble()


def make_context(
    data: MarketDataDouble, *, venue: str = "ib", market_open: dict[str, bool] | None = None
) -> StrategyContext:
    return StrategyContext(
        now=NOW,
        venue=venue,
        simulated=venue == "sim",
        base_currency="AUD",
        universe=list(UNIVERSE),
        data=data,
        positions=[],
        open_plans=[],
        account=None,
        market_open=market_open or {str(s): True for s in UNIVERSE},
        limits={"MAX_ORDER_VALUE": "5000", "MAX_TOTAL_EXPOSURE": "20000"},
        costs={"asx": "0.08% min AUD 6.00"},
        capabilities=ib_capabilities(),
    )


@pytest.fixture
def ctx(market_data: MarketDataDouble) -> StrategyContext:
    return make_context(market_data)


class Replies:
    """Builders of scripted chat-completions replies (handed to tests as a fixture)."""

    content = staticmethod(content_reply)
    decisions = staticmethod(decisions_reply)
    tools = staticmethod(tool_reply)


@pytest.fixture
def reply() -> type[Replies]:
    return Replies


@pytest.fixture
def make_ctx() -> Any:
    return make_context
