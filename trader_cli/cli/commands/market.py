"""``trader quote`` and ``trader bars``: market data from the active venue."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trader_cli.cli.app import (
    EnvFileOpt,
    JsonOpt,
    ReplayOpt,
    SimOpt,
    VenueOpt,
    VerboseOpt,
    state,
)
from trader_cli.cli.console import venue_label
from trader_cli.cli.params import whole
from trader_cli.domain.display import pct_text, price_text, quantity_text, time_json
from trader_cli.domain.display_models import (
    book_json,
    candle_cells,
    candle_json,
    mid_json,
    quote_json,
    symbol_of,
)

if TYPE_CHECKING:
    from trader_cli.domain.models import Quote


def _label(header: dict[str, Any]) -> str:
    return venue_label(
        header["venue"], header["asOf"], simulated=header["simulated"],
        replay=header.get("replay", False),
    )


def quote(
    ctx: typer.Context,
    symbols: Annotated[
        list[str], typer.Argument(help="One or more symbols, e.g. BHP/AUD AUD/USD.")
    ],
    venue: VenueOpt = None,
    sim: SimOpt = False,
    replay: ReplayOpt = None,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
    depth: Annotated[
        int | None,
        typer.Option(
            "--depth",
            help="Also show N levels a side of the venue's order book (a ladder); the top of "
            "book only, said so, where the account has no depth subscription.",
            min=1,
            max=50,
        ),
    ] = None,
) -> None:
    """Top of book: price, bid, ask, sizes, volume, spread % and order-book imbalance."""
    import asyncio

    from trader_cli.services.market import quotes, quotes_with_books

    st = state(ctx, venue, json_mode, env_file, verbose, sim=sim, replay=replay)
    books: list[Any] = []
    if depth is None:
        header, result = asyncio.run(quotes(st.settings(), symbols))
    else:
        header, result, books = asyncio.run(quotes_with_books(st.settings(), symbols, depth))
    ticks = header.pop("ticks", {})
    out = st.output
    if st.json_mode:
        data = {
            **header,
            "quotes": [quote_json(q, ticks.get(q.symbol)) for q in result],
        }
        if depth is not None:
            data["books"] = [book_json(b, ticks.get(b.symbol)) for b in books]
        out.json(data)
        return
    rows = [_quote_row(q, ticks.get(q.symbol)) for q in result]
    cols = ("symbol", "price", "bid", "ask", "bid sz", "ask sz", "volume", "spr %", "imb")
    out.table(rows, cols, title=_label(header), justify_right=cols[1:])
    for book in books:
        _ladder(out, book, ticks.get(book.symbol))


def _quote_row(q: Quote, tick: Decimal | None) -> tuple[str, ...]:
    """One quote as table cells, each number by the display rules."""
    sym = symbol_of(q.symbol)
    imbalance = pct_text(q.ob_imbalance)
    if q.ob_imbalance is not None and q.ob_imbalance > 0:
        imbalance = f"+{imbalance}"
    return (
        q.symbol + (" (delayed)" if q.delayed else ""),
        mid_json(q.price, sym, min_tick=tick, grouping=True) or "",
        price_text(q.bid, sym, min_tick=tick),
        price_text(q.ask, sym, min_tick=tick),
        quantity_text(q.bid_size, sym),
        quantity_text(q.ask_size, sym),
        quantity_text(q.volume, sym),
        pct_text(q.spread_pct),
        imbalance,
    )


def _ladder(out: Any, book: Any, tick: Decimal | None = None) -> None:
    """One book as a ladder: bid size, bid, ask, ask size per level, best first."""
    levels = max(len(book.bids), len(book.asks))
    sym = symbol_of(book.symbol)
    rows = []
    for n in range(levels):
        bid = book.bids[n] if n < len(book.bids) else None
        ask = book.asks[n] if n < len(book.asks) else None
        rows.append(
            (
                str(n + 1),
                quantity_text(bid.size, sym) if bid else "",
                price_text(bid.price, sym, min_tick=tick) if bid else "",
                price_text(ask.price, sym, min_tick=tick) if ask else "",
                quantity_text(ask.size, sym) if ask else "",
            )
        )
    title = f"{book.symbol} depth"
    if book.source.value != "depth":
        title += f" (top of book only: {book.note.removeprefix('top of book only: ')})"
    cols = ("level", "bid sz", "bid", "ask", "ask sz")
    out.table(rows, cols, title=title, justify_right=cols)


def bars(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="Symbol, e.g. BHP/AUD.")],
    timeframe: Annotated[
        str, typer.Option("--timeframe", "-t", help="1m 5m 15m 30m 1h 4h 1d 1w …")
    ] = "5m",
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            "-n",
            parser=whole("--limit", 1, 5000, example="100"),
            metavar="N",
            help="Number of bars (1-5000).",
        ),
    ] = 100,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout.")] = False,
    venue: VenueOpt = None,
    sim: SimOpt = False,
    replay: ReplayOpt = None,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """OHLCV bars [ts, open, high, low, close, volume], oldest first."""
    import asyncio
    import csv
    import sys

    from trader_cli.domain.timeframes import parse_timeframe
    from trader_cli.services.market import bars as fetch_bars

    st = state(ctx, venue, json_mode, env_file, verbose, sim=sim, replay=replay)
    tf = parse_timeframe(timeframe)
    settings = st.settings()
    out = st.output
    # stdout carries only the data: the spinner or progress bar goes to stderr, and with --json
    # or --csv only when stderr is a terminal
    quiet = (st.json_mode or as_csv) and not out.err.is_terminal
    shown = _FetchProgress(out.err, f"{limit} {tf.value} bars of {symbol}", quiet=quiet)
    try:
        header, candles = asyncio.run(fetch_bars(settings, symbol, tf, limit, progress=shown))
    finally:
        shown.stop()
    sym = symbol_of(symbol.upper().replace(" ", ""))
    tick = header.pop("ticks", {}).get(str(sym))
    if st.json_mode:
        out.json(
            {
                **header,
                "symbol": symbol.upper().replace(" ", ""),
                "timeframe": tf.value,
                "columns": ["ts", "open", "high", "low", "close", "volume"],
                "bars": [candle_json(c, sym, tick) for c in candles],
            }
        )
        return
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["timestamp", "open", "high", "low", "close", "volume"])
        for c in candles:
            writer.writerow([time_json(c.ts), *candle_cells(c, sym, tick, grouping=False)])
        return
    rows = [(c.ts.strftime("%Y-%m-%d %H:%M"), *candle_cells(c, sym, tick)) for c in candles]
    cols = ("time (UTC)", "open", "high", "low", "close", "volume")
    out.table(
        rows,
        cols,
        title=f"{symbol.upper()} {tf.value} - {_label(header)}",
        caption=f"{len(candles)} bars",
        justify_right=cols[1:],
    )


# A fetch the venue's pacing makes longer than this gets a progress bar with an ETA.
PROGRESS_AFTER_SECONDS = 3.0


class _FetchProgress:
    """A spinner for a quick fetch, a progress bar with an ETA for one paced into seconds."""

    def __init__(self, console: Any, label: str, *, quiet: bool) -> None:
        self.console = console
        self.label = label
        self.quiet = quiet
        self._live: Any = None
        self._task: Any = None

    def __call__(self, done: int, planned: int, estimate: float) -> None:
        if self.quiet:
            return
        if self._live is None:
            if estimate >= PROGRESS_AFTER_SECONDS:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeRemainingColumn,
                )

                self._live = Progress(
                    TextColumn("{task.description}"),
                    BarColumn(bar_width=20),
                    MofNCompleteColumn(),
                    TextColumn("requests, ETA"),
                    TimeRemainingColumn(),
                    console=self.console,
                    transient=True,
                )
                self._task = self._live.add_task(f"fetching {self.label}", total=planned)
            else:
                self._live = self.console.status(f"fetching {self.label}…")
            self._live.start()
        if self._task is not None:
            self._live.update(self._task, completed=done, total=max(planned, done))

    def stop(self) -> None:
        """Take the spinner or bar off the terminal."""
        if self._live is not None:
            self._live.stop()
            self._live = None


def register(app: typer.Typer) -> None:
    """Add the market data commands to ``app``."""
    app.command("quote")(quote)
    app.command("bars")(bars)
