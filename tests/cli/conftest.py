"""CLI tests run ``main()`` in-process and capture what a user would see."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Result:
    """Exit code and the two output streams of one ``trader`` invocation."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.out)


@pytest.fixture
def trader(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., Result]]:
    """``trader(*args)`` → :class:`Result`, exactly as the console script would exit."""
    from trader_cli.cli.app import main

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as e:
            code = int(e.code or 0) if not isinstance(e.code, str) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    # main() configures logging for a whole process; put it back for the tests that follow
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), logging.getLogger("ib_async").level)
    yield run
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    logging.getLogger("ib_async").setLevel(saved[2])
