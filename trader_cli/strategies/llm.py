"""The LLM strategy: an OpenAI-compatible chat model proposes plans; anything invalid is refused.

The model sees a :class:`~trader_cli.strategies.prompt.TradingContext`, may call
``get_candles``/``get_quote`` (through ``ctx.data``, with IB guardrails) for at most
``LLM_MAX_TOOL_CALLS`` rounds, and must answer with JSON. Every decision is validated; a bad one
becomes ``Hold(reason="refused: ...")`` and is never traded. Transport failures raise
:class:`~trader_cli.errors.TemporaryError`, which the health circuit counts.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from trader_cli.clock import REAL_CLOCK, Clock
from trader_cli.domain.models import Side, jsonable
from trader_cli.domain.money import Money
from trader_cli.domain.symbols import InstrumentClass, Symbol, parse_symbol
from trader_cli.domain.timeframes import parse_timeframe
from trader_cli.errors import ConfigError, TraderError
from trader_cli.strategies.base import Decision, Hold, StrategyContext, TradePlan
from trader_cli.strategies.prompt import (
    MAX_BOOK_DEPTH,
    MAX_CANDLES,
    MAX_TAPE,
    LLMAnswer,
    LLMDecision,
    build_messages,
    strict_answer_schema,
)
from trader_cli.strategies.usage import LLMUsage

if TYPE_CHECKING:
    from trader_cli.config import Settings
    from trader_cli.strategies.llm_client import Sleep

log = logging.getLogger(__name__)

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_candles",
            "description": "OHLCV bars for a symbol in the universe, oldest first.",
            "parameters": {
                "type": "object",
                "properties": {
                    "symbol": {"type": "string", "description": "canonical, e.g. BHP/AUD"},
                    "timeframe": {"type": "string", "description": "e.g. 5m, 1h, 1d"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_CANDLES},
                },
                "required": ["symbol", "timeframe"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_quote",
            "description": "Top of book (bid, ask, sizes, last, spread) for a symbol.",
            "parameters": {
                "type": "object",
                "properties": {"symbol": {"type": "string"}},
                "required": ["symbol"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_order_book",
            "description": "The venue's order book for a symbol: up to depth [price, size] "
            "levels a side, best first. source is depth, or top_of_book (one level) where the "
            "account has no depth data; note says why.",
            "parameters": {
                "type": "object",
                "properties": {
                    "symbol": {"type": "string"},
                    "depth": {"type": "integer", "minimum": 1, "maximum": MAX_BOOK_DEPTH},
                },
                "required": ["symbol"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_trades",
            "description": "The market's recent public trades (everyone's, not ours), oldest "
            "first: price, amount, side (aggressor, null if unknown), timestamp. kind is trade, "
            "midpoint (FX has no trade prints: amount is null) or last (no tape for this "
            "account: the last price only).",
            "parameters": {
                "type": "object",
                "properties": {
                    "symbol": {"type": "string"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_TAPE},
                },
                "required": ["symbol"],
                "additionalProperties": False,
            },
        },
    },
]
# -- the strategy --------------------------------------------------------------------------
class LLMStrategy:
    """Ask a chat model for plans; validate every one of them against the context."""

    name = "llm"

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = REAL_CLOCK,
        client: Any = None,
        sleep: Sleep | None = None,
    ) -> None:
        cfg = settings.llm
        if client is None:
            if not cfg.model:
                raise ConfigError(
                    "LLM_MODEL is not set", hint="set LLM_MODEL (and LLM_BASE_URL, LLM_API_KEY)"
                )
            from trader_cli.strategies.llm_client import ChatClient

            extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
            client = ChatClient(
                settings.llm_base_url,
                cfg.model,
                settings.llm_api_key,
                timeout=cfg.timeout,
                temperature=cfg.temperature,
                response_format=cfg.response_format,
                max_retries=cfg.max_retries,
                retry_max_wait=cfg.retry_max_wait,
                **extra,
            )
        #: anything with ``complete(messages, tools=, tool_choice=, schema=) -> dict``
        self.client = client
        self.clock = clock
        self.max_tool_calls = cfg.max_tool_calls
        self.model = cfg.model or "?"
        self.price_input = cfg.price_input_per_mtok
        self.price_output = cfg.price_output_per_mtok
        self.last_refusals: list[str] = []
        #: tokens and cost of the last decide() (None before the first, or if it failed)
        self.last_usage: LLMUsage | None = None

    def __repr__(self) -> str:
        return f"LLMStrategy({self.client!r})"

    async def decide(self, ctx: StrategyContext) -> list[Decision]:
        """One round with the model (plus tool rounds); every universe symbol gets a decision."""
        self.last_refusals = []
        self.last_usage = None
        messages = build_messages(ctx, max_tool_calls=self.max_tool_calls)
        schema = strict_answer_schema(ctx)
        usages: list[dict[str, Any]] = []
        round_id = uuid.uuid4().hex[:12]
        rounds = 0
        while True:
            tools_open = rounds < self.max_tool_calls
            if tools_open:
                response = await self.client.complete(messages, tools=TOOLS, schema=schema)
            elif rounds:
                response = await self.client.complete(
                    messages, tools=TOOLS, tool_choice="none", schema=schema
                )
            else:
                response = await self.client.complete(messages, schema=schema)
            usage = response.get("usage")
            usages.append(usage if isinstance(usage, dict) else {})
            self.last_usage = LLMUsage.of(
                round_id,
                str(response.get("model") or self.model),
                usages,
                price_input=self.price_input,
                price_output=self.price_output,
                response_format=str(getattr(self.client, "response_format", "text")),
            )
            message = _message(response)
            if message is None:
                return self._refuse_all(ctx, "the response has no message")
            calls = message.get("tool_calls") or []
            if not calls:
                return await self._decisions(message.get("content"), ctx)
            if not tools_open:
                return self._refuse_all(
                    ctx, f"the model kept calling tools after {self.max_tool_calls} rounds"
                )
            rounds += 1
            messages.append(
                {"role": "assistant", "content": message.get("content"), "tool_calls": calls}
            )
            for call in calls:
                result = await self._run_tool(call, ctx)
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": str(call.get("id", "")),
                        "content": json.dumps(result, default=str, separators=(",", ":")),
                    }
                )

    # -- tools ----------------------------------------------------------------------------
    async def _run_tool(self, call: dict[str, Any], ctx: StrategyContext) -> dict[str, Any]:
        function = call.get("function") or {}
        name = function.get("name")
        try:
            raw_args = function.get("arguments") or "{}"
            args = json.loads(raw_args) if isinstance(raw_args, str) else dict(raw_args)
            if not isinstance(args, dict):
                raise ValueError("arguments must be a JSON object")
        except (ValueError, TypeError) as e:
            return _tool_error(f"arguments of {name} are not a JSON object: {e}")
        try:
            if name == "get_candles":
                return await self._get_candles(ctx, **args)
            if name == "get_quote":
                return await self._get_quote(ctx, **args)
            if name == "get_order_book":
                return await self._get_order_book(ctx, **args)
            if name == "get_trades":
                return await self._get_trades(ctx, **args)
        except TypeError as e:
            return _tool_error(f"bad arguments for {name}: {e}")
        except TraderError as e:
            log.info("llm tool %s failed: %s", name, e.message)
            return _tool_error(e.message + (f" ({e.hint})" if e.hint else ""))
        return _tool_error(
            f"unknown tool {name!r}; use get_candles, get_quote, get_order_book or get_trades"
        )

    async def _get_candles(
        self, ctx: StrategyContext, symbol: str, timeframe: str, limit: int = 100
    ) -> dict[str, Any]:
        sym = _universe_symbol(symbol, ctx)
        tf = parse_timeframe(str(timeframe))
        caps = ctx.capabilities
        if caps is not None and not caps.supports(tf):
            supported = ", ".join(t.value for t in caps.timeframes)
            return _tool_error(f"{caps.name} has no {tf.value} bars; use one of {supported}")
        try:
            count = max(1, min(MAX_CANDLES, int(limit)))
        except (TypeError, ValueError):
            return _tool_error(f"limit must be an integer 1-{MAX_CANDLES}")
        candles = await ctx.data.candles(sym, tf, count)
        return {
            "symbol": str(sym),
            "timeframe": tf.value,
            "limit": count,
            "columns": ["ts", "open", "high", "low", "close", "volume"],
            "candles": [
                [
                    c.ts.isoformat(),
                    str(c.open),
                    str(c.high),
                    str(c.low),
                    str(c.close),
                    str(c.volume),
                ]
                for c in candles
            ],
        }

    async def _get_quote(self, ctx: StrategyContext, symbol: str) -> dict[str, Any]:
        sym = _universe_symbol(symbol, ctx)
        quote = await ctx.data.quote(sym)
        return quote.to_dict()

    async def _get_order_book(
        self, ctx: StrategyContext, symbol: str, depth: int = MAX_BOOK_DEPTH
    ) -> dict[str, Any]:
        sym = _universe_symbol(symbol, ctx)
        try:
            n = max(1, min(MAX_BOOK_DEPTH, int(depth)))
        except (TypeError, ValueError):
            return _tool_error(f"depth must be an integer 1-{MAX_BOOK_DEPTH}")
        book: dict[str, Any] = jsonable(await ctx.data.order_book(sym, n))
        return book

    async def _get_trades(
        self, ctx: StrategyContext, symbol: str, limit: int = MAX_TAPE
    ) -> dict[str, Any]:
        sym = _universe_symbol(symbol, ctx)
        try:
            n = max(1, min(MAX_TAPE, int(limit)))
        except (TypeError, ValueError):
            return _tool_error(f"limit must be an integer 1-{MAX_TAPE}")
        return {"symbol": str(sym), "trades": jsonable(await ctx.data.trades(sym, n))}

    # -- validation -----------------------------------------------------------------------
    async def _decisions(self, content: Any, ctx: StrategyContext) -> list[Decision]:
        if not isinstance(content, str) or not content.strip():
            return self._refuse_all(ctx, "empty answer")
        text = _strip_fences(content)
        try:
            answer = LLMAnswer.model_validate_json(text)
        except ValidationError as e:
            return self._refuse_all(ctx, f"answer is not valid JSON of the schema: {_first(e)}")
        out: list[Decision] = []
        seen: set[Symbol] = set()
        for raw in answer.decisions:
            decision = await self._one(raw, ctx, seen)
            out.append(decision)
            seen.add(decision.symbol)
        for sym in ctx.universe:
            if sym not in seen:
                out.append(Hold(sym, "no decision from the model", self.name))
        return out

    async def _one(self, raw: dict[str, Any], ctx: StrategyContext, seen: set[Symbol]) -> Decision:
        label = _label_symbol(raw.get("symbol"))
        try:
            d = LLMDecision.model_validate(raw)
        except ValidationError as e:
            return self._refuse(label, f"invalid decision: {_first(e)}")
        try:
            sym = parse_symbol(d.symbol)
        except TraderError as e:
            return self._refuse(label, f"symbol {d.symbol!r}: {e.message}")
        untradable = _untradable(sym, ctx)
        if untradable:
            return self._refuse(sym, untradable)
        if sym not in ctx.universe:
            return self._refuse(sym, f"{sym} is not in the universe")
        if sym in seen:
            return self._refuse(sym, f"a second decision for {sym}")
        if d.action == "hold":
            return Hold(sym, d.rationale, self.name)
        return await self._plan(d, sym, ctx)

    async def _plan(self, d: LLMDecision, sym: Symbol, ctx: StrategyContext) -> Decision:
        if d.side is None or d.stop is None:
            return self._refuse(sym, "an entry needs side and stop")
        if (d.size is None) == (d.risk_budget is None):
            return self._refuse(sym, "an entry needs exactly one of size or risk_budget")
        if d.size is not None and _is_equity(sym) and d.size != d.size.to_integral_value():
            return self._refuse(sym, f"size {d.size} is not whole shares")
        if ctx.market_open.get(str(sym)) is False:
            return self._refuse(sym, f"the market for {sym} is closed")
        side = Side(d.side)
        reference = d.entry
        if reference is None:
            try:
                reference = (await ctx.data.quote(sym)).price
            except TraderError as e:
                return self._refuse(sym, f"no entry price and no quote to check the stop: {e}")
            if reference is None:
                return self._refuse(sym, "no entry price and no quote to check the stop against")
        if side is Side.BUY and not d.stop < reference:
            return self._refuse(sym, f"buy stop {d.stop} is not below entry {reference}")
        if side is Side.SELL and not d.stop > reference:
            return self._refuse(sym, f"sell stop {d.stop} is not above entry {reference}")
        if d.target is not None and (
            (side is Side.BUY and not d.target > reference)
            or (side is Side.SELL and not d.target < reference)
        ):
            return self._refuse(
                sym, f"{side.value} target {d.target} is on the wrong side of {reference}"
            )
        return TradePlan(
            symbol=sym,
            side=side,
            stop=d.stop,
            rationale=d.rationale,
            strategy=self.name,
            size=d.size,
            risk_budget=None if d.risk_budget is None else Money(d.risk_budget, ctx.base_currency),
            entry=d.entry,
            target=d.target,
            expiry=None
            if d.expiry_minutes is None
            else ctx.now + timedelta(minutes=d.expiry_minutes),
        )

    def _refuse(self, symbol: Symbol, why: str) -> Hold:
        log.warning("llm decision for %s refused: %s", symbol, why)
        self.last_refusals.append(f"{symbol}: {why}")
        return Hold(symbol, f"refused: {why}", self.name)

    def _refuse_all(self, ctx: StrategyContext, why: str) -> list[Decision]:
        log.warning("llm answer refused: %s", why)
        self.last_refusals.append(why)
        return [Hold(sym, f"refused: {why}", self.name) for sym in ctx.universe]


# -- helpers -------------------------------------------------------------------------------
def _message(response: dict[str, Any]) -> dict[str, Any] | None:
    choices = response.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    message = choices[0].get("message")
    return message if isinstance(message, dict) else None


def _tool_error(message: str) -> dict[str, Any]:
    return {"error": message}


def _universe_symbol(text: Any, ctx: StrategyContext) -> Symbol:
    from trader_cli.errors import SymbolError

    sym = parse_symbol(str(text))
    untradable = _untradable(sym, ctx)
    if untradable:
        raise SymbolError(untradable)
    if sym not in ctx.universe:
        allowed = ", ".join(str(s) for s in ctx.universe)
        raise SymbolError(f"{sym} is not in the universe", hint=f"use one of {allowed}")
    return sym


def _untradable(sym: Symbol, ctx: StrategyContext) -> str | None:
    """Why the venue cannot trade ``sym`` at all (crypto on IB), or None."""
    caps = ctx.capabilities
    if caps is None:
        return None
    try:
        klass = sym.instrument_class
    except TraderError:
        return None
    if caps.trades(klass):
        return None
    kind = "crypto" if klass is InstrumentClass.CRYPTO else f"a {klass.label}"
    return f"{sym} is {kind}; {caps.description} has none"


def _is_equity(sym: Symbol) -> bool:
    try:
        return sym.instrument_class.is_equity
    except TraderError:
        return False


def _label_symbol(value: Any) -> Symbol:
    text = str(value or "?").strip().upper()[:24]
    base, _, quote = text.partition("/")
    return Symbol(base or "?", quote)


def _strip_fences(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("```") and stripped.endswith("```"):
        stripped = stripped[3:-3]
        if stripped.lower().startswith("json"):
            stripped = stripped[4:]
    return stripped.strip()


def _first(error: ValidationError) -> str:
    items = error.errors()
    if not items:
        return str(error)
    e = items[0]
    where = ".".join(str(p) for p in e.get("loc", ()))
    return f"{where}: {e.get('msg')}" if where else str(e.get("msg"))


__all__ = ["TOOLS", "LLMStrategy"]
