"""The trader database (peewee): SQLite by default, PostgreSQL via ``DATABASE_URL``.

Open it once per command with :func:`init_db` (or ``with use_database(url):`` in tests); then use
the models in :mod:`trader_cli.db.models` and the atomic operations in :mod:`trader_cli.db.store`.
"""

from __future__ import annotations

# first: peewee is imported without its PostgreSQL driver (see trader_cli.db.driver)
from trader_cli.db import driver  # noqa: F401  # isort: skip
from trader_cli.db.connection import (
    close_db,
    database_proxy,
    describe,
    init_db,
    open_database,
    redact_url,
    use_database,
)
from trader_cli.db.migrations import LATEST_VERSION, current_version, migrate

__all__ = [
    "LATEST_VERSION",
    "close_db",
    "current_version",
    "database_proxy",
    "describe",
    "init_db",
    "migrate",
    "open_database",
    "redact_url",
    "use_database",
]
