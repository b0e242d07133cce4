"""The scope a command's database work belongs to: bound once, used by every store function.

A command binds its scope right after the venue has said which account it is
(:func:`bind_scope`); from then on every row the store writes carries that scope and every read
filters by it. Nothing in the store works without a bound scope: forgetting to bind raises
instead of silently reading another venue's, mode's or account's state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from trader_cli.db.connection import database_proxy
from trader_cli.db.models import ScopeRow
from trader_cli.domain.scope import Scope
from trader_cli.errors import TraderError

_bound: tuple[Scope, int] | None = None


def scope_row(scope: Scope) -> ScopeRow:
    """The row of ``scope`` in the bound database, created on first use."""
    key = {
        "venue": scope.venue,
        "backend": scope.backend.value,
        "mode": scope.mode.value,
        "account": scope.account or "",
    }
    row = ScopeRow.get_or_none(**key)
    if row is not None:
        return row
    with database_proxy.atomic():
        ScopeRow.insert(**key).on_conflict_ignore().execute()
    return ScopeRow.get(**key)


def bind_scope(scope: Scope) -> int:
    """Make ``scope`` the one every store function uses; returns its row id."""
    global _bound
    row_id = int(scope_row(scope).id)
    _bound = (scope, row_id)
    return row_id


def unbind_scope() -> None:
    """Forget the bound scope (the next store call raises until one is bound)."""
    global _bound
    _bound = None


def current_scope() -> Scope:
    """The bound scope; :class:`TraderError` if none is."""
    return _require()[0]


def current_scope_id() -> int:
    """The row id of the bound scope; :class:`TraderError` if none is."""
    return _require()[1]


def _require() -> tuple[Scope, int]:
    if _bound is None:
        raise TraderError(
            "no scope is bound for database work",
            hint="this is a bug: bind the command's scope (venue, backend, mode, account) first",
        )
    return _bound


@contextmanager
def use_scope(scope: Scope) -> Iterator[int]:
    """Bind ``scope`` for the ``with`` block, then restore what was bound before."""
    global _bound
    previous = _bound
    row_id = bind_scope(scope)
    try:
        yield row_id
    finally:
        _bound = previous


def scoped_key(key: str) -> str:
    """``key`` as stored in ``sync_state`` for the bound scope."""
    return f"s{current_scope_id()}:{key}"
