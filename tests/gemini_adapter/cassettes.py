"""vcrpy cassettes of the Gemini adapter's HTTP conversation (recorded against the simulator).

One short fixed scenario (:func:`run_scenario`) is recorded once against the SIMULATED Gemini
(seed 0, clock pinned at :data:`WHEN`, a fixed key pair) and committed under
``fixtures/gemini/cassettes/``. The suite replays it with ``record_mode="none"`` and no simulator.

Sanitizing (applied to every request before it is recorded *and* before it is matched):

- ``X-GEMINI-APIKEY``, ``X-GEMINI-PAYLOAD`` and ``X-GEMINI-SIGNATURE`` are dropped; the decoded
  payload minus its ``nonce`` becomes the request body, so the cassette shows what was asked;
- ``apiKey``/``secret``-like query parameters are dropped, the key and secret are scrubbed from
  bodies, and the base URL becomes :data:`CASSETTE_URL` (the simulator picks a free port).

Matching is on method + path + query + :func:`gemini_payload` (the payload without its nonce).
Re-record with ``python -m tests.gemini_adapter.record_cassettes``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import vcr
from vcr.request import Request

ROOT = Path(__file__).resolve().parents[2]
CASSETTE_DIR = ROOT / "fixtures" / "gemini" / "cassettes"
SCENARIO_CASSETTE = CASSETTE_DIR / "adapter_scenario.yaml"

WHEN = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)  # the simulator's pinned clock while recording
SEED = 0
#: the key pair the recording simulator accepts; the replaying adapter signs with it too
#: (the signature is never recorded). Neither string may appear in a cassette.
API_KEY = "account-cassette-recorder-key"
API_SECRET = "cassette-recorder-secret-0123456789"  # a simulator key pair
SECRETS = (API_KEY, API_SECRET)
#: every recorded URI is on this base; the replaying adapter points at it (nothing listens)
CASSETTE_URL = "http://127.0.0.1:8765"

GEMINI_HEADERS = ("x-gemini-apikey", "x-gemini-payload", "x-gemini-signature")
SECRET_QUERY_PARAMS = ["apiKey", "api_key", "key", "secret", "signature"]

REST_CID = "trd-cassette-rest-1"
FILL_CID = "trd-cassette-fill-1"
AMOUNT = Decimal("0.01")


# -- sanitizing and matching ------------------------------------------------------------------
def _decode_payload(value: str) -> dict[str, Any]:
    return dict(json.loads(base64.b64decode(value)))


def _scrub(text: str) -> str:
    for secret in SECRETS:
        text = text.replace(secret, "<scrubbed>")
    return text


def sanitize_request(request: Request) -> Request:
    """The request as recorded and as matched: no Gemini auth headers, payload in the body."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    payload = headers.get("x-gemini-payload")
    for name in list(request.headers):
        if name.lower() in GEMINI_HEADERS:
            del request.headers[name]
    if payload is not None:
        decoded = _decode_payload(payload)
        decoded.pop("nonce", None)
        request.body = json.dumps(decoded, sort_keys=True).encode()
    elif request.body:
        body = request.body
        text = body.decode() if isinstance(body, bytes) else str(body)
        request.body = _scrub(text).encode()
    parts = urlsplit(request.uri)
    base = urlsplit(CASSETTE_URL)
    request.uri = _scrub(urlunsplit((base.scheme, base.netloc, parts.path, parts.query, "")))
    return request


def sanitize_response(response: dict[str, Any]) -> dict[str, Any]:
    """No key or secret in a recorded answer's body or headers."""
    body = response.get("body", {}).get("string")
    if isinstance(body, bytes):
        response["body"]["string"] = _scrub(body.decode()).encode()
    elif isinstance(body, str):
        response["body"]["string"] = _scrub(body)
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() in GEMINI_HEADERS:
            del headers[name]
    return response


def _payload_of(request: Request) -> dict[str, Any] | None:
    """The Gemini payload without ``nonce``: from the header, else the (sanitized) body."""
    for name, value in request.headers.items():
        if name.lower() == "x-gemini-payload":
            decoded = _decode_payload(value)
            decoded.pop("nonce", None)
            return decoded
    body = request.body
    if not body:
        return None
    try:
        decoded = json.loads(body)
    except ValueError:
        return {"<raw>": body.decode() if isinstance(body, bytes) else str(body)}
    if isinstance(decoded, dict):
        decoded.pop("nonce", None)
        return decoded
    return {"<json>": decoded}


def gemini_payload(r1: Request, r2: Request) -> None:
    """vcrpy matcher: the two requests carry the same Gemini payload, nonce aside."""
    p1, p2 = _payload_of(r1), _payload_of(r2)
    assert p1 == p2, f"Gemini payloads differ: {p1} != {p2}"


def make_vcr(record_mode: str = "none") -> vcr.VCR:
    """The VCR the cassettes are recorded and replayed with."""
    v = vcr.VCR(
        record_mode=record_mode,
        match_on=["method", "path", "query", "gemini_payload"],
        filter_query_parameters=SECRET_QUERY_PARAMS,
        before_record_request=sanitize_request,
        before_record_response=sanitize_response,
        decode_compressed_response=True,
    )
    v.register_matcher("gemini_payload", gemini_payload)
    return v


# -- the scenario ----------------------------------------------------------------------------
@dataclass
class ScenarioResult:
    """What the scenario saw (compared in the replay test)."""

    quote: Any
    bars: list[Any]
    rested: Any
    open_orders: list[Any]
    cancelled: Any
    filled: Any
    trades: list[Any]
    summary: Any


def settings() -> Any:
    """Settings for the scenario (USD base: no FX; the recorder's key pair)."""
    from trader_cli.config import load_settings

    return load_settings(
        GEMINI_API_KEY=API_KEY, GEMINI_API_SECRET=API_SECRET, BASE_CURRENCY="USD",
        CLIENT_ORDER_PREFIX="trd", ALLOWED_SYMBOLS="BTC/USD", GEMINI_SANDBOX="false",
    )  # fmt: skip


def make_trader(url: str, clock: Any) -> Any:
    """A GeminiTrader (ccxt client, rate limiter off) on ``url``."""
    from trader_cli.venues.gemini.sim import GeminiSimTrader

    trader = GeminiSimTrader(settings(), url=url, clock=clock)
    trader.exchange.enableRateLimit = False
    return trader


async def run_scenario(trader: Any) -> ScenarioResult:
    """Markets, quote, 1h bars, a resting limit, open orders, cancel, a fill, trades, balances."""
    from trader_cli.domain.models import Side
    from trader_cli.domain.orders import OrderSpec
    from trader_cli.domain.symbols import parse_symbol
    from trader_cli.domain.timeframes import parse_timeframe
    from trader_cli.venues.base import OrderRequest

    btc = parse_symbol("BTC/USD")
    await trader.connect()
    inst = await trader.resolve(btc)
    quote = await trader.get_market_data(btc)
    bars = await trader.fetch_ohlcv(btc, parse_timeframe("1h"), 24)
    tick = inst.min_tick or Decimal("0.01")
    below = (quote.bid * Decimal("0.9")).quantize(tick)
    rested = await trader.place_order(
        OrderRequest(REST_CID, btc, Side.BUY, AMOUNT, OrderSpec.limit(below))
    )
    open_orders = await trader.get_open_orders()
    cancelled = await trader.cancel_order(REST_CID)
    above = (quote.ask * Decimal("1.01")).quantize(tick)
    filled = await trader.place_order(
        OrderRequest(FILL_CID, btc, Side.BUY, AMOUNT, OrderSpec.marketable_limit(above))
    )
    trades = await trader.get_my_trades(btc)
    summary = await trader.get_account_summary()
    return ScenarioResult(quote, bars, rested, open_orders, cancelled, filled, trades, summary)


async def replay(
    scenario: Callable[[Any], Awaitable[Any]] = run_scenario,
    cassette: Path = SCENARIO_CASSETTE,
) -> Any:
    """Run ``scenario`` on the cassette (``record_mode="none"``), no simulator."""
    from trader_cli.sim import SimClock

    trader = make_trader(CASSETTE_URL, SimClock.pinned(WHEN))
    try:
        with make_vcr("none").use_cassette(str(cassette)):
            return await scenario(trader)
    finally:
        await trader.close()


async def record(cassette: Path = SCENARIO_CASSETTE) -> ScenarioResult:
    """Record the scenario's cassette against a fresh simulator (seed 0, clock pinned).

    ``cassette`` must not exist yet (``record_mode="once"`` would replay it): see
    :mod:`tests.gemini_adapter.record_cassettes`, which removes the old one first.
    """
    from trader_cli.sim import SimClock
    from trader_cli.sim.gemini_rest import GeminiSimServer
    from trader_cli.venues.gemini.sim import GeminiSimTime

    async with GeminiSimServer.start(
        clock=SimClock.pinned(WHEN), seed=SEED, state_path=None,
        api_key=API_KEY, api_secret=API_SECRET,
    ) as sim:  # fmt: skip
        trader = make_trader(sim.base_url, GeminiSimTime(sim))
        try:
            with make_vcr("once").use_cassette(str(cassette)):
                return await run_scenario(trader)
        finally:
            await trader.close()
