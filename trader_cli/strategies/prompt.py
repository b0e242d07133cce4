"""TradingContext and the chat prompt: what the LLM is told about venue, universe and risk."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from trader_cli.domain.symbols import InstrumentClass, Symbol
from trader_cli.strategies.base import StrategyContext

MAX_CANDLES = 500
MAX_BOOK_DEPTH = 10  # levels a side a model may ask for
MAX_TAPE = 50  # public prints a model may ask for


class LLMDecision(BaseModel):
    """One decision as the model must write it (validated again against the context)."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["enter", "hold"]
    symbol: str = Field(min_length=3, max_length=24)
    side: Literal["buy", "sell"] | None = None
    size: Decimal | None = Field(default=None, gt=0)
    risk_budget: Decimal | None = Field(default=None, gt=0)
    entry: Decimal | None = Field(default=None, gt=0)
    stop: Decimal | None = Field(default=None, gt=0)
    target: Decimal | None = Field(default=None, gt=0)
    expiry_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    rationale: str = Field(min_length=1, max_length=2000)


class LLMAnswer(BaseModel):
    """The whole answer: ``{"decisions": [...]}`` and nothing else."""

    model_config = ConfigDict(extra="forbid")

    decisions: list[dict[str, Any]]


def answer_schema() -> dict[str, Any]:
    """JSON schema of the answer the model must return."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["decisions"],
        "properties": {"decisions": {"type": "array", "items": LLMDecision.model_json_schema()}},
    }


def strict_answer_schema(ctx: StrategyContext) -> dict[str, Any]:
    """The answer schema in the form OpenAI's strict ``json_schema`` mode accepts.

    Every field is required (absent ones are null), unknown fields are forbidden, symbols are
    the universe's. Bounds strict mode may refuse are left to the validation that follows
    every answer (:class:`LLMDecision`).
    """
    number = {"type": ["number", "null"]}
    symbols = [str(s) for s in ctx.universe]
    properties: dict[str, Any] = {
        "action": {"type": "string", "enum": ["enter", "hold"]},
        "symbol": {"type": "string", "enum": symbols} if symbols else {"type": "string"},
        "side": {"type": ["string", "null"], "enum": ["buy", "sell", None]},
        "size": number,
        "risk_budget": number,
        "entry": number,
        "stop": number,
        "target": number,
        "expiry_minutes": {"type": ["integer", "null"]},
        "rationale": {"type": "string"},
    }
    decision = {
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "required": list(properties),
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["decisions"],
        "properties": {"decisions": {"type": "array", "items": decision}},
    }


@dataclass
class TradingContext:
    """The facts the model sees, in plain JSON-able form (canonical symbols only)."""

    now: datetime
    venue: str
    venue_label: str
    simulated: bool
    base_currency: str
    universe: list[dict[str, Any]]
    positions: list[dict[str, Any]]
    open_plans: list[dict[str, Any]]
    account: dict[str, Any] | None
    limits: dict[str, str]
    costs: dict[str, str]
    rules: list[str]
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_strategy_context(cls, ctx: StrategyContext) -> TradingContext:
        """Describe ``ctx`` for the model: venue, universe with hours, positions, limits, costs."""
        universe = [_describe_symbol(s, ctx) for s in ctx.universe]
        return cls(
            now=ctx.now,
            venue=ctx.venue,
            venue_label=venue_label(ctx),
            simulated=ctx.simulated,
            base_currency=ctx.base_currency,
            universe=universe,
            positions=[p.to_dict() for p in ctx.positions],
            open_plans=list(ctx.open_plans),
            account=None if ctx.account is None else _account(ctx),
            limits=dict(ctx.limits),
            costs=dict(ctx.costs),
            rules=venue_rules(ctx),
            notes=list(ctx.notes),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for the user message."""
        return {
            "now": self.now.isoformat(),
            "venue": self.venue_label,
            "simulated": self.simulated,
            "baseCurrency": self.base_currency,
            "universe": self.universe,
            "positions": self.positions,
            "openPlans": self.open_plans,
            "account": self.account,
            "limits": self.limits,
            "costs": self.costs,
            "notes": self.notes,
        }


def venue_label(ctx: StrategyContext) -> str:
    """The venue's description (``Interactive Brokers Australia``), or the SIMULATED label."""
    caps = ctx.capabilities
    described = caps.description if caps is not None else ctx.venue
    if ctx.simulated:
        return f"SIMULATED market (offline simulator with {described} rules)"
    return described


def venue_rules(ctx: StrategyContext) -> list[str]:
    """What may be traded here (the venue's declared rules), so the model asks for nothing else."""
    caps = ctx.capabilities
    if caps is None or not caps.trading_rules:
        return [f"Risk limits are in {ctx.base_currency}."]
    return [rule.format(base_currency=ctx.base_currency) for rule in caps.trading_rules]


def _describe_symbol(symbol: Symbol, ctx: StrategyContext) -> dict[str, Any]:
    try:
        klass: InstrumentClass | None = symbol.instrument_class
    except Exception:
        klass = None
    is_open = ctx.market_open.get(str(symbol))
    return {
        "symbol": str(symbol),
        "class": None if klass is None else klass.label,
        "marketOpen": is_open,
        "hours": _hours_note(klass, ctx.now) if klass is not None else None,
    }


def _hours_note(klass: InstrumentClass, at: datetime) -> str | None:
    # exchange calendars are heavy: imported here, and a failure only loses the note
    try:
        from trader_cli.hours import market_hours

        return market_hours(klass, at).note
    except Exception:
        return None


def _account(ctx: StrategyContext) -> dict[str, Any]:
    assert ctx.account is not None
    data = ctx.account.to_dict()
    data.pop("account_id", None)  # the model never needs the account id
    return data


def build_messages(ctx: StrategyContext, *, max_tool_calls: int) -> list[dict[str, Any]]:
    """The system and user messages of one decision round."""
    trading = TradingContext.from_strategy_context(ctx)
    symbols = ", ".join(str(s) for s in ctx.universe) or "(none)"
    rules = "\n".join(f"- {r}" for r in trading.rules)
    tools = (
        f"You may call get_candles(symbol, timeframe, limit<={MAX_CANDLES}), get_quote(symbol), "
        f"get_order_book(symbol, depth<={MAX_BOOK_DEPTH}) and get_trades(symbol, "
        f"limit<={MAX_TAPE}) (the market's public prints) for symbols in the universe, in at "
        f"most {max_tool_calls} rounds."
        if max_tool_calls > 0
        else "No tools are available this time; decide from the context."
    )
    system = f"""You are the decision step of an automated trading bot.
Venue: {trading.venue_label}. Base currency: {ctx.base_currency}.
Universe (the only symbols you may name): {symbols}.
Rules:
{rules}
{tools}
Every entry needs side, stop and either size (units) or risk_budget ({ctx.base_currency} lost if \
the stop is hit). A buy's stop is below its entry and its target above; a sell's the reverse.
Give one decision per symbol you considered; hold when in doubt.
Answer ONLY with one JSON object matching this schema, no prose, no code fences:
{json.dumps(answer_schema(), separators=(",", ":"), default=str)}"""
    user = "Current trading context (JSON):\n" + json.dumps(
        trading.to_dict(), separators=(",", ":"), default=str
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
