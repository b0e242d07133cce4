"""The adapter contract suite: every test runs once per venue backend in ``BACKENDS``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .backends import BACKENDS, Backend, Harness


@pytest.fixture(params=BACKENDS, ids=[b.name for b in BACKENDS])
def backend(request: pytest.FixtureRequest, clean_env: Path) -> Backend:
    """One backend under contract (settings isolated from the environment)."""
    b: Backend = request.param
    return b


@pytest.fixture
async def venue(backend: Backend) -> AsyncIterator[Harness]:
    """A connected harness on ``backend``, its base currency the account's own."""
    async with backend.open(backend.account_currency) as harness:
        yield harness
