"""Scopes: which venue, backend, mode and account a piece of state belongs to.

Every row in the database, every lock and every sim world belongs to exactly one scope, and every
read filters by the scope of the command that makes it, so the simulator can never reach paper or
live state and one account's orders are never another's. The account is kept only as a salted
fingerprint (see :func:`account_fingerprint`), never as the raw id.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from enum import StrEnum

ACCOUNT_SUFFIX_CHARS = 3
_ACCOUNT_HASH_SALT = b"trader-cli/account-id/v1:"


class Backend(StrEnum):
    """What answers a venue's API: the real one, the embedded simulator, or a recording."""

    API = "api"
    SIM = "sim"
    REPLAY = "replay"

    def __str__(self) -> str:
        return self.value


class Mode(StrEnum):
    """Whether state is real money, a paper account, the simulator or a replayed recording."""

    LIVE = "live"
    PAPER = "paper"
    SIM = "sim"
    REPLAY = "replay"

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        """What a user sees beside every figure of this mode."""
        labels = {"live": "LIVE", "paper": "PAPER", "sim": "SIMULATED", "replay": "REPLAY"}
        return labels[self.value]


def account_fingerprint(account_id: str) -> tuple[str, str]:
    """``(last 3 characters, SHA-256 hex)`` of an account id: enough to tell accounts apart.

    The raw id is never stored. The hash lets two sessions be matched to one account; it is not a
    secret-keeping device (short ids can be brute-forced), so treat the database as sensitive too.
    """
    text = account_id.strip().upper()
    if not text:
        raise ValueError("account id is empty")
    digest = hashlib.sha256(_ACCOUNT_HASH_SALT + text.encode()).hexdigest()
    return text[-ACCOUNT_SUFFIX_CHARS:], digest


@dataclass(frozen=True, slots=True)
class Scope:
    """Venue, backend, mode and account: the unit every read and every lock is scoped to.

    ``account`` is the account's fingerprint (:func:`account_fingerprint`), or None before the
    venue has said which account it is.
    """

    venue: str
    backend: Backend
    mode: Mode
    account: str | None = None

    def __post_init__(self) -> None:
        if self.venue not in ("ib", "gemini"):
            raise ValueError(f"unknown venue {self.venue!r} in a scope")
        object.__setattr__(self, "backend", Backend(self.backend))
        object.__setattr__(self, "mode", Mode(self.mode))

    @property
    def file_key(self) -> str:
        """``venue-mode`` (``ib-sim``, ``ib-paper``, ``gemini-live``): one SQLite file each."""
        return f"{self.venue}-{self.mode.value}"

    @property
    def key(self) -> str:
        """A stable text key: ``ib/sim/sim/<account fingerprint or ->``."""
        return f"{self.venue}/{self.backend.value}/{self.mode.value}/{self.account or '-'}"

    @property
    def label(self) -> str:
        """SIMULATED / PAPER / LIVE / REPLAY."""
        return self.mode.label

    @property
    def simulated(self) -> bool:
        """Whether the simulator answers (prices and fills are SIMULATED)."""
        return self.backend is Backend.SIM

    def with_account(self, account_id: str | None) -> Scope:
        """This scope narrowed to the account with raw id ``account_id`` (fingerprinted here)."""
        if not account_id:
            return self
        return replace(self, account=account_fingerprint(account_id)[1])

    def __str__(self) -> str:
        account = f" account …{self.account[:8]}" if self.account else ""
        return f"{self.venue} {self.backend.value} {self.mode.value}{account}"
