"""Every SQL statement peewee runs inside a block: ``with statements() as seen: ...``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement peewee runs inside the block, in order."""
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            msg = record.msg
            seen.append(str(msg[0] if isinstance(msg, tuple) else msg))

    logger = logging.getLogger("peewee")
    handler, level = Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
