"""A backtest's strategy context values the simulated account only when a strategy reads
``ctx.account`` (valuing it takes quotes), once per step, and is otherwise a whole context."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from trader_cli.backtest.engine import _Context
from trader_cli.strategies.base import StrategyContext

NOW = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)


def _context(asked: list[int]) -> _Context:
    def account_of() -> None:
        asked.append(1)
        return None

    return _Context(NOW, "ib", True, "AUD", [], None, [], [], None, {}, {}, {}, [], None,
                    account_of=account_of)


def test_the_account_is_asked_for_once_when_read_and_never_when_not() -> None:
    asked: list[int] = []
    ctx = _context(asked)
    assert asked == []
    assert ctx.now == NOW and ctx.base_currency == "AUD"  # the other fields, as given
    assert asked == []
    assert ctx.account is None and ctx.account is None
    assert asked == [1]
    assert _context(asked).venue == "ib" and asked == [1]


def test_the_context_has_every_field_a_strategy_context_has() -> None:
    asked: list[int] = []
    ctx = _context(asked)
    for f in dataclasses.fields(StrategyContext):
        getattr(ctx, f.name)
    assert asked == [1]  # reading them all read the account too, once
    try:
        ctx.no_such_field  # noqa: B018
    except AttributeError:
        pass
    else:
        raise AssertionError("an unknown attribute must raise AttributeError")
