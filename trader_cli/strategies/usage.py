"""What one round with a chat model cost: tokens from its ``usage``, and money at set prices."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from trader_cli.domain.money import Money

COST_CURRENCY = "USD"  # model prices are published in US dollars
TOKENS_PER_PRICE_UNIT = Decimal(1_000_000)  # prices are per million tokens


@dataclass(frozen=True, slots=True)
class LLMUsage:
    """Tokens and cost of one decision round (every request of it, tool rounds included).

    ``round_id`` is shared by every decision of the round: the round's cost is counted once.
    ``cost`` is None when the prices are not set (``LLM_PRICE_*_PER_MTOK``).
    """

    round_id: str
    model: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost: Money | None
    response_format: str

    @classmethod
    def of(
        cls,
        round_id: str,
        model: str,
        usages: list[dict[str, Any]],
        *,
        price_input: Decimal | None,
        price_output: Decimal | None,
        response_format: str,
    ) -> LLMUsage:
        """Sum the ``usage`` objects of a round's responses and price them."""
        prompt = sum(_tokens(u, "prompt_tokens") for u in usages)
        completion = sum(_tokens(u, "completion_tokens") for u in usages)
        return cls(
            round_id=round_id,
            model=model,
            requests=len(usages),
            prompt_tokens=prompt,
            completion_tokens=completion,
            cost=token_cost(prompt, completion, price_input, price_output),
            response_format=response_format,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (money as ``{"amount": "...", "currency": "USD"}``)."""
        return {
            "round": self.round_id,
            "model": self.model,
            "requests": self.requests,
            "promptTokens": self.prompt_tokens,
            "completionTokens": self.completion_tokens,
            "cost": None if self.cost is None else self.cost.to_json(),
            "responseFormat": self.response_format,
        }


def token_cost(
    prompt_tokens: int,
    completion_tokens: int,
    price_input: Decimal | None,
    price_output: Decimal | None,
) -> Money | None:
    """Cost in USD of the tokens at per-million prices; None when either price is unknown."""
    if price_input is None or price_output is None:
        return None
    amount = (
        Decimal(prompt_tokens) * price_input + Decimal(completion_tokens) * price_output
    ) / TOKENS_PER_PRICE_UNIT
    return Money(amount, COST_CURRENCY)


def _tokens(usage: dict[str, Any], key: str) -> int:
    value = usage.get(key)
    return value if isinstance(value, int) and value >= 0 else 0


@runtime_checkable
class ReportsUsage(Protocol):
    """A strategy that says what its last ``decide()`` cost (the LLM strategy)."""

    last_usage: LLMUsage | None


__all__ = ["COST_CURRENCY", "LLMUsage", "ReportsUsage", "token_cost"]
