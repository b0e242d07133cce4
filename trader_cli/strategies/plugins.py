"""Loading ``--strategy`` plug-ins (``package.module:Name`` or a ``trader.strategies`` entry point).

A plug-in is imported and constructed once, when the command starts, before anything connects;
every way it can fail to load is an :class:`InputError` naming what to fix. What it returns
each cycle is checked by :class:`CheckedStrategy` before the runner acts on it.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re
import traceback
from decimal import Decimal
from importlib import metadata
from typing import Any

from trader_cli.domain.models import Side
from trader_cli.errors import InputError, TraderError
from trader_cli.strategies.base import Decision, Hold, Strategy, StrategyContext, TradePlan

log = logging.getLogger(__name__)

#: The entry-point group installed packages declare their strategies under.
ENTRY_POINT_GROUP = "trader.strategies"

_MODULE_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")  # also Class or Class.Inner
_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")  # an entry point's name
_HOW = (
    "use --strategy rules, llm, package.module:ClassName (importable from this Python), "
    "or the name of an installed '" + ENTRY_POINT_GROUP + "' entry point"
)


class StrategyFailed(TraderError):
    """A plug-in strategy raised, or returned something that is not a list of decisions."""


def check_spec(spec: str) -> None:
    """Raise :class:`InputError` when ``spec`` cannot name a strategy at all (no import)."""
    module, sep, attr = spec.partition(":")
    if sep:
        if not (_MODULE_PATH.match(module) and _MODULE_PATH.match(attr)):
            raise InputError(f"--strategy {spec!r} is not package.module:ClassName", hint=_HOW)
    elif not _NAME.match(spec):
        raise InputError(f"--strategy {spec!r} is not a strategy name", hint=_HOW)


def installed_strategies() -> dict[str, metadata.EntryPoint]:
    """The ``trader.strategies`` entry points of the installed packages, by name."""
    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def load_plugin(spec: str) -> Strategy:
    """The strategy ``spec`` names (``module:Class`` or an entry point), constructed and checked.

    The target is called with no arguments: a class, or a function that returns a strategy.
    """
    check_spec(spec)
    if ":" in spec:
        module, _, attr = spec.partition(":")
        target = _attribute(_import(module, spec), attr, spec)
    else:
        found = installed_strategies()
        if spec not in found:
            names = ", ".join(sorted(found)) or "none installed"
            raise InputError(
                f"unknown strategy {spec!r} (built in: rules, llm; entry points: {names})",
                hint=_HOW,
            )
        ep = found[spec]
        target = _attribute(_import(ep.module, spec), ep.attr or "", spec) if ep.attr else None
        if target is None:
            raise InputError(
                f"entry point {spec!r} names a module ({ep.value}), not a class",
                hint=f"declare it as '{spec} = {ep.value}:ClassName' under [{ENTRY_POINT_GROUP}]",
            )
    return CheckedStrategy(_construct(target, spec))


def _import(module: str, spec: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        missing = e.name or ""
        if module == missing or module.startswith(missing + "."):
            raise InputError(
                f"strategy {spec!r}: no module named {missing!r}",
                hint="check the module path; install its package in this Python environment "
                "or put its folder on PYTHONPATH",
            ) from e
        raise InputError(
            f"strategy {spec!r}: its module needs {missing!r}, which is not installed",
            hint=f"install {missing!r} in the environment trader runs in",
        ) from e
    except Exception as e:
        where = _where(e)
        raise InputError(
            f"strategy {spec!r}: importing {module!r} failed: {type(e).__name__}: {e}{where}",
            hint="fix the module (run with -v for the traceback)",
        ) from e


def _attribute(module: Any, attr: str, spec: str) -> Any:
    target = module
    for part in attr.split("."):
        if not hasattr(target, part):
            public = sorted(n for n in dir(module) if n[:1].isupper())
            raise InputError(
                f"strategy {spec!r}: {module.__name__!r} has no {attr!r}",
                hint=f"classes there: {', '.join(public) or 'none'}",
            )
        target = getattr(target, part)
    return target


def _construct(target: Any, spec: str) -> Strategy:
    if not callable(target):
        raise InputError(
            f"strategy {spec!r} is a {type(target).__name__}, not a class",
            hint="point --strategy at a class with 'async def decide(self, ctx)'",
        )
    if inspect.isclass(target) and not callable(getattr(target, "decide", None)):
        raise InputError(
            f"strategy {spec!r}: {target.__name__} is not a Strategy (it has no decide method)",
            hint="give it 'name' and 'async def decide(self, ctx) -> list[Decision]' "
            "(see docs/strategies.md)",
        )
    try:
        strategy = target()
    except Exception as e:
        raise InputError(
            f"strategy {spec!r}: constructing it failed: {type(e).__name__}: {e}{_where(e)}",
            hint="a plug-in is constructed with no arguments; fix its __init__ "
            "(run with -v for the traceback)",
        ) from e
    decide = getattr(strategy, "decide", None)
    if not inspect.iscoroutinefunction(decide):
        what = "has no decide method" if decide is None else "has a decide that is not async"
        raise InputError(
            f"strategy {spec!r}: {type(strategy).__name__} is not a Strategy (it {what})",
            hint="define 'async def decide(self, ctx) -> list[Decision]' (see docs/strategies.md)",
        )
    name = getattr(strategy, "name", None)
    if not isinstance(name, str) or not name.strip():
        raise InputError(
            f"strategy {spec!r}: {type(strategy).__name__} has no name",
            hint="give the class a 'name' attribute: a short string recorded with its decisions",
        )
    return strategy  # type: ignore[no-any-return]


def _where(e: BaseException) -> str:
    """`` (file:line)`` where ``e`` was raised, for the message."""
    if isinstance(e, SyntaxError) and e.filename:
        return f" ({e.filename}:{e.lineno})"
    frames = traceback.extract_tb(e.__traceback__)
    return f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""


class CheckedStrategy:
    """A plug-in, with what it returns checked before anything acts on it.

    Anything it raises that is not a :class:`TraderError` (a bug in it), or an answer that is
    not a list of :class:`TradePlan`/:class:`Hold` on the context's universe with ``Decimal``
    prices, becomes :class:`StrategyFailed`: the cycle makes no entries and says why.
    """

    def __init__(self, inner: Strategy) -> None:
        self.inner = inner
        self.name: str = inner.name

    async def decide(self, ctx: StrategyContext) -> list[Decision]:
        """The plug-in's decisions, checked."""
        try:
            decisions = await self.inner.decide(ctx)
        except TraderError:
            raise
        except Exception as e:
            log.info("strategy %s raised", self.name, exc_info=True)  # -v, --log-file
            raise StrategyFailed(
                f"strategy {self.name} raised {type(e).__name__}: {e}{_where(e)}"
            ) from e
        return check_decisions(decisions, ctx, self.name)


def check_decisions(decisions: Any, ctx: StrategyContext, name: str) -> list[Decision]:
    """``decisions`` when they are a list of plans and holds the runner can act on, else
    :class:`StrategyFailed` saying what is wrong."""
    if not isinstance(decisions, list | tuple):
        raise StrategyFailed(
            f"strategy {name} returned {type(decisions).__name__}, not a list of decisions"
        )
    universe: set[str] | None = None
    for d in decisions:
        if type(d) is Hold and d.symbol in ctx.universe:
            continue  # the usual answer, with the context's own symbol: nothing to check
        if universe is None:
            universe = {str(s) for s in ctx.universe}
        problem = _problem(d, universe)
        if problem:
            raise StrategyFailed(f"strategy {name} returned {problem}")
    return list(decisions)


def _problem(d: object, universe: set[str]) -> str | None:
    if not isinstance(d, TradePlan | Hold):
        return f"a {type(d).__name__}, not a TradePlan or Hold"
    if str(d.symbol) not in universe:
        return f"a decision on {d.symbol}, which is not in this run's universe"
    if isinstance(d, Hold):
        return None
    if not isinstance(d.side, Side):
        return f"a plan on {d.symbol} whose side is {d.side!r}, not Side.BUY or Side.SELL"
    for field in ("stop", "entry", "target", "size"):
        value = getattr(d, field)
        if value is None and field != "stop":
            continue
        if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
            return (
                f"a plan on {d.symbol} whose {field} is {value!r}: "
                "use a positive Decimal (Decimal(str(x)) from a float)"
            )
    return None
