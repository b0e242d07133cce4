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
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from trader_cli.db import baselines as stored
from trader_cli.db import store
from trader_cli.domain.baseline import (
    Baseline,
    BaselineHolding,
    PositionSplit,
    bot_positions,
    split_positions,
)
from trader_cli.domain.models import Position
from trader_cli.domain.money import Money
from trader_cli.domain.scope import Mode, Scope
from trader_cli.errors import InputError, SafetyRefused, TemporaryError, VenueError

if TYPE_CHECKING:
    from trader_cli.venues.base import BaseTrader

log = logging.getLogger("trader.baseline")

#: Modes whose holdings before the bot are kept out of its PnL, exposure and flatten --all.
BASELINE_MODES = frozenset({Mode.PAPER, Mode.SIM})
UPGRADED_HINT = (
    "this account has orders from before baselines were kept, so none was taken; run "
    "`trader baseline --reset` when it holds only what is not the bot's"
)
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
    known = frozenset(f.id for f in await venue.get_my_trades())
    holdings = []
    for p in sorted(positions, key=lambda p: p.symbol):
        price = p.current_price or p.avg_price or None
        value: Money | None = None
        if price is not None:
            try:
                value = (await venue.to_base(Money(p.quantity * price, p.currency))).rounded(2)
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
        known_fills=known,
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
        log.warning("no baseline for %s: %s", scope, UPGRADED_HINT)
        return None
    taken = await take_baseline(venue, base_currency, reason="first session in this scope")
    return stored.record_baseline(taken, first_only=True)


async def reset_baseline(venue: BaseTrader, scope: Scope, base_currency: str) -> Baseline:
    """Take the baseline again (``trader baseline --reset``): what the account holds now,
    the bot's own positions included, becomes the new starting point. Refused (exit 3) while
    a plan is open: its position would become baseline and lose its stop and target."""
    if not baseline_applies(scope):
        why = LIVE_HINT if scope.mode is Mode.LIVE else "a replay plays its recording back as is"
        raise InputError(
            f"no baseline on a {scope.mode.label} account", hint=f"{why}; nothing changed"
        )
    plans = store.open_plans()
    if plans:
        # their positions would become baseline, which plan exits never sell: no stop, no target
        symbols = ", ".join(sorted({p.symbol for p in plans}))
        raise SafetyRefused(
            f"{len(plans)} open plan(s) ({symbols}) would lose their exits: a re-taken baseline "
            "takes in their positions, and plan exits never sell the baseline",
            hint="let the plans close, or `trader flatten SYMBOL` them first; nothing changed",
        )
    taken = await take_baseline(venue, base_currency, reason="re-taken by trader baseline --reset")
    return stored.record_baseline(taken, first_only=False)


def recorded_since(baseline: Baseline | None) -> dict[str, Decimal]:
    """Net quantity by symbol of the fills of our own orders recorded since ``baseline`` (an
    order placed by hand outside the bot, adopted by resync as external, is not the bot's)."""
    out: dict[str, Decimal] = {}
    if baseline is None:
        return out
    for row in stored.own_fills_after(baseline.fill_mark):
        if row.venue_fill_id not in baseline.known_fills:
            out[row.symbol] = out.get(row.symbol, Decimal(0)) + row.amount * row.side.sign
    return out


def own_positions(positions: Sequence[Position], baseline: Baseline | None) -> list[Position]:
    """The bot's own positions in the bound scope (see :func:`split_position`)."""
    if baseline is None or not baseline.holdings:
        return list(positions)
    return bot_positions(positions, baseline, recorded_since(baseline))


def own_splits(positions: Sequence[Position], baseline: Baseline | None) -> list[PositionSplit]:
    """Every position of the bound scope split into baseline and bot parts."""
    return split_positions(positions, baseline, recorded_since(baseline))


def release_baseline(
    baseline: Baseline, closed: Mapping[str, Decimal], *, at: datetime
) -> Baseline:
    """A new generation of ``baseline`` without the quantities ``closed`` (unsigned, by symbol)
    that ``flatten --include-baseline`` sold or bought back; stored, in one transaction."""
    holdings = []
    for h in baseline.holdings:
        gone = min(closed.get(h.symbol, Decimal(0)), abs(h.quantity))
        left = h.quantity - gone * (1 if h.quantity > 0 else -1)
        if left == 0:
            continue
        share = left / h.quantity
        value = None if h.value is None else (h.value * share).rounded(2)
        holdings.append(replace(h, quantity=left, value=value))
    released = replace(
        baseline,
        taken_at=at,
        holdings=tuple(holdings),
        fill_mark=store.last_fill_id(),
        reason="what flatten --include-baseline closed is no longer baseline",
    )
    return stored.record_baseline(released, first_only=False)


async def baseline_market_value(
    venue: BaseTrader, positions: Sequence[Position], baseline: Baseline | None
) -> Money | None:
    """What the part of ``positions`` that is still baseline is worth now, in the base currency
    (None without a baseline; the bot's equity is the account's less this)."""
    if baseline is None or not baseline.holdings:
        return None
    total: Money | None = None
    held = {p.symbol: p for p in positions}
    then = {h.symbol: h for h in baseline.holdings}
    for split in own_splits(positions, baseline):
        p, h = held.get(split.symbol), then.get(split.symbol)
        # marked at the venue's price now; a symbol the venue no longer lists at the baseline's
        price = (p.current_price or p.avg_price) if p is not None else (h.price if h else None)
        currency = p.currency if p is not None else (h.currency if h else "")
        if split.baseline == 0 or not price or not currency:
            continue
        value = await venue.to_base(Money(split.baseline * price, currency))
        total = value if total is None else total + value
    return total if total is not None else Money(Decimal(0), baseline.base_currency)
