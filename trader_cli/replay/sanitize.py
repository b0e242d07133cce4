"""Rewrite account ids and the account holder's identity out of a recording, then prove it.

Account ids (the managed accounts the Gateway announced, and anything shaped like an IB account
id) become placeholders that keep the paper/live prefix (``DU1234567`` -> ``DUREC0001``);
identifying account values (names, addresses, e-mail) become ``<holder-1>`` and so on. The same
original always gets the same placeholder. :func:`scan_for_leftovers` then reads every output
file back and the recording is refused if any original remains anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from trader_cli.redaction import ACCOUNT_IN_TEXT
from trader_cli.replay.protocol import message_id
from trader_cli.replay.wirelog import WireRecord
from trader_cli.sim.tws.messages import Out

# Account value keys (reqAccountUpdates, reqAccountSummary tags) whose values identify the holder.
IDENTIFYING_KEYS = frozenset(
    {
        "accountcode", "accountalias", "accountholder",
        "accountname", "name", "firstname", "lastname", "legalname", "address", "street",
        "street2", "city", "postalcode", "zip", "email", "phone",
    }
)  # fmt: skip
# (message id, index of the key, index of the value) of the account value messages.
ACCOUNT_VALUE_FIELDS: dict[int, tuple[int, int]] = {
    Out.ACCOUNT_VALUE: (2, 3),  # [6, version, key, value, currency, account]
    Out.ACCOUNT_SUMMARY: (4, 5),  # [63, version, reqId, account, tag, value, currency]
    Out.ACCOUNT_UPDATE_MULTI: (5, 6),  # [73, version, reqId, account, modelCode, key, value, ccy]
}
PLACEHOLDER_DIGITS = 4
# A shorter value identifies no one, and rewriting it everywhere would corrupt other fields.
MIN_HOLDER_VALUE = 3


class LeftoverError(Exception):
    """An original account id or identity value is still in the output."""

    def __init__(self, leftovers: list[tuple[str, str]]) -> None:
        self.leftovers = leftovers  # (file, masked value)
        shown = ", ".join(f"{where}: {what}" for where, what in leftovers[:5])
        super().__init__(f"{len(leftovers)} identifying value(s) left in the recording ({shown})")


def _mask(value: str) -> str:
    return value[:2] + "*" * max(0, len(value) - 4) + value[-2:] if len(value) > 4 else "****"


class Sanitizer:
    """Learns what identifies the account, and rewrites it consistently everywhere."""

    def __init__(self, known_accounts: Iterable[str] = ()) -> None:
        self.replacements: dict[str, str] = {}
        self._accounts = 0
        self._holders = 0
        for account in known_accounts:
            self.add_account(account)

    # ----- learning --------------------------------------------------------------------------
    def add_account(self, account: str) -> str:
        """Register an account id; returns its placeholder."""
        account = account.strip()
        if not account:
            return account
        if account not in self.replacements:
            if account in self.replacements.values():
                return account  # already a placeholder
            self._accounts += 1
            prefix = "DU" if account.upper().startswith(("DU", "DF")) else "U"
            self.replacements[account] = f"{prefix}REC{self._accounts:0{PLACEHOLDER_DIGITS}d}"
        return self.replacements[account]

    def add_holder_value(self, value: str) -> str:
        """Register a value that identifies the holder (a name, an address)."""
        value = value.strip()
        if len(value) < MIN_HOLDER_VALUE or value in self.replacements.values():
            return value
        if value not in self.replacements:
            self._holders += 1
            self.replacements[value] = f"<holder-{self._holders}>"
        return self.replacements[value]

    def learn(self, records: Iterable[WireRecord]) -> None:
        """Collect the managed accounts, account-id-shaped text and identifying account values."""
        for record in records:
            if record.direction != "s2c" or record.handshake is not None:
                continue
            msg = message_id(record.fields)
            if msg == Out.MANAGED_ACCOUNTS and len(record.fields) > 2:
                for account in record.fields[2].split(","):
                    self.add_account(account)
            where = ACCOUNT_VALUE_FIELDS.get(msg or -1)
            if where is not None and len(record.fields) > where[1]:
                key, value = record.fields[where[0]], record.fields[where[1]]
                if key.lower() in IDENTIFYING_KEYS and value:
                    if ACCOUNT_IN_TEXT.fullmatch(value):
                        self.add_account(value)
                    else:
                        self.add_holder_value(value)
            for text in record.fields:
                for match in ACCOUNT_IN_TEXT.finditer(text):
                    self.add_account(match.group(0))

    # ----- rewriting -------------------------------------------------------------------------
    def _pattern(self) -> re.Pattern[str] | None:
        if not self.replacements:
            return None
        originals = sorted(self.replacements, key=len, reverse=True)
        alternatives = "|".join(re.escape(o) for o in originals)
        # whole values only: "Sydney" in "Sydney Rd", never inside another word or number
        return re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")

    def text(self, value: str) -> str:
        """``value`` with every original replaced by its placeholder."""
        pattern = self._pattern()
        if pattern is None:
            return value
        return pattern.sub(lambda m: self.replacements[m.group(0)], value)

    def records(self, records: Iterable[WireRecord]) -> list[WireRecord]:
        """Sanitised copies of ``records``."""
        out = []
        for r in records:
            handshake = None if r.handshake is None else self.text(r.handshake)
            fields = [self.text(f) for f in r.fields]
            out.append(WireRecord(r.conn, r.direction, r.t, fields, handshake, hello=r.hello))
        return out

    def data(self, value: Any) -> Any:
        """A sanitised copy of JSON-ready data (keys and values)."""
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def scan_for_leftovers(
    files: dict[str, str], originals: Iterable[str]
) -> list[tuple[str, str]]:
    """(file, masked value) for every original, or account-id-shaped text, found in ``files``.

    ``files`` maps a name to the text about to be written. The check is case-insensitive.
    """
    found: list[tuple[str, str]] = []
    needles = [o for o in originals if o]
    for name, text in files.items():
        lowered = text.lower()
        for needle in needles:
            if needle.lower() in lowered:
                found.append((name, _mask(needle)))
        for match in ACCOUNT_IN_TEXT.finditer(text):
            found.append((name, _mask(match.group(0))))
    return found


def check_clean(files: dict[str, str], sanitizer: Sanitizer) -> None:
    """Raise :class:`LeftoverError` when anything :func:`scan_for_leftovers` finds remains."""
    leftovers = scan_for_leftovers(files, sanitizer.replacements)
    if leftovers:
        raise LeftoverError(leftovers)


def scan_directory(directory: Path, originals: Iterable[str]) -> list[tuple[str, str]]:
    """:func:`scan_for_leftovers` over every file under ``directory`` (for tests and audits)."""
    files = {
        str(p.relative_to(directory)): p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }
    return scan_for_leftovers(files, originals)
