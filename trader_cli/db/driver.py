"""peewee without its PostgreSQL driver until a ``postgresql://`` URL is opened.

peewee imports psycopg2 (and psycopg, psycopg2cffi) when it is imported, whatever the database:
several milliseconds of every command on SQLite, before the venue is even reached. Importing
peewee through this module hides those drivers from that import, so peewee records them as
absent; :func:`load_postgresql_driver` imports psycopg2 when a PostgreSQL URL is opened and gives
peewee exactly what its own import would have set up. Every module of ours that needs peewee
imports it from here (``from trader_cli.db.driver import peewee``) or after ``trader_cli.db``.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from trader_cli.errors import ConfigError

# the drivers peewee (and playhouse) try at import time
_DRIVERS = ("psycopg2", "psycopg2cffi", "psycopg")


def _import_without_drivers(name: str) -> ModuleType:
    """Import ``name`` with the PostgreSQL drivers not yet loaded hidden from it."""
    if name in sys.modules:  # imported already (by a test, a plug-in): drivers as it found
        return sys.modules[name]
    hidden = [driver for driver in _DRIVERS if driver not in sys.modules]
    for driver in hidden:
        sys.modules[driver] = None  # type: ignore[assignment]  # `import driver` fails at once
    try:
        return importlib.import_module(name)
    finally:
        for driver in hidden:
            if driver in sys.modules and sys.modules[driver] is None:
                del sys.modules[driver]


def schema_migrator() -> ModuleType:
    """peewee's ``playhouse.migrate``, imported (drivers hidden as for peewee) when a schema
    change is first applied: an up-to-date database never needs it."""
    return _import_without_drivers("playhouse.migrate")


_import_without_drivers("peewee")

import peewee  # noqa: E402

__all__ = ["load_postgresql_driver", "peewee", "schema_migrator"]


def load_postgresql_driver() -> None:
    """Import psycopg2 and set peewee up for it, once; ``ConfigError`` if it is not installed."""
    if peewee.psycopg2 is not None:  # type: ignore[attr-defined]
        return
    try:
        import psycopg2
        from psycopg2 import extensions
        from psycopg2.extras import Json, register_uuid
    except ImportError as e:
        raise ConfigError(
            "DATABASE_URL names PostgreSQL but its driver, psycopg2, is not installed",
            hint="pip install psycopg2-binary, or use a sqlite:/// URL",
        ) from e
    # what `import peewee` does when psycopg2 is there (peewee 4.x, peewee.py's driver block
    # and Psycopg2Adapter's class body)
    register_uuid()
    peewee.psycopg2 = psycopg2  # type: ignore[attr-defined]
    peewee.pg_extensions = extensions  # type: ignore[attr-defined]
    peewee.pg_register_uuid = register_uuid  # type: ignore[attr-defined]
    peewee.Json_pg2 = Json  # type: ignore[attr-defined]
    adapter = peewee.Psycopg2Adapter
    adapter.txn_idle = extensions.TRANSACTION_STATUS_IDLE
    adapter.txn_inerror = extensions.TRANSACTION_STATUS_INERROR
    adapter.txn_unknown = extensions.TRANSACTION_STATUS_UNKNOWN
