"""One command's trading context: the database, a session row, the venue and the order service."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from trader_cli.config import Settings
from trader_cli.db import close_db, database_proxy, init_db, store
from trader_cli.db.models import SessionMode, TradingSession
from trader_cli.db.scope import use_scope
from trader_cli.domain.baseline import Baseline
from trader_cli.domain.scope import Backend, Mode, Scope
from trader_cli.domain.venues import Venue
from trader_cli.notify.notifier import Notifier
from trader_cli.services.baseline import ensure_baseline
from trader_cli.services.orders import OrderService
from trader_cli.services.venue import check_backend_available, open_venue
from trader_cli.telemetry import Telemetry
from trader_cli.venues.base import BaseTrader


@dataclass
class TradingContext:
    """Everything a trading command needs, opened together and closed together."""

    settings: Settings
    venue: BaseTrader
    session: TradingSession | None
    orders: OrderService
    scope: Scope
    telemetry: Telemetry | None = None
    # what a paper or sim account held before the bot (None on live accounts and replays)
    baseline: Baseline | None = None
    # alerts to a person (NOTIFY_URLS); disabled when none is configured
    notifier: Notifier | None = None


def session_mode(settings: Settings) -> SessionMode:
    """sim or replay from the backend; else paper or live from ``IB_PAPER``/``GEMINI_SANDBOX``."""
    backend = settings.backend
    if backend is not Backend.API:
        return SessionMode(backend.value)
    paper = settings.ib.paper if settings.venue is Venue.IB else settings.gemini.sandbox
    return SessionMode.PAPER if paper else SessionMode.LIVE


def command_scope(settings: Settings) -> Scope:
    """The scope a command works in, as far as settings tell (the account comes at connect)."""
    return Scope(settings.venue.value, settings.backend, Mode(session_mode(settings).value))


def check_account_matches_scope(scope: Scope, account: str | None) -> None:
    """Refuse to keep paper state for a live IB account, or live state for a paper one.

    The mode of a command's scope comes from ``IB_PAPER`` before the venue is reached; the
    account the Gateway is logged into must agree, or the command's state would be filed under
    the wrong mode. Orders are refused on the same mismatch (the adapter's interlock); this stops
    reads and reconciliation too, before anything is written.
    """
    if scope.venue != "ib" or scope.backend is not Backend.API or not account:
        return
    from trader_cli.errors import SafetyRefused
    from trader_cli.redaction import is_paper_account, redact_account

    paper = is_paper_account(account)
    if scope.mode is Mode.PAPER and not paper:
        raise SafetyRefused(
            f"IB_PAPER=true but the Gateway is logged into live account {redact_account(account)}",
            hint="log the Gateway into your paper account, or set IB_PAPER=false (and --live "
            "to send orders)",
        )
    if scope.mode is Mode.LIVE and paper:
        raise SafetyRefused(
            f"IB_PAPER=false but the Gateway is logged into paper account "
            f"{redact_account(account)}",
            hint="set IB_PAPER=true for paper trading",
        )


def open_scoped_database(settings: Settings, scope: Scope) -> None:
    """Bind the models to the database of ``scope``'s venue and mode (see docs/database.md)."""
    if settings.database_is_default:
        from trader_cli.db.split import split_legacy_database

        split_legacy_database(settings.home)
    init_db(settings.database_url_for(scope.file_key))


@contextlib.asynccontextmanager
async def trading_context(
    settings: Settings,
    *,
    live: bool = False,
    strategy: str | None = None,
    with_session: bool = True,
) -> AsyncIterator[TradingContext]:
    """Open the database (migrated), connect the venue, start a session row; close all after.

    ``with_session=False`` (resync) records no session row, so a pass that finds nothing to do
    writes nothing but its sync time.

    On a paper or sim account the scope's baseline (what it held before the bot) is taken here
    the first time, before anything can be sent (:mod:`trader_cli.services.baseline`).
    """
    check_backend_available(settings)
    scope = command_scope(settings)
    async with contextlib.AsyncExitStack() as stack:
        database: asyncio.Future[None]
        if ":memory:" in settings.database_url_for(scope.file_key):
            open_scoped_database(settings, scope)  # one connection, so in this thread
            database = asyncio.ensure_future(asyncio.sleep(0))
        else:  # the database opens (and migrates) in a thread while the venue connects
            database = asyncio.ensure_future(asyncio.to_thread(_open_in_thread, settings, scope))
        stack.push_async_callback(_close_database, database)
        try:
            venue = await stack.enter_async_context(open_venue(settings, live=live))
        except BaseException:
            await database  # a database that cannot be opened is reported first, as before
            raise
        await database
        account = venue.account or None
        check_account_matches_scope(scope, account)
        scope = scope.with_account(account)
        with use_scope(scope):
            baseline = await ensure_baseline(venue, scope, settings.base_currency)
            session = None
            if with_session:
                session = store.open_session(
                    venue=venue.name,
                    mode=session_mode(settings),
                    base_currency=settings.base_currency,
                    account_id=account,
                    strategy=strategy,
                    started_at=venue.clock.now(),
                )
            orders = OrderService(venue, settings, session)
            orders.telemetry = Telemetry.from_settings(
                settings,
                session=str(session.id) if session is not None else "",
                clock=venue.clock,
                venue=venue.name,
                accounts=[account or ""],
            )
            orders.notifier = _notifier(settings, scope, venue, orders.telemetry)
            try:
                yield TradingContext(
                    settings, venue, session, orders, scope, orders.telemetry, baseline,
                    orders.notifier,
                )
            finally:
                if session is not None:
                    store.close_session(session, ended_at=venue.clock.now())
                orders.notifier.close()  # bounded: queued alerts get out, or are logged


def _open_in_thread(settings: Settings, scope: Scope) -> None:
    """:func:`open_scoped_database` from a worker thread: its connection is closed there, and
    the command's own thread connects on its first query (peewee connections are per thread)."""
    open_scoped_database(settings, scope)
    db = database_proxy.obj
    if db is not None:
        db.close()


async def _close_database(opening: asyncio.Future[None]) -> None:
    """Close the database once its opening thread is done (whatever became of it)."""
    with contextlib.suppress(BaseException):
        await opening
    close_db()


def _notifier(
    settings: Settings, scope: Scope, venue: BaseTrader, telemetry: Telemetry
) -> Notifier:
    """The command's notifier, its alerts labelled with the scope's badge, venue and account."""
    from trader_cli.notify.alerts import label

    notifier = Notifier.from_settings(
        settings, label=label(scope.label, venue.name, venue.account or None)
    )
    notifier.telemetry = telemetry
    return notifier
