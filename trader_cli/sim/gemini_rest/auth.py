"""Gemini's private-API authentication: signed base64 payloads and strictly increasing nonces."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import string
from collections.abc import Mapping
from typing import Any

from trader_cli.sim.gemini_rest import errors as e

_ALPHABET = string.ascii_letters + string.digits


def generate_credentials() -> tuple[str, str]:
    """A fresh (api key, api secret) pair shaped like Gemini's account-scoped keys."""
    key = "account-" + "".join(secrets.choice(_ALPHABET) for _ in range(20))
    secret = "".join(secrets.choice(_ALPHABET) for _ in range(28))
    return key, secret


def signature(payload_b64: str, secret: str) -> str:
    """Hex HMAC-SHA384 of the base64 payload, keyed with the API secret."""
    return hmac.new(secret.encode(), payload_b64.encode(), hashlib.sha384).hexdigest()


def signed_headers(path: str, nonce: int, key: str, secret: str, **fields: Any) -> dict[str, str]:
    """Headers a Gemini client sends for a private POST to ``path`` (for tests and tools)."""
    payload = {"request": path, "nonce": str(nonce), **fields}
    b64 = base64.b64encode(json.dumps(payload).encode()).decode()
    return {
        "Content-Type": "text/plain",
        "X-GEMINI-APIKEY": key,
        "X-GEMINI-PAYLOAD": b64,
        "X-GEMINI-SIGNATURE": signature(b64, secret),
    }


FINGERPRINT_PREFIX = "sha256:"


def key_fingerprint(key: str) -> str:
    """A stable, one-way name for an API key (what the simulator persists instead of the key)."""
    return FINGERPRINT_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:16]


class Authenticator:
    """Checks a private request's headers against the known keys and each key's last nonce."""

    def __init__(self, keys: Mapping[str, str], nonces: Mapping[str, int] | None = None) -> None:
        self.keys = dict(keys)
        # each key's last nonce, by the key's fingerprint: the world file never holds a key
        self.nonces: dict[str, int] = {
            (k if k.startswith(FINGERPRINT_PREFIX) else key_fingerprint(k)): n
            for k, n in (nonces or {}).items()
        }

    def verify(self, headers: Mapping[str, str], path: str) -> tuple[str, dict[str, Any]]:
        """The key and decoded payload of a valid request to ``path``; raises GeminiError."""
        key = headers.get("x-gemini-apikey")
        payload_b64 = headers.get("x-gemini-payload")
        given = headers.get("x-gemini-signature")
        if not key:
            raise e.GeminiError(e.MISSING_APIKEY, "The X-GEMINI-APIKEY header was missing")
        if not payload_b64:
            raise e.GeminiError(e.MISSING_PAYLOAD, "The X-GEMINI-PAYLOAD header was missing")
        if not given:
            raise e.GeminiError(e.MISSING_SIGNATURE, "The X-GEMINI-SIGNATURE header was missing")
        secret = self.keys.get(key)
        if secret is None:
            raise e.GeminiError(e.INVALID_SIGNATURE, "InvalidSignature", e.FORBIDDEN)
        if not hmac.compare_digest(signature(payload_b64, secret), given.lower()):
            raise e.GeminiError(e.INVALID_SIGNATURE, "InvalidSignature")
        try:
            payload = json.loads(base64.b64decode(payload_b64, validate=True))
        except (binascii.Error, ValueError):
            raise e.GeminiError(e.INVALID_JSON, "The payload is not base64 JSON") from None
        if not isinstance(payload, dict):
            raise e.GeminiError(e.INVALID_JSON, "The payload must be a JSON object")
        request = payload.get("request")
        if not request:
            raise e.GeminiError(e.ENDPOINT_NOT_FOUND, "No endpoint was specified")
        if request != path:
            raise e.GeminiError(
                e.ENDPOINT_MISMATCH,
                f"EndpointMismatch: payload request {request!r} was sent to {path!r}",
            )
        self._take_nonce(key, payload.get("nonce"))
        return key, payload

    def _take_nonce(self, key: str, raw: object) -> None:
        try:
            nonce = int(str(raw))
        except ValueError:
            raise e.GeminiError(e.INVALID_NONCE, f"Nonce {raw!r} is missing or invalid") from None
        fingerprint = key_fingerprint(key)
        last = self.nonces.get(fingerprint)
        if last is not None and nonce <= last:
            raise e.GeminiError(
                e.INVALID_NONCE,
                f"Out-of-sequence nonce <{nonce}> precedes previously used nonce <{last}>",
            )
        self.nonces[fingerprint] = nonce
