"""``place``, ``flatten`` and ``resync`` print the same and exit with the same code whether their
own parser read the command line (the program's path) or Typer did: one script of commands
(fills, a preview, refusals, bad input, a summary, JSON) runs in two fresh sim worlds, one
through each, and the outputs match but for session ids, log times and the sim's port."""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from trader_cli.cli import app, entry

SCRIPT = [
    ("place", "AUD/USD", "buy", "25000", "--market", "--venue", "sim"),
    ("--json", "place", "BHP/AUD", "buy", "40", "--market", "--venue", "sim"),
    ("place", "BHP/AUD", "buy", "20", "--limit", "44.5", "--dry-run", "--venue", "sim"),
    ("place", "BHP/AUD", "buy", "10", "--limit", "44.5", "--dry-run", "--json", "--venue", "sim"),
    ("place", "BHP/AUD", "buy", "5000", "--limit", "44.50", "--venue", "sim"),  # risk: 3
    ("place", "BHP/AUD", "buy", "5000", "--limit", "44.50", "--venue", "sim", "--json"),
    ("place", "BHP/AUD", "buy", "abc", "--market", "--venue", "sim"),  # bad input: 2
    ("place", "BHP/AUD", "buy", "10", "--market", "--limit", "44", "--venue", "sim"),
    ("-v", "resync", "--venue", "sim"),
    ("resync", "--venue", "sim", "--json"),
    ("flatten", "--venue", "sim"),  # neither symbols nor --all: 2
    ("flatten", "AUD/USD", "--venue", "sim"),
    ("--json", "flatten", "--all", "--venue", "sim", "--wait", "2"),
    ("resync", "--sim", "--replay", "."),  # both backends: 2
    ("resync",),  # the default venue: the note on stderr
]

VARYING = [
    (re.compile(r"trd-[0-9a-f]+-"), "trd-SESSION-"),
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+"), "LOG-TIME"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"),
    (re.compile(r"\b[0-9a-f]{8}(\.\d{8}\.\d\d\.\d\d)"), r"EXEC\1"),  # execution ids
]


def _normal(text: str) -> str:
    for pattern, fixed in VARYING:
        text = pattern.sub(fixed, text)
    return text


def _script(
    main: Callable[[list[str]], None], home: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> list[tuple[int, str, str]]:
    monkeypatch.setenv("TRADER_HOME", str(home))
    results = []
    for args in SCRIPT:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        out, err = capsys.readouterr()
        results.append((code, _normal(out), _normal(err)))
    return results


@pytest.fixture
def logging_restored() -> object:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), logging.getLogger("ib_async").level)
    yield
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    logging.getLogger("ib_async").setLevel(saved[2])


def test_the_same_script_prints_the_same_through_either_parser(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], logging_restored: object,
) -> None:
    # Wednesday 3 July 2024, 11:00 in Sydney: the ASX and IDEALPRO are open
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")
    monkeypatch.setenv("MAX_ORDER_VALUE", "100000")
    monkeypatch.setenv("MAX_TOTAL_EXPOSURE", "1000000")
    ours = _script(entry.main, tmp_path / "lean", monkeypatch, capsys)
    theirs = _script(app.main, tmp_path / "typer", monkeypatch, capsys)
    assert [code for code, _, _ in ours] == [0, 0, 0, 3, 3, 3, 2, 2, 0, 0, 2, 0, 0, 2, 0]
    for args, mine, typers in zip(SCRIPT, ours, theirs, strict=True):
        diff = difflib.unified_diff(typers[1].splitlines(), mine[1].splitlines(), lineterm="")
        assert mine == typers, (args, "\n".join(diff))
