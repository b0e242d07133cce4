"""Versioned schema migrations: an ordered list of steps, each applied once in its own transaction.

The ``schema_version`` table records every step applied. :func:`migrate` applies the missing steps
(idempotent, safe if two processes start at once) and refuses a database newer than this code.
Steps never import :mod:`trader_cli.db.models`: the models change, a step must not. To change the
schema, append a step here and change the model to match (``test_migrations`` compares them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import peewee

from trader_cli.db.driver import schema_migrator
from trader_cli.db.fields import (
    CurrencyField,
    EnumField,
    ExactDecimalField,
    JsonTextField,
    UtcDateTimeField,
)
from trader_cli.domain.models import FeeSource, Liquidity, OrderStatus, OrderType, Side
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
        venue = peewee.CharField(max_length=16)  # ib, gemini or sim
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
    pw_migrate = schema_migrator()
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


#: Tables whose rows belong to a scope (v3); ``sync_state`` is scoped by a key prefix instead.
SCOPED_TABLES = (
    "sessions", "orders", "fills", "position_snapshots", "market_data", "equity_snapshots",
    "plans", "decisions",
)
_SESSION_TABLES = ("orders", "plans", "decisions", "position_snapshots", "equity_snapshots")
#: Where v3 puts rows it cannot attribute to a scope; no command reads it (docs/database.md).
UNATTRIBUTED = ("ib", "unknown", "unknown", "")


def _v3_scope_of_session(venue: str, mode: str, account: str | None) -> tuple[str, str, str, str]:
    """The scope a pre-v3 session row belongs to: the sim was a venue of its own then."""
    if venue == "sim":
        return ("ib", "sim", "sim", account or "")
    return (venue, "api", mode, account or "")


def _v3_token_session(client_order_id: str) -> int | None:
    """The session id inside one of our client order ids (``PREFIX-<session><4 hex>-<seq>``)."""
    parts = client_order_id.split("-")
    if len(parts) < 3 or len(parts[-2]) <= 4 or not parts[-1].isdigit():
        return None
    head = parts[-2][:-4]
    return int(head) if head.isdigit() else None


def _v3_scopes(db: peewee.Database) -> None:
    class Scope(peewee.Model):
        id = peewee.AutoField()
        venue = peewee.CharField(max_length=16)
        backend = peewee.CharField(max_length=16)
        mode = peewee.CharField(max_length=16)
        account = peewee.CharField(max_length=64, default="")
        created_at = UtcDateTimeField()

        class Meta:
            table_name = "scopes"
            legacy_table_names = False
            indexes = ((("venue", "backend", "mode", "account"), True),)

    with db.bind_ctx([Scope]):
        db.create_tables([Scope], safe=False)
    pw_migrate = schema_migrator()
    migrator = pw_migrate.SchemaMigrator.from_database(db)
    ops = [
        migrator.add_column(
            table,
            "scope_id",
            peewee.IntegerField(null=True, constraints=[peewee.SQL("REFERENCES scopes (id)")]),
        )
        for table in SCOPED_TABLES
    ]
    ops += [migrator.add_index(table, ("scope_id",), False) for table in SCOPED_TABLES]
    ops += [
        migrator.drop_index("orders", "orders_client_order_id"),
        migrator.add_index("orders", ("client_order_id",), False),
        migrator.add_index("orders", ("scope_id", "client_order_id"), True),
        migrator.drop_index("fills", "fills_venue_fill_id"),
        migrator.add_index("fills", ("venue_fill_id",), False),
        migrator.add_index("fills", ("scope_id", "venue_fill_id"), True),
    ]
    pw_migrate.migrate(*ops)

    p = db.param
    now = datetime.now(UTC)
    ids: dict[tuple[str, str, str, str], int] = {}

    def scope_id(key: tuple[str, str, str, str]) -> int:
        if key not in ids:
            with db.bind_ctx([Scope]):
                ids[key] = Scope.create(
                    venue=key[0], backend=key[1], mode=key[2], account=key[3], created_at=now
                ).id
        return ids[key]

    # sessions: their own venue, mode and account
    sessions = db.execute_sql(  # type: ignore[no-untyped-call]
        "SELECT id, venue, mode, account_hash FROM sessions"
    ).fetchall()
    session_scope: dict[int, int] = {}
    for sid, venue, mode, account in sessions:
        session_scope[sid] = scope_id(_v3_scope_of_session(venue, mode, account))
        db.execute_sql(  # type: ignore[no-untyped-call]
            f"UPDATE sessions SET scope_id = {p} WHERE id = {p}",  # noqa: S608
            (session_scope[sid], sid),
        )
    # rows of a session follow it
    for table in _SESSION_TABLES:
        db.execute_sql(  # type: ignore[no-untyped-call]
            f"UPDATE {table} SET scope_id = (SELECT s.scope_id FROM sessions s "  # noqa: S608
            f"WHERE s.id = {table}.session_id) WHERE session_id IS NOT NULL"
        )
    # our orders written without a session row still carry their session in the client order id
    orphans = db.execute_sql(  # type: ignore[no-untyped-call]
        "SELECT id, client_order_id FROM orders WHERE scope_id IS NULL"
    ).fetchall()
    for oid, cid in orphans:
        sid = _v3_token_session(cid or "")
        if sid is not None and sid in session_scope:
            db.execute_sql(  # type: ignore[no-untyped-call]
                f"UPDATE orders SET scope_id = {p} WHERE id = {p}",  # noqa: S608
                (session_scope[sid], oid),
            )
    # fills follow their order
    db.execute_sql(  # type: ignore[no-untyped-call]
        "UPDATE fills SET scope_id = (SELECT o.scope_id FROM orders o WHERE o.id = fills.order_id)"
        " WHERE order_id IS NOT NULL"
    )
    # whatever is left cannot be attributed safely: kept, but in a scope no command reads
    for table in SCOPED_TABLES:
        left = db.execute_sql(  # type: ignore[no-untyped-call]
            f"SELECT COUNT(*) FROM {table} WHERE scope_id IS NULL"  # noqa: S608
        ).fetchone()[0]
        if left:
            db.execute_sql(  # type: ignore[no-untyped-call]
                f"UPDATE {table} SET scope_id = {p} WHERE scope_id IS NULL",  # noqa: S608
                (scope_id(UNATTRIBUTED),),
            )
    # sync state was kept per venue only (no mode, no account): it cannot be attributed, and all
    # of it can be rebuilt (the next resync takes a fresh position baseline)
    db.execute_sql(  # type: ignore[no-untyped-call]
        "UPDATE sync_state SET key = 'unattributed:' || key"
    )


#: The tags the runner and the plan monitor wrote into ``orders.reason`` before v4.
_V4_PLAN_TAG = re.compile(r"^\s*(?:entry|exit) plan (\d+):")


def _v4_order_plan(db: peewee.Database) -> None:
    """``orders.plan_id``: the plan an order enters or exits, backfilled from the reason tags.

    Until v4 an order was tied to its plan only by the text of its reason (``entry plan 7: …``,
    ``exit plan 7: stop hit …``). A tag is trusted only when plan 7 exists in the order's scope;
    the plans' own links (``entry_client_order_id``, ``exit_client_order_id``) fill in the rest.
    """
    pw_migrate = schema_migrator()
    migrator = pw_migrate.SchemaMigrator.from_database(db)
    pw_migrate.migrate(
        migrator.add_column(
            "orders",
            "plan_id",
            peewee.IntegerField(null=True, constraints=[peewee.SQL("REFERENCES plans (id)")]),
        ),
        migrator.add_index("orders", ("plan_id",), False),
    )
    p = db.param
    plans = {
        int(pid): scope
        for pid, scope in db.execute_sql(  # type: ignore[no-untyped-call]
            "SELECT id, scope_id FROM plans"
        ).fetchall()
    }
    tagged = db.execute_sql(  # type: ignore[no-untyped-call]
        f"SELECT id, scope_id, reason FROM orders WHERE reason LIKE {p}",  # noqa: S608
        ("%plan %",),
    ).fetchall()
    for oid, scope, reason in tagged:
        match = _V4_PLAN_TAG.match(reason or "")
        if match is None:
            continue
        pid = int(match.group(1))
        if pid in plans and plans[pid] == scope:
            db.execute_sql(  # type: ignore[no-untyped-call]
                f"UPDATE orders SET plan_id = {p} WHERE id = {p}",  # noqa: S608
                (pid, oid),
            )
    for column in ("entry_client_order_id", "exit_client_order_id"):
        db.execute_sql(  # type: ignore[no-untyped-call]
            f"UPDATE orders SET plan_id = (SELECT pl.id FROM plans pl "  # noqa: S608
            f"WHERE pl.{column} = orders.client_order_id AND pl.scope_id = orders.scope_id "
            f"ORDER BY pl.id LIMIT 1) WHERE plan_id IS NULL AND EXISTS (SELECT 1 FROM plans pl "
            f"WHERE pl.{column} = orders.client_order_id AND pl.scope_id = orders.scope_id)"
        )


def _v5_baselines(db: peewee.Database) -> None:
    """``baselines`` and ``baseline_items``: what a paper or sim account held before the bot.

    One baseline per scope and generation (a re-take is the next generation); its items are the
    positions (quantity, price and value in the base currency) and cash balances it recorded.
    """

    class Baseline(peewee.Model):
        id = peewee.AutoField()
        scope = peewee.IntegerField(
            column_name="scope_id", constraints=[peewee.SQL("REFERENCES scopes (id)")]
        )
        generation = peewee.IntegerField()
        taken_at = UtcDateTimeField()
        base_currency = CurrencyField()
        fill_mark = peewee.IntegerField(default=0)
        reason = peewee.TextField(null=True)

        class Meta:
            table_name = "baselines"
            legacy_table_names = False
            indexes = ((("scope", "generation"), True),)

    class BaselineItem(peewee.Model):
        id = peewee.AutoField()
        baseline = peewee.ForeignKeyField(Baseline, on_delete="CASCADE")
        kind = peewee.CharField(max_length=16)
        name = peewee.CharField(max_length=128)
        quantity = ExactDecimalField()
        price = ExactDecimalField(null=True)
        currency = CurrencyField(null=True)
        value_base = ExactDecimalField(null=True)

        class Meta:
            table_name = "baseline_items"
            legacy_table_names = False

    with db.bind_ctx([Baseline, BaselineItem]):
        db.create_tables([Baseline, BaselineItem], safe=False)


def _v6_order_spec(db: peewee.Database) -> None:
    """``orders.stop_price``, ``time_in_force`` and ``post_only``: the whole spec as sent.

    Before v6 only the type and limit price were kept, so an intent recorded but never sent (a
    crash between the two) was resumed as a plain order: an IOC or post-only order could have
    gone out resting. Older rows had no such fields to lose: NULL/False is what they meant.
    """
    pw_migrate = schema_migrator()
    migrator = pw_migrate.SchemaMigrator.from_database(db)
    pw_migrate.migrate(
        migrator.add_column("orders", "stop_price", ExactDecimalField(null=True)),
        migrator.add_column("orders", "time_in_force", peewee.CharField(max_length=8, null=True)),
    )
    # NOT NULL with a default in one ALTER: SQLite would otherwise rebuild the table, which its
    # foreign keys (fills -> orders) refuse
    db.execute_sql(  # type: ignore[no-untyped-call]
        "ALTER TABLE orders ADD COLUMN post_only BOOLEAN NOT NULL DEFAULT FALSE"
    )


def _v7_brackets(db: peewee.Database) -> None:
    """``orders.parent_client_order_id`` and ``oca_group``: the legs of a bracket held by the
    broker (an entry, its stop and target children in one OCA group). Older orders belong to
    no bracket: NULL is what they meant."""
    pw_migrate = schema_migrator()
    migrator = pw_migrate.SchemaMigrator.from_database(db)
    pw_migrate.migrate(
        migrator.add_column(
            "orders", "parent_client_order_id", peewee.CharField(max_length=64, null=True)
        ),
        migrator.add_column("orders", "oca_group", peewee.CharField(max_length=64, null=True)),
        migrator.add_index("orders", ("oca_group",), False),
    )


#: Every schema step, oldest first; versions are 1, 2, 3... with no gaps.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _v1_initial),
    Migration(2, "fills.fx_rate_to_base and base_currency; orders.external", _v2_fx_and_external),
    Migration(3, "scopes: every row belongs to a venue, backend, mode and account", _v3_scopes),
    Migration(4, "orders.plan_id: the plan an order enters or exits", _v4_order_plan),
    Migration(5, "baselines: holdings a paper or sim account had before the bot", _v5_baselines),
    Migration(6, "orders.stop_price, time_in_force, post_only: the spec as sent", _v6_order_spec),
    Migration(7, "orders.parent_client_order_id, oca_group: bracket legs", _v7_brackets),
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
    current = current_version(db)
    _check_not_newer(db, current)
    if current >= goal:
        return []  # up to date (every command's case): checked without a transaction
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
