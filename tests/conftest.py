"""Shared test fixtures: settings isolation and the read-only real data in ../shared/data."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Settings trader reads from the environment; tests start from none of them.
SETTING_PREFIXES = (
    "IB_", "GEMINI_", "SIM_", "LLM_", "HEALTH_", "TELEMETRY_", "TRADER_HOME", "NOTIFY_",
    "OPENAI_",
)
SETTING_NAMES = {
    "ACTIVE_EXCHANGE",
    "ALLOWED_SYMBOLS",
    "CLIENT_ORDER_PREFIX",
    "DATABASE_URL",
    "TELEMETRY_LOG",
    "MAX_ORDER_VALUE",
    "MAX_TOTAL_EXPOSURE",
    "MIN_TRADE_SIZE",
    "MIN_TOP_OF_BOOK_NOTIONAL",
    "MAX_DAILY_LOSS",
    "TRADER_ENV_FILE",
    "DASHBOARD_PASSWORD",
    "KILL_SWITCH",
}

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def sim_scope(account: str | None = "DU1234567") -> Any:
    """The scope of the IB simulator (with ``account``): what tests bind for store work."""
    from trader_cli.domain.scope import Backend, Mode, Scope

    return Scope("ib", Backend.SIM, Mode.SIM).with_account(account)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No trader settings in the environment, no ``.env`` in the cwd, app dir in ``tmp_path``."""
    import os

    for name in list(os.environ):
        if name in SETTING_NAMES or name.startswith(SETTING_PREFIXES):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("TRADER_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` next to the checkout; skips where it is absent (a user's fresh clone)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present next to this checkout")
    return SHARED_DATA


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
def trader(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """``trader(*args)`` → :class:`Result`, exactly as the console script would exit (through
    the program's entry: place, flatten and resync on their own parser, the rest on Typer)."""
    from trader_cli.cli.entry import main

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as e:
            code = int(e.code or 0) if not isinstance(e.code, str) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run  # the logging main() configures is put back by _logging_put_back


@pytest.fixture(autouse=True)
def _logging_put_back() -> Iterator[None]:
    """A command run in-process (any test calling the program's main) configures logging for
    the whole process: the root's level and handlers, ib_async's and apprise's levels. Put them
    back after every test, so no later test depends on which ran before it in its worker."""
    root = logging.getLogger()
    quiet = ("ib_async", "apprise")
    saved = (root.level, list(root.handlers), [logging.getLogger(n).level for n in quiet])
    yield
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    for name, level in zip(quiet, saved[2], strict=True):
        logging.getLogger(name).setLevel(level)


@pytest.fixture(autouse=True)
def _fresh_redaction_registry() -> Iterator[None]:
    """Each test starts with no registered secrets (loading settings registers them)."""
    from trader_cli.redaction import REGISTRY

    REGISTRY.clear()
    yield
    REGISTRY.clear()
