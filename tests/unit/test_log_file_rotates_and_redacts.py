"""``--log-file PATH``: logs go to a file too, rotated by size, every line redacted, UTC times."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from trader_cli.cli.console import add_log_file
from trader_cli.redaction import register_secret


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    yield
    for handler in root.handlers:
        if handler not in saved[1]:
            handler.close()
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]


def test_the_log_file_rotates_at_its_size_keeping_n_old_files(tmp_path: Path, restore_root
                                                              ) -> None:
    path = tmp_path / "logs" / "trader.log"
    add_log_file(path, max_bytes=2000, backups=2)
    log = logging.getLogger("trader.test")
    for i in range(100):
        log.info("cycle %03d done: %s", i, "x" * 40)
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["trader.log", "trader.log.1", "trader.log.2"]
    assert all(p.stat().st_size <= 2000 for p in path.parent.iterdir())
    assert "cycle 099 done" in path.read_text()  # the newest lines in the live file
    assert "cycle 000 done" not in "".join(p.read_text() for p in path.parent.iterdir())


def test_secrets_and_account_ids_never_reach_the_log_file(tmp_path: Path, restore_root) -> None:
    register_secret("tok-8f3a9c2e7d")
    path = tmp_path / "trader.log"
    add_log_file(path)
    log = logging.getLogger("ib_async.client")  # a third-party logger, as at -vv
    log.warning("sending with token tok-8f3a9c2e7d for account DU7654321")
    try:
        raise RuntimeError("connect failed: Bearer abcdefghijkl")
    except RuntimeError:
        logging.getLogger("trader.test").exception("oops")
    text = path.read_text()
    assert "tok-8f3a9c2e7d" not in text and "DU7654321" not in text
    assert "abcdefghijkl" not in text
    assert "sending with token ***REDACTED*** for account DU****321" in text
    first = text.splitlines()[0]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ WARNING ib_async.client: ", first)


def test_an_unwritable_log_file_is_a_config_error(tmp_path: Path, restore_root) -> None:
    from trader_cli.errors import ConfigError

    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="cannot write the log file") as caught:
        add_log_file(blocker / "trader.log")
    assert caught.value.hint is not None and "--log-file" in caught.value.hint


def test_run_takes_log_file_and_writes_info_lines(trader, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T00:30:00Z")
    path = tmp_path / "run.log"
    result = trader("run", "--venue", "sim", "--cycles", "1", "--interval", "1s", "--json",
                    "--log-file", str(path))
    assert result.code == 0, result.err
    text = path.read_text()
    assert " INFO " in text  # info and up go to the file even without -v
    assert " INFO " not in result.err  # stderr keeps its own level (warnings)
