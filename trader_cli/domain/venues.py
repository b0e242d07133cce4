"""The venues trader can talk to."""

from __future__ import annotations

from enum import StrEnum


class Venue(StrEnum):
    """Where orders go: Interactive Brokers, Gemini, or the offline simulator."""

    IB = "ib"
    GEMINI = "gemini"
    SIM = "sim"

    def __str__(self) -> str:
        return self.value
