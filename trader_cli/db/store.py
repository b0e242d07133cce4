"""Atomic data access for the order service: order intents, order updates, fills and snapshots.

Every function works on the database bound by :func:`trader_cli.db.connection.init_db` and takes
and returns domain values (``Decimal``, aware datetimes, enums). Writes that must not happen twice
(an order intent, a fill) are keyed by an id the caller owns and are safe to repeat.

Every function is scoped: rows are written with the scope bound by
:func:`trader_cli.db.scope.bind_scope` and every read sees that scope's rows only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import peewee

from trader_cli.db.connection import database_proxy
from trader_cli.db.fields import exact_decimal, to_utc
from trader_cli.db.models import (
    Decision,
    EquitySnapshot,
    FillRow,
    MarketDataRow,
    OrderRow,
    Plan,
    PlanStatus,
    PositionSnapshot,
    SessionMode,
    SessionVenue,
    SyncState,
    TradingSession,
    utc_now,
)
from trader_cli.db.scope import current_scope_id, scoped_key
from trader_cli.domain.models import (
    Fee,
    FeeSource,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    Side,
)
from trader_cli.domain.money import normalize_currency
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.scope import ACCOUNT_SUFFIX_CHARS, account_fingerprint
from trader_cli.errors import TraderError

__all__ = ["ACCOUNT_SUFFIX_CHARS", "account_fingerprint"]  # re-exported for callers of old

# ids per ``IN (...)`` query: well under SQLite's oldest limit of 999 bound parameters
_IN_CHUNK = 500


# --- sessions -------------------------------------------------------------------------------


def open_session(
    *,
    venue: SessionVenue | str,
    mode: SessionMode | str,
    base_currency: str,
    account_id: str | None = None,
    strategy: str | None = None,
    notes: str | None = None,
    started_at: datetime | None = None,
) -> TradingSession:
    """Start a session row; the account id is kept only as a suffix and a hash."""
    suffix, digest = account_fingerprint(account_id) if account_id else (None, None)
    return TradingSession.create(
        scope=current_scope_id(),
        venue=SessionVenue(venue),
        mode=SessionMode(mode),
        base_currency=normalize_currency(base_currency),
        account_suffix=suffix,
        account_hash=digest,
        strategy=strategy,
        notes=notes,
        started_at=to_utc(started_at) if started_at else utc_now(),
    )


def close_session(
    session: TradingSession | int, *, ended_at: datetime | None = None
) -> TradingSession:
    """Set ``ended_at`` (once: closing a closed session keeps its first end time)."""
    session_id = session if isinstance(session, int) else session.id
    end = to_utc(ended_at) if ended_at else utc_now()
    with database_proxy.atomic():
        (TradingSession.update(ended_at=end)
         .where((TradingSession.id == session_id) & TradingSession.ended_at.is_null()
                & (TradingSession.scope == current_scope_id()))
         .execute())
        return TradingSession.get_by_id(session_id)


# --- orders ---------------------------------------------------------------------------------


def transaction() -> Any:
    """One transaction (nested: a savepoint) around several store calls: all or nothing."""
    return database_proxy.atomic()


# the SQL text of the hottest lookups, made once per database kind (peewee builds a query's text
# anew each time: four times the cost of running it); see _sql()
_SQL: dict[tuple[str, type, str], str] = {}


def _sql(name: str, query: Callable[[], peewee.Query]) -> str:
    """The SQL text of ``query`` for the bound database, made on its first use."""
    db = database_proxy.obj
    key = (name, type(db), db.param)
    found = _SQL.get(key)
    if found is None:
        found = _SQL[key] = query().sql()[0]
    return found


def find_order_by_client_id(client_order_id: str) -> OrderRow | None:
    """The order with our ``client_order_id`` in the bound scope, or None."""
    scope = current_scope_id()
    sql = _sql("order-by-client-id", lambda: OrderRow.select().where(
        (OrderRow.scope == scope) & (OrderRow.client_order_id == client_order_id)))
    # the parameters in the order the query binds them: scope, then the id
    return next(iter(OrderRow.raw(sql, scope, client_order_id)), None)


def recorded_client_order_ids(client_order_ids: Iterable[str]) -> set[str]:
    """Which of ``client_order_ids`` have an order in the bound scope (one query per 500)."""
    ids = list(dict.fromkeys(client_order_ids))
    found: set[str] = set()
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        query = OrderRow.select(OrderRow.client_order_id).where(
            (OrderRow.scope == current_scope_id()) & OrderRow.client_order_id.in_(chunk)
        )
        found.update(row.client_order_id for row in query)
    return found


def find_order_by_venue_id(venue_order_id: str) -> OrderRow | None:
    """The order the venue knows as ``venue_order_id`` (IB orderId/permId, Gemini id), or None."""
    return OrderRow.get_or_none(
        (OrderRow.scope == current_scope_id())
        & ((OrderRow.venue_order_id == venue_order_id) | (OrderRow.perm_id == venue_order_id))
    )


def count_orders_with_prefix(prefix: str) -> int:
    """How many orders of the bound scope have a client order id starting with ``prefix``."""
    return int(
        OrderRow.select()
        .where((OrderRow.scope == current_scope_id()) & OrderRow.client_order_id.startswith(prefix))
        .count()
    )


def _same_intent(row: OrderRow, order: Order) -> bool:
    return (
        row.symbol == order.symbol
        and row.side == Side(order.side)
        and row.type == OrderType(order.type)
        and row.amount == exact_decimal(order.amount)
    )


def record_order_intent(
    order: Order,
    *,
    session: TradingSession | int | None = None,
    external: bool = False,
    reason: str | None = None,
    plan: Plan | int | None = None,
    created_at: datetime | None = None,
    spec: OrderSpec | None = None,
    parent_client_order_id: str | None = None,
    oca_group: str | None = None,
) -> tuple[OrderRow, bool]:
    """Write ``order`` before the venue sees it; returns ``(row, created)``.

    ``spec`` is the order as it will be sent: its stop price, time in force and post-only flag
    are kept with the row so a resumed intent goes out exactly as it was recorded.

    ``plan`` is the trade plan the order enters or exits (None for an order of no plan).
    A bracket leg names its entry (``parent_client_order_id``) and its children's ``oca_group``.

    A second call with the same client order id returns the row already there (``created`` is
    False) instead of inserting again. If that row describes a different order (symbol, side, type
    or amount differ) the id was reused by mistake and :class:`TraderError` is raised.
    """
    now = to_utc(created_at) if created_at else utc_now()
    fee = order.fee
    values: dict[str, Any] = {
        "scope": current_scope_id(),
        "client_order_id": order.client_order_id,
        "venue_order_id": order.id,
        "session": session,
        "symbol": order.symbol,
        "side": order.side,
        "type": order.type,
        "amount": order.amount,
        "price": order.price,
        "status": order.status,
        "filled": order.filled,
        "average": order.average,
        "fee_cost": fee.cost if fee else None,
        "fee_currency": fee.currency if fee else None,
        "external": external,
        "created_at": to_utc(order.timestamp) if order.timestamp else now,
        "updated_at": now,
        "reason": reason,
        "plan": plan,
        "parent_client_order_id": parent_client_order_id,
        "oca_group": oca_group,
    }
    if spec is not None:
        values |= {
            "stop_price": spec.stop_price,
            "time_in_force": spec.time_in_force,
            "post_only": spec.post_only,
        }
    try:
        with database_proxy.atomic():
            return OrderRow.create(**values), True
    except peewee.IntegrityError:
        existing = find_order_by_client_id(order.client_order_id)
        if existing is None:  # not a duplicate id: a real constraint failure (e.g. bad session)
            raise
    if not _same_intent(existing, order):
        raise TraderError(
            f"client order id {order.client_order_id!r} is already used by a different order "
            f"({existing.side.value} {existing.amount} {existing.symbol})",
            hint="client order ids must be unique per order; this is a bug in the id generator",
        )
    return existing, False


def spec_of_row(row: OrderRow) -> OrderSpec:
    """The spec an order row was recorded with (rows before v6: type and limit price only)."""
    return OrderSpec(
        row.type, row.price, row.stop_price, row.time_in_force, bool(row.post_only)
    )


_UNSET: Any = object()
IN_CHUNK = 400  # values bound in one ``IN (...)``


def order_changes(
    row: OrderRow,
    *,
    status: OrderStatus | str | None = None,
    venue_order_id: str | None = None,
    perm_id: str | None = None,
    filled: Decimal | None = None,
    average: Decimal | None = None,
    fee: Fee | None = None,
    submitted_at: datetime | None = None,
    last_error: str | None = _UNSET,
) -> dict[str, Any]:
    """What :func:`update_order` would change on ``row`` (field name -> new value; empty when
    the venue said nothing new). Updates only move forward: see :func:`update_order`."""
    out: dict[str, Any] = {}
    if status is not None and not row.status.is_final and OrderStatus(status) != row.status:
        out["status"] = OrderStatus(status)
    if venue_order_id and not row.venue_order_id:
        out["venue_order_id"] = venue_order_id
    if perm_id and not row.perm_id:
        out["perm_id"] = perm_id
    if filled is not None and exact_decimal(filled) >= row.filled:
        if exact_decimal(filled) != row.filled:
            out["filled"] = filled
        if average is not None and (row.average is None or exact_decimal(average) != row.average):
            out["average"] = average
    elif average is not None and row.average is None:
        out["average"] = average
    if fee is not None and (
        row.fee_cost is None
        or exact_decimal(fee.cost) != row.fee_cost
        or fee.currency != row.fee_currency
    ):
        out["fee_cost"], out["fee_currency"] = fee.cost, fee.currency
    if submitted_at is not None and row.submitted_at is None:
        out["submitted_at"] = to_utc(submitted_at)
    if last_error is not _UNSET and last_error != row.last_error:
        out["last_error"] = last_error
    return out


def update_order(
    client_order_id: str,
    *,
    status: OrderStatus | str | None = None,
    venue_order_id: str | None = None,
    perm_id: str | None = None,
    filled: Decimal | None = None,
    average: Decimal | None = None,
    fee: Fee | None = None,
    submitted_at: datetime | None = None,
    last_error: str | None = _UNSET,
    now: datetime | None = None,
) -> OrderRow:
    """Apply what the venue said about an order; returns the updated row.

    Venue events can arrive late or twice, so updates only move forward: a final status (closed,
    canceled, rejected, expired) is never replaced, ``filled`` never decreases, and ids already
    known are kept. Nothing new (:func:`order_changes` empty) writes nothing: ``updated_at`` is
    when the row last changed. Raises :class:`TraderError` if no order has ``client_order_id``.
    """
    scope = current_scope_id()

    def locked() -> peewee.Query:
        query = OrderRow.select().where(
            (OrderRow.scope == scope) & (OrderRow.client_order_id == client_order_id))
        if isinstance(database_proxy.obj, peewee.PostgresqlDatabase):
            query = query.for_update()  # SQLite: BEGIN IMMEDIATE already serialises writers
        return query

    with database_proxy.atomic():
        sql = _sql("order-for-update", locked)
        row: OrderRow | None = next(iter(OrderRow.raw(sql, scope, client_order_id)), None)
        if row is None:
            raise TraderError(
                f"no order with client order id {client_order_id!r} in the database",
                hint="record the intent (record_order_intent) before updating it",
            )
        changes = order_changes(
            row, status=status, venue_order_id=venue_order_id, perm_id=perm_id, filled=filled,
            average=average, fee=fee, submitted_at=submitted_at, last_error=last_error,
        )  # fmt: skip
        if changes:
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = to_utc(now) if now else utc_now()
            row.save(only=[*changes, "updated_at"])  # what changed, not every column
        return row


def order_from_row(row: OrderRow) -> Order:
    """The domain :class:`Order` a row describes."""
    fee = None
    if row.fee_cost is not None and row.fee_currency is not None:
        fee = Fee(row.fee_cost, row.fee_currency)
    return Order(
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=row.side,
        type=row.type,
        amount=row.amount,
        price=row.price,
        id=row.venue_order_id,
        status=row.status,
        filled=row.filled,
        average=row.average,
        fee=fee,
        timestamp=row.created_at,
        info={"lastError": row.last_error} if row.last_error else {},
    )


def open_orders(session: TradingSession | int | None = None) -> list[OrderRow]:
    """Orders not yet final (pending or open), oldest first; of one session if given."""
    scope, working = current_scope_id(), [OrderStatus.PENDING, OrderStatus.OPEN]
    if session is not None:
        return list(OrderRow.select().where((OrderRow.scope == scope) & OrderRow.status.in_(
            working) & (OrderRow.session == session)).order_by(OrderRow.id))
    sql = _sql("open-orders", lambda: OrderRow.select().where(
        (OrderRow.scope == scope) & OrderRow.status.in_(working)).order_by(OrderRow.id))
    return list(OrderRow.raw(sql, scope, *(OrderRow.status.db_value(s) for s in working)))


def open_orders_shown() -> list[OrderRow]:
    """:func:`open_orders` with only the columns a report shows of each (client order id,
    symbol, side, amount, price, status, filled): the runner lists them every cycle."""
    scope, working = current_scope_id(), [OrderStatus.PENDING, OrderStatus.OPEN]
    shown = (OrderRow.client_order_id, OrderRow.symbol, OrderRow.side, OrderRow.amount,
             OrderRow.price, OrderRow.status, OrderRow.filled)  # fmt: skip
    sql = _sql("open-orders-shown", lambda: OrderRow.select(*shown).where(
        (OrderRow.scope == scope) & OrderRow.status.in_(working)).order_by(OrderRow.id))
    return list(OrderRow.raw(sql, scope, *(OrderRow.status.db_value(s) for s in working)))


# --- fills ----------------------------------------------------------------------------------


def insert_fill_if_new(
    fill: Fill,
    *,
    fx_rate_to_base: Decimal | None = None,
    base_currency: str | None = None,
) -> tuple[FillRow, bool]:
    """Store ``fill`` unless its venue fill id is already there; returns ``(row, was_new)``.

    The fill is linked to our order by client order id, else by the venue's order id.
    """
    order = None
    if fill.client_order_id:
        order = find_order_by_client_id(fill.client_order_id)
    if order is None and fill.order_id:
        order = find_order_by_venue_id(fill.order_id)
    fee = fill.fee
    values: dict[str, Any] = {
        "scope": current_scope_id(),
        "venue_fill_id": fill.id,
        "order": order,
        "client_order_id": fill.client_order_id or (order.client_order_id if order else None),
        "venue_order_id": fill.order_id,
        "symbol": fill.symbol,
        "side": fill.side,
        "price": fill.price,
        "amount": fill.amount,
        "commission": fee.cost if fee else None,
        "commission_currency": fee.currency if fee else None,
        "commission_source": fee.source if fee else None,
        "liquidity": fill.liquidity,
        "fx_rate_to_base": fx_rate_to_base,
        "base_currency": base_currency,
        "timestamp": fill.timestamp,
    }
    try:
        with database_proxy.atomic():
            return FillRow.create(**values), True
    except peewee.IntegrityError:
        existing = find_fill(fill.id)
        if existing is None:
            raise
        return existing, False


def find_fill(venue_fill_id: str) -> FillRow | None:
    """The fill with the venue's ``venue_fill_id`` in the bound scope, or None."""
    return FillRow.get_or_none(
        (FillRow.scope == current_scope_id()) & (FillRow.venue_fill_id == venue_fill_id)
    )


def fills_by_venue_id(venue_fill_ids: Iterable[str]) -> dict[str, FillRow]:
    """The recorded fills among ``venue_fill_ids`` in the bound scope, by venue fill id (one
    query per 500 ids rather than one per fill)."""
    ids = list(dict.fromkeys(venue_fill_ids))
    found: dict[str, FillRow] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        query = FillRow.select().where(
            (FillRow.scope == current_scope_id()) & FillRow.venue_fill_id.in_(chunk)
        )
        found.update((row.venue_fill_id, row) for row in query)
    return found


def fills_for_order(client_order_id: str) -> list[FillRow]:
    """Fills of one order, in time order."""
    return list(
        FillRow.select()
        .where((FillRow.scope == current_scope_id()) & (FillRow.client_order_id == client_order_id))
        .order_by(FillRow.timestamp, FillRow.id)
    )


def settled_orders(
    client_order_ids: Iterable[str], *, before: datetime
) -> dict[str, frozenset[str]]:
    """Of ``client_order_ids``, the orders settled for good, with their fills' venue ids: final
    in the database and unchanged since ``before``, their fills recorded up to what they filled,
    each with the venue's commission. Anything a venue adapter keeps of these may go."""
    wanted = list(client_order_ids)
    if len(wanted) > IN_CHUNK:  # SQLite binds at most 999 values in older builds
        out: dict[str, frozenset[str]] = {}
        for i in range(0, len(wanted), IN_CHUNK):
            out |= settled_orders(wanted[i : i + IN_CHUNK], before=before)
        return out
    if not wanted:
        return {}
    final = [s for s in OrderStatus if s.is_final]
    rows = {
        r.client_order_id: r
        for r in OrderRow.select().where(
            (OrderRow.scope == current_scope_id())
            & OrderRow.client_order_id.in_(wanted)
            & OrderRow.status.in_(final)
            & (OrderRow.updated_at <= to_utc(before))
        )
    }
    fills: dict[str, list[FillRow]] = {cid: [] for cid in rows}
    if rows:
        for f in FillRow.select().where(
            (FillRow.scope == current_scope_id()) & FillRow.client_order_id.in_(list(rows))
        ):
            fills[str(f.client_order_id)].append(f)
    return {
        cid: frozenset(f.venue_fill_id for f in fills[cid])
        for cid, row in rows.items()
        if sum((f.amount for f in fills[cid]), Decimal(0)) >= row.filled
        and all(f.commission_source is FeeSource.VENUE for f in fills[cid])
    }


def update_fill_commission(
    venue_fill_id: str, fee: Fee, *, source: FeeSource = FeeSource.VENUE
) -> bool:
    """Replace a fill's estimated commission with the venue's figure; False if no such fill."""
    count = (
        FillRow.update(
            commission=fee.cost, commission_currency=fee.currency, commission_source=source
        )
        .where((FillRow.scope == current_scope_id()) & (FillRow.venue_fill_id == venue_fill_id))
        .execute()
    )
    return bool(count)


# --- snapshots ------------------------------------------------------------------------------


def snapshot_positions(
    session: TradingSession | int, positions: Iterable[Position], *, at: datetime | None = None
) -> int:
    """Store every position in one transaction, all stamped ``at`` (default: each position's
    own timestamp); returns how many were written."""
    rows = [
        {
            "scope": current_scope_id(),
            "session": session,
            "symbol": p.symbol,
            "quantity": p.quantity,
            "avg_price": p.avg_price,
            "current_price": p.current_price,
            "currency": p.currency,
            "timestamp": to_utc(at) if at else p.timestamp,
        }
        for p in positions
    ]
    if not rows:
        return 0
    with database_proxy.atomic():
        PositionSnapshot.insert_many(rows).execute()
    return len(rows)


def _market_data(quote: Quote) -> dict[str, Any]:
    return {
        "scope": current_scope_id(), "symbol": quote.symbol, "timestamp": quote.timestamp,
        "price": quote.price, "bid": quote.bid, "ask": quote.ask, "bid_size": quote.bid_size,
        "ask_size": quote.ask_size, "volume": quote.volume, "spread_pct": quote.spread_pct,
        "ob_imbalance": quote.ob_imbalance,
    }


def record_market_data(quote: Quote) -> MarketDataRow:
    """Store a top-of-book quote with its derived price, spread and order-book imbalance."""
    return MarketDataRow.create(**_market_data(quote))


def record_quotes(quotes: Iterable[Quote]) -> int:
    """:func:`record_market_data` for each of ``quotes``, in one statement; returns how many."""
    rows = [_market_data(q) for q in quotes]
    if rows:
        columns = [MarketDataRow._meta.fields[name] for name in rows[0]]
        sql = _sql(f"market-data-{len(rows)}", lambda: MarketDataRow.insert_many(
            rows, fields=columns).returning())  # fmt: skip
        database_proxy.execute_sql(sql, [c.db_value(r[c.name]) for r in rows for c in columns])
    return len(rows)


def record_equity(
    session: TradingSession | int,
    *,
    equity: Decimal,
    cash: Decimal,
    currency: str,
    unrealised_pnl: Decimal | None = None,
    realised_pnl: Decimal | None = None,
    at: datetime | None = None,
) -> EquitySnapshot:
    """Store account equity and cash (in the base currency) at ``at`` (default: now)."""
    return EquitySnapshot.create(
        scope=current_scope_id(),
        session=session,
        timestamp=to_utc(at) if at else utc_now(),
        equity=equity,
        cash=cash,
        currency=currency,
        unrealised_pnl=unrealised_pnl,
        realised_pnl=realised_pnl,
    )


# --- plans, decisions, sync state -----------------------------------------------------------


def create_plan(
    *,
    symbol: str,
    side: Side | str,
    size: Decimal,
    entry: Decimal | None = None,
    stop: Decimal | None = None,
    target: Decimal | None = None,
    expiry: datetime | None = None,
    rationale: str | None = None,
    session: TradingSession | int | None = None,
    created_at: datetime | None = None,
) -> Plan:
    """Store an open trade plan (``created_at``: the venue's time, default now)."""
    return Plan.create(
        scope=current_scope_id(), session=session, symbol=symbol, side=Side(side), size=size,
        entry=entry, stop=stop, target=target, expiry=expiry, rationale=rationale,
        created_at=to_utc(created_at) if created_at else utc_now(),
    )


def close_plan(
    plan: Plan | int, *, status: PlanStatus = PlanStatus.CLOSED, at: datetime | None = None
) -> Plan:
    """Mark an open plan closed or cancelled (a plan already closed is left as it is)."""
    if status is PlanStatus.OPEN:
        raise ValueError("close_plan needs status closed or cancelled")
    plan_id = plan if isinstance(plan, int) else plan.id
    with database_proxy.atomic():
        (Plan.update(status=status, closed_at=to_utc(at) if at else utc_now())
         .where((Plan.id == plan_id) & (Plan.status == PlanStatus.OPEN)
                & (Plan.scope == current_scope_id()))
         .execute())
        return Plan.get_by_id(plan_id)


def record_decision(
    *,
    strategy: str,
    action: str,
    accepted: bool,
    symbol: str | None = None,
    payload: Mapping[str, Any] | None = None,
    reason: str | None = None,
    session: TradingSession | int | None = None,
    at: datetime | None = None,
) -> Decision:
    """Store what a strategy decided and whether it was accepted (``payload`` is JSON-able)."""
    return Decision.create(
        scope=current_scope_id(), session=session, timestamp=to_utc(at) if at else utc_now(),
        strategy=strategy, symbol=symbol, action=action,
        payload=dict(payload) if payload is not None else None, accepted=accepted, reason=reason,
    )


def get_sync_state(key: str) -> str | None:
    """The value stored under ``key`` for the bound scope, or None."""
    row = SyncState.get_or_none(SyncState.key == scoped_key(key))
    return row.value if row else None


def set_sync_state(key: str, value: str, *, at: datetime | None = None) -> None:
    """Store ``value`` under ``key`` for the bound scope (insert or replace, atomically)."""
    key = scoped_key(key)
    stamp = to_utc(at) if at else utc_now()
    sql = _sql("set-sync-state", lambda: SyncState.insert(key=key, value=value, updated_at=stamp)
               .on_conflict(conflict_target=[SyncState.key],
                            update={SyncState.value: peewee.EXCLUDED.value,
                                    SyncState.updated_at: peewee.EXCLUDED.updated_at})
               .returning())  # fmt: skip
    # the parameters in the order the statement binds them: key, value, updated_at
    database_proxy.execute_sql(sql, (key, value, SyncState.updated_at.db_value(stamp)))


# --- named queries of the services (all scoped) --------------------------------------------


def open_plans() -> list[Plan]:
    """Open plans of the bound scope, oldest first."""
    scope = current_scope_id()
    sql = _sql("open-plans", lambda: Plan.select().where(
        (Plan.scope == scope) & (Plan.status == PlanStatus.OPEN)).order_by(Plan.id))
    return list(Plan.raw(sql, scope, Plan.status.db_value(PlanStatus.OPEN)))


def set_plan_entry(plan: Plan | int, client_order_id: str) -> None:
    """Link a plan to the order that enters it."""
    plan_id = plan if isinstance(plan, int) else plan.id
    (Plan.update(entry_client_order_id=client_order_id)
     .where((Plan.id == plan_id) & (Plan.scope == current_scope_id())).execute())


def set_plan_exit(plan: Plan | int, client_order_id: str) -> None:
    """Link a plan to the order that exits it."""
    plan_id = plan if isinstance(plan, int) else plan.id
    (Plan.update(exit_client_order_id=client_order_id)
     .where((Plan.id == plan_id) & (Plan.scope == current_scope_id())).execute())


def plan_exit_orders(plan: Plan) -> list[OrderRow]:
    """The orders that exit ``plan`` (its orders on the other side, bracket children included),
    oldest first."""
    scope, side = current_scope_id(), plan.side.opposite
    sql = _sql("plan-exit-orders", lambda: OrderRow.select().where(
        (OrderRow.scope == scope) & (OrderRow.plan == plan.id) & (OrderRow.side == side)
    ).order_by(OrderRow.id))
    return list(OrderRow.raw(sql, scope, plan.id, OrderRow.side.db_value(side)))


def orders_of_plans(plans: Iterable[Plan | int]) -> dict[int, list[OrderRow]]:
    """:func:`plan_orders` of each of ``plans``, by plan id, in one query (per 500 plans)."""
    ids = [p if isinstance(p, int) else p.id for p in plans]
    found: dict[int, list[OrderRow]] = {i: [] for i in ids}
    for start in range(0, len(ids), _IN_CHUNK):
        for row in OrderRow.select().where(
            (OrderRow.scope == current_scope_id()) & OrderRow.plan.in_(ids[start:start + _IN_CHUNK])
        ).order_by(OrderRow.id):
            found[row.__data__["plan"]].append(row)  # the id itself: no read of the plan
    return found


def plan_protection_orders(plan: Plan) -> list[OrderRow]:
    """The stop and target children held at the venue for ``plan`` (its exits that belong to
    an OCA group), oldest first."""
    return [row for row in plan_exit_orders(plan) if row.oca_group is not None]


def orders_in_oca_group(oca_group: str) -> list[OrderRow]:
    """The orders of one OCA group in the bound scope, oldest first."""
    return list(
        OrderRow.select()
        .where((OrderRow.scope == current_scope_id()) & (OrderRow.oca_group == oca_group))
        .order_by(OrderRow.id)
    )


def open_entry_orders(session: TradingSession | int | None = None) -> list[OrderRow]:
    """Working orders that enter a plan (on the plan's own side), oldest first; of one session
    if given."""
    query = (
        OrderRow.select()
        .join(Plan, on=(OrderRow.plan == Plan.id))
        .where(
            (OrderRow.scope == current_scope_id())
            & OrderRow.status.in_([OrderStatus.PENDING, OrderStatus.OPEN])
            & (OrderRow.side == Plan.side)
        )
    )
    if session is not None:
        query = query.where(OrderRow.session == session)
    return list(query.order_by(OrderRow.id))


def plan_orders(plan: Plan | int) -> list[OrderRow]:
    """Every order of ``plan`` (its entry and its exits), oldest first."""
    scope, plan_id = current_scope_id(), plan if isinstance(plan, int) else plan.id
    sql = _sql("plan-orders", lambda: OrderRow.select().where(
        (OrderRow.scope == scope) & (OrderRow.plan == plan_id)).order_by(OrderRow.id))
    return list(OrderRow.raw(sql, scope, plan_id))


def fills_since(start: datetime) -> list[FillRow]:
    """Fills of the bound scope at or after ``start``, in time order."""
    scope, since = current_scope_id(), to_utc(start)
    sql = _sql("fills-since", lambda: FillRow.select().where(
        (FillRow.scope == scope) & (FillRow.timestamp >= since)
    ).order_by(FillRow.timestamp, FillRow.id))
    return list(FillRow.raw(sql, scope, FillRow.timestamp.db_value(since)))


def session_fills(session: TradingSession | int) -> list[FillRow]:
    """Fills of the orders one session sent, in time order."""
    scope, sid = current_scope_id(), session if isinstance(session, int) else session.id
    sql = _sql("session-fills", lambda: FillRow.select().join(OrderRow).where(
        (FillRow.scope == scope) & (OrderRow.session == sid)
    ).order_by(FillRow.timestamp, FillRow.id))
    return list(FillRow.raw(sql, scope, sid))


def all_fills() -> list[FillRow]:
    """Every fill of the bound scope, in time order."""
    return list(
        FillRow.select()
        .where(FillRow.scope == current_scope_id())
        .order_by(FillRow.timestamp, FillRow.id)
    )


def fills_after_id(fill_id: int) -> list[FillRow]:
    """Fills of the bound scope recorded after row ``fill_id`` (insertion order)."""
    return list(
        FillRow.select()
        .where((FillRow.scope == current_scope_id()) & (FillRow.id > fill_id))
        .order_by(FillRow.id)
    )


def last_fill_id() -> int:
    """The highest fill row id of the bound scope (0 when none)."""
    found = (
        FillRow.select(peewee.fn.MAX(FillRow.id))
        .where(FillRow.scope == current_scope_id())
        .scalar()
    )
    return int(found or 0)


def session_summary(session: TradingSession | int) -> dict[str, int]:
    """Counts for a session's closing summary: its orders, fills and closed plans, and the plans
    of the scope still open."""
    scope = current_scope_id()
    return {
        "orders": OrderRow.select()
        .where((OrderRow.scope == scope) & (OrderRow.session == session)).count(),
        "fills": len(session_fills(session)),
        "plans_open": Plan.select()
        .where((Plan.scope == scope) & (Plan.status == PlanStatus.OPEN)).count(),
        "plans_closed": Plan.select()
        .where((Plan.scope == scope) & (Plan.session == session)
               & (Plan.status == PlanStatus.CLOSED)).count(),
    }
