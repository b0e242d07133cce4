"""StrategyRunner: the bot's loop — data → strategy → risk → orders → plan monitor → resync → DB.

Each cycle: refresh account, positions and quotes (one cached pass through the
DataFetchCoordinator), let the plan monitor carry open plans to their exits, ask the strategy
for decisions when the health circuit allows entries, size and preview each plan through the same
checks as ``trader place``, send what passes through the order service, record decisions,
equity and market data, and reconcile with the venue every few cycles. A stop request finishes
the current step, persists state and leaves (or cancels) working orders as configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from trader_cli.config import Settings
from trader_cli.db import store
from trader_cli.db.baselines import baseline_in_force
from trader_cli.db.models import PlanStatus
from trader_cli.db.views import record_account
from trader_cli.domain.display import price_json, quantity_json
from trader_cli.domain.display_models import symbol_of
from trader_cli.domain.models import AccountSummary, Order, Position, Quote, Side
from trader_cli.domain.money import Money
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import InstrumentClass, Symbol
from trader_cli.errors import (
    ConfigError,
    InvalidOrderError,
    TemporaryError,
    TraderError,
    VenueError,
)
from trader_cli.hours import market_hours
from trader_cli.notify import alerts
from trader_cli.risk.valuation import value_order
from trader_cli.services.baseline import baseline_market_value, own_positions
from trader_cli.services.brackets import protective_prices_on_tick
from trader_cli.services.context import TradingContext
from trader_cli.services.cycle_report import CycleReport as CycleReport
from trader_cli.services.data import DataFetchCoordinator
from trader_cli.services.locks import send_lock
from trader_cli.services.orders import OrderIntent
from trader_cli.services.plans import PlanMonitor, entry_refusal
from trader_cli.services.pnl import (
    bot_fill_rows,
    daily_pnl,
    fill_records_from_rows,
    session_pnl,
)
from trader_cli.services.preview import preview_order
from trader_cli.services.protection import broker_protects, submit_bracket_entry
from trader_cli.services.resync import ResyncService
from trader_cli.services.stopping import unless_stopped
from trader_cli.strategies.base import Decision, Hold, Strategy, StrategyContext, TradePlan
from trader_cli.strategies.plugins import StrategyFailed
from trader_cli.strategies.usage import LLMUsage, ReportsUsage
from trader_cli.venues.base import BaseTrader

log = logging.getLogger("trader.runner")

FX_LOT = Decimal(1000)
# How long a cycle's sending step waits for ``trader flatten`` (which holds the send lock while it
# closes positions) before it skips sending for that cycle.
SEND_LOCK_WAIT = 120.0


def working_order(row: Any, min_tick: Decimal | None = None) -> dict[str, str]:
    """A working order of the store as the report shows it (readable numbers)."""
    sym = symbol_of(row.symbol)
    return {
        "clientOrderId": row.client_order_id,
        "symbol": row.symbol,
        "side": row.side.value,
        "amount": quantity_json(row.amount, sym) or "",
        "price": price_json(row.price, sym, min_tick=min_tick) or "",
        "status": row.status.value,
        "filled": quantity_json(row.filled, sym) or "",
    }


def round_quantity(qty: Decimal, symbol: Symbol) -> Decimal:
    """Whole shares for equities, 1,000-unit lots for FX, 6 decimals for crypto; rounded down."""
    cls = symbol.instrument_class
    if cls.is_equity:
        return qty.to_integral_value(rounding=ROUND_DOWN)
    if cls is InstrumentClass.FX:
        return (qty / FX_LOT).to_integral_value(rounding=ROUND_DOWN) * FX_LOT
    return qty.quantize(Decimal("0.000001"), rounding=ROUND_DOWN)


def venue_universe(allowed: list[Symbol], venue: BaseTrader) -> list[Symbol]:
    """The symbols of ``ALLOWED_SYMBOLS`` that ``venue`` trades (one list serves both venues).

    Raises ``ConfigError`` when none is left, naming what the list holds and what is missing.
    """
    caps = venue.capabilities
    mine = [s for s in allowed if caps.trades(s.instrument_class)]
    if not mine:
        listed = ", ".join(str(s) for s in allowed) or "nothing"
        kinds = ", ".join(sorted(c.label for c in caps.instrument_classes))
        raise ConfigError(
            f"ALLOWED_SYMBOLS lists nothing {caps.name} trades (it lists {listed})",
            hint=f"add symbols {caps.name} trades ({kinds}) to ALLOWED_SYMBOLS",
        )
    skipped = [str(s) for s in allowed if s not in mine]
    if skipped:
        log.info("not on %s, so not in this run: %s", caps.name, ", ".join(skipped))
    return mine


def strategy_limits(settings: Settings) -> dict[str, str]:
    """The risk limits a strategy's context lists, by setting name."""
    risk = settings.risk
    return {
        "MAX_ORDER_VALUE": str(risk.max_order_value),
        "MAX_TOTAL_EXPOSURE": str(risk.max_total_exposure),
        "MIN_TRADE_SIZE": str(risk.min_trade_size),
        "MAX_DAILY_LOSS": str(risk.max_daily_loss),
    }


async def size_plan(
    plan: TradePlan,
    quote: Quote,
    max_order_value: Money,
    to_quote: Callable[[Money, str], Awaitable[Decimal]],
    *,
    stop_valued: bool = False,
) -> Decimal | None:
    """Quantity from the plan's size, or its risk budget over the distance to the stop, capped
    at 95% of ``max_order_value``; rounded down to what the instrument trades (None: nothing).

    ``to_quote(money, currency)`` converts an amount into the symbol's quote currency.
    ``stop_valued``: the stop goes to the venue as an order (a bracket), valued at its
    trigger for ``MAX_ORDER_VALUE`` too: a short's stop, above its entry, caps the size.
    """
    if plan.size is not None:
        qty = plan.size
    else:
        ref = plan.entry or (quote.ask if plan.side is Side.BUY else quote.bid)
        if ref is None or plan.risk_budget is None:
            return None
        per_unit = abs(ref - plan.stop)
        if per_unit <= 0:
            return None
        budget = await to_quote(plan.risk_budget, plan.symbol.quote)
        qty = budget / per_unit
        valued = value_order(plan.side, plan.entry, quote)  # never below the touch
        worst = valued.price if valued is not None else ref
        if stop_valued:
            worst = max(worst, plan.stop)
        cap = await to_quote(max_order_value, plan.symbol.quote) / worst
        qty = min(qty, cap * Decimal("0.95"))
    qty = round_quantity(qty, plan.symbol)
    return qty if qty > 0 else None


class StrategyRunner:
    """Runs cycles of one strategy on one venue; see the module docstring."""

    def __init__(
        self,
        ctx: TradingContext,
        strategy: Strategy,
        *,
        universe: list[Symbol] | None = None,
        dry_run: bool = False,
        resync_every: int = 5,
        cancel_on_exit: bool = False,
        telemetry: Any = None,
        health: Any = None,
        on_cycle: Callable[[CycleReport], None] | None = None,
        include_baseline: bool = False,
    ) -> None:
        self.ctx = ctx
        # the baseline (paper/sim holdings from before the bot) is kept out of the positions,
        # equity, exposure and PnL the bot works with, unless asked to include it
        self.include_baseline = include_baseline
        if include_baseline:
            ctx.baseline = None  # the plan monitor's exits too: the baseline is the bot's here
        self.baseline = ctx.baseline
        self.strategy = strategy
        self.universe = universe or venue_universe(ctx.settings.allowed_symbols, ctx.venue)
        self.dry_run = dry_run
        self.resync_every = resync_every
        self.cancel_on_exit = cancel_on_exit
        self.telemetry = telemetry
        if telemetry is not None and ctx.orders.telemetry is None:
            ctx.orders.telemetry = telemetry  # entries, plan exits and fills alike
        self.health = health
        self.on_cycle = on_cycle
        self.data = DataFetchCoordinator(ctx.venue)
        self.plans = PlanMonitor(ctx)
        self.resync = ResyncService(ctx.orders)
        self.stop_requested = False
        self._stopped: asyncio.Event | None = None
        self.cycles_done = 0
        self._usage: LLMUsage | None = None  # what this cycle's decisions cost (LLM strategy)

    # -- the loop --------------------------------------------------------------------------
    async def run(self, *, cycles: int | None, interval: float) -> None:
        """Resync, then cycle every ``interval`` seconds (venue clock) until done or stopped."""
        self._stopped = asyncio.Event()
        if self.stop_requested:
            self._stopped.set()
        await self._safe_resync()
        try:
            while not self.stop_requested and (cycles is None or self.cycles_done < cycles):
                await self.cycle()
                if self.stop_requested or (cycles is not None and self.cycles_done >= cycles):
                    break
                await self._pause(interval)
        finally:
            await self.shutdown()

    async def _pause(self, interval: float) -> None:
        """Wait ``interval`` on the venue clock, or less if a stop is requested meanwhile."""
        assert self._stopped is not None  # set by run()
        sleeper = asyncio.ensure_future(self.ctx.venue.clock.sleep(interval))
        stopper = asyncio.ensure_future(self._stopped.wait())
        _, pending = await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def request_stop(self) -> None:
        """Finish the current step, then stop (SIGINT/SIGTERM call this)."""
        self.stop_requested = True
        if self._stopped is not None:
            self._stopped.set()

    async def shutdown(self) -> None:
        """Cancel working entry orders if configured, and reconcile one last time."""
        if self.cancel_on_exit and self.ctx.venue.is_connected:
            for row in store.open_entry_orders(self.ctx.session):
                try:
                    await self.ctx.orders.cancel(row.client_order_id)
                except TraderError as e:
                    log.warning("could not cancel %s on exit: %s", row.client_order_id, e)
        if self.ctx.venue.is_connected:
            await self._safe_resync()

    async def _safe_resync(self) -> None:
        try:
            await self.resync.run()
        except (TemporaryError, VenueError) as e:
            log.warning("resync failed: %s", e)
            self._record_failure("venue_connection", e)

    # -- one cycle -------------------------------------------------------------------------
    async def cycle(self) -> CycleReport:
        """One pass of the loop; failures of one step are recorded, not fatal."""
        venue = self.ctx.venue
        self.cycles_done += 1
        now = venue.clock.now()
        report = CycleReport(
            self.cycles_done,
            now,
            venue.name,
            self.ctx.session.mode.value if self.ctx.session else "",
            self.ctx.settings.base_currency,
        )
        self.data.new_cycle()
        if self.ctx.baseline is not None:
            # `trader baseline --reset` takes effect here, for the entries and the exits alike
            self.ctx.baseline = self.baseline = baseline_in_force(self.baseline)
        if self.baseline is not None and self.baseline.holdings:
            report.baseline = self.baseline.describe()
        if not venue.is_connected and not await self._reconnect(report):
            return self._finish(report)
        try:
            summary, positions = await self._account(report)
            report.market_open = {
                str(s): market_hours(s.instrument_class, now).is_open for s in self.universe
            }
            quotes = await self._quotes(report)
            async with self._sending(report) as may_send:
                if may_send:
                    report.plan_events = await self.plans.check_all()
            if self._entries_allowed() and not self.stop_requested:
                decisions = await self._decide(
                    self._strategy_context(now, summary, positions, report.market_open), report
                )
                sends = any(not isinstance(d, Hold) for d in decisions)  # holds send nothing
                async with self._sending(report, needed=sends) as may_send:
                    for decision in decisions if may_send else []:
                        if self.telemetry is not None:
                            self.telemetry.decision(
                                decision, cycle=report.cycle, **self._usage_fields()
                            )
                        report.decisions.append(await self.act(decision, quotes))
            self._record_success("venue_connection")
        except (TemporaryError, VenueError) as e:
            report.errors.append(str(e))
            self._record_failure("venue_connection", e)
        if self.cycles_done % self.resync_every == 0:
            await self._safe_resync()
            self.resync.forget_settled()  # a long run keeps no more than it needs
        if report.sent_orders and venue.is_connected:
            await self._positions_after(report)
        report.ticks = await self._ticks(report)
        report.working = [
            working_order(r, report.ticks.get(r.symbol)) for r in store.open_orders_shown()
        ]
        return self._finish(report)

    @contextlib.asynccontextmanager
    async def _sending(self, report: CycleReport, *, needed: bool = True) -> AsyncIterator[bool]:
        """Hold the scope's send lock for one step that sends orders (plan exits, entries).

        ``trader flatten`` holds the same lock while it closes positions: this step waits for it
        (and then finds the plans it closed); if it is still busy after ``SEND_LOCK_WAIT``, the
        step is skipped this cycle and said so, never run beside it. A step that sends nothing
        (``needed`` False: every decision a hold) goes on without it.
        """
        if not needed:
            yield True
            return
        lock = send_lock(self.ctx.scope, what="trader run")
        if not await lock.acquire(SEND_LOCK_WAIT):
            holder = lock.holder()
            who = holder.describe() if holder else "another process"
            report.errors.append(f"orders paused this cycle: {who} is sending on this account")
            yield False
            return
        try:
            yield True
        finally:
            lock.release()

    def _finish(self, report: CycleReport) -> CycleReport:
        if report.account is not None:
            # what `trader status` shows when the venue cannot be reached: the account as the
            # cycle read it, and the positions as the cycle left them
            record_account(report.account, report.positions, at=report.at)
        if self.health is not None:
            self.health.check_disconnect()
            report.circuit = self.health.publish()  # and persisted, for other processes
        if self.on_cycle is not None:
            self.on_cycle(report)
        return report

    async def _reconnect(self, report: CycleReport) -> bool:
        """The link is down: reconnect (on the health circuit's backoff), then resync."""
        if self.health is not None and self.health.state("venue_connection") != "closed":
            # the circuit is open: the health manager probes on its own backoff
            ok = await self.health.maybe_reconnect() and self.ctx.venue.is_connected
        else:  # first sight of the drop: try at once
            ok = await self.ctx.venue.maybe_reconnect()
            if ok:
                self._record_success("venue_connection")
            else:
                self._record_failure("venue_connection", TemporaryError("venue unreachable"))
        if ok:
            await self._safe_resync()
        else:
            report.errors.append("venue unreachable: reconnecting on backoff")
        return ok

    async def _account(self, report: CycleReport) -> tuple[AccountSummary | None, list[Position]]:
        """The account as the bot's: its own positions, and equity less the baseline held."""
        venue = self.ctx.venue
        held = await venue.get_positions()
        positions = own_positions(held, self.baseline)
        report.positions = positions
        summary: AccountSummary | None = await venue.get_account_summary()
        report.account = summary  # recorded with the cycle's final positions (_finish)
        pnl = self._pnl(await self._marks(positions))
        report.pnl = {k: str(v) for k, v in pnl.items()}
        if summary is not None:
            equity = summary.net_liquidation
            kept = await baseline_market_value(venue, held, self.baseline)
            if kept is not None:
                equity = equity - kept
                # the strategy sizes on the bot's equity too, never on the baseline's
                summary = replace(summary, net_liquidation=equity)
            report.equity = equity
            if self.ctx.session is not None:
                store.record_equity(
                    self.ctx.session,
                    equity=equity.amount,
                    cash=summary.total_cash.amount,
                    currency=summary.base_currency,
                    unrealised_pnl=pnl["unrealised"],
                    realised_pnl=pnl["realised"],
                    at=report.at,
                )
        return summary, positions

    async def _positions_after(self, report: CycleReport) -> None:
        """The report's positions as they stand after this cycle's exits and entries."""
        try:
            report.positions = own_positions(await self.ctx.venue.get_positions(), self.baseline)
        except (TemporaryError, VenueError) as e:  # keep the cycle's first reading, and say so
            report.errors.append(f"positions as of the start of the cycle: {e}")

    async def _ticks(self, report: CycleReport) -> dict[str, Decimal | None]:
        """The price step of each crypto symbol the report shows (instruments are cached by
        the venue: no request once resolved); ASX and FX steps follow from the symbol."""
        ticks: dict[str, Decimal | None] = {}
        for s in {str(sym) for sym in self.universe} | {p.symbol for p in report.positions}:
            sym = symbol_of(s)
            if sym is None or sym.instrument_class is not InstrumentClass.CRYPTO:
                continue
            try:
                ticks[s] = (await self.ctx.venue.resolve(sym)).min_tick
            except TraderError:  # written at the price's own places instead
                ticks[s] = None
        return ticks

    async def _marks(self, positions: list[Position]) -> dict[str, tuple[Decimal, Decimal]]:
        """Each open position's price and its currency's rate into the base currency (a
        position whose rate cannot be had today is left unmarked, and said so)."""
        base = self.ctx.settings.base_currency
        rates: dict[str, Decimal] = {base: Decimal(1)}
        marks: dict[str, tuple[Decimal, Decimal]] = {}
        for p in positions:
            if p.current_price is None or p.currency is None:
                continue
            if p.currency not in rates:
                try:
                    rates[p.currency] = await self.ctx.venue.fx_rate(p.currency, base)
                except TraderError as e:
                    log.warning("%s left unmarked: no %s rate in %s (%s)", p.symbol, p.currency,
                                base, e.message)
                    continue
            marks[p.symbol] = (p.current_price, rates[p.currency])
        return marks

    def _pnl(self, marks: dict[str, tuple[Decimal, Decimal]]) -> dict[str, Decimal]:
        base = self.ctx.settings.base_currency
        rows = bot_fill_rows(
            store.session_fills(self.ctx.session)
            if self.ctx.session is not None
            else store.all_fills()
        )
        report = session_pnl(fill_records_from_rows(rows, base), base, marks)
        return {
            name: money.rounded(2).amount
            for name, money in (
                ("realised", report.realised),
                ("unrealised", report.unrealised),
                ("fees", report.fees),
                ("net", report.net),
            )
        }

    async def _quotes(self, report: CycleReport) -> dict[str, Quote]:
        quotes: dict[str, Quote] = {}
        for symbol in self.universe:
            if not report.market_open.get(str(symbol)):
                continue
            try:
                quote = await self.data.quote(symbol)
            except TemporaryError as e:
                self._record_failure("market_data", e)
                continue
            self._record_success("market_data")
            quotes[str(symbol)] = quote
        store.record_quotes(quotes.values())  # one statement for the cycle's quotes
        return quotes

    async def _decide(self, sctx: StrategyContext, report: CycleReport) -> list[Decision]:
        """The strategy's decisions; its failure costs this cycle's entries, not the loop.

        An LLM strategy's failures count against the ``llm`` circuit; any other strategy fails
        on market data (its only other dependency).
        """
        dependency = "llm" if self.strategy.name == "llm" else "market_data"
        self._usage = None
        try:
            decisions = await unless_stopped(self.strategy.decide(sctx), self._stopped)
        except VenueError as e:
            if dependency != "llm" and not isinstance(e, TemporaryError):
                raise  # a venue's final answer: the cycle counts it against the venue
            # the model's endpoint refused for good (401, 404): an LLM failure, with its hint
            hint = f" ({e.hint})" if e.hint and not isinstance(e, TemporaryError) else ""
            report.errors.append(f"strategy {self.strategy.name}: {e.message}{hint}")
            self._record_failure(dependency, e)
            return []
        except StrategyFailed as e:  # a plug-in's bug: no entries this cycle, exits go on
            report.errors.append(e.message)
            return []
        finally:
            if isinstance(self.strategy, ReportsUsage):
                self._usage = self.strategy.last_usage
        if decisions is None:  # Ctrl-C while the strategy was deciding (an LLM request)
            log.info("stop requested: the strategy's pending decision was cancelled")
            return []
        self._record_success(dependency)
        return decisions

    def _usage_fields(self) -> dict[str, Any]:
        """``{"llm": usage}`` for telemetry and decision payloads, when the strategy says."""
        return {} if self._usage is None else {"llm": self._usage.to_dict()}

    def _payload(self, plan: TradePlan) -> dict[str, Any]:
        """What a decision row stores: the plan, and the tokens and cost of its round."""
        return {**plan.to_dict(), **self._usage_fields()}

    def _strategy_context(
        self,
        now: datetime,
        summary: AccountSummary | None,
        positions: list[Position],
        market_open: dict[str, bool],
    ) -> StrategyContext:
        s = self.ctx.settings
        return StrategyContext(
            now=now,
            venue=self.ctx.venue.name,
            simulated=self.ctx.venue.simulated,
            base_currency=s.base_currency,
            universe=list(self.universe),
            data=self.data,
            positions=positions,
            open_plans=[
                {"symbol": p.symbol, "side": p.side.value, "stop": str(p.stop)}
                for p in store.open_plans()
            ],
            account=summary,
            market_open=market_open,
            limits=strategy_limits(s),
            costs=dict(self.ctx.venue.capabilities.commission_terms),
            capabilities=self.ctx.venue.capabilities,
        )

    # -- acting on a decision --------------------------------------------------------------
    async def act(self, decision: Decision, quotes: dict[str, Quote]) -> dict[str, Any]:
        """Act on one decision as a cycle does: a hold is noted; a plan is sized, checked as
        `trader place` checks an order, and entered (a bracket or a plain entry), or refused
        with the reason recorded. The backtest enters its plans through here too."""
        now = self.ctx.venue.clock.now()
        if isinstance(decision, Hold):
            if self._usage is not None:  # a paid-for hold is kept, with what it cost
                store.record_decision(
                    strategy=decision.strategy,
                    action="hold",
                    accepted=True,
                    symbol=str(decision.symbol),
                    payload=self._usage_fields(),
                    reason=decision.reason,
                    session=self.ctx.session,
                    at=now,
                )
            return {"symbol": str(decision.symbol), "action": "hold", "reason": decision.reason}
        plan = decision
        record = {
            "symbol": str(plan.symbol),
            "action": f"enter {plan.side.value}",
            "reason": plan.rationale,
        }
        if any(p.symbol == str(plan.symbol) for p in store.open_plans()):
            # every exit and broker-held child is sized by what is held on the symbol: a second
            # plan there would protect (and exit) the same holding twice
            return self._refuse(plan, record, f"an open plan on {plan.symbol} already", now)
        try:
            # with broker protection the entry goes as a bracket: its stop and target are
            # orders at the venue, so they go on the price step (the plan keeps them there)
            bracket = broker_protects(self.ctx, plan.stop, plan.target)
            if bracket:
                tick = (await self.ctx.venue.resolve(plan.symbol)).min_tick
                stop, target = protective_prices_on_tick(
                    plan.symbol, plan.side, plan.stop, plan.target, tick)
                plan = replace(plan, stop=stop or plan.stop, target=target)
            quote = quotes.get(str(plan.symbol)) or await self.data.quote(plan.symbol)
            qty = await self._size(plan, quote, stop_valued=bracket)
            if qty is None:
                return self._refuse(plan, record, "size rounds to zero", now)
            # the plan's entry as a limit, else a marketable limit: the bot never sends a
            # market order, so every entry has a price bound
            # a bracket's checks value the stop at its trigger
            preview = await preview_order(
                self.ctx.venue,
                self.ctx.settings,
                plan.symbol,
                plan.side,
                qty,
                OrderSpec.limit(plan.entry) if plan.entry else OrderSpec.market(),
                daily_pnl=daily_pnl(self.ctx),
                market_orders=False,
                baseline=self.baseline,
                stop=plan.stop if bracket else None,
                target=plan.target if bracket else None,
            )
            spec = preview.require_spec()
        except (InvalidOrderError, TemporaryError) as e:
            return self._refuse(plan, record, e.message, now)
        if not preview.allowed:
            failed = next(c for c in preview.checks if not c.passed)
            if failed.name == "KILL_SWITCH":
                alert = alerts.kill_switch(failed.message, str(plan.symbol))
                self.ctx.orders.notifier.notify(alert)
            return self._refuse(plan, record, failed.message, now)
        # the monitor's own exit rule: an entry it would exit at once is not sent (no churn)
        closes_at = market_hours(plan.symbol.instrument_class, now).session_close
        why = entry_refusal(plan, quote, now, closes_at, entry=preview.price)
        if why is not None:
            return self._refuse(plan, record, why, now)
        record.update(
            quantity=quantity_json(qty, plan.symbol) or "",
            price=price_json(preview.price, plan.symbol, min_tick=preview.min_tick) or "",
        )
        if self.dry_run:
            store.record_decision(
                strategy=plan.strategy,
                action="enter",
                accepted=True,
                symbol=str(plan.symbol),
                payload=self._payload(plan),
                reason="dry run: not sent",
                session=self.ctx.session,
                at=now,
            )
            record["result"] = "dry run: not sent"
            return record
        row = store.create_plan(
            symbol=str(plan.symbol),
            side=plan.side,
            size=qty,
            entry=preview.price,
            stop=plan.stop,
            target=plan.target,
            expiry=plan.expiry,
            rationale=plan.rationale,
            session=self.ctx.session,
            created_at=now,
        )
        try:
            order = await self._enter(plan, qty, spec, row.id, bracket)
        except TraderError as e:
            store.close_plan(row, status=PlanStatus.CANCELLED, at=now)
            self._record_failure("order_placement", e)
            return self._refuse(plan, record, str(e), now)
        store.set_plan_entry(row, order.client_order_id)
        store.record_decision(
            strategy=plan.strategy,
            action="enter",
            accepted=True,
            symbol=str(plan.symbol),
            payload=self._payload(plan),
            reason=plan.rationale,
            session=self.ctx.session,
            at=now,
        )
        self._record_success("order_placement")
        record["result"] = f"sent {order.client_order_id} ({order.status.value})"
        return record

    async def _enter(
        self, plan: TradePlan, qty: Decimal, spec: OrderSpec, plan_id: int, bracket: bool
    ) -> Order:
        """Send a plan's entry: as a bracket held by the venue, or alone (local protection)."""
        reason = f"entry plan {plan_id}: {plan.rationale}"
        if bracket:
            legs = await submit_bracket_entry(
                self.ctx, plan.symbol, plan.side, qty, spec, plan.stop, plan.target,
                reason=reason, plan_id=plan_id,
            )
            return legs[0]
        return await self.ctx.orders.submit(
            OrderIntent.of(plan.symbol, plan.side, qty, spec, reason=reason, plan_id=plan_id)
        )

    def _refuse(
        self, plan: TradePlan, record: dict[str, Any], why: str, now: datetime
    ) -> dict[str, Any]:
        store.record_decision(
            strategy=plan.strategy,
            action="enter",
            accepted=False,
            symbol=str(plan.symbol),
            payload=self._payload(plan),
            reason=why,
            session=self.ctx.session,
            at=now,
        )
        record["result"] = f"refused: {why}"
        return record

    async def _size(
        self, plan: TradePlan, quote: Quote, *, stop_valued: bool = False
    ) -> Decimal | None:
        cap = Money(self.ctx.settings.risk.max_order_value, self.ctx.settings.base_currency)
        return await size_plan(plan, quote, cap, self._to_quote, stop_valued=stop_valued)

    async def _to_quote(self, amount: Money, currency: str) -> Decimal:
        if amount.currency == currency:
            return amount.amount
        rate = await self.ctx.orders.fx_to_base(currency)  # base per unit of quote
        if not rate:
            raise TemporaryError(f"no FX rate {currency}/{amount.currency} to size the trade")
        return amount.amount / rate

    # -- health ----------------------------------------------------------------------------
    def _entries_allowed(self) -> bool:
        return self.health is None or bool(self.health.allows_entries())

    def _record_failure(self, dependency: str, error: Exception) -> None:
        if self.health is not None:
            self.health.record_failure(dependency, str(error))

    def _record_success(self, dependency: str) -> None:
        if self.health is not None:
            self.health.record_success(dependency)
