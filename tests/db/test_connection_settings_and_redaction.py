"""Opening databases: SQLite pragmas, actionable errors, and no password in any message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import peewee
import pytest

from trader_cli.db import database_proxy, describe, open_database, redact_url, use_database
from trader_cli.db.models import OrderRow
from trader_cli.errors import ConfigError, TraderError

pytestmark = pytest.mark.db

SECRET = "s3cr3t-Pa55"
REPO = Path(__file__).resolve().parents[2]


def test_sqlite_runs_in_wal_with_foreign_keys_busy_timeout_normal_sync_and_a_small_cache(
    tmp_path: Path,
) -> None:
    path = tmp_path / "not" / "yet" / "there" / "trader.sqlite"
    db = open_database(f"sqlite:///{path}")
    try:
        values = {
            name: db.execute_sql(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout",
                         "cache_size")
        }
        assert values == {
            "journal_mode": "wal", "foreign_keys": 1, "synchronous": 1, "busy_timeout": 5000,
            "cache_size": -512,
        }  # synchronous 1 is NORMAL; a negative cache size is KiB (SQLite's default: -2000)
    finally:
        db.close()
    assert path.is_file()


def test_foreign_keys_are_enforced(db: peewee.Database) -> None:
    with pytest.raises(peewee.IntegrityError), db.atomic():
        OrderRow.create(client_order_id="x", session=424242, symbol="BHP/AUD", side="buy",
                        type="market", amount=1)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql://trader:{SECRET}@db.example:5432/trader",
         "postgresql://trader:***@db.example:5432/trader"),
        (f"postgres://trader:{SECRET}@host/db?sslmode=require",
         "postgres://trader:***@host/db?sslmode=require"),
        ("postgresql://tr:p@ss@word@host/db", "postgresql://tr:***@host/db"),
        (f"postgresql://host/db?user=u&password={SECRET}&sslmode=require",
         "postgresql://host/db?user=u&password=***&sslmode=require"),
        ("postgresql://trader@host/db", "postgresql://trader@host/db"),
        ("sqlite:////var/lib/trader.sqlite", "sqlite:////var/lib/trader.sqlite"),
    ],
)
def test_redact_url_hides_passwords_and_keeps_the_rest(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    ("url", "error", "fragment"),
    [
        (f"mysql://u:{SECRET}@host/db", ConfigError, "unsupported database URL"),
        ("sqlite://relative.sqlite", ConfigError, "three slashes"),
        ("sqlite:///", ConfigError, "no file name"),
        (f"postgresql://u:{SECRET}@host:notaport/db", ConfigError, "bad PostgreSQL URL"),
        (f"postgresql://u:{SECRET}@host:5432/", ConfigError, "no database name"),
        (f"postgresql://u:{SECRET}@127.0.0.1:1/db?bogus_option=1", ConfigError,
         "bad PostgreSQL URL"),
        (f"postgresql://u:{SECRET}@127.0.0.1:1/db", TraderError, "cannot connect to PostgreSQL"),
        (f"postgresql://u@127.0.0.1:1/db?password={SECRET}", TraderError,
         "cannot connect to PostgreSQL"),
    ],
)
def test_bad_or_unreachable_databases_give_actionable_errors_without_the_password(
    url: str, error: type[TraderError], fragment: str
) -> None:
    with pytest.raises(error) as info:
        open_database(url)
    assert type(info.value) is error
    assert fragment in info.value.message
    assert info.value.hint
    assert SECRET not in str(info.value)
    assert info.value.__cause__ is None
    # no chained traceback carrying the driver's text
    assert info.value.__context__ is None or info.value.__suppress_context__


def test_sqlite_file_that_cannot_be_opened(tmp_path: Path) -> None:
    with pytest.raises(TraderError, match="cannot open the SQLite database"):
        open_database(f"sqlite:///{tmp_path}")  # a directory, not a file


def test_sqlite_directory_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="cannot create the database directory"):
        open_database(f"sqlite:///{blocker}/sub/trader.sqlite")


def test_wrong_password_on_a_real_server_is_reported_without_it(pg_schema_url: str) -> None:
    parts = urlsplit(pg_schema_url)
    netloc = f"{parts.username}:{SECRET}@{parts.hostname}:{parts.port}"
    url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    with pytest.raises(TraderError, match="cannot connect to PostgreSQL") as info:
        open_database(url)
    assert "password authentication failed" in str(info.value)
    assert SECRET not in str(info.value)


def test_describe_never_shows_the_password(db: peewee.Database, db_url: str) -> None:
    password = urlsplit(db_url).password
    text = describe(db)
    assert text.startswith(("sqlite:///", "postgresql://"))
    if password:
        assert password not in text


def test_use_database_restores_the_previous_binding(db_url: str) -> None:
    before = database_proxy.obj
    with use_database(db_url) as db:
        assert database_proxy.obj is db
        OrderRow.select().count()
    assert database_proxy.obj is before
    assert db.is_closed()


@pytest.mark.parametrize(
    ("ci", "expected_rc", "expected_text"),
    [("true", 1, ".ci/run should have started PostgreSQL"), ("", 0, "set TRADER_TEST_PG_URL")],
)
def test_postgresql_variants_fail_in_ci_and_skip_elsewhere_without_a_server(
    ci: str, expected_rc: int, expected_text: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"TRADER_TEST_PG_URL", "CI"}}
    if ci:
        env["CI"] = ci
    test = "tests/db/test_connection_settings_and_redaction.py::test_foreign_keys_are_enforced"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfs", "-p", "no:cacheprovider", test],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == expected_rc, result.stdout + result.stderr
    assert expected_text in result.stdout
    assert "1 passed" in result.stdout  # the SQLite variant still ran
