"""What the dashboard's sections share: the venue lock, error boxes and text tables."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import streamlit as st

from trader_cli.redaction import redact

#: One status collection or estimate at a time in this process: they share the database handle,
#: and two browser tabs must not connect to the venue twice for the same figures.
VENUE_LOCK = threading.Lock()


def show_error(e: BaseException) -> None:
    """An error as the CLI would say it (message and hint), redacted."""
    st.error(redact(str(e)))


def table(rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> None:
    """A static table of text (in the page's HTML, so a reader and a test see the same text)."""
    data = {name: [str(row[i]) for row in rows] for i, name in enumerate(columns)}
    st.table(data, hide_index=True)
