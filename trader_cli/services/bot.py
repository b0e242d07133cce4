"""The bot as a service: one strategy loop on one scope, for ``run``, status views and backtests.

:class:`BotService` owns what running the bot takes: the trading context (database, venue,
session, order service), the scope's run lock, telemetry, the health circuits (persisted every
cycle so another process can read them, :func:`read_health`), the strategy and the
:class:`StrategyRunner` loop. A front end gives it options and two callbacks, asks it to stop,
and renders what it reports::

    bot = BotService(settings, BotOptions(strategy="rules", cycles=10, interval=60),
                     on_start=show_header, on_cycle=show_report)
    summary = await bot.run()        # bot.request_stop() from a signal handler ends it early
    print(summary.to_dict())
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trader_cli.db import store, views
from trader_cli.heap import pin_mmap_threshold, trim_heap
from trader_cli.notify import alerts
from trader_cli.notify.notifier import Notifier
from trader_cli.services.context import TradingContext, trading_context
from trader_cli.services.health import HealthCircuitManager
from trader_cli.services.locks import hold_run_lock
from trader_cli.services.runner import CycleReport, StrategyRunner
from trader_cli.strategies.factory import make_strategy
from trader_cli.telemetry import Telemetry

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from trader_cli.config import Settings
    from trader_cli.domain.scope import Scope
    from trader_cli.venues.base import BaseTrader


@dataclass(frozen=True, slots=True)
class BotOptions:
    """How to run the bot: the strategy, how long, how often, and what it may do."""

    strategy: str = "rules"
    cycles: int | None = None  # None: until stopped
    interval: float = 300.0  # seconds between cycles (wall time; on a running sim clock too)
    dry_run: bool = False  # decide and check, send nothing
    cancel_on_exit: bool = False  # cancel working entries when stopping
    live: bool = False  # orders on a live account are allowed
    include_baseline: bool = False  # count the paper/sim baseline as the bot's (exposure, PnL)


@dataclass(frozen=True, slots=True)
class BotStarted:
    """What the bot runs on, once connected and holding its scope (before the first cycle)."""

    venue: str
    mode: str
    scope: Scope
    strategy: str
    telemetry_path: Path
    sim_speed: float | None = None  # market seconds per real second on a running sim clock

    @property
    def clock_note(self) -> str:
        """``sim clock x300`` on a running sim clock, else empty."""
        return f"sim clock x{self.sim_speed:g}" if self.sim_speed else ""


@dataclass(frozen=True, slots=True)
class BotSummary:
    """How a run ended: cycles done, why it stopped, and what its session did."""

    venue: str
    strategy: str
    cycles: int
    stopped: str
    orders: int
    fills: int
    plans_open: int
    plans_closed: int
    telemetry: str

    def to_dict(self) -> dict[str, Any]:
        """The ``summary`` of ``trader run`` (its keys are part of the JSON output)."""
        return {
            "venue": self.venue,
            "strategy": self.strategy,
            "cycles": self.cycles,
            "stopped": self.stopped,
            "orders": self.orders,
            "fills": self.fills,
            "plansOpen": self.plans_open,
            "plansClosed": self.plans_closed,
            "telemetry": self.telemetry,
        }


class BotService:
    """Runs the strategy loop on the scope ``settings`` name; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        options: BotOptions | None = None,
        *,
        on_start: Callable[[BotStarted], None] | None = None,
        on_cycle: Callable[[CycleReport], None] | None = None,
    ) -> None:
        self.settings = settings
        self.options = options or BotOptions()
        # bad strategy settings, or a plug-in that does not load, fail here
        self._strategy = make_strategy(self.options.strategy, settings)
        self.on_start = on_start
        self.on_cycle = on_cycle
        self._stop_reason: str | None = None
        self.runner: StrategyRunner | None = None
        self.health: HealthCircuitManager | None = None
        self.telemetry: Telemetry | None = None
        self.last_report: CycleReport | None = None
        self._stop_alerted = False

    # -- stopping ----------------------------------------------------------------------------
    @property
    def stop_requested(self) -> bool:
        """Whether :meth:`request_stop` was called."""
        return self._stop_reason is not None

    def request_stop(self, reason: str = "signal") -> bool:
        """Finish the current step, then stop; returns whether a stop was already requested
        (a second Ctrl-C: the caller may then cancel the run outright)."""
        again = self.stop_requested
        self._stop_reason = self._stop_reason or reason
        if self.runner is not None:
            self.runner.request_stop()
        if self.telemetry is not None:
            self.telemetry.emit("stop", reason=reason)
        return again

    # -- running -----------------------------------------------------------------------------
    async def run(self) -> BotSummary:
        """Connect, take the scope's run lock, cycle until done or stopped; the run's summary."""
        from trader_cli.services.venue import refuse_orders_on_replay
        from trader_cli.venues.sim.venue import serve_sim_world

        if not self.options.dry_run:
            refuse_orders_on_replay(self.settings, "trader run (without --dry-run)")
        serve_sim_world()  # on the sim, other commands go through this run's gateway
        pin_mmap_threshold()  # a long run's resident size stays flat (see trader_cli.heap)
        notifier: Notifier | None = None
        try:
            async with trading_context(
                self.settings, live=self.options.live, strategy=self.options.strategy
            ) as ctx:
                notifier = ctx.orders.notifier
                try:
                    # one bot per scope: the account is known only now that the venue is
                    # connected, and nothing has been sent yet; held until the run ends (or
                    # dies with the process)
                    with hold_run_lock(ctx.scope):
                        return await self._run_locked(ctx)
                except BaseException as e:
                    if not self._stop_alerted:  # it failed before its loop began
                        notifier.notify(self._stopped_alert(e))
                    raise
        except Exception as e:
            if notifier is None:  # it never connected: a notifier of its own says so
                _alert_without_venue(self.settings, alerts.bot_stopped("", None, e))
            raise

    def _stopped_alert(self, error: BaseException | None) -> alerts.Alert:
        """The bot-stopped alert: after its cycles, on a signal, at once, or a crash."""
        # no runner yet: it never got going (the scope's run lock held, a bad universe)
        cycles = self.runner.cycles_done if self.runner is not None else None
        if error is None:
            reason = self._stop_reason or "after --cycles"
            if reason == "signal":
                reason = "on a signal (SIGINT/SIGTERM)"
            return alerts.bot_stopped(reason, cycles or 0)
        if isinstance(error, asyncio.CancelledError | KeyboardInterrupt):
            return alerts.bot_stopped("stopped at once (second signal)", cycles)
        return alerts.bot_stopped("", cycles, error)

    async def _run_locked(self, ctx: TradingContext) -> BotSummary:
        opts = self.options
        venue = ctx.venue
        telemetry = ctx.telemetry or Telemetry.from_settings(
            self.settings,
            session=str(ctx.session.id if ctx.session else ""),
            clock=venue.clock,
            venue=venue.name,
            accounts=[venue.account or ""],
        )
        self.telemetry = telemetry
        ctx.orders.telemetry = telemetry  # orders, status changes and fills, with their contract
        self.health = health_manager(self.settings, venue, telemetry, ctx.orders.notifier)
        strategy = (  # the LLM strategy runs on the venue's clock; the others are built once
            make_strategy(opts.strategy, self.settings, venue.clock)
            if opts.strategy == "llm"
            else self._strategy
        )
        sim_speed = venue.clock_speed  # the sim's clock speed while it runs
        self.runner = StrategyRunner(
            ctx,
            strategy,
            dry_run=opts.dry_run,
            cancel_on_exit=opts.cancel_on_exit,
            telemetry=telemetry,
            health=self.health,
            on_cycle=self._cycle_done,
            include_baseline=opts.include_baseline,
        )
        if self.stop_requested:  # asked to stop while connecting
            self.runner.request_stop()
        if self.on_start is not None:
            self.on_start(
                BotStarted(
                    venue.name,
                    ctx.session.mode.value if ctx.session else "",
                    ctx.scope,
                    opts.strategy,
                    telemetry.path,
                    sim_speed,
                )
            )
        telemetry.emit(
            "start",
            strategy=opts.strategy,
            dryRun=opts.dry_run,
            cycles=opts.cycles,
            interval=opts.interval,
        )
        error: BaseException | None = None
        try:
            # on a running sim clock the loop waits `interval` of wall time
            await self.runner.run(cycles=opts.cycles, interval=opts.interval * (sim_speed or 1))
        except BaseException as e:
            error = e
            raise
        finally:
            ctx.orders.notifier.notify(self._stopped_alert(error))  # before "end": its last line
            self._stop_alerted = True
            telemetry.emit("end", cycles=self.runner.cycles_done)
        return self._summary(ctx)

    def _cycle_done(self, report: CycleReport) -> None:
        self.last_report = report
        if self.on_cycle is not None:
            self.on_cycle(report)
        trim_heap()  # what the cycle freed goes back to the system (see trader_cli.heap)

    def _summary(self, ctx: TradingContext) -> BotSummary:
        assert self.runner is not None  # set by _run_locked
        assert self.telemetry is not None
        counts = store.session_summary(ctx.session) if ctx.session is not None else {}
        return BotSummary(
            venue=ctx.venue.name,
            strategy=self.options.strategy,
            cycles=self.runner.cycles_done,
            stopped="on request" if self.runner.stop_requested else "after --cycles",
            orders=counts.get("orders", 0),
            fills=counts.get("fills", 0),
            plans_open=counts.get("plans_open", 0),
            plans_closed=counts.get("plans_closed", 0),
            telemetry=str(self.telemetry.path),
        )


def health_manager(
    settings: Settings, venue: BaseTrader, telemetry: Telemetry, notifier: Notifier
) -> HealthCircuitManager:
    """The run's health circuits: every change to telemetry; a circuit opening or closing and
    the venue down past its reset window to a person (and, as ``alert`` lines, to telemetry
    through the notifier); the circuits persisted each cycle."""
    return HealthCircuitManager.from_settings(
        settings,
        clock=venue.clock,
        venue=venue,
        on_change=alerts.circuit_hook(notifier, telemetry.circuit),
        on_alert=alerts.disconnect_hook(notifier),
        on_status=_persist_health,
        maintenance_windows=venue.capabilities.maintenance_windows,
        venue_name=venue.capabilities.name,
        connectivity_hint=venue.capabilities.connectivity_hint,
    )


def _alert_without_venue(settings: Settings, alert: alerts.Alert) -> None:
    """Send ``alert`` when the run failed before its trading context (and notifier) existed."""
    from trader_cli.services.context import command_scope

    try:
        notifier = Notifier.from_settings(
            settings, label=alerts.label(command_scope(settings).label, settings.venue_name, None)
        )
        notifier.notify(alert)
        notifier.close()
    except Exception:  # the run's own error is what the caller must see
        log.exception("could not send the bot-stopped alert")


def _persist_health(status: dict[str, Any], at: datetime) -> None:
    """Write the circuits to the scope's database (the bot runs with its scope bound)."""
    views.record_health(status, at=at)


def read_health(settings: Settings, scope: Scope) -> views.HealthRecord | None:
    """The health circuits the bot on ``scope`` last persisted, read without connecting.

    For ``trader status`` and dashboards, in a process of their own (it opens ``scope``'s
    database as the process's database, reads, and closes it).
    ``scope`` must carry the account (the bot's scope once connected).
    """
    from trader_cli.db import close_db
    from trader_cli.db.scope import use_scope
    from trader_cli.services.context import open_scoped_database

    open_scoped_database(settings, scope)
    try:
        with use_scope(scope):
            return views.last_health()
    finally:
        close_db()


__all__ = [
    "BotOptions",
    "BotService",
    "BotStarted",
    "BotSummary",
    "health_manager",
    "read_health",
]
