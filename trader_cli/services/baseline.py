"""Taking the baseline of a paper or sim account, and the bot's view of the account beside it.

The baseline is taken once per scope, by the first command that opens the scope's trading
context (``run``, ``place`` — its dry run too —, ``flatten``, ``resync`` or ``baseline``): that
is before the bot can have sent anything in the scope, so whatever the account holds then is by
definition not the bot's. A live account never gets one: its holdings are the user's and real
exposure, so every limit counts them. A replay has none either (it replays a recording as is).
A scope that already has orders from before baselines existed gets none automatically (the
venue's positions may be the bot's); ``trader baseline --reset`` takes one explicitly.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from trader_cli.db import baselines as stored
from trader_cli.db import store
from trader_cli.domain.baseline import Baseline, BaselineHolding, split_position
from trader_cli.domain.models import Position
from trader_cli.domain.money import Money
from trader_cli.domain.scope import Mode, Scope
from trader_cli.errors import InputError, TemporaryError, VenueError

if TYPE_CHECKING:
    from trader_cli.venues.base import BaseTrader

log = logging.getLogger("trader.baseline")

#: Modes whose holdings before the bot are kept out of its PnL, exposure and flatten --all.
BASELINE_MODES = frozenset({Mode.PAPER, Mode.SIM})
LIVE_HINT = (
    "a live account's holdings are yours and real exposure: every limit counts them, and "
    "flatten --all closes them"
)


def baseline_applies(scope: Scope) -> bool:
    """Whether ``scope`` keeps a baseline: paper accounts (a Gemini sandbox too) and the sim."""
    return scope.mode in BASELINE_MODES


async def take_baseline(venue: BaseTrader, base_currency: str, *, reason: str) -> Baseline:
    """What ``venue``'s account holds now: positions valued in ``base_currency``, and cash.

    A position no price or FX rate can value is kept with ``value`` None (its quantity is what
    matters); a venue that cannot list positions fails the command (nothing is recorded).
    """
    now = venue.clock.now()
    positions = [p for p in await venue.get_positions() if p.quantity != 0]
    summary = await venue.get_account_summary()
    holdings = []
    for p in sorted(positions, key=lambda p: p.symbol):
        price = p.current_price or p.avg_price or None
        value: Money | None = None
        if price is not None:
            try:
                value = await venue.to_base(Money(p.quantity * price, p.currency))
            except (TemporaryError, VenueError) as e:
                log.warning("baseline: %s not valued in %s: %s", p.symbol, base_currency, e)
        holdings.append(BaselineHolding(p.symbol, p.quantity, price, p.currency, value))
    assets = {h.asset for h in holdings}
    cash = tuple(
        m for c, m in sorted(summary.cash_by_currency.items()) if c not in assets and m.amount
    )
    return Baseline(
        taken_at=now,
        base_currency=base_currency,
        holdings=tuple(holdings),
        cash=cash,
        fill_mark=store.last_fill_id(),
        reason=reason,
    )


async def ensure_baseline(venue: BaseTrader, scope: Scope, base_currency: str) -> Baseline | None:
    """The scope's baseline, taken now if it has none yet (see the module docstring).

    Runs with ``scope`` bound. None on a live account or a replay, and on a scope that traded
    before baselines existed.
    """
    if not baseline_applies(scope):
        return None
    found = stored.current_baseline()
    if found is not None:
        return found
    if store.count_orders_with_prefix("") > 0:
        log.warning(
            "no baseline for %s: it has orders from before baselines were kept; "
            "run `trader baseline --reset` when the account holds only what is not the bot's",
            scope,
        )
        return None
    taken = await take_baseline(venue, base_currency, reason="first session in this scope")
    return stored.record_baseline(taken, first_only=True)


async def reset_baseline(venue: BaseTrader, scope: Scope, base_currency: str) -> Baseline:
    """Take the baseline again (``trader baseline --reset``): what the account holds now,
    the bot's own positions included, becomes the new starting point."""
    if not baseline_applies(scope):
        raise InputError(
            f"no baseline on a {scope.mode.label} account", hint=LIVE_HINT + "; nothing changed"
        )
    taken = await take_baseline(venue, base_currency, reason="re-taken by trader baseline --reset")
    return stored.record_baseline(taken, first_only=False)


async def baseline_market_value(
    venue: BaseTrader, positions: Sequence[Position], baseline: Baseline | None
) -> Money | None:
    """What the part of ``positions`` that is still baseline is worth now, in the base currency
    (None without a baseline; the bot's equity is the account's less this)."""
    if baseline is None or not baseline.holdings:
        return None
    total: Money | None = None
    for p in positions:
        kept = split_position(p.symbol, p.quantity, baseline.quantity(p.symbol)).baseline
        price = p.current_price or p.avg_price
        if kept == 0 or not price:
            continue
        value = await venue.to_base(Money(kept * price, p.currency))
        total = value if total is None else total + value
    return total if total is not None else Money(Decimal(0), baseline.base_currency)
