"""psycopg2 is imported only when a ``postgresql://`` URL is opened, and then PostgreSQL works.

Each check runs in a fresh interpreter: whether a module was ever imported is a property of the
process (pytest's own process has imported peewee, with its drivers, long before).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import pg_base_url

ROOT = Path(__file__).resolve().parents[2]
DRIVERS = ("psycopg2", "psycopg2cffi", "psycopg")

# What `trader place`, `flatten` and `resync` import, then a SQLite database opened and migrated
SQLITE_RUN = """
import json, sys
import trader_cli.cli.app, trader_cli.services.place, trader_cli.services.flatten
import trader_cli.services.resync, trader_cli.services.context, trader_cli.services.locks
from trader_cli.db import close_db, init_db
init_db("sqlite:///" + sys.argv[1])
close_db()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {drivers})))
"""

POSTGRESQL_RUN = """
import json, sys
from trader_cli.db import close_db, init_db
from trader_cli.db.connection import database_proxy
before = sorted(m for m in sys.modules if m.split(".")[0] in {drivers})
init_db(sys.argv[1])  # connects and runs the migrations
with database_proxy.atomic():  # a transaction: peewee asks the driver for its status
    one = database_proxy.execute_sql("SELECT 1").fetchone()[0]
close_db()
print(json.dumps({{"before": before, "one": one, "loaded": "psycopg2" in sys.modules}}))
"""


def _run(code: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code.format(drivers=DRIVERS), *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_a_sqlite_command_never_imports_a_postgresql_driver(tmp_path: Path) -> None:
    assert json.loads(_run(SQLITE_RUN, str(tmp_path / "t.sqlite"))) == []


def test_a_postgresql_url_loads_psycopg2_and_works(pg_schema_url: str) -> None:
    assert pg_base_url()
    result = json.loads(_run(POSTGRESQL_RUN, pg_schema_url))
    assert result == {"before": [], "one": 1, "loaded": True}


def test_without_psycopg2_a_postgresql_url_is_a_config_error(tmp_path: Path) -> None:
    code = """
import sys
sys.modules["psycopg2"] = None  # not installed
from trader_cli.db.connection import open_database
from trader_cli.errors import ConfigError
try:
    open_database("postgresql://u@127.0.0.1:1/db")
except ConfigError as e:
    print(e.message, "|", e.hint)
"""
    out = _run(code.replace("{", "{{").replace("}", "}}"))
    assert "psycopg2" in out and "pip install psycopg2-binary" in out
