"""A paper account that held BHP before the bot: the real IB adapter against the TWS sim.

The sim world is seeded with 100 BHP before anything connects. The first command's baseline
records them; the bot's positions, exposure, equity and ``flatten --all`` leave them out,
``--include-baseline`` closes them, and resync explains the venue as baseline + our fills.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from trader_cli.db import baselines, store
from trader_cli.db.models import EquitySnapshot, FillRow, OrderRow, PlanStatus
from trader_cli.domain.baseline import FLATTEN_BASELINE_REASON
from trader_cli.domain.models import Fill, Order, OrderStatus, OrderType, Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.baseline import ensure_baseline, own_positions, reset_baseline
from trader_cli.services.context import TradingContext
from trader_cli.services.flatten import flatten
from trader_cli.services.orders import OrderIntent
from trader_cli.services.plans import PlanMonitor
from trader_cli.services.pnl import bot_fill_rows, daily_pnl, fill_records_from_rows, session_pnl
from trader_cli.services.preview import preview_order
from trader_cli.services.runner import StrategyRunner
from trader_cli.sim import SimClock, SimGateway
from trader_cli.sim.engine.world import SimPosition
from trader_cli.strategies.base import Decision, Strategy, StrategyContext

from .conftest import ASX_OPEN, SCOPE

BHP = parse_symbol("BHP/AUD")
HELD = Decimal(100)


def _bhp_position(gw: SimGateway) -> SimPosition:
    inst = next(i for i in gw.catalogue.instruments if i.local_symbol == "BHP")
    return gw.world.positions.setdefault(inst.con_id, SimPosition(inst.con_id))


@pytest.fixture
async def gw() -> AsyncIterator[SimGateway]:
    async with SimGateway.start(seed=7, clock=SimClock.pinned(ASX_OPEN)) as gateway:
        pos = _bhp_position(gateway)  # held before the bot ever connects
        pos.quantity, pos.avg_cost = HELD, Decimal("44.00")
        yield gateway


@pytest.fixture
async def ctx(settings, venue, session, orders) -> TradingContext:
    baseline = await ensure_baseline(venue, SCOPE, "AUD")
    return TradingContext(settings, venue, session, orders, SCOPE, baseline=baseline)


async def _venue_qty(ctx: TradingContext) -> Decimal:
    return sum(
        (p.quantity for p in await ctx.venue.get_positions() if p.symbol == "BHP/AUD"),
        Decimal(0),
    )


async def _trade(ctx: TradingContext, side: Side, qty: int) -> None:
    q = await ctx.venue.get_market_data(BHP)
    price = q.ask if side is Side.BUY else q.bid
    order = await ctx.orders.submit(OrderIntent(BHP, side, Decimal(qty), OrderType.LIMIT, price))
    assert (await ctx.orders.wait(order.client_order_id, within=10)).status is OrderStatus.CLOSED


async def test_the_first_command_records_what_the_account_held(ctx) -> None:
    b = ctx.baseline
    assert b is not None and b.generation == 1
    (h,) = b.holdings
    assert (h.symbol, h.quantity, h.currency) == ("BHP/AUD", HELD, "AUD")
    assert h.value is not None and h.value.currency == "AUD"
    assert h.value.amount == (HELD * h.price).quantize(Decimal("0.01"))
    assert [m.currency for m in b.cash] == ["AUD"]
    assert "BHP 100 (≈" in b.describe() and "kept out of PnL and exposure" in b.describe()
    await _trade(ctx, Side.BUY, 10)
    # a later command finds it, not the account as it is now
    assert await ensure_baseline(ctx.venue, SCOPE, "AUD") == b


async def test_a_scope_that_traded_before_baselines_gets_none_until_reset(
    settings, venue, session, orders
) -> None:
    # an upgraded database: the scope's orders predate the baseline, which is not guessed
    bare = TradingContext(settings, venue, session, orders, SCOPE)
    await _trade(bare, Side.BUY, 10)
    assert await ensure_baseline(venue, SCOPE, "AUD") is None
    assert baselines.current_baseline() is None
    taken = await reset_baseline(venue, SCOPE, "AUD")
    assert [(h.symbol, h.quantity) for h in taken.holdings] == [("BHP/AUD", 110)]
    assert own_positions(await venue.get_positions(), taken) == []


async def test_exposure_and_position_of_a_preview_leave_the_baseline_out(ctx) -> None:
    q = await ctx.venue.get_market_data(BHP)
    spec = OrderSpec.limit(q.ask)
    args = (ctx.venue, ctx.settings, BHP, Side.BUY, Decimal(10), spec)
    mine = await preview_order(*args, baseline=ctx.baseline)
    everything = await preview_order(*args)
    assert (mine.position_before, everything.position_before) == (0, HELD)
    gross_mine, gross_all = (
        next(c for c in p.checks if c.name == "MAX_TOTAL_EXPOSURE").value
        for p in (mine, everything)
    )
    assert gross_mine.amount == (10 * mine.price).quantize(Decimal("0.01"))
    assert gross_all.amount > 10 * gross_mine.amount  # the 100 BHP counted there
    assert ctx.baseline.describe() in mine.notes


async def test_flatten_all_keeps_the_baseline_and_include_baseline_closes_it(ctx) -> None:
    await _trade(ctx, Side.BUY, 10)
    assert await _venue_qty(ctx) == 110
    report = await flatten(ctx, None, wait_seconds=5)
    (line,) = report.lines
    assert (line.side, line.filled, line.left, line.baseline_kept) == (Side.SELL, 10, 100, 100)
    assert not report.remaining
    assert "baseline 100 kept" in line.note
    data = report.to_dict()
    assert data["flat"] is True and data["baselineKept"] == {"BHP/AUD": "100"}
    assert data["baseline"]["positions"][0]["quantity"] == "100"
    assert await _venue_qty(ctx) == 100

    closed = await flatten(ctx, None, wait_seconds=5, include_baseline=True)
    (line,) = closed.lines
    assert (line.filled, line.left, line.baseline_kept) == (100, 0, 0)
    assert await _venue_qty(ctx) == 0
    # what it closed is no longer baseline: no later flatten buys it back as a "bot short"
    assert baselines.current_baseline().holdings == ()
    assert own_positions(await ctx.venue.get_positions(), baselines.current_baseline()) == []


async def test_the_baseline_a_flatten_closes_is_not_the_bots_pnl(ctx) -> None:
    await _trade(ctx, Side.BUY, 10)
    report = await flatten(ctx, None, wait_seconds=5, include_baseline=True)
    (line,) = report.lines
    # the bot's part and the baseline's go out as orders of their own
    assert [(o["reason"], Decimal(o["filled"])) for o in line.orders] == [
        ("flatten", 10), (FLATTEN_BASELINE_REASON, 100)
    ]
    rows = store.all_fills()
    assert len(rows) == 3
    everything = session_pnl(fill_records_from_rows(rows, "AUD"), "AUD")
    assert everything.books["BHP/AUD"].quantity == -100  # as if the bot had sold short
    mine = session_pnl(fill_records_from_rows(bot_fill_rows(rows), "AUD"), "AUD")
    assert mine.books["BHP/AUD"].quantity == 0  # bought 10, sold 10: the rest was never its
    assert daily_pnl(ctx) == mine.realised - mine.fees


async def test_flattening_a_symbol_that_is_all_baseline_sends_nothing(ctx) -> None:
    report = await flatten(ctx, [BHP], wait_seconds=5)
    (line,) = report.lines
    assert line.orders == [] and line.side is None
    assert (line.left, line.baseline_kept, line.unclosed) == (100, 100, 0)
    assert line.note == "baseline 100 kept (--include-baseline closes it)"


async def test_a_bot_short_against_the_baseline_is_bought_back_to_it(ctx) -> None:
    await _trade(ctx, Side.SELL, 30)
    assert await _venue_qty(ctx) == 70
    (mine,) = own_positions(await ctx.venue.get_positions(), ctx.baseline)
    assert mine.quantity == -30  # the bot's own recorded sell, not a hand sale of the baseline
    report = await flatten(ctx, None, wait_seconds=5)
    (line,) = report.lines
    assert (line.side, line.filled, line.left, line.baseline_kept) == (Side.BUY, 30, 100, 100)
    assert not report.remaining  # back to the baseline: nothing asked for is left
    assert await _venue_qty(ctx) == 100


async def test_a_bot_that_sold_the_whole_baseline_buys_it_back_on_flatten_all(ctx) -> None:
    await _trade(ctx, Side.SELL, 100)
    assert await _venue_qty(ctx) == 0  # the venue lists no position; the bot is short 100
    report = await flatten(ctx, None, wait_seconds=5)
    (line,) = report.lines
    assert (line.symbol, line.before, line.side, line.filled) == ("BHP/AUD", 0, Side.BUY, 100)
    assert not report.remaining
    assert await _venue_qty(ctx) == 100


async def test_a_baseline_sold_by_hand_is_reported_never_bought_back(ctx, gw) -> None:
    _bhp_position(gw).quantity = Decimal(60)  # 40 sold outside the bot, in TWS
    # as resync records it: an external order (placed outside the bot) and its fill
    q = await ctx.venue.get_market_data(BHP)
    hand = Order("ext-77", "BHP/AUD", Side.SELL, OrderType.LIMIT, Decimal(40), q.bid, id="77",
                 status=OrderStatus.CLOSED, filled=Decimal(40))
    store.record_order_intent(hand, external=True, reason="placed outside the bot")
    store.insert_fill_if_new(Fill("hand-1", "77", "ext-77", "BHP/AUD", Side.SELL, q.bid,
                                  Decimal(40), ASX_OPEN))
    assert own_positions(await ctx.venue.get_positions(), ctx.baseline) == []
    report = await flatten(ctx, None, wait_seconds=5)
    (line,) = report.lines
    assert line.orders == []
    assert "40 of the baseline's BHP/AUD is no longer held" in line.note


async def test_a_bot_buy_after_a_hand_sale_of_the_baseline_stays_the_bots(ctx, gw) -> None:
    _bhp_position(gw).quantity = Decimal(60)  # 40 sold outside the bot, in TWS
    q = await ctx.venue.get_market_data(BHP)
    hand = Order("ext-78", "BHP/AUD", Side.SELL, OrderType.LIMIT, Decimal(40), q.bid, id="78",
                 status=OrderStatus.CLOSED, filled=Decimal(40))
    store.record_order_intent(hand, external=True, reason="placed outside the bot")
    store.insert_fill_if_new(Fill("hand-2", "78", "ext-78", "BHP/AUD", Side.SELL, q.bid,
                                  Decimal(40), ASX_OPEN))
    await _trade(ctx, Side.BUY, 10)  # the bot's own buy: venue 70, baseline 100
    assert await _venue_qty(ctx) == 70
    (mine,) = own_positions(await ctx.venue.get_positions(), ctx.baseline)
    assert mine.quantity == 10  # never absorbed into the baseline the hand sale left short
    report = await flatten(ctx, None, wait_seconds=5)
    (line,) = report.lines
    assert (line.side, line.filled, line.baseline_kept) == (Side.SELL, 10, 60)
    assert "40 of the baseline's BHP/AUD is no longer held" in line.note
    assert await _venue_qty(ctx) == 60


async def test_resync_explains_the_venue_as_baseline_plus_our_fills(ctx, resync, gw) -> None:
    await _trade(ctx, Side.BUY, 10)
    report = await resync.run()
    assert report.unexplained == []
    (diff,) = report.positions
    assert (diff.symbol, diff.venue, diff.baseline, diff.expected) == ("BHP/AUD", 110, 100, 110)
    assert diff.explanation == "baseline 100 plus 1 recorded fill(s)"
    assert report.to_dict()["baseline"]["positions"][0]["symbol"] == "BHP/AUD"
    assert "baseline from" in report.summary()
    _bhp_position(gw).quantity = Decimal(90)  # moved outside the bot: no fill explains it
    (diff,) = (await resync.run()).unexplained
    assert (diff.venue, diff.expected, diff.baseline) == (90, 110, 100)


async def test_a_plan_exit_never_sells_the_baseline(ctx) -> None:
    q = await ctx.venue.get_market_data(BHP)
    plan = store.create_plan(symbol="BHP/AUD", side=Side.BUY, size=Decimal(10), entry=q.ask,
                             stop=q.bid + Decimal(1), session=ctx.session)  # the stop is hit
    entry = await ctx.orders.submit(
        OrderIntent(BHP, Side.BUY, Decimal(10), OrderType.LIMIT, q.ask, plan_id=plan.id)
    )
    assert (await ctx.orders.wait(entry.client_order_id, within=10)).filled == 10
    store.set_plan_entry(plan, entry.client_order_id)
    await _trade(ctx, Side.SELL, 10)  # the bot's 10 closed outside the plan; 100 of baseline left
    (event,) = await PlanMonitor(ctx).check_all()
    assert event.action == "closed" and "closed outside this plan" in event.detail
    assert await _venue_qty(ctx) == HELD


async def test_a_reset_is_refused_while_a_plan_is_open(ctx) -> None:
    """Re-taking the baseline would take in the plan's position, which its exits never sell."""
    from trader_cli.errors import SafetyRefused

    q = await ctx.venue.get_market_data(BHP)
    before = baselines.current_baseline()
    plan = store.create_plan(symbol="BHP/AUD", side=Side.BUY, size=Decimal(10), entry=q.ask,
                             stop=q.bid - Decimal(1), session=ctx.session)
    with pytest.raises(SafetyRefused, match="1 open plan"):
        await reset_baseline(ctx.venue, SCOPE, "AUD")
    assert baselines.current_baseline() == before
    store.close_plan(plan, status=PlanStatus.CLOSED, at=ctx.venue.clock.now())
    assert (await reset_baseline(ctx.venue, SCOPE, "AUD")) != before


async def test_an_execution_the_venue_listed_before_the_baseline_is_part_of_it(
    settings, venue, session, orders, resync
) -> None:
    # a trade made earlier today, before trader kept any record of this account
    await _trade(TradingContext(settings, venue, session, orders, SCOPE), Side.BUY, 10)
    FillRow.delete().execute()
    OrderRow.delete().execute()
    baseline = await ensure_baseline(venue, SCOPE, "AUD")
    assert baseline.quantity("BHP/AUD") == 110 and len(baseline.known_fills) == 1
    report = await resync.run()  # the venue still lists that execution: resync records it
    assert report.new_fills
    assert report.unexplained == []  # in the baseline already, not a fill on top of it
    (diff,) = report.positions
    assert (diff.venue, diff.expected) == (110, 110)
    assert own_positions(await venue.get_positions(), baseline) == []


class _Holds(Strategy):
    name = "holds"

    async def decide(self, ctx: StrategyContext) -> list[Decision]:
        self.seen, self.account = list(ctx.positions), ctx.account
        return []


@pytest.mark.parametrize("include", [False, True])
async def test_the_bots_positions_and_equity_leave_the_baseline_out(ctx, include) -> None:
    strategy = _Holds()
    runner = StrategyRunner(ctx, strategy, include_baseline=include)
    report = await runner.cycle()
    summary = await ctx.venue.get_account_summary()
    (held,) = await ctx.venue.get_positions()
    worth = (HELD * held.current_price).quantize(Decimal("0.01"))
    if include:
        assert [p.quantity for p in report.positions] == [HELD]
        assert report.equity == summary.net_liquidation
        assert report.baseline == ""
    else:
        assert report.positions == [] and strategy.seen == []
        assert strategy.account.net_liquidation == report.equity
        assert (summary.net_liquidation - report.equity).amount.quantize(Decimal("0.01")) == worth
        assert report.baseline == ctx.baseline.describe()
        assert report.to_dict()["baseline"] == ctx.baseline.describe()
    assert report.pnl["unrealised"] == "0.00"  # the baseline's move is not the bot's PnL
    (snapshot,) = EquitySnapshot.select()
    assert snapshot.equity == report.equity.amount
