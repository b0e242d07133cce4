"""Where a backtest's bars come from: CSV files read a line at a time and merged in time order.

A file is the format ``trader bars --csv`` writes (``ts,open,high,low,close[,volume]``, one
symbol; or with a ``symbol`` column, several). Which symbol a file holds is ``--symbol`` when
given, else its ``symbol`` column or its name (``BHP.csv``, ``AUD.USD.csv``, ``BHP_AUD.csv``).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from trader_cli.domain.symbols import Symbol, parse_symbol
from trader_cli.errors import InputError, TraderError
from trader_cli.sim.engine.catalogue import Catalogue
from trader_cli.sim.engine.market import BarsCsvError, CsvBar, iter_bars_csv


@dataclass(frozen=True, slots=True)
class BarFile:
    """One ``--bars`` file and the symbol it was said to hold (None: it says itself)."""

    path: Path
    symbol: Symbol | None = None


def symbol_named(name: str, catalogue: Catalogue) -> Symbol:
    """Our symbol for a file's name for it: ``BHP/AUD``, ``BHP_AUD``, or the sim's local symbol
    (``BHP``, ``AUD.USD``). Raises :class:`InputError` when it names nothing we know."""
    text = name.strip().upper()
    if "/" in text or "_" in text:
        try:
            return parse_symbol(text.replace("_", "/"))
        except TraderError as e:
            raise InputError(f"bars for {name!r}: {e.message}", hint=e.hint) from None
    inst = catalogue.by_local_symbol(text)
    if inst is None:
        raise InputError(
            f"bars for {name!r}: not a symbol the simulator lists",
            hint="name the file SYMBOL_CCY.csv (BHP_AUD.csv) or pass --symbol BHP/AUD after it",
        )
    if inst.is_fx:
        return Symbol(inst.symbol, inst.currency)
    return parse_symbol(f"{inst.symbol}/{inst.currency}")


def count_bars(files: list[BarFile]) -> int:
    """Lines after the header, over all files: the progress bar's total (cheap: no parsing)."""
    total = 0
    for f in files:
        try:
            lines = 0
            with f.path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    lines += chunk.count(b"\n")
            total += max(lines - 1, 0)
        except OSError:
            continue  # reading it reports the problem
    return total


def _file_bars(
    f: BarFile, catalogue: Catalogue, end: datetime | None
) -> Iterator[tuple[datetime, Symbol, CsvBar]]:
    names: dict[str, Symbol] = {}
    latest: datetime | None = None
    latest_name = ""
    for name, bar in iter_bars_csv(f.path):
        ts = bar.ts
        # merged in time order a line at a time: a file of several symbols (its ``symbol``
        # column) must be in time order across them, not one symbol's block after another's
        if latest is not None and ts < latest:
            raise InputError(
                f"--bars {str(f.path)!r}: the {name} bar at {ts.isoformat()} comes after "
                f"the {latest_name} bar at {latest.isoformat()}: a file of several symbols "
                "must be in time order across them",
                hint="sort the file by ts (e.g. `sort -t, -k1,1`, keeping the header first), "
                "or give each symbol its own --bars file",
            )
        latest, latest_name = ts, name
        if end is not None and ts >= end:
            return
        symbol = f.symbol or names.get(name)
        if symbol is None:
            symbol = names[name] = symbol_named(name, catalogue)
        yield ts, symbol, bar


def merged_bars(
    files: list[BarFile],
    catalogue: Catalogue,
    *,
    end: datetime | None = None,
) -> Iterator[tuple[datetime, Symbol, CsvBar]]:
    """Every file's bars before ``end``, merged in time order, one at a time.

    A bad line raises :class:`InputError` naming the file and the line (exit 2); bars of one
    symbol from two files, or twice at one time, are refused too.
    """
    try:
        if len(files) == 1:  # one file: its reader already holds each symbol's bars in order
            yield from _file_bars(files[0], catalogue, end)
            return
        streams = [_file_bars(f, catalogue, end) for f in files]
        last: dict[Symbol, datetime] = {}
        for row in heapq.merge(*streams, key=lambda row: row[0]):
            ts, symbol, _ = row
            before = last.get(symbol)
            if before is not None and ts <= before:
                raise InputError(
                    f"bars for {symbol} at {ts.isoformat()} come again or out of order "
                    "(two files with the same symbol?)",
                    hint="give each symbol's bars once, in one file",
                )
            last[symbol] = ts
            yield row
    except BarsCsvError as e:
        raise InputError(f"--bars {str(e.path)!r}, line {e.line}: {e.problem}",
                         hint="fix the file, or write it with `trader bars SYMBOL --csv`") from None
