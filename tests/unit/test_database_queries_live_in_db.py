"""Every database query is a named, scoped function in ``trader_cli/db/``: none anywhere else.

Read from the source (``ast``): a call like ``OrderRow.select(...)``, ``Plan.get_by_id(...)`` or
``models.FillRow.create(...)`` on one of our peewee models, or raw SQL (``execute_sql``), outside
``trader_cli/db/`` fails. Services call :mod:`trader_cli.db.store`, whose functions filter by the
bound scope; a query written elsewhere could forget to.
"""

from __future__ import annotations

import ast
from pathlib import Path

import trader_cli
from trader_cli.db.models import ALL_MODELS, BaseModel

PACKAGE = Path(trader_cli.__file__).resolve().parent
DB = PACKAGE / "db"
MODEL_NAMES = {m.__name__ for m in (*ALL_MODELS, BaseModel)}
QUERY_METHODS = {
    "select", "update", "create", "get", "get_or_none", "get_by_id", "get_or_create", "insert",
    "insert_many", "insert_from", "replace", "replace_many", "delete", "delete_by_id", "raw",
    "bulk_create", "bulk_update",
}
#: Raw SQL allowed outside db/: PostgreSQL advisory locks (a lock, not a query of our tables).
RAW_SQL_ALLOWED = {PACKAGE / "services" / "locks.py"}


def _receiver(node: ast.expr) -> str | None:
    """``OrderRow`` for ``OrderRow`` and for ``models.OrderRow``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def queries_in(source: str, *, raw_sql_allowed: bool = False) -> list[str]:
    """``line: call`` for every model query (and raw SQL, unless allowed) in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        method = node.func.attr
        model = _receiver(node.func.value)
        if (method in QUERY_METHODS and model in MODEL_NAMES) or (
            method == "execute_sql" and not raw_sql_allowed
        ):
            found.append(f"{node.lineno}: {ast.unparse(node.func)}(...)")
    return found


def test_no_model_query_or_raw_sql_outside_the_db_package() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if DB in path.parents:
            continue
        hits = queries_in(path.read_text(), raw_sql_allowed=path in RAW_SQL_ALLOWED)
        if hits:
            offenders[str(path.relative_to(PACKAGE))] = hits
    assert offenders == {}, "move these into named, scoped functions in trader_cli/db/store.py"


def test_the_scan_catches_the_usual_shapes() -> None:
    source = """
from trader_cli.db import models
from trader_cli.db.models import OrderRow, Plan
rows = OrderRow.select().where(OrderRow.reason.startswith("exit plan 3:"))
plan = Plan.get_by_id(3)
models.FillRow.create(symbol="BHP/AUD")
Plan.update(status="closed").where(Plan.id == 3).execute()
db.execute_sql("DELETE FROM orders")
settings.get("x"); {}.get("y"); store.open_plans()
"""
    assert sorted(hit.split(":")[0] for hit in queries_in(source)) == ["4", "5", "6", "7", "8"]
    assert len(queries_in(source, raw_sql_allowed=True)) == 4
