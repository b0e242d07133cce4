"""peewee models of the trader database: sessions, orders, fills, snapshots, plans, decisions.

Money and quantities are :class:`ExactDecimalField` (exact ``Decimal`` on both backends),
timestamps :class:`UtcDateTimeField` (aware UTC). The schema itself is created and changed only by
:mod:`trader_cli.db.migrations`; keep the two in step (a test compares them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import peewee

from trader_cli.db.connection import database_proxy
from trader_cli.db.fields import (
    CurrencyField,
    EnumField,
    ExactDecimalField,
    JsonTextField,
    UtcDateTimeField,
)
from trader_cli.domain.models import FeeSource, Liquidity, OrderStatus, OrderType, Side
from trader_cli.domain.orders import TimeInForce


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


_CANONICAL_FIELDS = (CurrencyField, EnumField, ExactDecimalField, UtcDateTimeField)


class SessionMode(StrEnum):
    """Whether a session traded on a paper account, a live account, the simulator or a replay."""

    PAPER = "paper"
    LIVE = "live"
    SIM = "sim"
    REPLAY = "replay"


class SessionVenue(StrEnum):
    """The venue a session row names, as outputs name it: ``sim`` is IB on the simulator.

    The row's scope holds the venue and the backend apart; this column keeps the name users
    (and rows of earlier versions) know.
    """

    IB = "ib"
    GEMINI = "gemini"
    SIM = "sim"


class PlanStatus(StrEnum):
    """Lifecycle of a trade plan."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class BaseModel(peewee.Model):
    """Base of every table: bound to :data:`database_proxy`, snake_case table names."""

    class Meta:
        database = database_proxy
        legacy_table_names = False

    def save(self, *args: Any, **kwargs: Any) -> int:
        """Save, leaving the instance as it will read back: canonical Decimals, UTC datetimes,
        enum members and upper-case currencies (and refusing naive datetimes and floats)."""
        for field in self._meta.sorted_fields:
            if isinstance(field, _CANONICAL_FIELDS):
                value = self.__data__.get(field.name)
                if value is not None:
                    self.__data__[field.name] = field.python_value(field.db_value(value))
        return super().save(*args, **kwargs)


class ScopeRow(BaseModel):
    """A venue, backend, mode and account that state belongs to (see :mod:`trader_cli.db.scope`).

    ``account`` is the account's salted fingerprint, or ``""`` while no account is known (never
    NULL, so the unique index holds on every backend).
    """

    id = peewee.AutoField()

    venue = peewee.CharField(max_length=16)
    backend = peewee.CharField(max_length=16)
    mode = peewee.CharField(max_length=16)
    account = peewee.CharField(max_length=64, default="")
    created_at = UtcDateTimeField(default=utc_now)

    class Meta:
        table_name = "scopes"
        indexes = ((("venue", "backend", "mode", "account"), True),)


def _scope_field() -> peewee.ForeignKeyField:
    # NULL only in the schema (SQLite cannot add a NOT NULL column); the store always sets it.
    return peewee.ForeignKeyField(ScopeRow, null=True, on_delete="RESTRICT")


class TradingSession(BaseModel):
    """One run of trader against one venue and account (base currency lives here)."""

    id = peewee.AutoField()
    scope = _scope_field()

    venue = EnumField(SessionVenue)
    mode = EnumField(SessionMode)
    base_currency = CurrencyField()
    account_suffix = peewee.CharField(max_length=8, null=True)
    account_hash = peewee.CharField(max_length=64, null=True)
    strategy = peewee.CharField(max_length=64, null=True)
    notes = peewee.TextField(null=True)
    started_at = UtcDateTimeField(default=utc_now)
    ended_at = UtcDateTimeField(null=True)

    class Meta:
        table_name = "sessions"


class Plan(BaseModel):
    """A trade plan: entry, stop and target for a symbol, and the orders that carry it out."""

    id = peewee.AutoField()
    scope = _scope_field()

    session = peewee.ForeignKeyField(TradingSession, null=True, backref="plans")
    symbol = peewee.CharField(max_length=32)
    side = EnumField(Side)
    size = ExactDecimalField()
    entry = ExactDecimalField(null=True)
    stop = ExactDecimalField(null=True)
    target = ExactDecimalField(null=True)
    expiry = UtcDateTimeField(null=True)
    status = EnumField(PlanStatus, default=PlanStatus.OPEN, index=True)
    rationale = peewee.TextField(null=True)
    created_at = UtcDateTimeField(default=utc_now)
    closed_at = UtcDateTimeField(null=True)
    entry_client_order_id = peewee.CharField(max_length=64, null=True)
    exit_client_order_id = peewee.CharField(max_length=64, null=True)

    class Meta:
        table_name = "plans"


class OrderRow(BaseModel):
    """An order: written with our client order id before the venue sees it, then kept in sync."""

    id = peewee.AutoField()
    scope = _scope_field()

    client_order_id = peewee.CharField(max_length=64, index=True)
    venue_order_id = peewee.CharField(max_length=64, null=True, index=True)
    perm_id = peewee.CharField(max_length=64, null=True)
    session = peewee.ForeignKeyField(TradingSession, null=True, backref="orders")
    # the plan this order enters or exits (v4); the reason column stays a human description
    plan = peewee.ForeignKeyField(Plan, null=True, backref="orders", index=True)
    symbol = peewee.CharField(max_length=32, index=True)
    side = EnumField(Side)
    type = EnumField(OrderType)
    amount = ExactDecimalField()
    price = ExactDecimalField(null=True)
    # the rest of the spec as sent (v6), so an intent resumed after a crash goes out unchanged
    stop_price = ExactDecimalField(null=True)
    time_in_force = EnumField(TimeInForce, null=True, max_length=8)  # None: the venue's default
    post_only = peewee.BooleanField(default=False)
    # a bracket leg (v7): the entry a child belongs to, and the OCA group of the children (one
    # fills, the venue cancels the others); None for an order of no bracket
    parent_client_order_id = peewee.CharField(max_length=64, null=True)
    oca_group = peewee.CharField(max_length=64, null=True, index=True)
    status = EnumField(OrderStatus, default=OrderStatus.PENDING, index=True)
    filled = ExactDecimalField(default=0)
    average = ExactDecimalField(null=True)
    fee_cost = ExactDecimalField(null=True)
    fee_currency = CurrencyField(null=True)
    external = peewee.BooleanField(default=False)
    created_at = UtcDateTimeField(default=utc_now)
    updated_at = UtcDateTimeField(default=utc_now)
    submitted_at = UtcDateTimeField(null=True)
    reason = peewee.TextField(null=True)
    last_error = peewee.TextField(null=True)

    class Meta:
        table_name = "orders"
        indexes = ((("scope", "client_order_id"), True),)


class FillRow(BaseModel):
    """One execution, unique by the venue's fill id within its scope (replays and resyncs are
    idempotent; a reset sim world may reuse ids, but never inside another scope)."""

    id = peewee.AutoField()
    scope = _scope_field()

    venue_fill_id = peewee.CharField(max_length=128, index=True)
    order = peewee.ForeignKeyField(OrderRow, null=True, backref="fills")
    client_order_id = peewee.CharField(max_length=64, null=True, index=True)
    venue_order_id = peewee.CharField(max_length=64, null=True)
    symbol = peewee.CharField(max_length=32)
    side = EnumField(Side)
    price = ExactDecimalField()
    amount = ExactDecimalField()
    commission = ExactDecimalField(null=True)
    commission_currency = CurrencyField(null=True)
    commission_source = EnumField(FeeSource, null=True)
    liquidity = EnumField(Liquidity, default=Liquidity.UNKNOWN)
    fx_rate_to_base = ExactDecimalField(null=True)
    base_currency = CurrencyField(null=True)
    timestamp = UtcDateTimeField(index=True)

    class Meta:
        table_name = "fills"
        indexes = ((("scope", "venue_fill_id"), True),)


class PositionSnapshot(BaseModel):
    """A position at a moment; ``quantity`` < 0 is a short."""

    id = peewee.AutoField()
    scope = _scope_field()

    session = peewee.ForeignKeyField(TradingSession, backref="positions")
    symbol = peewee.CharField(max_length=32)
    quantity = ExactDecimalField()
    avg_price = ExactDecimalField()
    current_price = ExactDecimalField(null=True)
    currency = CurrencyField()
    timestamp = UtcDateTimeField()

    class Meta:
        table_name = "position_snapshots"
        indexes = ((("session", "timestamp"), False),)


class MarketDataRow(BaseModel):
    """Top of book for a symbol at a moment; equity sizes and volume are integral Decimals."""

    id = peewee.AutoField()
    scope = _scope_field()

    symbol = peewee.CharField(max_length=32)
    timestamp = UtcDateTimeField()
    price = ExactDecimalField(null=True)
    bid = ExactDecimalField(null=True)
    ask = ExactDecimalField(null=True)
    bid_size = ExactDecimalField(null=True)
    ask_size = ExactDecimalField(null=True)
    volume = ExactDecimalField(null=True)
    spread_pct = ExactDecimalField(null=True)
    ob_imbalance = ExactDecimalField(null=True)

    class Meta:
        table_name = "market_data"
        indexes = ((("symbol", "timestamp"), False),)


class EquitySnapshot(BaseModel):
    """Account equity and cash in the session's base currency at a moment."""

    id = peewee.AutoField()
    scope = _scope_field()

    session = peewee.ForeignKeyField(TradingSession, backref="equity")
    timestamp = UtcDateTimeField()
    equity = ExactDecimalField()
    cash = ExactDecimalField()
    currency = CurrencyField()
    unrealised_pnl = ExactDecimalField(null=True)
    realised_pnl = ExactDecimalField(null=True)

    class Meta:
        table_name = "equity_snapshots"
        indexes = ((("session", "timestamp"), False),)


class Decision(BaseModel):
    """What a strategy decided and whether risk checks accepted it; ``payload`` is JSON."""

    id = peewee.AutoField()
    scope = _scope_field()

    session = peewee.ForeignKeyField(TradingSession, null=True, backref="decisions")
    timestamp = UtcDateTimeField(default=utc_now)
    strategy = peewee.CharField(max_length=64)
    symbol = peewee.CharField(max_length=32, null=True)
    action = peewee.CharField(max_length=32)
    payload = JsonTextField(null=True)
    accepted = peewee.BooleanField()
    reason = peewee.TextField(null=True)

    class Meta:
        table_name = "decisions"
        indexes = ((("session", "timestamp"), False),)


class SyncState(BaseModel):
    """Small key/value facts such as the last resync time; keys are prefixed with their scope."""

    key = peewee.CharField(max_length=128, primary_key=True)
    value = peewee.TextField()
    updated_at = UtcDateTimeField(default=utc_now)

    class Meta:
        table_name = "sync_state"


class BaselineRow(BaseModel):
    """What a paper or sim account held before the bot first worked in the scope (v5).

    ``generation`` counts re-takes (``trader baseline --reset``); the highest is in force.
    ``fill_mark`` is the last fill row id of the scope when it was taken: later fills are the
    bot's (or a flatten's) and explain how the venue moved away from it.
    """

    id = peewee.AutoField()
    scope = peewee.ForeignKeyField(ScopeRow, on_delete="RESTRICT")

    generation = peewee.IntegerField()
    taken_at = UtcDateTimeField()
    base_currency = CurrencyField()
    fill_mark = peewee.IntegerField(default=0)
    reason = peewee.TextField(null=True)

    class Meta:
        table_name = "baselines"
        indexes = ((("scope", "generation"), True),)


class BaselineItemRow(BaseModel):
    """One part of a baseline: a position (``kind`` position, ``name`` its symbol, its price in
    ``currency``), a cash balance (``kind`` cash, ``name`` its currency) or an execution the
    venue already listed (``kind`` fill, ``name`` its venue fill id: in the baseline, not the
    bot's)."""

    id = peewee.AutoField()
    baseline = peewee.ForeignKeyField(BaselineRow, backref="items", on_delete="CASCADE")
    kind = peewee.CharField(max_length=16)
    name = peewee.CharField(max_length=128)
    quantity = ExactDecimalField()
    price = ExactDecimalField(null=True)
    currency = CurrencyField(null=True)
    value_base = ExactDecimalField(null=True)

    class Meta:
        table_name = "baseline_items"


ALL_MODELS: tuple[type[BaseModel], ...] = (
    ScopeRow,
    TradingSession,
    Plan,
    OrderRow,
    FillRow,
    PositionSnapshot,
    MarketDataRow,
    EquitySnapshot,
    Decision,
    SyncState,
    BaselineRow,
    BaselineItemRow,
)
