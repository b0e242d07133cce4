"""The Gemini replay server: nonce and key never count; the n-th identical request gets the n-th
recorded answer; a client order id other than the recorded one is mapped both ways."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.replay.gemini_fixture import GEMINI_FIXTURE, GEMINI_SYMBOLS
from trader_cli.config import load_settings
from trader_cli.domain.models import OrderStatus
from trader_cli.domain.symbols import parse_symbols
from trader_cli.replay.gemini_cassette import Interaction, request_key
from trader_cli.replay.gemini_server import GeminiReplayServer
from trader_cli.services.scenario import far_limit_order_round_trip
from trader_cli.services.venue import open_replay


def _answer(path: str, body: Any, payload: dict[str, Any] | None = None) -> Interaction:
    return Interaction(request_key("POST", path, [], payload), 200, json.dumps(body), "json")


def test_identical_requests_get_the_recorded_answers_in_order() -> None:
    balances = {"request": "/v1/balances"}
    server = GeminiReplayServer([
        _answer("/v1/balances", ["first"], balances),
        _answer("/v1/balances", ["second"], balances),
    ])  # fmt: skip
    asked = [
        server.answer("POST", "/v1/balances", {}, {**balances, "nonce": n}) for n in (1, 2, 3)
    ]
    assert [a.body if a else None for a in asked] == ['["first"]', '["second"]', '["second"]']
    assert server.unmatched == []


def test_an_order_is_answered_once_only() -> None:
    new = {"request": "/v1/order/new", "symbol": "btcusd", "client_order_id": "trd-1"}
    server = GeminiReplayServer([_answer("/v1/order/new", {"order_id": "9"}, new)])
    assert server.answer("POST", "/v1/order/new", {}, {**new, "nonce": 5}) is not None
    assert server.answer("POST", "/v1/order/new", {}, {**new, "nonce": 6}) is None


def test_another_payload_is_not_an_answer() -> None:
    new = {"request": "/v1/order/new", "symbol": "btcusd", "price": "100.00"}
    server = GeminiReplayServer([_answer("/v1/order/new", {"order_id": "9"}, new)])
    assert server.answer("POST", "/v1/order/new", {}, {**new, "price": "101.00"}) is None


async def test_an_order_with_another_client_id_is_mapped_both_ways(clean_env: Any) -> None:
    settings = load_settings(None, CLIENT_ORDER_PREFIX="zzz", BASE_CURRENCY="USD",
                             ALLOWED_SYMBOLS=",".join(GEMINI_SYMBOLS),
                             MAX_TOTAL_EXPOSURE="200000")  # fmt: skip
    async with open_replay(settings, GEMINI_FIXTURE) as replayed:
        result = await asyncio.wait_for(
            far_limit_order_round_trip(
                replayed.trader, settings, parse_symbols(list(GEMINI_SYMBOLS))
            ),
            timeout=10,
        )
        assert replayed.gateway.unmatched == []
        assert isinstance(replayed.gateway, GeminiReplayServer)
        assert replayed.gateway.client_ids == {"zzz-fixture-1": "trd-fixture-1"}
    assert result["placed"]["clientOrderId"] == "zzz-fixture-1"
    assert result["cancelled"]["clientOrderId"] == "zzz-fixture-1"
    assert result["cancelled"]["status"] == OrderStatus.CANCELED.value


async def test_the_recorded_ids_need_no_mapping(clean_env: Any) -> None:
    settings = load_settings(None, CLIENT_ORDER_PREFIX="trd", BASE_CURRENCY="USD",
                             ALLOWED_SYMBOLS=",".join(GEMINI_SYMBOLS),
                             MAX_TOTAL_EXPOSURE="200000")  # fmt: skip
    async with open_replay(settings, GEMINI_FIXTURE) as replayed:
        await far_limit_order_round_trip(
            replayed.trader, settings, parse_symbols(list(GEMINI_SYMBOLS))
        )
        assert isinstance(replayed.gateway, GeminiReplayServer)
        assert replayed.gateway.client_ids == {}
