"""Reconcile the database with the venue: orders, fills, positions. Idempotent and cron-friendly.

One pass:

1. fills since the last sync (with an overlap) are inserted unless already there (unique fill id);
2. every order the database has in flight is looked up at the venue by client order id and
   brought up to date; an intent the venue never received is expired (never guessed rejected),
   unless a live process holds its order lock (it is sending or resuming it at this moment);
3. working orders at the venue that the database lacks are adopted — as ``external`` when they
   were placed outside the bot;
4. venue positions are compared with the last reconciled positions plus the fills since: a
   difference the fills explain moves the baseline on; one they don't is reported as unexplained
   (and keeps being reported until accepted with ``--accept-positions``). On a paper or sim
   account the first comparison starts from the baseline (what the account held before the bot):
   venue = baseline + our recorded fills, and every position names its baseline part.

Running it twice in a row changes nothing the second time.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from trader_cli.db import store
from trader_cli.db.baselines import current_baseline
from trader_cli.db.models import OrderRow
from trader_cli.domain.baseline import Baseline
from trader_cli.domain.display import quantity_json, quantity_text, time_json
from trader_cli.domain.display_models import symbol_of
from trader_cli.domain.models import Order, OrderStatus
from trader_cli.domain.symbols import parse_symbol
from trader_cli.notify import alerts
from trader_cli.services.locks import order_lock
from trader_cli.services.orders import INTENT_TTL, OrderService, refresh_commission

log = logging.getLogger("trader.resync")

OVERLAP = timedelta(minutes=10)
# A sent order the venue has no record of after this long was never received.
SENT_GRACE = timedelta(minutes=2)
# How long a finished order stays settled in the database (unchanged, its fills recorded)
# before the venue adapter may forget it: longer than the overlap, so a pass that reads its
# executions again never brings back one already let go.
SETTLED_RETENTION = timedelta(minutes=30)


@dataclass
class PositionDiff:
    """A position as the venue has it against what our records lead us to expect."""

    symbol: str
    venue: Decimal
    expected: Decimal | None
    explained: bool
    explanation: str
    baseline: Decimal | None = None  # the baseline's quantity of the symbol (None: no baseline)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields."""
        sym = symbol_of(self.symbol)
        return {
            "symbol": self.symbol,
            "venue": quantity_json(self.venue, sym),
            "baseline": quantity_json(self.baseline, sym),
            "expected": quantity_json(self.expected, sym),
            "explained": self.explained,
            "explanation": self.explanation,
        }


@dataclass
class ResyncReport:
    """What one resync found and changed."""

    venue: str
    at: datetime
    since: datetime | None
    new_fills: list[str] = field(default_factory=list)
    updated: list[dict[str, str]] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    expired: list[dict[str, str]] = field(default_factory=list)
    in_flight: list[str] = field(default_factory=list)
    positions: list[PositionDiff] = field(default_factory=list)
    baseline: Baseline | None = None

    @property
    def position_changes(self) -> list[PositionDiff]:
        """Positions that moved since the last reconciliation."""
        return [
            p
            for p in self.positions
            if p.expected is None
            or p.venue != p.expected
            or p.explanation.startswith(("explained by", "baseline "))
        ]

    @property
    def unexplained(self) -> list[PositionDiff]:
        """Position differences no recorded fill explains."""
        return [p for p in self.positions if not p.explained]

    @property
    def changes(self) -> int:
        """How many things this run changed in the database."""
        return (
            len(self.new_fills)
            + len(self.updated)
            + len(self.adopted)
            + len(self.expired)
            + len([p for p in self.position_changes if p.explained])
        )

    def summary(self) -> str:
        """One line for cron mail and logs."""
        parts = [
            f"resync {self.venue}: {self.changes} change(s)",
            f"{len(self.new_fills)} new fill(s)",
            f"{len(self.updated)} order(s) updated",
            f"{len(self.adopted)} adopted",
            f"{len(self.expired)} expired",
            f"{len(self.in_flight)} still in flight",
        ]
        if self.unexplained:
            parts.append(
                f"{len(self.unexplained)} UNEXPLAINED position difference(s): "
                + ", ".join(
                    f"{p.symbol} venue {quantity_text(p.venue, symbol_of(p.symbol))} vs expected "
                    f"{quantity_text(p.expected, symbol_of(p.symbol)) or 'nothing'}"
                    for p in self.unexplained
                )
            )
        if self.baseline is not None and self.baseline.holdings:
            parts.append(self.baseline.describe())
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe report."""
        return {
            "venue": self.venue,
            "at": time_json(self.at),
            "since": time_json(self.since),
            "changes": self.changes,
            "newFills": self.new_fills,
            "ordersUpdated": self.updated,
            "ordersAdopted": self.adopted,
            "ordersExpired": self.expired,
            "inFlight": self.in_flight,
            "positions": [p.to_dict() for p in self.positions],
            "unexplained": [p.to_dict() for p in self.unexplained],
            "baseline": None if self.baseline is None else self.baseline.to_dict(),
            "summary": self.summary(),
        }


class ResyncService:
    """Brings the database in line with the venue through the order service's recording path."""

    def __init__(self, orders: OrderService, *, overlap: timedelta = OVERLAP) -> None:
        self.orders = orders
        self.venue = orders.venue
        self.overlap = overlap
        self.prefix = orders.settings.core.client_order_prefix

    def forget_settled(self, retention: timedelta = SETTLED_RETENTION) -> int:
        """Let the venue adapter forget the finished orders it keeps that the database has
        settled for ``retention`` (final, unchanged, every fill recorded with the venue's
        commission); a working order or an unrecorded fill is never let go. Returns how many.

        A long-running bot calls it after each reconciliation: ib_async otherwise keeps
        every order and execution of the connection."""
        kept = self.venue.done_orders()
        if not kept:
            return 0
        settled = store.settled_orders(kept, before=self.venue.clock.now() - retention)
        return self.venue.forget_orders(settled) if settled else 0

    def _key(self, name: str) -> str:
        return f"resync:{name}"  # the store scopes it to the venue, backend, mode and account

    async def run(self, *, accept_positions: bool = False) -> ResyncReport:
        """One reconciliation pass; see the module docstring."""
        now = self.venue.clock.now()
        last_text = store.get_sync_state(self._key("last"))
        last = datetime.fromisoformat(last_text) if last_text else None
        since = last - self.overlap if last else None
        report = ResyncReport(self.venue.name, now, since, baseline=current_baseline())
        venue_orders = await self.venue.get_open_orders(ours_only=False)
        await self._adopt(venue_orders, report)
        await self._fills(since, report)
        await self._in_flight(report, now)
        await self._positions(report, accept_positions)
        store.set_sync_state(self._key("last"), now.isoformat(), at=now)
        for expired in report.expired:
            self.orders.alert_final(expired["clientOrderId"])
        alert = alerts.resync_unexplained(self.venue.name, report.unexplained)
        if alert is not None:
            self.orders.notifier.notify(alert)
        return report

    # -- fills ---------------------------------------------------------------------------
    async def _fills(self, since: datetime | None, report: ResyncReport) -> None:
        fills = (
            await self.venue.get_trades_from_timestamp(since)
            if since
            else await self.venue.get_my_trades()
        )
        # the day's fills come back on every pass: what is recorded is read in two queries,
        # not two per fill
        recorded = store.fills_by_venue_id(f.id for f in fills)
        known = store.recorded_client_order_ids(
            f.client_order_id for f in fills if f.client_order_id
        )
        for fill in fills:
            cid = fill.client_order_id
            if cid and cid not in known and store.find_order_by_client_id(cid) is None:
                found = await self.venue.get_order(cid)
                if found is not None:
                    self._adopt_one(found, report)
            row = recorded.get(fill.id)
            if row is not None:
                refresh_commission(row, fill)
            elif await self.orders.insert_fill(fill):
                report.new_fills.append(fill.id)

    # -- orders --------------------------------------------------------------------------
    def _ours(self, order: Order) -> bool:
        return order.client_order_id.startswith(f"{self.prefix}-")

    def _adopt_one(self, order: Order, report: ResyncReport) -> None:
        ours = self._ours(order)
        cid = order.client_order_id if ours else f"ext-{order.id}"
        if store.find_order_by_client_id(cid) is not None:
            return
        adopted = Order(
            cid,
            order.symbol,
            order.side,
            order.type,
            order.amount,
            order.price,
            id=order.id,
            status=order.status,
            filled=order.filled,
            average=order.average,
            fee=order.fee,
            timestamp=report.at,
        )
        reason = (
            "recovered from the venue (missing from the database)"
            if ours
            else f"placed outside the bot (orderRef {order.client_order_id!r})"
        )
        store.record_order_intent(adopted, external=not ours, reason=reason, created_at=report.at)
        perm = (order.info or {}).get("permId")
        store.update_order(
            cid,
            venue_order_id=order.id,
            perm_id=str(perm) if perm else None,
            submitted_at=report.at,
            now=report.at,
        )
        report.adopted.append(cid)
        log.info(
            "adopted %s order %s (%s %s %s)",
            "our" if ours else "an external",
            cid,
            order.side.value,
            order.amount,
            order.symbol,
        )

    async def _adopt(self, venue_orders: list[Order], report: ResyncReport) -> None:
        # the working orders come back on every pass: what is recorded is read in one query
        known = store.recorded_client_order_ids(
            o.client_order_id for o in venue_orders if o.client_order_id
        )
        for order in venue_orders:
            if order.client_order_id in known:
                continue
            self._adopt_one(order, report)

    async def _in_flight(self, report: ResyncReport, now: datetime) -> None:
        for row in store.open_orders():
            before = (row.status, row.filled)
            lookup = row.client_order_id
            if row.external:
                found = await self._find_external(row)
            else:
                found = await self.venue.get_order(lookup)
            if found is not None:
                found.client_order_id = row.client_order_id
                after = await self.orders.record(found, before=row)
                if (after.status, after.filled) != before:
                    report.updated.append(
                        {
                            "clientOrderId": row.client_order_id,
                            "from": before[0].value,
                            "to": after.status.value,
                        }
                    )
                if after.status is OrderStatus.PENDING:
                    report.in_flight.append(row.client_order_id)
                continue
            age = now - row.created_at
            if row.submitted_at is None and age > INTENT_TTL:
                why = "never sent (the process stopped before sending it)"
            elif row.submitted_at is not None and now - row.submitted_at > SENT_GRACE:
                why = "the venue has no record of it: it never arrived"
            else:
                report.in_flight.append(row.client_order_id)
                continue
            if not self._expire(row, why, now):
                report.in_flight.append(row.client_order_id)
                continue
            report.expired.append({"clientOrderId": row.client_order_id, "why": why})

    def _expire(self, row: OrderRow, why: str, now: datetime) -> bool:
        """Expire ``row`` unless a live process holds its order lock (it is being sent or
        resumed right now) or it changed since it was read; True if expired."""
        lock = order_lock(row.client_order_id)
        if not lock.try_acquire():
            return False
        try:
            current = store.find_order_by_client_id(row.client_order_id)
            if current is None or (current.status, current.submitted_at) != (
                row.status,
                row.submitted_at,
            ):
                return False
            store.update_order(
                row.client_order_id, status=OrderStatus.EXPIRED, last_error=why, now=now
            )
            return True
        finally:
            lock.release()

    async def _find_external(self, row: OrderRow) -> Order | None:
        if not row.venue_order_id:
            return None
        return await self.venue.get_order_by_venue_id(row.venue_order_id)

    # -- positions -----------------------------------------------------------------------
    async def _positions(self, report: ResyncReport, accept: bool) -> None:
        venue_positions = {p.symbol: p.quantity for p in await self.venue.get_positions()}
        kept = report.baseline
        last_text = store.get_sync_state(self._key("positions"))
        last: dict[str, Any] | None = json.loads(last_text) if last_text else None
        from_baseline = last is None and kept is not None and not accept
        if from_baseline:
            assert kept is not None  # for the type checker
            last = {
                "fill_id": kept.fill_mark,
                "positions": {s: str(q) for s, q in kept.quantities.items()},
            }
        if last is None or accept:
            for symbol, qty in sorted(venue_positions.items()):
                report.positions.append(
                    PositionDiff(
                        symbol,
                        qty,
                        None,
                        True,
                        "accepted as the new reconciled position"
                        if accept
                        else "first resync: reconciled as it is",
                        self._kept(kept, symbol),
                    )
                )
            self._save_reconciled(venue_positions, report.at)
            return
        held = {s: Decimal(q) for s, q in last["positions"].items()}
        moved: dict[str, Decimal] = defaultdict(Decimal)
        counts: dict[str, int] = defaultdict(int)
        # fills recorded after the last reconciliation (by row id: many share one timestamp)
        for row in store.fills_after_id(int(last.get("fill_id", 0))):
            if from_baseline and kept is not None and row.venue_fill_id in kept.known_fills:
                continue  # an execution the venue listed before the baseline: in it already
            moved[row.symbol] += row.amount * row.side.sign
            counts[row.symbol] += 1
        start = "baseline" if from_baseline else "last resync"
        all_ok = True
        for symbol in sorted(set(held) | set(venue_positions) | set(moved)):
            parse_symbol(symbol)
            expected = held.get(symbol, Decimal(0)) + moved.get(symbol, Decimal(0))
            actual = venue_positions.get(symbol, Decimal(0))
            if actual == expected:
                if from_baseline:
                    report.positions.append(
                        PositionDiff(
                            symbol,
                            actual,
                            expected,
                            True,
                            f"baseline {held.get(symbol, Decimal(0))} plus "
                            f"{counts.get(symbol, 0)} recorded fill(s)",
                            self._kept(kept, symbol),
                        )
                    )
                elif counts.get(symbol):
                    report.positions.append(
                        PositionDiff(
                            symbol,
                            actual,
                            expected,
                            True,
                            f"explained by {counts[symbol]} fill(s) since the last resync",
                            self._kept(kept, symbol),
                        )
                    )
                continue
            all_ok = False
            report.positions.append(
                PositionDiff(
                    symbol,
                    actual,
                    expected,
                    False,
                    f"venue holds {actual}, {start} {held.get(symbol, Decimal(0))} plus "
                    f"{counts.get(symbol, 0)} recorded fill(s) gives {expected}: a transfer, "
                    "corporate action, a trade outside the bot or fills older than the venue "
                    "keeps",
                    self._kept(kept, symbol),
                )
            )
        if all_ok and (counts or from_baseline):
            self._save_reconciled(venue_positions, report.at)

    @staticmethod
    def _kept(baseline: Baseline | None, symbol: str) -> Decimal | None:
        return None if baseline is None else baseline.quantity(symbol)

    def _save_reconciled(self, positions: dict[str, Decimal], at: datetime) -> None:
        last_fill = store.last_fill_id()
        store.set_sync_state(
            self._key("positions"),
            json.dumps(
                {
                    "at": at.isoformat(),
                    "fill_id": last_fill,
                    "positions": {s: str(q) for s, q in sorted(positions.items())},
                }
            ),
            at=at,
        )
