"""The strategies ``trader run`` (and anything else that runs the bot) can pick by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trader_cli.clock import Clock
    from trader_cli.config import Settings
    from trader_cli.strategies.base import Strategy

#: The built-in strategies :func:`make_strategy` knows by name (``--strategy``).
STRATEGY_NAMES = ("rules", "llm")


def make_strategy(name: str, settings: Settings, clock: Clock | None = None) -> Strategy:
    """The strategy called ``name``: ``rules`` (built in), ``llm`` (OpenAI-compatible), a
    plug-in ``package.module:ClassName``, or an installed ``trader.strategies`` entry point.

    Bad settings of the strategy (an LLM without an endpoint) and plug-ins that cannot be
    loaded raise here, before anything connects; ``clock`` is the venue's (the real clock
    when not yet known).
    """
    if name == "llm":
        from trader_cli.clock import REAL_CLOCK
        from trader_cli.strategies.llm import LLMStrategy

        return LLMStrategy(settings, clock=clock or REAL_CLOCK)
    if name == "rules":
        from trader_cli.strategies.rules import RulesStrategy

        return RulesStrategy()
    from trader_cli.strategies.plugins import load_plugin

    return load_plugin(name)
