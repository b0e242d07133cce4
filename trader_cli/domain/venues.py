"""The venues trader can talk to."""

from __future__ import annotations

from enum import Enum


class Venue(str, Enum):
    """Where orders go: Interactive Brokers, Gemini, or the offline simulator."""

    IB = "ib"
    GEMINI = "gemini"
    SIM = "sim"

    def __str__(self) -> str:
        return self.value
