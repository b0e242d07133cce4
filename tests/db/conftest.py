"""Database fixtures: every ``db`` test runs on SQLite and, when available, on PostgreSQL.

PostgreSQL comes from ``TRADER_TEST_PG_URL`` (``.ci/postgres.sh start`` prints one). Each test gets
its own schema there, dropped afterwards. In CI (``CI=true``) a missing URL fails the PostgreSQL
variants instead of skipping them, so the layer can never silently stop running.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import peewee
import pytest

from trader_cli.db import use_database
from trader_cli.db.scope import use_scope
from trader_cli.domain.scope import Backend, Mode, Scope

#: The scope db tests work in (the store refuses to work without one).
DB_TEST_SCOPE = Scope("ib", Backend.API, Mode.PAPER).with_account("DU7654321")

PG_ENV = "TRADER_TEST_PG_URL"
BACKENDS = ("sqlite", "postgresql")


def pg_base_url() -> str:
    """``TRADER_TEST_PG_URL``; without it, fail in CI and skip elsewhere."""
    url = os.environ.get(PG_ENV, "").strip()
    if url:
        return url
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(
            f"CI=true but {PG_ENV} is not set: .ci/run should have started PostgreSQL with "
            f'`eval "$(.ci/postgres.sh start)"` before running the db tests'
        )
    pytest.skip(
        f"PostgreSQL variant: set {PG_ENV} (e.g. eval \"$(.ci/postgres.sh start)\") to run it"
    )


def _with_search_path(url: str, schema: str) -> str:
    option = quote(f"-c search_path={schema}", safe="")
    return f"{url}{'&' if '?' in url else '?'}options={option}"


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A URL whose connections use a fresh, empty schema; the schema is dropped afterwards."""
    from trader_cli.db.connection import open_database

    base = pg_base_url()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = open_database(base)
    try:
        admin.execute_sql(f'CREATE SCHEMA "{schema}"')
        yield _with_search_path(base, schema)
    finally:
        admin.execute_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'trader.sqlite'}"
    else:
        yield request.getfixturevalue("pg_schema_url")


@pytest.fixture
def db(db_url: str) -> Iterator[peewee.Database]:
    """The models bound to a fresh, fully migrated database on each backend, in a test scope."""
    with use_database(db_url) as database, use_scope(DB_TEST_SCOPE):
        yield database


@pytest.fixture
def empty_db(db_url: str) -> Iterator[peewee.Database]:
    """The models bound to a fresh database with no schema at all (for migration tests)."""
    with use_database(db_url, migrate=False) as database:
        yield database


@pytest.fixture
def backend(db: peewee.Database) -> str:
    """``sqlite`` or ``postgresql``: the backend of ``db``."""
    return "postgresql" if isinstance(db, peewee.PostgresqlDatabase) else "sqlite"
