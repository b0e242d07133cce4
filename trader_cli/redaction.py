"""Redaction of account ids and secrets before anything reaches logs, telemetry or errors."""

from __future__ import annotations

import re

_ACCOUNT_RE = re.compile(r"\b([A-Z]{1,3})(\d{3,10})\b")


def redact_account(account: str | None) -> str:
    """``DU1234567`` → ``DU****567``: the kind of account stays visible, the number does not."""
    if not account:
        return ""
    m = _ACCOUNT_RE.fullmatch(account)
    if not m:
        return "***"
    prefix, digits = m.groups()
    return f"{prefix}{'*' * max(0, len(digits) - 3)}{digits[-3:]}"


def redact_accounts_in(text: str, accounts: set[str] | frozenset[str]) -> str:
    """``text`` with each of ``accounts`` replaced by its redacted form."""
    for account in accounts:
        if account:
            text = text.replace(account, redact_account(account))
    return text


def is_paper_account(account: str) -> bool:
    """IB paper accounts start with ``DU`` (individual) or ``DF`` (advisor)."""
    return account.upper().startswith(("DU", "DF"))
