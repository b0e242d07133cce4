"""A recording cut short or damaged is bad input (exit 2, naming the file), never "a bug"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.replay.fixture import FIXTURE

GEMINI_FIXTURE = FIXTURE.parent.parent / "gemini" / "sim-basic"


@pytest.mark.parametrize(
    ("source", "recorded", "args"),
    [
        (FIXTURE, "wire.jsonl", ("quote", "BHP/AUD")),
        (GEMINI_FIXTURE, "cassette.yaml", ("quote", "BTC/USD", "--venue", "gemini")),
    ],
    ids=["ib", "gemini"],
)
def test_a_recording_cut_short_exits_2_naming_its_file(
    trader, tmp_path: Path, source: Path, recorded: str, args: tuple[str, ...]
) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(source, damaged)
    text = (source / recorded).read_bytes()
    (damaged / recorded).write_bytes(text[: len(text) // 3])
    r = trader(*args, "--replay", str(damaged))
    err = " ".join(r.err.split())
    assert r.code == 2, r.out + r.err
    assert recorded in "".join(r.err.split())  # rich may wrap inside the path
    assert "this is a bug" not in err
