"""A bars CSV row in the usual form is read in one go; any other form goes field by field. Both
ways give the same bars, and every row the careful path refuses is still refused."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trader_cli.sim.engine.market import BarsCsvError, _bars_row, iter_bars_csv

START = datetime(2024, 7, 1, 0, 0, tzinfo=UTC)


def _rows(rng: random.Random, n: int) -> list[list[str]]:
    rows = []
    price = 45.0
    for i in range(n):
        ts = START + timedelta(minutes=i)
        o = round(price, 2)
        c = round(max(o + rng.uniform(-0.2, 0.2), 0.01), 2)
        h, lo = max(o, c) + round(rng.uniform(0, 0.1), 2), min(o, c) - round(rng.uniform(0, 0.1), 2)
        price = c
        form = rng.randrange(6)
        if form == 0:
            stamp = ts.isoformat().replace("+00:00", "Z")
        elif form == 1:
            stamp = ts.isoformat()  # +00:00
        elif form == 2:
            stamp = ts.astimezone(__import__("zoneinfo").ZoneInfo("Australia/Sydney")).isoformat()
        elif form == 3:
            stamp = str(int(ts.timestamp()))  # epoch seconds
        elif form == 4:
            stamp = " " + ts.isoformat().replace("+00:00", "Z") + " "
        else:
            stamp = ts.isoformat().replace("+00:00", "Z")
        volume = "" if rng.random() < 0.1 else str(rng.randrange(0, 9000))
        rows.append([stamp, f"{o:.2f}", f"{h:.2f}", f"{lo:.2f}", f"{c:.2f}", volume])
    return rows


def test_every_row_reads_as_the_careful_path_reads_it(tmp_path: Path) -> None:
    rng = random.Random(3)
    rows = _rows(rng, 600)
    path = tmp_path / "BHP.csv"
    path.write_text("ts,open,high,low,close,volume\n" + "".join(",".join(r) + "\n" for r in rows))
    col = {"ts": 0, "open": 1, "high": 2, "low": 3, "close": 4, "volume": 5}
    read = list(iter_bars_csv(path))
    careful = [_bars_row(path, i + 2, row, col, "BHP") for i, row in enumerate(rows)]
    assert read == careful
    assert {bar.ts.tzinfo for _, bar in read} == {UTC}


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ("2024-07-01T00:00:00Z,45.00,45.10,44.90,nan,10", "close 'nan' is not a number"),
        ("2024-07-01T00:00:00Z,45.00,inf,44.90,45.00,10", "high 'inf' is not a number"),
        ("2024-07-01T00:00:00Z,45.00,45.10,44.90,45.00,1_000", "volume '1_000' is not a number"),
        ("2024-07-01T00:00:00Z,45.00,45.10,45.05,45.00,10", "prices are inconsistent"),
        ("2024-07-01T00:00:00,45.00,45.10,44.90,45.00,10", "has no time zone"),
        ("2024-07-01T00:00:00Z,45.00,45.10,44.90,45.00,-1", "volume -1 is negative"),
        ("2024-07-01T00:00:00Z,45.00,1e999,44.90,45.00,10", "high '1e999' is not a finite number"),
        ("2024-07-01T00:00:00Z,45.00,45.10,44.90,45.00", "5 fields where the header has 6"),
        ("2024-07-01T00:00:00Z,4\uff15.00,45.10,44.90,45.00,10", "is not a number"),  # a wide 5
    ],
)
def test_a_bad_row_is_refused_naming_what_is_wrong(tmp_path: Path, row: str, says: str) -> None:
    path = tmp_path / "BHP.csv"
    path.write_text("ts,open,high,low,close,volume\n" + row + "\n", encoding="utf-8")
    with pytest.raises(BarsCsvError) as caught:
        list(iter_bars_csv(path))
    assert says in str(caught.value) and caught.value.line == 2


def test_a_symbol_column_names_each_row(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        "ts,open,high,low,close,volume,symbol\n"
        "2024-07-01T00:00:00Z,45.00,45.10,44.90,45.00,10, bhp \n"
        "2024-07-01T00:00:00Z,100.00,100.50,99.50,100.00,10,CBA\n"
        "2024-07-01T00:01:00Z,45.00,45.10,44.90,45.00,10,\n"
    )
    with pytest.raises(BarsCsvError) as caught:
        list(iter_bars_csv(path))
    assert "symbol is empty" in str(caught.value) and caught.value.line == 4
    read = []
    try:
        for symbol, _bar in iter_bars_csv(path):
            read.append(symbol)
    except BarsCsvError:
        pass
    assert read == ["BHP", "CBA"]
