"""The small interface every strategy implements, and the plan it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from trader_cli.domain.models import AccountSummary, Candle, Position, Quote, Side
from trader_cli.domain.money import Money
from trader_cli.domain.symbols import Symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.venues.base import VenueCapabilities


@dataclass(frozen=True, slots=True)
class TradePlan:
    """What a strategy wants: enter ``side`` on ``symbol`` with a stop, a target and an expiry.

    ``size`` is a quantity; when it is None, ``risk_budget`` (money lost if the stop is hit)
    sizes the trade. ``entry`` None means "at the market" (a marketable limit).
    """

    symbol: Symbol
    side: Side
    stop: Decimal
    rationale: str
    strategy: str
    size: Decimal | None = None
    risk_budget: Money | None = None
    entry: Decimal | None = None
    target: Decimal | None = None
    expiry: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields."""
        return {
            "symbol": str(self.symbol),
            "side": self.side.value,
            "stop": str(self.stop),
            "rationale": self.rationale,
            "strategy": self.strategy,
            "size": None if self.size is None else str(self.size),
            "riskBudget": None if self.risk_budget is None else self.risk_budget.to_json(),
            "entry": None if self.entry is None else str(self.entry),
            "target": None if self.target is None else str(self.target),
            "expiry": None if self.expiry is None else self.expiry.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Hold:
    """A strategy's decision not to trade ``symbol`` now, and why."""

    symbol: Symbol
    reason: str
    strategy: str


Decision = TradePlan | Hold


class MarketData(Protocol):
    """What strategies may ask for: the DataFetchCoordinator's read-only surface (ccxt shapes)."""

    async def candles(self, symbol: Symbol, timeframe: Timeframe, limit: int) -> list[Candle]:
        """OHLCV oldest first (cached within a cycle; clamped to what the venue supports)."""
        ...

    async def quote(self, symbol: Symbol) -> Quote:
        """Top of book (cached within a cycle)."""
        ...

    async def order_book(self, symbol: Symbol, depth: int = 10) -> dict[str, Any]:
        """ccxt-shaped book, best levels first: the venue's depth, or the top of book where
        the account has none (``source`` and ``note`` say so)."""
        ...

    async def trades(self, symbol: Symbol, limit: int = 50) -> list[dict[str, Any]]:
        """The venue's public prints as ccxt trades, oldest first (``kind`` says trade,
        midpoint for FX, or last where the venue has no tape)."""
        ...


@dataclass
class StrategyContext:
    """Everything a strategy sees in one cycle."""

    now: datetime
    venue: str
    simulated: bool
    base_currency: str
    universe: list[Symbol]
    data: MarketData
    positions: list[Position]
    open_plans: list[dict[str, Any]]
    account: AccountSummary | None
    market_open: dict[str, bool]
    limits: dict[str, str]
    costs: dict[str, str]
    notes: list[str] = field(default_factory=list)
    # what the venue can do: bar sizes, what may be traded, its rules in words (None: unknown)
    capabilities: VenueCapabilities | None = None


class Strategy(Protocol):
    """Turns a :class:`StrategyContext` into decisions; must not place orders itself."""

    name: str

    async def decide(self, ctx: StrategyContext) -> list[Decision]:
        """One decision per symbol it looked at (plans are checked by risk before anything)."""
        ...
