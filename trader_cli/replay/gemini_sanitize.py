"""Rewrite Gemini account identifiers out of a cassette, then prove that nothing secret is left.

What identifies a Gemini account holder: the account's name fields (``/v1/account``'s
``accountName``/``shortName``, an ``account`` field in order and trade payloads), the users'
names and e-mail, a memo reference code, and the API key (``account-…``), whose text may turn
up in an answer. They are learnt from every recorded answer and rewritten consistently
(``<account-1>``, ``<holder-1>``, ``<api-key-1>``). Gemini's default account name ``primary``
identifies no one (every account has it) and is kept: the adapter reports it as the account.

:func:`gemini_leftovers` then scans the files about to be written for the originals, for the
key and secret, for key-shaped text, for Gemini's auth headers and for a nonce (a payload
recorded with its nonce).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from trader_cli.replay.sanitize import Sanitizer, _mask, scan_for_leftovers

# Keys whose (string) value names the account.
ACCOUNT_KEYS = frozenset({"account", "accountname", "shortname", "account_name"})
# Keys whose value identifies the holder.
HOLDER_KEYS = frozenset(
    {
        "name", "email", "username", "user", "firstname", "lastname", "legalname",
        "memo_reference_code", "memoreferencecode", "address", "street", "city", "postalcode",
        "zip", "phone", "trader",
    }
)  # fmt: skip
# Account names every Gemini account has: not identifying.
GENERIC_ACCOUNT_NAMES = frozenset({"primary"})
# Gemini API keys: "account-" and an id (master keys: "master-").
API_KEY_SHAPED = re.compile(r"(?<![A-Za-z0-9])(?:account|master)-[A-Za-z0-9][A-Za-z0-9_-]{3,}")
# What a filtered cassette never holds: Gemini's auth headers, and a nonce field (a payload
# recorded with its nonce), however the YAML quotes it.
FORBIDDEN_TEXT = ("x-gemini-apikey", "x-gemini-payload", "x-gemini-signature")
NONCE_FIELD = re.compile(r"""(?i)\bnonce\\?["']?\s*:""")
MIN_SECRET = 4


class GeminiSanitizer(Sanitizer):
    """Learns Gemini's account identifiers from recorded answers and rewrites them."""

    def __init__(self, api_keys: Iterable[str] = ()) -> None:
        super().__init__()
        self._keys = 0
        self._names = 0
        for key in api_keys:
            self.add_api_key(key)

    def _register(self, value: str, placeholder: str) -> None:
        self.replacements[value] = placeholder
        escaped = json.dumps(value)[1:-1]  # as it reads inside a JSON text
        if escaped != value:
            self.replacements[escaped] = placeholder

    def add_api_key(self, key: str) -> str:
        """Register an API key (or key-shaped text); returns its placeholder."""
        key = key.strip()
        if len(key) < MIN_SECRET or key in self.replacements.values():
            return key
        if key not in self.replacements:
            self._keys += 1
            self._register(key, f"<api-key-{self._keys}>")
        return self.replacements[key]

    def add_account_name(self, name: str) -> str:
        """Register an account name (``primary`` is kept); returns its placeholder."""
        name = name.strip()
        if not name or name.lower() in GENERIC_ACCOUNT_NAMES or name in self.replacements.values():
            return name
        if API_KEY_SHAPED.fullmatch(name):
            return self.add_api_key(name)
        if name not in self.replacements:
            self._names += 1
            self._register(name, f"<account-{self._names}>")
        return self.replacements[name]

    def add_holder(self, value: str) -> str:
        """Register a value identifying the holder (JSON-escaped form too)."""
        placeholder = self.add_holder_value(value)
        if placeholder != value.strip():
            self._register(value.strip(), placeholder)
        return placeholder

    def learn_json(self, value: Any, key: str = "") -> None:
        """Collect identifiers from a decoded answer (walked whole)."""
        if isinstance(value, dict):
            for k, v in value.items():
                self.learn_json(v, str(k))
        elif isinstance(value, list):
            for v in value:
                self.learn_json(v, key)
        elif isinstance(value, str):
            lowered = key.lower()
            if lowered in ACCOUNT_KEYS:
                self.add_account_name(value)
            elif lowered in HOLDER_KEYS:
                self.add_holder(value)
            for match in API_KEY_SHAPED.finditer(value):
                self.add_api_key(match.group(0))

    def learn_texts(self, texts: Iterable[str]) -> None:
        """Collect identifiers from recorded bodies (JSON, or plain text)."""
        for text in texts:
            try:
                self.learn_json(json.loads(text))
            except ValueError:
                self.learn_json(text)


def gemini_leftovers(
    files: dict[str, str], sanitizer: GeminiSanitizer, secrets: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """(file, masked value) for everything secret or identifying still in ``files``."""
    originals = [*sanitizer.replacements, *(s for s in secrets if len(s) >= MIN_SECRET)]
    found = scan_for_leftovers(files, originals)
    for name, text in files.items():
        lowered = text.lower()
        found.extend((name, forbidden) for forbidden in FORBIDDEN_TEXT if forbidden in lowered)
        found.extend((name, "a nonce field") for _ in NONCE_FIELD.finditer(text))
        found.extend((name, _mask(m.group(0))) for m in API_KEY_SHAPED.finditer(text))
    return found
