"""The fixed, safe scenario a recording captures, and its results normalised into golden files.

The scenario only reads (contracts, quotes, bars at several timeframes, the account summary,
positions, executions, open orders); with orders it also sends one limit order far from the
market (it cannot fill) through the same preview checks as ``trader place`` with the price
band explicitly waived, cancels it, and checks that it was cancelled. It runs on any
:class:`BaseTrader`, so the same steps serve the IB recording and a Gemini one.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

from trader_cli.config import Settings
from trader_cli.domain.models import OrderStatus, Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import InstrumentClass, Symbol
from trader_cli.domain.timeframes import parse_timeframe
from trader_cli.errors import SafetyRefused, VenueError
from trader_cli.venues.base import BaseTrader, OrderRequest

TIMEFRAMES = ("5m", "1h", "1d")
BAR_LIMIT = 40  # as many as the adapter contract suite asks for
# The scenario's order is a buy this far below the bid: it cannot fill.
FAR_BELOW_BID = Decimal("0.5")
# ...sized a little above MIN_TRADE_SIZE so the risk checks let it through.
MIN_TRADE_MARGIN = Decimal("1.2")
# Values the adapter takes from this machine's clock, not from the venue: never compared.
LOCAL_CLOCK_KEYS = frozenset({"timestamp"})
# A quote is taken once both sides are in; the last trade and volume stream in their own
# messages, before or after that moment as the reads fall, so they are not part of its golden.
STREAMED_QUOTE_KEYS = frozenset({"last", "volume"})
ORDER_REF_SUFFIX = "fixture-1"


@dataclass(frozen=True)
class Step:
    """One named step of the scenario; ``run`` returns its normalised result."""

    name: str
    title: str
    run: Callable[[BaseTrader], Any]


@dataclass
class ScenarioResult:
    """Every step's normalised result, by step name."""

    results: dict[str, Any] = field(default_factory=dict)


def scenario_steps(
    symbols: list[Symbol], settings: Settings, *, with_orders: bool
) -> list[Step]:
    """The steps, in order (the order is part of the recording: never reorder them)."""

    async def contracts(venue: BaseTrader) -> Any:
        out = []
        for sym in symbols:
            inst = await venue.resolve(sym)
            out.append(
                {
                    "symbol": str(inst.symbol), "venueId": inst.venue_id,
                    "exchange": inst.exchange, "currency": inst.currency,
                    "minTick": _text(inst.min_tick), "sizeIncrement": _text(inst.size_increment),
                    "orderTypes": sorted(inst.order_types), "timeZone": inst.time_zone,
                }
            )  # fmt: skip
        return out

    async def quotes(venue: BaseTrader) -> Any:
        return [
            {k: v for k, v in _local_free(quote.to_dict()).items() if k not in STREAMED_QUOTE_KEYS}
            for quote in [await venue.get_market_data(s) for s in symbols]
        ]

    async def bars(venue: BaseTrader) -> Any:
        out: dict[str, Any] = {}
        for sym in symbols:
            for tf in TIMEFRAMES:
                candles = await venue.fetch_ohlcv(sym, parse_timeframe(tf), BAR_LIMIT)
                out[f"{sym} {tf}"] = [c.to_dict() for c in candles]
        return out

    async def account(venue: BaseTrader) -> Any:
        return _local_free(_jsonable((await venue.get_account_summary()).to_dict()))

    async def positions(venue: BaseTrader) -> Any:
        return [_local_free(p.to_dict()) for p in await venue.get_positions()]

    async def executions(venue: BaseTrader) -> Any:
        return [f.to_dict() for f in await venue.get_my_trades()]

    async def open_orders(venue: BaseTrader) -> Any:
        orders = await venue.get_open_orders(ours_only=False)
        return [_local_free(o.to_dict(), drop_info=True) for o in orders]

    async def order(venue: BaseTrader) -> Any:
        return await far_limit_order_round_trip(venue, settings, symbols)

    steps = [
        Step("contracts", "qualify contracts", contracts),
        Step("quotes", "quotes", quotes),
        Step("bars", f"bars ({', '.join(TIMEFRAMES)})", bars),
        Step("account", "account summary", account),
        Step("positions", "positions", positions),
        Step("executions", "executions", executions),
        Step("open_orders", "open orders", open_orders),
    ]
    if with_orders:
        steps.append(Step("order", "far limit order, then cancel", order))
    return steps


async def far_limit_order_round_trip(
    venue: BaseTrader, settings: Settings, symbols: list[Symbol]
) -> dict[str, Any]:
    """One buy limit ``FAR_BELOW_BID`` under the bid, previewed, sent, cancelled and verified.

    It goes through :func:`~trader_cli.services.preview.preview_order` with every check; only
    the price band is waived (``allow_far_limit``), for this order alone. A refused preview
    raises (exit 3) and nothing is sent.
    """
    from trader_cli.services.preview import preview_order

    sym = next((s for s in symbols if s.instrument_class is not InstrumentClass.FX), symbols[0])
    inst = await venue.resolve(sym)
    quote = await venue.get_market_data(sym)
    touch = quote.bid or quote.last
    if touch is None or touch <= 0:
        raise VenueError(f"no bid for {sym}: cannot price an order that must not fill")
    limit = touch * FAR_BELOW_BID
    tick = inst.min_tick or Decimal("0.01")
    limit = (limit / tick).to_integral_value(rounding=ROUND_DOWN) * tick
    step = inst.size_increment if inst.size_increment > 0 else Decimal(1)
    lots = math.ceil(settings.risk.min_trade_size * MIN_TRADE_MARGIN / (touch * step))
    qty = step * max(1, lots)
    spec = OrderSpec.limit(limit)
    preview = await preview_order(venue, settings, sym, Side.BUY, qty, spec, allow_far_limit=True)
    preview.raise_if_refused()
    cid = f"{settings.core.client_order_prefix}-{ORDER_REF_SUFFIX}"
    placed = await venue.place_order(
        OrderRequest(cid, sym, Side.BUY, qty, preview.require_spec())
    )
    cancelled = await venue.cancel_order(cid)
    if cancelled.status is not OrderStatus.CANCELED:
        raise SafetyRefused(
            f"the scenario's order {cid} is {cancelled.status.value} after its cancel, not "
            "canceled",
            hint="check the order in TWS and cancel it by hand",
        )
    return {
        "placed": _local_free(placed.to_dict(), drop_info=True),
        "cancelled": _local_free(cancelled.to_dict(), drop_info=True),
    }


async def run_scenario(
    venue: BaseTrader,
    steps: list[Step],
    on_step: Callable[[Step], None] | None = None,
) -> ScenarioResult:
    """Run ``steps`` in order on a connected ``venue``; ``on_step`` is told after each."""
    result = ScenarioResult()
    for step in steps:
        result.results[step.name] = _jsonable(await step.run(venue))
        if on_step is not None:
            on_step(step)
    return result


# ----- golden files -------------------------------------------------------------------------
def golden_text(value: Any) -> str:
    """The golden file's text: sorted keys, two-space indent, one trailing newline."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def golden_files(result: ScenarioResult) -> dict[str, str]:
    """``golden/<step>.json`` name -> text."""
    return {f"{name}.json": golden_text(value) for name, value in result.results.items()}


def compare_with_golden(result: ScenarioResult, golden_dir: Path) -> dict[str, str]:
    """Step name -> unified diff (golden vs now) for every step that differs; empty: equal."""
    diffs: dict[str, str] = {}
    expected_names = {p.stem for p in golden_dir.glob("*.json")}
    for name in sorted(expected_names | set(result.results)):
        path = golden_dir / f"{name}.json"
        expected = path.read_text(encoding="utf-8") if path.exists() else ""
        actual = golden_text(result.results[name]) if name in result.results else ""
        if expected != actual:
            diffs[name] = "".join(
                difflib.unified_diff(
                    expected.splitlines(keepends=True),
                    actual.splitlines(keepends=True),
                    fromfile=f"golden/{name}.json (recorded)",
                    tofile=f"{name} (this adapter)",
                )
            )
    return diffs


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _local_free(data: dict[str, Any], *, drop_info: bool = False) -> dict[str, Any]:
    """``data`` without values from this machine's clock (and the venue's raw ``info``)."""
    return {
        k: v
        for k, v in data.items()
        if k not in LOCAL_CLOCK_KEYS and not (drop_info and k == "info")
    }


def _jsonable(value: Any) -> Any:
    """Round-trip through JSON: Decimals and datetimes as text, tuples as lists."""
    return json.loads(json.dumps(value, default=str))
