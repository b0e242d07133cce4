"""The backtest loop: bars in time order → market → plan monitor → strategy → orders.

Each distinct bar time is one step, as one cycle of ``trader run`` on a pinned sim clock: the
venue's clock moves to it (working orders matched on the way, see
:meth:`BacktestVenue.advance_to`), the bars that ended join the history, the plan monitor
carries open plans to their exits, the strategy decides on a :class:`StrategyContext` built as
``trader run`` builds it, and each plan goes through the runner's entry path as
:class:`~trader_cli.backtest.book.Book` keeps it in memory (sizing, the checks of ``trader
place``, the bracket or the plain entry). What ``trader run`` does per cycle but a backtest need
not (reconnects, locks between processes, the database, the live view, telemetry) is left out;
docs/backtest.md lists the differences.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from trader_cli.backtest.book import Book
from trader_cli.backtest.feed import BarFile, merged_bars
from trader_cli.backtest.metrics import EquityTracker, RoundTrips
from trader_cli.backtest.venue import BacktestVenue
from trader_cli.config import Settings
from trader_cli.domain.models import AccountSummary
from trader_cli.domain.symbols import InstrumentClass, Symbol
from trader_cli.errors import InputError, TemporaryError, TraderError, VenueError
from trader_cli.hours import market_hours
from trader_cli.sim.engine.market import CsvBar
from trader_cli.strategies.base import Strategy, StrategyContext, TradePlan
from trader_cli.strategies.plugins import StrategyFailed

log = logging.getLogger("trader.backtest")

# ``progress(bars_done, step_time)``: called every PROGRESS_EVERY bars
Progress = Callable[[int, datetime], None]
PROGRESS_EVERY = 512  # a multiple of YIELD_EVERY (the loop looks at both together)
# the loop never waits for anything, so signal handlers (Ctrl-C) run only when it yields: it
# does every YIELD_EVERY bars (a handler runs within a few yields of its signal)
YIELD_EVERY = 64


class _Context(StrategyContext):
    """A :class:`StrategyContext` whose ``account`` is read from the venue when a strategy
    first asks for it in a step (valuing the account takes quotes: most strategies never ask).

    Until then the instance has no ``account`` attribute, so reading it reaches
    :meth:`__getattr__`, which asks once and keeps the answer."""

    def __init__(self, *args: Any, account_of: Callable[[], AccountSummary | None],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.account
        self._account_of = account_of

    def __getattr__(self, name: str) -> Any:
        if name != "account":
            raise AttributeError(name)
        value = self.account = self._account_of()
        return value


@dataclass
class _Hours:
    """Market hours per instrument class, asked again only when the session changes."""

    until: dict[InstrumentClass, tuple[datetime, bool, datetime | None]] = field(
        default_factory=dict)

    def at(self, cls: InstrumentClass, now: datetime) -> tuple[bool, datetime | None]:
        """(open, the session's close) at ``now``."""
        cached = self.until.get(cls)
        if cached is None or now >= cached[0]:
            h = market_hours(cls, now)
            edge = h.session_close if h.is_open else h.next_open
            cached = (edge or now + timedelta(days=1), h.is_open, h.session_close)
            self.until[cls] = cached
        return cached[1], cached[2]


@dataclass
class BacktestRun:
    """What a finished (or stopped) backtest leaves for the report."""

    bars: int
    history: int  # of which before --from: history only
    steps: int
    seconds: float
    first: datetime | None
    last: datetime | None
    symbols: list[Symbol]
    equity: EquityTracker
    trades: RoundTrips
    strategy: str
    errors: list[str]
    stopped: bool
    error_count: int
    decisions: int  # trade plans the strategy returned
    entries: int  # of which sent
    orders: int  # orders sent, stops, targets and exits included
    refusals: dict[str, int]  # why the others were not, by reason


class Backtest:
    """One backtest: see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        strategy: Strategy,
        files: list[BarFile],
        *,
        cash: Decimal,
        start: datetime | None = None,
        end: datetime | None = None,
        seed: int = 0,
        trades_kept: int = 20,
    ) -> None:
        self.settings = settings
        self.strategy = strategy
        self.files = files
        self.cash = cash
        self.start = start
        self.end = end
        self.seed = seed
        self.trades_kept = trades_kept
        self.stop_requested = False
        self.errors: list[str] = []
        self.error_count = 0

    def request_stop(self) -> None:
        """Finish the current step, then stop (Ctrl-C)."""
        self.stop_requested = True

    def _error(self, now: datetime, text: str) -> None:
        self.error_count += 1
        self.errors.append(f"{now:%Y-%m-%d %H:%M} {text}")
        if len(self.errors) > 20:
            del self.errors[0]

    async def run(self, progress: Progress | None = None) -> BacktestRun:
        """Replay every bar (see the module docstring)."""
        # what start-up made lives as long as the run: the collector's full passes need not
        # walk it again and again while the loop makes and drops its short-lived objects
        gc.freeze()
        try:
            with tempfile.TemporaryDirectory(prefix="trader-backtest-") as home:
                return await self._run(Path(home), progress)
        finally:
            gc.unfreeze()

    async def _run(self, home: Path, progress: Progress | None) -> BacktestRun:
        from trader_cli.services.data import DataFetchCoordinator
        from trader_cli.services.runner import strategy_limits

        stream = merged_bars(self.files, _catalogue(), end=self.end)
        first = next(stream, None)
        if first is None:
            raise InputError("no bars to replay in the files (or before --to)",
                             hint="check --to against the files' times")
        s = _unlike_the_account(self.settings, home)
        venue = BacktestVenue(s, start=first[0], cash=self.cash, seed=self.seed)
        await venue.connect()
        hours = _Hours()

        classes: dict[Symbol, InstrumentClass] = {}  # asked once: classify() parses the symbol

        def symbol_hours(sym: Symbol, now: datetime) -> tuple[bool, datetime | None]:
            cls = classes.get(sym)
            if cls is None:
                cls = classes[sym] = sym.instrument_class
            return hours.at(cls, now)

        book = Book(s, venue, symbol_hours)
        venue_name = venue.name
        named: dict[Symbol, str] = {}  # the universe, each symbol with its text
        trades = RoundTrips(keep=self.trades_kept)
        universe: list[Symbol] = []
        data = DataFetchCoordinator(venue)
        equity = EquityTracker(s.base_currency, self.cash)
        limits = strategy_limits(s)
        capabilities = venue.capabilities
        costs = dict(capabilities.commission_terms)
        base = s.base_currency
        local = not book.broker
        seen_changes = -1
        # the bars of the current step (they start now: their path is the market's from now
        # on), and every symbol's bar still running: it joins the history when it has ended
        # (at its own end: another symbol's next step is not its end)
        pending: dict[Symbol, CsvBar] = {}
        running: dict[Symbol, tuple[CsvBar, datetime | None]] = {}  # with when it ends
        last_bar: dict[Symbol, CsvBar] = {}  # each symbol's latest: its close marks positions
        bars = steps = decisions = entries = history = 0
        step_time = first[0]
        began = time.perf_counter()

        def account_now() -> AccountSummary | None:
            try:
                return venue.account_now()
            except TraderError:
                return None

        executions = venue.world.executions  # the engine's fills not yet booked

        def book_fills() -> None:
            for record in venue.drain_fills():
                trades.add(record)
                book.fill(record)

        # the market's open flags as the strategy sees them, made again only when a session
        # opens or closes (or the universe grows): (until when they hold, the flags)
        flags: list[Any] = [first[0], {}]

        def market_open_at(now: datetime) -> dict[str, bool]:
            if now >= flags[0] or len(flags[1]) != len(named):
                edge = None
                out = {}
                for sym, text in named.items():
                    out[text] = symbol_hours(sym, now)[0]
                    until = hours.until[classes[sym]][0]
                    edge = until if edge is None or until < edge else edge
                flags[0], flags[1] = edge or now, out
            return dict(flags[1])  # the strategy's own: it may change it

        events = venue.events
        decide = self.strategy.decide

        async def step(now: datetime) -> None:
            nonlocal seen_changes, steps, decisions, entries
            steps += 1
            venue.advance_to(now)
            for symbol, (bar, end) in list(running.items()):  # the bars ended by ``now``
                if end is not None and end <= now:
                    venue.complete(symbol, bar)
                    del running[symbol]
            if executions:
                book_fills()
            data.new_cycle()
            market_open = market_open_at(now)
            # the plan monitor, when something can have changed for a plan
            if book.open and (local or events.changes != seen_changes or book.clock_due(now)):
                await book.check_all(now)
                if executions:
                    book_fills()
                seen_changes = events.changes
            sctx = _Context(
                now,
                venue_name,
                True,
                base,
                list(universe),
                data,
                venue.positions_now(),
                book.open_plans_view() if book.open else [],
                None,  # read when first asked (see _Context)
                market_open,
                limits,
                costs,
                [],
                capabilities,
                account_of=account_now,
            )
            try:
                chosen = await decide(sctx)
            except StrategyFailed as e:
                self._error(now, e.message)
                chosen = []
            except (TemporaryError, VenueError) as e:
                self._error(now, f"strategy: {e.message}")
                chosen = []
            acted = False
            for decision in chosen:
                if not isinstance(decision, TradePlan):
                    continue
                decisions += 1
                outcome = await book.enter(decision, now)
                entries += outcome.sent
                acted = True
            if acted:
                if executions:
                    book_fills()
                seen_changes = -1  # look at the new plans at the next step
            equity.record(now, *venue.equity_now(last_bar))

        row: tuple[datetime, Symbol, CsvBar] | None = first
        # bars before --from are history only: the strategy sees them, nothing trades on them
        warm = self.start
        while row is not None and warm is not None and row[0] < warm:
            ts, symbol, bar = row
            if symbol not in last_bar:
                universe.append(symbol)
                named[symbol] = str(symbol)
            venue.feed(symbol, bar)
            venue.complete(symbol, bar)
            last_bar[symbol] = bar
            bars += 1
            history += 1
            row = next(stream, None)
        if row is None:
            raise InputError("no bars from --from on in the files",
                             hint="check --from against the files' times")
        step_time = row[0]
        first_step = row[0]
        venue.sim_clock.set(first_step)
        feed, complete = venue.feed, venue.complete
        lengths: dict[int, timedelta] = {}  # a bar's length in seconds, as a timedelta
        while row is not None and not self.stop_requested:
            ts, symbol, bar = row
            if ts > step_time:
                await step(step_time)
                pending.clear()
                step_time = ts
            if symbol not in last_bar:
                universe.append(symbol)
                named[symbol] = str(symbol)
            if symbol in pending:
                raise InputError(f"bars for {symbol} at {ts.isoformat()} come twice")
            before = running.get(symbol)
            if before is not None:  # its next bar starts: it has ended
                complete(symbol, before[0])
            # it ends when its symbol's next bar starts, or a bar's length after it started
            # (the shortest gap between the symbol's bars so far: one that comes later can
            # only shorten it, and then this bar has ended anyway)
            length = feed(symbol, bar)
            if length is None:
                running[symbol] = (bar, None)
            else:
                span = lengths.get(length)
                if span is None:
                    span = lengths[length] = timedelta(seconds=length)
                running[symbol] = (bar, ts + span)
            pending[symbol] = last_bar[symbol] = bar
            bars += 1
            if bars % YIELD_EVERY == 0:
                if progress is not None and bars % PROGRESS_EVERY == 0:
                    progress(bars, ts)
                await asyncio.sleep(0)
            row = next(stream, None)
        if not self.stop_requested:
            await step(step_time)
        book_fills()
        await venue.close()
        return BacktestRun(
            bars=bars,
            history=history,
            steps=steps,
            seconds=time.perf_counter() - began,
            first=first_step,
            last=step_time,
            symbols=universe,
            equity=equity,
            trades=trades,
            strategy=self.strategy.name,
            errors=self.errors,
            stopped=self.stop_requested,
            error_count=self.error_count,
            decisions=decisions,
            entries=entries,
            orders=book.orders,
            refusals=dict(book.refusals),
        )


def _unlike_the_account(settings: Settings, home: Path) -> Settings:
    """``settings`` for a backtest: the kill switch (the app dir's file, ``KILL_SWITCH``) guards
    the account, not a simulation of it, so a backtest neither reads nor follows it; every
    other limit stays as set."""
    out = copy.copy(settings)
    out.core = settings.core.model_copy(update={"trader_home": home})
    out.risk = settings.risk.model_copy(update={"kill_switch": False})
    return out


def _catalogue() -> Any:
    from trader_cli.sim.engine.catalogue import Catalogue

    return Catalogue.load()
