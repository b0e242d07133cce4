"""The strategies ``trader run`` (and anything else that runs the bot) can pick by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trader_cli.errors import InputError

if TYPE_CHECKING:
    from trader_cli.clock import Clock
    from trader_cli.config import Settings
    from trader_cli.strategies.base import Strategy

#: Names accepted by :func:`make_strategy` (``--strategy``).
STRATEGY_NAMES = ("rules", "llm")


def make_strategy(name: str, settings: Settings, clock: Clock | None = None) -> Strategy:
    """The strategy called ``name``: ``rules`` (built in) or ``llm`` (OpenAI-compatible).

    Bad settings of the strategy (an LLM without an endpoint) raise here, before anything
    connects; ``clock`` is the venue's (the real clock when not yet known).
    """
    if name == "llm":
        from trader_cli.clock import REAL_CLOCK
        from trader_cli.strategies.llm import LLMStrategy

        return LLMStrategy(settings, clock=clock or REAL_CLOCK)
    if name == "rules":
        from trader_cli.strategies.rules import RulesStrategy

        return RulesStrategy()
    raise InputError(f"unknown strategy {name!r}", hint="use --strategy rules or llm")
