"""What one cycle of ``trader run`` saw and did: the live view renders it, --json prints it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from trader_cli.domain.display import money_json, time_json
from trader_cli.domain.display_models import position_json
from trader_cli.domain.models import AccountSummary, Position
from trader_cli.domain.money import Money
from trader_cli.services.plans import PlanEvent


@dataclass
class CycleReport:
    """What one cycle saw and did; ``positions`` are as they stand at the end of the cycle."""

    cycle: int
    at: datetime
    venue: str
    mode: str
    base_currency: str
    market_open: dict[str, bool] = field(default_factory=dict)
    equity: Money | None = None
    pnl: dict[str, str] = field(default_factory=dict)
    positions: list[Position] = field(default_factory=list)
    working: list[dict[str, str]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    plan_events: list[PlanEvent] = field(default_factory=list)
    circuit: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    baseline: str = ""  # the baseline kept out of positions, equity, PnL and exposure
    # the venue's price step of each crypto symbol shown (what its prices are written at)
    ticks: dict[str, Decimal | None] = field(default_factory=dict)
    # the venue's account summary as the cycle read it (recorded for `trader status`; not JSON)
    account: AccountSummary | None = None

    @property
    def sent_orders(self) -> bool:
        """Whether the cycle sent an order (a plan's exit or an entry)."""
        return any(e.action == "exit" for e in self.plan_events) or any(
            str(d.get("result", "")).startswith("sent ") for d in self.decisions
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe report (one event of ``trader run --json``): money at two decimals,
        prices at the tick, times to the second."""
        return {
            "event": "cycle",
            "cycle": self.cycle,
            "at": time_json(self.at),
            "venue": self.venue,
            "mode": self.mode,
            "baseCurrency": self.base_currency,
            "marketOpen": self.market_open,
            "equity": None if self.equity is None else money_json(self.equity),
            "pnl": {k: money_json(v, self.base_currency) for k, v in self.pnl.items()},
            "positions": [position_json(p, self.ticks.get(p.symbol)) for p in self.positions],
            "working": self.working,
            "decisions": self.decisions,
            "plans": [e.to_dict() for e in self.plan_events],
            "circuit": self.circuit,
            "errors": self.errors,
            "baseline": self.baseline or None,
        }
