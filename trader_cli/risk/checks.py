"""The outcome of risk, liquidity and market checks: one ``Check`` each, gathered in a verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from trader_cli.domain.models import Model, jsonable
from trader_cli.domain.money import Money
from trader_cli.errors import RiskRejected

CheckValue = Money | Decimal | str | None


class Category(StrEnum):
    """What kind of rule a check applies."""

    RISK = "risk"  # MAX_ORDER_VALUE, MAX_TOTAL_EXPOSURE, MIN_TRADE_SIZE, MAX_DAILY_LOSS
    SAFETY = "safety"  # kill switch, ALLOWED_SYMBOLS
    LIQUIDITY = "liquidity"  # spread, top of book, quote sanity
    MARKET = "market"  # exchange open


@dataclass(frozen=True, slots=True)
class Check(Model):
    """One rule applied to one order: whether it passed, the value seen and the limit.

    ``waived`` marks a rule the order broke but that does not apply to it, because the order
    only reduces a position; such a check counts as passed. ``evaluated`` is False for a rule
    that could not be applied (no figures for it): it refuses nothing, and is shown as not run,
    never as passed.
    """

    name: str
    passed: bool
    message: str
    value: CheckValue = None
    limit: CheckValue = None
    category: Category = Category.RISK
    waived: bool = False
    evaluated: bool = True


def money_text(amount: Money) -> str:
    """``6,012.00 AUD``: an amount as risk messages show it (two decimals)."""
    return str(amount.rounded(2))


@dataclass(slots=True)
class RiskVerdict:
    """Every check of one order; ``allowed`` when none failed."""

    checks: list[Check] = field(default_factory=list)
    reducing: bool = False
    # the order's value in the base currency, exactly as the limits saw it (None: not valued)
    order_value: Money | None = None

    @property
    def allowed(self) -> bool:
        """True when every check passed (waived checks count as passed)."""
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        """The checks that refuse the order, in the order they were made."""
        return [c for c in self.checks if not c.passed]

    def extend(self, checks: list[Check]) -> RiskVerdict:
        """Add more checks (liquidity, market hours) to this verdict; returns self."""
        self.checks.extend(checks)
        return self

    def raise_if_failed(self) -> None:
        """Raise :class:`RiskRejected` (exit 3) naming the first failed limit and its value."""
        failed = self.failed
        if not failed:
            return
        first = failed[0]
        others = "; ".join(c.message for c in failed[1:])
        raise RiskRejected(
            first.message,
            limit=first.name,
            value=first.value,
            hint=f"also: {others}" if others else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``allowed``, ``reducing`` and every check."""
        return {
            "allowed": self.allowed,
            "reducing": self.reducing,
            "checks": [jsonable(c) for c in self.checks],
        }
