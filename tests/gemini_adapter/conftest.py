"""A real ccxt Gemini client whose HTTP layer is a table of canned answers (no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from trader_cli.config import Settings, load_settings

SYMBOLS = ["btcusd", "ethusd", "btcusdt"]
DETAILS = {
    "btcusd": {"symbol": "BTCUSD", "base_currency": "BTC", "quote_currency": "USD",
               "tick_size": 1e-8, "quote_increment": 0.01, "min_order_size": "0.00001",
               "status": "open"},
    "ethusd": {"symbol": "ETHUSD", "base_currency": "ETH", "quote_currency": "USD",
               "tick_size": 1e-6, "quote_increment": 0.01, "min_order_size": "0.001",
               "status": "open"},
    "btcusdt": {"symbol": "BTCUSDT", "base_currency": "BTC", "quote_currency": "USDT",
                "tick_size": 1e-8, "quote_increment": 0.01, "min_order_size": "0.00001",
                "status": "open"},
}


class Canned:
    """Answers by URL path; records every request (path, payload)."""

    def __init__(self) -> None:
        # no order with a client order id until a test says otherwise
        self.routes: dict[str, Any] = {"/v1/symbols": SYMBOLS, "/v1/order/status": []}
        for sid, detail in DETAILS.items():
            self.routes[f"/v1/symbols/details/{sid}"] = detail
        self.requests: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self.urls: list[str] = []  # every URL asked for, query string included

    def __setitem__(self, path: str, answer: Any) -> None:
        self.routes[path] = answer

    async def fetch(self, url: str, method: str = "GET", headers: Any = None,
                    body: Any = None) -> Any:
        path = urlsplit(url).path
        self.urls.append(url)
        payload = json.loads(body) if body else {}
        self.requests.append((path, payload, dict(headers or {})))
        answer = self.routes[path]
        if isinstance(answer, BaseException):
            raise answer
        return answer(payload) if callable(answer) else answer


@pytest.fixture
def settings_for(clean_env: Any) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values = {"GEMINI_API_KEY": "account-testkey123", "GEMINI_API_SECRET": "s3cretvalue99",
                  "ALLOWED_SYMBOLS": "BTC/USD,ETH/USD", "BASE_CURRENCY": "USD",
                  "GEMINI_SANDBOX": "false"}
        values.update(overrides)
        return load_settings(**values)

    return make


@pytest.fixture
def canned() -> Canned:
    return Canned()


@pytest.fixture
def gemini(settings_for: Callable[..., Settings], canned: Canned) -> Callable[..., Any]:
    """A connected GeminiTrader over ``canned``: ``await gemini(**settings overrides)``."""
    from trader_cli.venues.gemini.trader import GeminiTrader, make_exchange

    async def make(**overrides: Any) -> GeminiTrader:
        settings = settings_for(**overrides)
        exchange = make_exchange(settings)
        exchange.enableRateLimit = False
        exchange.fetch = canned.fetch
        trader = GeminiTrader(settings, exchange=exchange)
        await trader.connect()
        return trader

    return make
