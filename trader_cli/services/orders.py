"""The order service shared by ``run``, ``place`` and ``flatten``: never lose, never duplicate.

Every order follows the same path::

    intent written and committed (status pending, our client order id)
      → marked "sending" (submitted_at)            ← from here the outcome may be ambiguous
      → sent to the venue
      → acknowledgement, status, fills and commissions recorded

A retry or a restart finds the order by its client order id before sending anything: an intent
never marked "sending" is sent (once); one that was may already be at the venue, so the venue is
asked (open orders, completed orders, executions) and nothing is sent again. An ambiguous outcome
(timeout, disconnect) leaves the order pending until resync settles it — never rejected by guess.

Only one live process at a time may act on a client order id: :meth:`OrderService.submit` holds
the order's lock (:func:`trader_cli.services.locks.order_lock`: a file lock with SQLite, an
advisory lock with PostgreSQL; both die with their process) from before the intent is looked up
or written until the venue's answer is recorded. A second process with the same id waits for that
lock and then only *resumes*: by then the order has been sent and recorded, so it reports it. The
lock also tells the two cases "never sent" apart: an intent without ``submitted_at`` found while
holding the lock belongs to a process that died before sending it (its lock died with it), so it
is sent now; one that a live process is about to send is never seen that way.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from trader_cli.config import Settings
from trader_cli.db import store
from trader_cli.db.models import FillRow, OrderRow, TradingSession
from trader_cli.domain.models import FeeSource, Fill, Order, OrderStatus, OrderType, Side
from trader_cli.domain.orders import OrderSpec, TimeInForce
from trader_cli.domain.scope import Backend
from trader_cli.domain.symbols import Symbol, parse_symbol
from trader_cli.errors import (
    InputError,
    RefusedError,
    SafetyRefused,
    TemporaryError,
    TraderError,
    VenueError,
)
from trader_cli.notify import alerts
from trader_cli.notify.notifier import Notifier
from trader_cli.services import kept_fx
from trader_cli.services.crash_points import crash_point, pause_point
from trader_cli.services.locks import Lock, order_lock
from trader_cli.telemetry import Telemetry
from trader_cli.venues.base import BaseTrader, BracketRequest, Instrument, OrderRequest

log = logging.getLogger("trader.orders")

# An intent never sent that is older than this is stale: its price context is gone.
INTENT_TTL = timedelta(minutes=10)
# How far back fills are looked up around an order's creation (venue clocks drift).
FILL_LOOKBACK = timedelta(minutes=5)
# How long (wall time) a command waits for another live process that holds an order's lock, i.e.
# is writing or sending it, before reporting the order as it stands. Above the venue's
# acknowledgement timeout, so the holder has normally recorded the venue's answer by then.
ORDER_LOCK_WAIT = 30.0
# An order reaching one of these alerts a person (NOTIFY_URLS).
ALERTED_STATUSES = frozenset({OrderStatus.REJECTED, OrderStatus.EXPIRED})


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """What a caller wants sent; ``client_order_id`` makes a retry of the same intent idempotent.

    ``type``, ``price`` (the limit price), ``stop_price``, ``time_in_force`` and ``post_only`` are
    the fields of its :attr:`spec`; :meth:`of` builds an intent from a spec.
    """

    symbol: Symbol
    side: Side
    amount: Decimal
    type: OrderType = OrderType.LIMIT
    price: Decimal | None = None
    client_order_id: str | None = None
    reason: str | None = None
    plan_id: int | None = None  # the trade plan this order enters or exits
    stop_price: Decimal | None = None
    time_in_force: TimeInForce | None = None  # None: the venue's default
    post_only: bool = False

    @classmethod
    def of(
        cls,
        symbol: Symbol,
        side: Side,
        amount: Decimal,
        spec: OrderSpec,
        *,
        client_order_id: str | None = None,
        reason: str | None = None,
        plan_id: int | None = None,
    ) -> OrderIntent:
        """The intent to send ``amount`` of ``symbol`` on ``side`` as ``spec`` says."""
        return cls(
            symbol,
            side,
            amount,
            spec.type,
            spec.limit_price,
            client_order_id,
            reason,
            plan_id=plan_id,
            stop_price=spec.stop_price,
            time_in_force=spec.time_in_force,
            post_only=spec.post_only,
        )

    @property
    def spec(self) -> OrderSpec:
        """The order spec; raises ``InvalidOrderError`` when the fields do not make a valid one."""
        return OrderSpec(
            self.type, self.price, self.stop_price, self.time_in_force, self.post_only
        )


@dataclass(frozen=True, slots=True)
class BracketIntent:
    """An entry and its stop and target children, to be held by the venue in one OCA group (or,
    without an entry, a stand-alone OCA group protecting a position already held).

    Every leg carries its client order id (``<stem>-E``, ``-S``, ``-T``: see
    :mod:`trader_cli.services.brackets`); ``stem`` names the bracket's lock.
    """

    stem: str
    oca_group: str
    children: tuple[OrderIntent, ...]
    entry: OrderIntent | None = None

    @property
    def legs(self) -> tuple[OrderIntent, ...]:
        """Every leg, the entry first."""
        return self.children if self.entry is None else (self.entry, *self.children)


@dataclass(frozen=True, slots=True)
class Submission:
    """What :meth:`OrderService.submit_once` did: ``resumed`` is True when the order was already
    recorded (by an earlier run, or by a concurrent process that sent it) and was not created
    here."""

    order: Order
    resumed: bool


class OrderService:
    """Writes every order before the venue sees it, sends it once, and records what comes back."""

    def __init__(
        self, venue: BaseTrader, settings: Settings, session: TradingSession | None
    ) -> None:
        self.venue = venue
        self.settings = settings
        self.session = session
        self.base_currency = settings.base_currency
        self._token: str | None = None
        # called with every fill recorded for the first time
        self.on_fill: Callable[[Fill], None] | None = None
        # called with the client order id once the venue has an order (before its answer is
        # recorded)
        self.on_sent: Callable[[str], None] | None = None
        # every order sent, every status change seen and every new fill go to telemetry
        self.telemetry: Telemetry | None = None
        # a rejected or expired order alerts a person (NOTIFY_URLS)
        self.notifier: Notifier = Notifier.disabled()

    # -- ids -------------------------------------------------------------------------------
    def next_client_order_id(self) -> str:
        """``PREFIX-TOKEN-SEQ``: the token is the session id plus random hex, so ids stay unique
        at the venue even if the database is reset while the venue remembers older orders."""
        if self.session is None:
            raise VenueError("orders need a trading session", hint="this is a bug")
        if self._token is None:
            self._token = f"{self.session.id}{secrets.token_hex(2)}"
        stem = f"{self.settings.core.client_order_prefix}-{self._token}-"
        seq = store.count_orders_with_prefix(stem) + 1
        # a bracket's legs are <id>-E, <id>-S, <id>-T: their id is taken too
        while store.recorded_client_order_ids(
            f"{stem}{seq}{leg}" for leg in ("", "-E", "-S", "-T")
        ):
            seq += 1
        return f"{stem}{seq}"

    # -- submit ----------------------------------------------------------------------------
    async def submit(self, intent: OrderIntent) -> Order:
        """Record, send once, record the answer. Resumes an existing intent with the same id."""
        return (await self.submit_once(intent)).order

    async def submit_once(
        self, intent: OrderIntent, *, lock_wait: float = ORDER_LOCK_WAIT
    ) -> Submission:
        """:meth:`submit`, saying whether the order was resumed rather than created here.

        Everything happens under the order's lock; a process that cannot get it within
        ``lock_wait`` seconds sends nothing and reports the order as the database has it.
        """
        if self.venue.backend is Backend.REPLAY:  # a recording takes no order (never recorded)
            raise SafetyRefused(
                f"{intent.symbol}: a REPLAY backend takes no orders: it plays a recording back",
                hint="use --sim to trade on the simulator",
            )
        cid = intent.client_order_id or self.next_client_order_id()
        lock = order_lock(cid)
        if not await lock.acquire(lock_wait):
            return self._busy(cid, lock, lock_wait)
        try:
            existing = store.find_order_by_client_id(cid)
            if existing is not None:
                return Submission(await self._resume(existing, intent), True)
            request = self._request(cid, intent)  # a spec that cannot be sent is never recorded
            now = self.venue.clock.now()
            draft = Order(
                cid,
                str(intent.symbol),
                intent.side,
                request.spec.recorded_type,
                intent.amount,
                intent.price,
                timestamp=now,
            )
            row, created = store.record_order_intent(
                draft,
                session=self.session,
                reason=intent.reason,
                plan=intent.plan_id,
                created_at=now,
                spec=request.spec,
            )
            if not created:
                # written by a writer that does not take order locks (resync adopting it from
                # the venue): what is recorded decides, as for any other resume
                return Submission(await self._resume(row, intent), True)
            crash_point("after-intent")
            pause_point("after-intent")
            return Submission(await self._send(cid, request), False)
        finally:
            lock.release()

    def _busy(self, cid: str, lock: Lock, waited: float) -> Submission:
        """Another live process held ``cid``'s lock for all of ``waited`` seconds."""
        holder = lock.holder()
        who = holder.describe() if holder else "another process"
        row = store.find_order_by_client_id(cid)
        if row is None:
            raise TraderError(
                f"order {cid} is being placed by {who} and was not recorded within {waited:.0f}s",
                hint="run the same command again later to see its outcome; it is never sent twice",
            )
        log.warning("order %s is still being sent by %s; reporting it as recorded", cid, who)
        return Submission(store.order_from_row(row), True)

    def _request(self, cid: str, intent: OrderIntent) -> OrderRequest:
        return OrderRequest(cid, intent.symbol, intent.side, intent.amount, intent.spec)

    async def _send(self, cid: str, request: OrderRequest) -> Order:
        now = self.venue.clock.now()
        sending = store.update_order(cid, submitted_at=now, now=now)
        try:
            order = await self.venue.place_order(request)
        except (InputError, RefusedError) as e:
            # refused before anything left this process: definitive, nothing was sent
            store.update_order(
                cid,
                status=OrderStatus.REJECTED,
                last_error=f"not sent: {e.message}",
                now=self.venue.clock.now(),
            )
            self.alert_final(cid)
            raise
        except (TemporaryError, ConnectionError, OSError, TimeoutError) as e:
            log.warning("order %s: outcome unknown (%s); left in flight for resync", cid, e)
            store.update_order(cid, last_error=f"outcome unknown: {e}", now=self.venue.clock.now())
            pending = store.order_from_row(self._row(cid))
            await self._order_event(pending, self._row(cid).reason)
            return pending
        if self.on_sent is not None:
            self.on_sent(cid)
        crash_point("after-submit")
        return await self.record(order, before=sending)

    async def _resume(self, row: OrderRow, intent: OrderIntent) -> Order:
        if (row.symbol, row.side, row.amount) != (str(intent.symbol), intent.side, intent.amount):
            raise InputError(
                f"client order id {row.client_order_id} already names a different order "
                f"({row.side.value} {row.amount} {row.symbol})",
                hint="use a new --client-order-id for a new order",
            )
        if row.status.is_final:
            return store.order_from_row(row)
        if row.submitted_at is None:
            age = self.venue.clock.now() - row.created_at
            if age > INTENT_TTL:
                store.update_order(
                    row.client_order_id,
                    status=OrderStatus.EXPIRED,
                    last_error="intent never sent and now stale",
                    now=self.venue.clock.now(),
                )
                self.alert_final(row.client_order_id)
                raise InputError(
                    f"order {row.client_order_id} was recorded {age} ago but never sent; "
                    "it has expired rather than go out at a stale price",
                    hint="place a new order",
                )
            # we hold the order's lock, so the process that wrote this intent is gone (its lock
            # died with it) and never sent it: a live one would still hold the lock
            log.info("order %s was recorded but never sent: sending it now", row.client_order_id)
            # exactly the order that was recorded, whatever the retry asked for
            request = OrderRequest(row.client_order_id, parse_symbol(row.symbol), row.side,
                                   row.amount, store.spec_of_row(row))
            return await self._send(row.client_order_id, request)
        found = await self.venue.get_order(row.client_order_id)
        if found is None:
            log.warning(
                "order %s may have been sent but the venue does not know it; not resending",
                row.client_order_id,
            )
            return store.order_from_row(row)
        return await self.record(found)

    # -- brackets --------------------------------------------------------------------------
    async def submit_bracket(
        self, bracket: BracketIntent, *, lock_wait: float = ORDER_LOCK_WAIT
    ) -> list[Order]:
        """Record every leg, send the bracket once, record the answers; returns the legs in the
        order of ``bracket.legs``.

        All legs are written in one transaction before anything is sent, under the bracket's
        lock (its stem). A retry or a restart finds them and resumes exactly as :meth:`submit`
        does for one order: legs never sent go out (once, as recorded); legs that may have been
        sent are asked of the venue and never sent again.
        """
        if self.venue.backend is Backend.REPLAY:
            raise SafetyRefused(
                "a REPLAY backend takes no orders: it plays a recording back",
                hint="use --sim to trade on the simulator",
            )
        lock = order_lock(bracket.stem)
        if not await lock.acquire(lock_wait):
            return [self._busy(cid, lock, lock_wait).order for cid in _cids(bracket)]
        try:
            rows = [store.find_order_by_client_id(cid) for cid in _cids(bracket)]
            if any(row is not None for row in rows):
                return await self._resume_bracket(bracket, rows)
            requests = [self._request(cid, leg) for cid, leg in zip(
                _cids(bracket), bracket.legs, strict=True)]
            now = self.venue.clock.now()
            entry_cid = bracket.entry.client_order_id if bracket.entry else None
            with store.transaction():
                for request, leg in zip(requests, bracket.legs, strict=True):
                    child = leg is not bracket.entry
                    draft = Order(request.client_order_id, str(leg.symbol), leg.side,
                                  request.spec.recorded_type, leg.amount, leg.price,
                                  timestamp=now)
                    store.record_order_intent(
                        draft, session=self.session, reason=leg.reason, plan=leg.plan_id,
                        created_at=now, spec=request.spec,
                        parent_client_order_id=entry_cid if child else None,
                        oca_group=bracket.oca_group if child else None,
                    )
            crash_point("after-bracket-intent")
            return await self._send_bracket(bracket, requests)
        finally:
            lock.release()

    async def _send_bracket(
        self, bracket: BracketIntent, requests: list[OrderRequest]
    ) -> list[Order]:
        cids = [r.client_order_id for r in requests]
        now = self.venue.clock.now()
        sending = {cid: store.update_order(cid, submitted_at=now, now=now) for cid in cids}
        entry = requests[0] if bracket.entry is not None else None
        children = tuple(requests[1:] if entry is not None else requests)
        try:
            orders = await self.venue.place_bracket(
                BracketRequest(bracket.oca_group, children, entry)
            )
        except (InputError, RefusedError) as e:
            for cid in cids:
                store.update_order(cid, status=OrderStatus.REJECTED,
                                   last_error=f"not sent: {e.message}", now=self.venue.clock.now())
                self.alert_final(cid)
            raise
        except (TemporaryError, ConnectionError, OSError, TimeoutError) as e:
            log.warning("bracket %s: outcome unknown (%s); left in flight for resync",
                        bracket.stem, e)
            for cid in cids:
                store.update_order(cid, last_error=f"outcome unknown: {e}",
                                   now=self.venue.clock.now())
            return [store.order_from_row(self._row(cid)) for cid in cids]
        crash_point("after-bracket-submit")
        return [await self.record(o, before=sending.get(o.client_order_id)) for o in orders]

    async def _resume_bracket(
        self, bracket: BracketIntent, rows: list[OrderRow | None]
    ) -> list[Order]:
        recorded = [row for row in rows if row is not None]
        if len(recorded) != len(rows):
            raise InputError(
                f"bracket {bracket.stem} is recorded only in part: not sending any of it",
                hint="run `trader resync`; the plan monitor re-creates missing stops and targets",
            )
        for row, leg in zip(recorded, bracket.legs, strict=True):
            if (row.symbol, row.side, row.amount) != (str(leg.symbol), leg.side, leg.amount):
                raise InputError(
                    f"client order id {row.client_order_id} already names a different order "
                    f"({row.side.value} {row.amount} {row.symbol})",
                    hint="use a new --client-order-id for a new order",
                )
        if all(row.submitted_at is None and not row.status.is_final for row in recorded):
            # we hold the bracket's lock: whoever recorded it died before sending any of it
            age = self.venue.clock.now() - recorded[0].created_at
            if age > INTENT_TTL:
                for row in recorded:
                    store.update_order(row.client_order_id, status=OrderStatus.EXPIRED,
                                       last_error="intent never sent and now stale",
                                       now=self.venue.clock.now())
                    self.alert_final(row.client_order_id)
                raise InputError(
                    f"bracket {bracket.stem} was recorded {age} ago but never sent; it has "
                    "expired rather than go out at a stale price",
                    hint="place a new order",
                )
            log.info("bracket %s was recorded but never sent: sending it now", bracket.stem)
            requests = [OrderRequest(row.client_order_id, parse_symbol(row.symbol), row.side,
                                     row.amount, store.spec_of_row(row)) for row in recorded]
            return await self._send_bracket(bracket, requests)
        out = []
        for row in recorded:
            found = None if row.status.is_final else await self.venue.get_order(
                row.client_order_id)
            out.append(store.order_from_row(row) if found is None else await self.record(found))
        return out

    # -- recording -------------------------------------------------------------------------
    def known(self, cid: str) -> bool:
        """Whether the database has order ``cid``."""
        return store.find_order_by_client_id(cid) is not None

    def _row(self, cid: str) -> OrderRow:
        row = store.find_order_by_client_id(cid)
        if row is None:
            raise VenueError(f"order {cid} vanished from the database")
        return row

    async def record(self, order: Order, *, before: OrderRow | None = None) -> Order:
        """Store what the venue says about one of our orders, and its fills."""
        return store.order_from_row(await self.record_row(order, before=before))

    async def record_row(self, order: Order, *, before: OrderRow | None = None) -> OrderRow:
        """:meth:`record`, returning the order's row as it now stands.

        Nothing is written when the venue says nothing new, and the venue is asked for the
        order's fills only while the database lacks some of them (see :meth:`_fills_recorded`):
        a fill is always recorded before this returns the quantity it filled. ``before``: the
        order's row as the caller just read it (else it is read here); what is written is
        decided again on the row read inside the write (:func:`store.update_order`).
        """
        cid = order.client_order_id
        if before is None or before.client_order_id != cid:
            before = store.find_order_by_client_id(cid)
        perm = order.info.get("permId") if order.info else None
        said: dict[str, Any] = {
            "status": order.status,
            "venue_order_id": order.id,
            "perm_id": str(perm) if perm else None,
            "filled": order.filled,
            "average": order.average,
            "fee": order.fee,
            "last_error": (order.info or {}).get("lastError"),
        }
        row = before
        if before is None or store.order_changes(before, **said):
            row = store.update_order(cid, **said, now=self.venue.clock.now())
        if before is not None and (
            before.venue_order_id is None or (before.status, before.filled) != (
                order.status, order.filled)
        ):  # sent (first answer) or a status change we observe
            await self._order_event(order, before.reason)
            if before.status != order.status and order.status in ALERTED_STATUSES:
                self.alert_final(cid)
        assert row is not None  # update_order raises for an unknown order
        if not self._fills_recorded(row):
            await self.record_fills(cid)
        return row

    def _fills_recorded(self, row: OrderRow) -> bool:
        """Whether the database already has every fill of ``row``'s order the venue reports:
        fills adding up to what it filled, each with the venue's own commission (a fill
        recorded before its commission report is asked for again)."""
        if row.filled == 0:
            return True  # nothing filled: nothing that depends on a fill can be read yet
        fills = store.fills_for_order(row.client_order_id)
        if sum((f.amount for f in fills), Decimal(0)) < row.filled:
            return False
        return all(f.commission_source is FeeSource.VENUE for f in fills)

    async def record_fills(self, cid: str) -> int:
        """Insert the venue's fills of order ``cid`` that the database lacks; returns how many."""
        row = self._row(cid)
        since = row.created_at - FILL_LOOKBACK
        fills = await self.venue.get_my_trades(parse_symbol(row.symbol), since=since)
        new = 0
        for fill in fills:
            if fill.client_order_id == cid and await self.insert_fill(fill):
                new += 1
        return new

    async def insert_fill(self, fill: Fill) -> bool:
        """Store one fill with the FX rate to the base currency at that moment; True if new.

        A fill already recorded only has its commission brought up to date: the venue is not
        asked for an FX rate it would not use (resync sees every fill of the day again).
        """
        recorded = store.find_fill(fill.id)
        if recorded is not None:
            refresh_commission(recorded, fill)
            return False
        rate = await self.fill_fx_to_base(parse_symbol(fill.symbol).quote)
        _, was_new = store.insert_fill_if_new(
            fill, fx_rate_to_base=rate, base_currency=self.base_currency
        )
        if not was_new and fill.fee is not None:
            store.update_fill_commission(fill.id, fill.fee, source=fill.fee.source)
        if was_new and self.on_fill is not None:
            self.on_fill(fill)
        if was_new and self.telemetry is not None:
            inst = await self._instrument(fill.symbol)
            info = fill.info or {}
            self.telemetry.fill(
                fill,
                con_id=info.get("conId") or (_con_id(inst) if inst else None),
                exchange=info.get("exchange") or (inst.exchange if inst else None),
            )
        return was_new

    def alert_final(self, cid: str) -> None:
        """Alert a person if order ``cid`` is now rejected or expired (as recorded)."""
        row = store.find_order_by_client_id(cid)
        if row is None:
            return
        alert = alerts.order_final(
            cid, row.symbol, row.side.value, row.amount, row.status.value, row.last_error
        )
        if alert is not None:
            self.notifier.notify(alert)

    # -- telemetry -------------------------------------------------------------------------
    async def _instrument(self, symbol: str) -> Instrument | None:
        """The venue's contract of ``symbol`` (cached by the adapter), or None if unknown now."""
        try:
            return await self.venue.resolve(parse_symbol(symbol))
        except TraderError as e:
            log.debug("no contract for %s for telemetry: %s", symbol, e)
            return None

    async def _order_event(self, order: Order, reason: str | None) -> None:
        """One ``order`` telemetry line, with the contract id and exchange."""
        if self.telemetry is None:
            return
        info = order.info or {}
        inst = None
        if not (info.get("conId") and info.get("exchange")):
            inst = await self._instrument(order.symbol)
        self.telemetry.order(order, inst, reason=reason)

    async def fill_fx_to_base(self, currency: str) -> Decimal | None:
        """The rate a new fill is recorded with: a rate kept in the database at most 15 minutes
        old (:mod:`trader_cli.services.kept_fx`), else :meth:`fx_to_base` (then kept). For
        accounting only: nothing that sizes or values an order reads a kept rate."""
        if currency == self.base_currency:
            return Decimal(1)
        now = self.venue.clock.now()
        rate = kept_fx.kept_rate(currency, self.base_currency, now)
        if rate is None:
            rate = await self.fx_to_base(currency)
            if rate is not None:
                kept_fx.keep_rate(currency, self.base_currency, rate, now)
        return rate

    async def fx_to_base(self, currency: str) -> Decimal | None:
        """Units of base currency per unit of ``currency`` (None if the venue cannot say)."""
        if currency == self.base_currency:
            return Decimal(1)
        try:
            rate = await self.venue.fx_rate(currency, self.base_currency)
        except (TemporaryError, VenueError) as e:
            log.warning("no FX rate %s→%s for fill accounting: %s", currency, self.base_currency, e)
            return None
        return rate

    # -- waiting ---------------------------------------------------------------------------
    async def wait(
        self, cid: str, within: float, *, poll: float = 0.5, on_update: Any = None
    ) -> Order:
        """Follow the order until it is final or ``within`` seconds (venue clock) pass.

        Each round waits for the venue's next word on the order
        (:meth:`~trader_cli.venues.base.BaseTrader.wait_for_order_update`: IB's order events, at
        most ``poll`` seconds; a polling venue waits ``poll``), then asks for it and records it.
        Returns as soon as the order is final: nothing waits after the fill.
        """
        clock = self.venue.clock
        deadline = clock.now() + timedelta(seconds=within)
        order = store.order_from_row(self._row(cid))
        while not order.status.is_final and clock.now() < deadline:
            left = (deadline - clock.now()).total_seconds()
            await self.venue.wait_for_order_update(cid, order, min(poll, max(left, 0.0)))
            found = await self.venue.get_order(cid)
            if found is not None:
                order = await self.record(found)
            if on_update is not None:
                on_update(order)
        return order

    async def cancel(self, cid: str) -> Order:
        """Cancel one of our orders and record the outcome."""
        return await self.record(await self.venue.cancel_order(cid))


def refresh_commission(recorded: FillRow, fill: Fill) -> None:
    """Bring a recorded fill's commission to what the venue says of ``fill`` now (a write only
    when that differs: resync sees every fill of the day again)."""
    fee = fill.fee
    if fee is not None and (
        recorded.commission, recorded.commission_currency, recorded.commission_source
    ) != (fee.cost, fee.currency, fee.source):
        store.update_fill_commission(fill.id, fee, source=fee.source)


def _cids(bracket: BracketIntent) -> list[str]:
    cids = [leg.client_order_id for leg in bracket.legs]
    if any(cid is None for cid in cids):
        raise VenueError(f"bracket {bracket.stem} has a leg without a client order id",
                         hint="this is a bug")
    return [cid for cid in cids if cid is not None]


def _con_id(inst: Instrument) -> Any:
    return (inst.details or {}).get("conId", inst.venue_id)
