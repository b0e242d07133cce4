"""``--strategy module:Class`` and ``trader.strategies`` entry points: loaded and checked, or an
InputError (exit 2) that names what to fix; a plug-in's answers are checked every cycle."""

from __future__ import annotations

import itertools
import textwrap
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from trader_cli.domain.models import Candle, Position, Side
from trader_cli.domain.symbols import parse_symbol
from trader_cli.errors import ExitCode, InputError
from trader_cli.strategies.base import Hold, StrategyContext, TradePlan
from trader_cli.strategies.examples.sma import SmaCrossover
from trader_cli.strategies.plugins import (
    ENTRY_POINT_GROUP,
    CheckedStrategy,
    StrategyFailed,
    check_spec,
    load_plugin,
)

T0 = datetime(2024, 7, 3, 0, 30, tzinfo=UTC)
BHP = parse_symbol("BHP/AUD")
_names = itertools.count()


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``plugin(source)`` → the name of a fresh module holding ``source``, importable now."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(source: str, name: str | None = None) -> str:
        name = name or f"plug_{next(_names)}_{tmp_path.name.replace('-', '_')}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        return name

    return write


GOOD = """
    from trader_cli.strategies.api import Hold

    class Quiet:
        name = "quiet"

        async def decide(self, ctx):
            return [Hold(s, "never trades", self.name) for s in ctx.universe]
"""


def bars(closes: list[float]) -> list[Candle]:
    out = []
    for i, c in enumerate(closes):
        d = Decimal(str(round(c, 4)))
        out.append(
            Candle(T0 + timedelta(minutes=5 * i), d, d + Decimal("0.1"), d - Decimal("0.1"), d, 1)
        )
    return out


class Bars:
    """MarketData serving fixed candles."""

    def __init__(self, candles: list[Candle]) -> None:
        self.served = candles

    async def candles(self, symbol, timeframe, limit):
        return self.served[-limit:]


def context(data=None, **overrides) -> StrategyContext:
    fields = dict(
        now=T0,
        venue="sim",
        simulated=True,
        base_currency="AUD",
        universe=[BHP],
        data=data or Bars([]),
        positions=[],
        open_plans=[],
        account=None,
        market_open={"BHP/AUD": True},
        limits={},
        costs={},
    )
    fields.update(overrides)
    return StrategyContext(**fields)


def failure(spec: str) -> str:
    with pytest.raises(InputError) as caught:
        load_plugin(spec)
    assert caught.value.exit_code is ExitCode.BAD_INPUT
    assert caught.value.hint
    return str(caught.value)


# -- loading ------------------------------------------------------------------------------------
async def test_a_module_path_loads_the_class_and_it_decides(plugin) -> None:
    strategy = load_plugin(f"{plugin(GOOD)}:Quiet")
    assert strategy.name == "quiet"
    (hold,) = await strategy.decide(context())
    assert hold == Hold(BHP, "never trades", "quiet")


async def test_an_installed_entry_point_loads_by_name(tmp_path, monkeypatch) -> None:
    dist = tmp_path / "my_strategies-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-strategies\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n"
        "sma = trader_cli.strategies.examples.sma:SmaCrossover\n"
        "whole-module = trader_cli.strategies.examples.sma\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    strategy = load_plugin("sma")
    assert isinstance(strategy, CheckedStrategy)
    assert isinstance(strategy.inner, SmaCrossover)
    assert "names a module" in failure("whole-module")
    message = failure("nope")
    assert "unknown strategy 'nope'" in message
    assert "sma" in message  # the installed ones are listed


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("foo bar", "is not a strategy name"),
        ("pkg.mod:", "is not package.module:ClassName"),
        ("pkg..mod:X", "is not package.module:ClassName"),
        ("pkg.mod:X-Y", "is not package.module:ClassName"),
    ],
)
def test_a_malformed_name_is_refused_before_any_import(spec: str, said: str) -> None:
    with pytest.raises(InputError, match=said):
        check_spec(spec)


def test_every_way_a_plugin_can_fail_to_load_names_what_to_fix(plugin) -> None:
    assert "no module named 'no_such_pkg_xyz'" in failure("no_such_pkg_xyz.strats:X")
    needs = plugin("import not_installed_dep_xyz\n")
    assert "needs 'not_installed_dep_xyz', which is not installed" in failure(f"{needs}:X")
    broken = plugin("def oops(:\n")
    message = failure(f"{broken}:X")
    assert "SyntaxError" in message
    assert f"{broken}.py:1" in message
    raises = plugin("raise RuntimeError('no config file')\n")
    assert "RuntimeError: no config file" in failure(f"{raises}:X")
    good = plugin(GOOD)
    message = failure(f"{good}:Loud")
    assert "has no 'Loud'" in message
    assert "Quiet" in message  # what is there
    assert "not a class" in failure(f"{plugin('X = 3')}:X")
    no_decide = plugin("class X:\n    name = 'x'\n")
    assert "not a Strategy (it has no decide method)" in failure(f"{no_decide}:X")
    sync = plugin("class X:\n    name = 'x'\n    def decide(self, ctx):\n        return []\n")
    assert "decide that is not async" in failure(f"{sync}:X")
    nameless = plugin("class X:\n    async def decide(self, ctx):\n        return []\n")
    assert "has no name" in failure(f"{nameless}:X")
    needs_args = plugin(
        "class X:\n    name = 'x'\n    def __init__(self, window):\n        pass\n"
        "    async def decide(self, ctx):\n        return []\n"
    )
    assert "constructing it failed: TypeError" in failure(f"{needs_args}:X")


# -- what a plug-in returns ---------------------------------------------------------------------
def returning(plugin, expression: str) -> CheckedStrategy:
    name = plugin(
        f"""
        from decimal import Decimal
        from trader_cli.strategies.api import Hold, Side, TradePlan
        from trader_cli.domain.symbols import parse_symbol

        class X:
            name = "x"

            async def decide(self, ctx):
                s = ctx.universe[0]
                return {expression}
        """
    )
    strategy = load_plugin(f"{name}:X")
    assert isinstance(strategy, CheckedStrategy)
    return strategy


@pytest.mark.parametrize(
    ("expression", "said"),
    [
        ("None", "returned NoneType, not a list of decisions"),
        ("['buy']", "a str, not a TradePlan or Hold"),
        ("[Hold(parse_symbol('CBA/AUD'), 'x', 'x')]", "not in this run's universe"),
        ("[TradePlan(s, Side.BUY, 44.1, 'x', 'x')]", "stop is 44.1"),
        ("[TradePlan(s, Side.BUY, Decimal(44), 'x', 'x', size=Decimal(-5))]", "size is"),
        ("[TradePlan(s, 'buy', Decimal(44), 'x', 'x')]", "not Side.BUY or Side.SELL"),
        ("[Hold(s, 'x', 'x')][0].nope", "raised AttributeError"),
    ],
)
async def test_an_answer_the_runner_cannot_act_on_is_a_strategy_failure(
    plugin, expression: str, said: str
) -> None:
    with pytest.raises(StrategyFailed, match="strategy x ") as caught:
        await returning(plugin, expression).decide(context())
    assert said in caught.value.message


async def test_a_well_formed_plan_passes_unchanged(plugin) -> None:
    strategy = returning(plugin, "[TradePlan(s, Side.SELL, Decimal('44.5'), 'why', 'x')]")
    (plan,) = await strategy.decide(context())
    assert plan == TradePlan(BHP, Side.SELL, Decimal("44.5"), "why", "x")


# -- the SMA example ------------------------------------------------------------------------------
async def test_the_sma_example_enters_on_the_crossing_bar_only() -> None:
    falling = [50.0 - 0.1 * i for i in range(49)]
    crossed = [*falling, 65.0]  # the last bar lifts SMA10 over SMA30
    (plan,) = await SmaCrossover().decide(context(Bars(bars(crossed))))
    assert isinstance(plan, TradePlan)
    assert plan.side is Side.BUY
    assert plan.stop < Decimal("65") < plan.target
    assert plan.risk_budget is not None
    assert plan.risk_budget.amount == 100
    (hold,) = await SmaCrossover().decide(context(Bars(bars([*crossed, 65.5]))))
    assert hold == Hold(BHP, "no crossover", "sma-crossover")  # already above: no new signal
    (hold,) = await SmaCrossover().decide(context(Bars(bars(falling))))
    assert hold.reason == "no crossover"
    (hold,) = await SmaCrossover().decide(context(Bars(bars(crossed[-25:]))))
    assert hold.reason == "not enough history"
    position = Position("BHP/AUD", Decimal(10), Decimal(50), Decimal(50), T0, "AUD")
    (hold,) = await SmaCrossover().decide(context(Bars(bars(crossed)), positions=[position]))
    assert hold.reason == "market closed, or a position is open"


def test_the_documented_example_is_the_shipped_one_and_under_40_lines() -> None:
    root = Path(__file__).resolve().parents[2]
    shipped = (root / "trader_cli/strategies/examples/sma.py").read_text()
    doc = (root / "docs/strategies.md").read_text()
    assert f"```python\n{shipped}```" in doc
    assert len(shipped.splitlines()) < 40
