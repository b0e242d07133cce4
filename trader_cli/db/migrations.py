"""Versioned schema migrations: an ordered list of steps, each applied once in its own transaction.

The ``schema_version`` table records every step applied. :func:`migrate` applies the missing steps
(idempotent, safe if two processes start at once) and refuses a database newer than this code.
Steps never import :mod:`trader_cli.db.models`: the models change, a step must not. To change the
schema, append a step here and change the model to match (``test_migrations`` compares them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import peewee
from playhouse import migrate as pw_migrate

from trader_cli.db.fields import (
    CurrencyField,
    EnumField,
    ExactDecimalField,
    JsonTextField,
    UtcDateTimeField,
)
from trader_cli.domain.models import FeeSource, Liquidity, OrderStatus, OrderType, Side
from trader_cli.domain.venues import Venue
from trader_cli.errors import TraderError

VERSION_TABLE = "schema_version"
_PG_LOCK_KEY = 0x7472616465  # "trade": serialises concurrent migrations on one PostgreSQL db


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: ``apply(db)`` runs inside a transaction with the version row insert."""

    version: int
    description: str
    apply: Callable[[peewee.Database], None]


def _v1_models() -> list[type[peewee.Model]]:
    """The initial schema, frozen as it was in version 1 (unbound; bind with ``bind_ctx``)."""

    class Base(peewee.Model):
        class Meta:
            legacy_table_names = False

    class Session(Base):
        venue = EnumField(Venue)
        mode = peewee.CharField(max_length=16)
        base_currency = CurrencyField()
        account_suffix = peewee.CharField(max_length=8, null=True)
        account_hash = peewee.CharField(max_length=64, null=True)
        strategy = peewee.CharField(max_length=64, null=True)
        notes = peewee.TextField(null=True)
        started_at = UtcDateTimeField()
        ended_at = UtcDateTimeField(null=True)

        class Meta:
            table_name = "sessions"

    class Order(Base):
        client_order_id = peewee.CharField(max_length=64, unique=True)
        venue_order_id = peewee.CharField(max_length=64, null=True, index=True)
        perm_id = peewee.CharField(max_length=64, null=True)
        session = peewee.ForeignKeyField(Session, null=True)
        symbol = peewee.CharField(max_length=32, index=True)
        side = EnumField(Side)
        type = EnumField(OrderType)
        amount = ExactDecimalField()
        price = ExactDecimalField(null=True)
        status = EnumField(OrderStatus, index=True)
        filled = ExactDecimalField()
        average = ExactDecimalField(null=True)
        fee_cost = ExactDecimalField(null=True)
        fee_currency = CurrencyField(null=True)
        created_at = UtcDateTimeField()
        updated_at = UtcDateTimeField()
        submitted_at = UtcDateTimeField(null=True)
        reason = peewee.TextField(null=True)
        last_error = peewee.TextField(null=True)

        class Meta:
            table_name = "orders"

    class Fill(Base):
        venue_fill_id = peewee.CharField(max_length=128, unique=True)
        order = peewee.ForeignKeyField(Order, null=True)
        client_order_id = peewee.CharField(max_length=64, null=True, index=True)
        venue_order_id = peewee.CharField(max_length=64, null=True)
        symbol = peewee.CharField(max_length=32)
        side = EnumField(Side)
        price = ExactDecimalField()
        amount = ExactDecimalField()
        commission = ExactDecimalField(null=True)
        commission_currency = CurrencyField(null=True)
        commission_source = EnumField(FeeSource, null=True)
        liquidity = EnumField(Liquidity)
        timestamp = UtcDateTimeField(index=True)

        class Meta:
            table_name = "fills"

    class PositionSnapshot(Base):
        session = peewee.ForeignKeyField(Session)
        symbol = peewee.CharField(max_length=32)
        quantity = ExactDecimalField()
        avg_price = ExactDecimalField()
        current_price = ExactDecimalField(null=True)
        currency = CurrencyField()
        timestamp = UtcDateTimeField()

        class Meta:
            table_name = "position_snapshots"
            indexes = ((("session", "timestamp"), False),)

    class MarketData(Base):
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

    class EquitySnapshot(Base):
        session = peewee.ForeignKeyField(Session)
        timestamp = UtcDateTimeField()
        equity = ExactDecimalField()
        cash = ExactDecimalField()
        currency = CurrencyField()
        unrealised_pnl = ExactDecimalField(null=True)
        realised_pnl = ExactDecimalField(null=True)

        class Meta:
            table_name = "equity_snapshots"
            indexes = ((("session", "timestamp"), False),)

    class Plan(Base):
        session = peewee.ForeignKeyField(Session, null=True)
        symbol = peewee.CharField(max_length=32)
        side = EnumField(Side)
        size = ExactDecimalField()
        entry = ExactDecimalField(null=True)
        stop = ExactDecimalField(null=True)
        target = ExactDecimalField(null=True)
        expiry = UtcDateTimeField(null=True)
        status = peewee.CharField(max_length=16, index=True)
        rationale = peewee.TextField(null=True)
        created_at = UtcDateTimeField()
        closed_at = UtcDateTimeField(null=True)
        entry_client_order_id = peewee.CharField(max_length=64, null=True)
        exit_client_order_id = peewee.CharField(max_length=64, null=True)

        class Meta:
            table_name = "plans"

    class Decision(Base):
        session = peewee.ForeignKeyField(Session, null=True)
        timestamp = UtcDateTimeField()
        strategy = peewee.CharField(max_length=64)
        symbol = peewee.CharField(max_length=32, null=True)
        action = peewee.CharField(max_length=32)
        payload = JsonTextField(null=True)
        accepted = peewee.BooleanField()
        reason = peewee.TextField(null=True)

        class Meta:
            table_name = "decisions"
            indexes = ((("session", "timestamp"), False),)

    class SyncState(Base):
        key = peewee.CharField(max_length=128, primary_key=True)
        value = peewee.TextField()
        updated_at = UtcDateTimeField()

        class Meta:
            table_name = "sync_state"

    return [Session, Order, Fill, PositionSnapshot, MarketData, EquitySnapshot, Plan, Decision,
            SyncState]


def _v1_initial(db: peewee.Database) -> None:
    models = _v1_models()
    with db.bind_ctx(models):
        db.create_tables(models, safe=False)


def _v2_fx_and_external(db: peewee.Database) -> None:
    migrator = pw_migrate.SchemaMigrator.from_database(db)
    pw_migrate.migrate(
        migrator.add_column("fills", "fx_rate_to_base", ExactDecimalField(null=True)),
        migrator.add_column("fills", "base_currency", CurrencyField(null=True)),
        migrator.add_column(
            "orders",
            "external",
            peewee.BooleanField(default=False, constraints=[peewee.SQL("DEFAULT FALSE")]),
            allow_not_null=True,
        ),
    )


#: Every schema step, oldest first; versions are 1, 2, 3... with no gaps.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _v1_initial),
    Migration(2, "fills.fx_rate_to_base and base_currency; orders.external", _v2_fx_and_external),
)
LATEST_VERSION = MIGRATIONS[-1].version


def _version_model(db: peewee.Database) -> type[peewee.Model]:
    """A model of ``schema_version`` bound to ``db`` alone (binding a shared class is not
    thread-safe: two threads migrating two databases would swap each other's binding)."""

    class SchemaVersion(peewee.Model):
        version = peewee.IntegerField(primary_key=True)
        description = peewee.CharField(max_length=200)
        applied_at = UtcDateTimeField()

        class Meta:
            database = db
            table_name = VERSION_TABLE

    return SchemaVersion


def current_version(db: peewee.Database) -> int:
    """The schema version of ``db``: 0 for an empty database."""
    if not db.table_exists(VERSION_TABLE):
        return 0
    model = _version_model(db)
    found = model.select(peewee.fn.MAX(model.version)).scalar()  # type: ignore[attr-defined]
    return int(found or 0)


def _check_not_newer(db: peewee.Database, version: int) -> None:
    if version > LATEST_VERSION:
        raise TraderError(
            f"the database is at schema version {version}, newer than this trader understands "
            f"(up to {LATEST_VERSION})",
            hint="upgrade trader, or point DATABASE_URL at another database; nothing was changed",
        )


def migrate(db: peewee.Database, target: int | None = None) -> list[int]:
    """Apply every missing step up to ``target`` (default: latest); returns the versions applied.

    Each step and its ``schema_version`` row commit together, so a failed step leaves the database
    at the previous version. Raises :class:`TraderError` if the database is newer than this code.
    """
    goal = LATEST_VERSION if target is None else target
    if not 0 <= goal <= LATEST_VERSION:
        raise ValueError(f"target version must be between 0 and {LATEST_VERSION}, not {goal}")
    _check_not_newer(db, current_version(db))
    applied: list[int] = []
    version_model = _version_model(db)
    for step in MIGRATIONS:
        if step.version > goal:
            break
        with db.atomic():
            if isinstance(db, peewee.PostgresqlDatabase):
                db.execute_sql(  # type: ignore[no-untyped-call]
                    "SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK_KEY,)
                )
            version_model.create_table(safe=True)
            version = current_version(db)  # again, under the lock: another process may have won
            _check_not_newer(db, version)
            if version >= step.version:
                continue
            if version != step.version - 1:
                raise TraderError(
                    f"schema version {version} has no step to {step.version}",
                    hint="the schema_version table looks damaged",
                )
            step.apply(db)
            version_model.create(
                version=step.version, description=step.description, applied_at=datetime.now(UTC)
            )
            applied.append(step.version)
    return applied
