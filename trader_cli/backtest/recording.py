"""``--replay DIR``: the bars a recording holds (its ``golden/bars.json``) as a backtest's input,
written as CSV files into ``out_dir`` (the backtest's own temporary directory).

A recording (``trader record-fixtures``) keeps, per symbol, bars at a few bar sizes as the
adapter normalised them. The backtest takes one bar size (``--timeframe``, or the shortest) for
every symbol, written to CSV files beside the backtest's database, so they are read and checked
like any ``--bars`` file.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from trader_cli.backtest.feed import BarFile
from trader_cli.domain.symbols import parse_symbol
from trader_cli.domain.timeframes import Timeframe, parse_timeframe
from trader_cli.errors import InputError

BARS_FILE = Path("golden") / "bars.json"


def recording_files(directory: Path, timeframe: str | None, out_dir: Path) -> list[BarFile]:
    """One CSV per symbol of the recording at ``directory``, at ``timeframe`` (default: the
    shortest the recording holds). Raises :class:`InputError` when there is nothing to use."""
    path = directory / BARS_FILE
    try:
        doc: dict[str, list[dict[str, Any]]] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"--replay {str(directory)!r} holds no bars ({BARS_FILE} is missing)",
                         hint="record one with `trader record-fixtures`") from None
    except (OSError, ValueError) as e:
        raise InputError(f"--replay {str(directory)!r}: cannot read {BARS_FILE}: {e}") from None
    series: dict[str, dict[Timeframe, list[dict[str, Any]]]] = {}
    for key, rows in doc.items():
        name, _, size = key.rpartition(" ")
        try:
            series.setdefault(name, {})[parse_timeframe(size)] = rows
        except InputError:
            continue
    if not series:
        raise InputError(f"--replay {str(directory)!r}: its bars name no symbol and bar size")
    wanted = parse_timeframe(timeframe) if timeframe else None
    files = []
    for name, sizes in sorted(series.items()):
        tf = wanted or min(sizes, key=lambda t: t.seconds)
        found = sizes.get(tf)
        if found is None:
            held = ", ".join(sorted(t.value for t in sizes))
            raise InputError(f"--replay: the recording has no {tf.value} bars for {name}",
                             hint=f"it holds {held}: pick one with --timeframe")
        symbol = parse_symbol(name)
        target = out_dir / f"{name.replace('/', '_')}.csv"
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["ts", "open", "high", "low", "close", "volume"])
            for r in found:
                writer.writerow([r["ts"], r["open"], r["high"], r["low"], r["close"],
                                 r.get("volume") or 0])
        files.append(BarFile(target, symbol))
    return files
