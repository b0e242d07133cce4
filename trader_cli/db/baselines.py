"""Stored baselines of the bound scope: written whole in one transaction, read as domain values.

A baseline and all its parts commit together or not at all (a process killed half-way leaves
no baseline, and the next command takes it again). The first baseline of a scope is generation
1; two commands racing to take it both try to insert generation 1 and the loser reads the
winner's, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime

import peewee

from trader_cli.db.connection import database_proxy
from trader_cli.db.fields import to_utc
from trader_cli.db.models import BaselineItemRow, BaselineRow, FillRow, OrderRow
from trader_cli.db.scope import current_scope_id
from trader_cli.db.store import _sql  # the SQL text of a query, made once per database kind
from trader_cli.domain.baseline import Baseline, BaselineHolding
from trader_cli.domain.money import Money

POSITION = "position"
CASH = "cash"
FILL = "fill"


def current_baseline() -> Baseline | None:
    """The baseline in force for the bound scope (the latest generation), or None."""
    row = (
        BaselineRow.select()
        .where(BaselineRow.scope == current_scope_id())
        .order_by(BaselineRow.generation.desc())
        .first()
    )
    return None if row is None else _from_row(row)


def baseline_in_force(known: Baseline | None) -> Baseline | None:
    """:func:`current_baseline`, given the one read before (``known``): a stored baseline never
    changes (a re-take is a new generation), so it is read again only when a newer generation
    exists; otherwise one query for the latest generation number is all it costs."""
    if known is not None and baseline_generations() == known.generation:
        return known
    return current_baseline()


def record_baseline(baseline: Baseline, *, first_only: bool = True) -> Baseline:
    """Store ``baseline`` for the bound scope in one transaction; returns the one in force.

    ``first_only``: only if the scope has none yet (else the stored one is returned untouched).
    Otherwise it becomes the next generation (a re-take).
    """
    scope = current_scope_id()
    try:
        with database_proxy.atomic():
            existing = current_baseline()
            if existing is not None and first_only:
                return existing
            generation = 1 if existing is None else existing.generation + 1
            row = BaselineRow.create(
                scope=scope,
                generation=generation,
                taken_at=to_utc(baseline.taken_at),
                base_currency=baseline.base_currency,
                fill_mark=baseline.fill_mark,
                reason=baseline.reason or None,
            )
            items = [
                {
                    "baseline": row.id,
                    "kind": POSITION,
                    "name": h.symbol,
                    "quantity": h.quantity,
                    "price": h.price,
                    "currency": h.currency,
                    "value_base": None if h.value is None else h.value.amount,
                }
                for h in baseline.holdings
            ] + [
                {
                    "baseline": row.id,
                    "kind": CASH,
                    "name": m.currency,
                    "quantity": m.amount,
                    "price": None,
                    "currency": m.currency,
                    "value_base": None,
                }
                for m in baseline.cash
            ] + [
                {
                    "baseline": row.id,
                    "kind": FILL,
                    "name": fill_id,
                    "quantity": 0,
                    "price": None,
                    "currency": None,
                    "value_base": None,
                }
                for fill_id in sorted(baseline.known_fills)
            ]
            if items:
                BaselineItemRow.insert_many(items).execute()
    except peewee.IntegrityError:
        # another command recorded this generation first: theirs is the baseline
        found = current_baseline()
        if found is None:
            raise
        return found
    stored = current_baseline()
    assert stored is not None  # committed above
    return stored


def own_fills_after(fill_id: int) -> list[FillRow]:
    """Fills of the bound scope after row ``fill_id`` whose order is ours (not ``external``:
    an order placed by hand and adopted by resync is not the bot's trading)."""
    return list(
        FillRow.select()
        .join(OrderRow, on=(FillRow.order == OrderRow.id))
        .where(
            (FillRow.scope == current_scope_id())
            & (FillRow.id > fill_id)
            & (OrderRow.external == False)  # noqa: E712 (a peewee expression)
        )
        .order_by(FillRow.id)
    )


def fills_of_orders_with_reason(reason: str) -> set[int]:
    """Row ids of the bound scope's fills whose order has ``reason`` (e.g. the orders that
    closed a baseline's part)."""
    scope = current_scope_id()
    sql = _sql("fills-of-orders-with-reason", lambda: FillRow.select(FillRow.id).join(
        OrderRow, on=(FillRow.order == OrderRow.id)
    ).where((FillRow.scope == scope) & (OrderRow.reason == reason)))
    return {int(row[0]) for row in database_proxy.execute_sql(sql, (scope, reason))}


def baseline_generations() -> int:
    """How many baselines the bound scope has had (0: never taken)."""
    scope = current_scope_id()
    sql = _sql("baseline-generations", lambda: BaselineRow.select(
        peewee.fn.MAX(BaselineRow.generation)).where(BaselineRow.scope == scope))
    found = database_proxy.execute_sql(sql, (scope,)).fetchone()
    return int(found[0] or 0) if found else 0


def _from_row(row: BaselineRow) -> Baseline:
    holdings: list[BaselineHolding] = []
    cash: list[Money] = []
    fills: set[str] = set()
    base = str(row.base_currency)
    for item in BaselineItemRow.select().where(BaselineItemRow.baseline == row.id).order_by(
        BaselineItemRow.id
    ):
        if item.kind == POSITION:
            value = None if item.value_base is None else Money(item.value_base, base)
            holdings.append(
                BaselineHolding(item.name, item.quantity, item.price, item.currency or "", value)
            )
        elif item.kind == CASH:
            cash.append(Money(item.quantity, item.name))
        else:
            fills.add(item.name)
    taken: datetime = row.taken_at
    return Baseline(
        taken_at=taken,
        base_currency=base,
        holdings=tuple(holdings),
        cash=tuple(cash),
        generation=int(row.generation),
        fill_mark=int(row.fill_mark),
        reason=row.reason or "",
        known_fills=frozenset(fills),
    )
