"""Gemini's HTTP conversation as a vcrpy cassette: filtered as recorded, matched without nonces.

Applied to every request before it is recorded *and* before it is matched:

- ``X-GEMINI-APIKEY``, ``X-GEMINI-PAYLOAD`` and ``X-GEMINI-SIGNATURE`` are dropped; the decoded
  payload minus its ``nonce`` becomes the request body, so the cassette shows what was asked;
- only harmless headers are kept (no cookies, no auth of any kind), ``apiKey``/``secret``-like
  query parameters are dropped, the key and secret are scrubbed from bodies, and the base URL
  becomes :data:`CASSETTE_URL` (the real host, or the simulator's free port, is not kept).

Two requests are the same when their method, path, query and payload without its nonce are:
:func:`request_key`. The signature and key never count (any key signs a replay). vcrpy is
imported only by :func:`make_vcr` (recording); reading a cassette needs only PyYAML.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from trader_cli.replay.wirelog import RECORDED_FILE

if TYPE_CHECKING:
    import vcr

CASSETTE_FILE = RECORDED_FILE["gemini"]
#: every recorded URI is on this base (nothing listens there)
CASSETTE_URL = "http://127.0.0.1:8765"
GEMINI_HEADERS = ("x-gemini-apikey", "x-gemini-payload", "x-gemini-signature")
PAYLOAD_HEADER = "x-gemini-payload"
SECRET_QUERY_PARAMS = ("apiKey", "api_key", "key", "secret", "signature")
#: headers a cassette keeps (anything else - cookies, server ids, auth - is dropped)
KEPT_REQUEST_HEADERS = frozenset({"accept", "content-type"})
KEPT_RESPONSE_HEADERS = frozenset({"content-type"})
SCRUBBED = "<scrubbed>"
#: a payload field that changes on every request and never changes the answer
NONCE = "nonce"


def decode_payload(value: str) -> dict[str, Any]:
    """The JSON object in a base64 ``X-GEMINI-PAYLOAD`` header ({} when it is not one)."""
    try:
        decoded = json.loads(base64.b64decode(value))
    except (ValueError, binascii.Error):
        return {}
    return dict(decoded) if isinstance(decoded, dict) else {}


def without_nonce(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` minus its nonce."""
    return {k: v for k, v in payload.items() if k != NONCE}


def canonical_payload(payload: dict[str, Any] | None) -> str:
    """The text a payload (nonce removed) is recorded and compared as."""
    return "" if not payload else json.dumps(without_nonce(payload), sort_keys=True)


def body_payload(body: bytes | str | None) -> dict[str, Any] | None:
    """The payload a sanitised request body holds (None: no body)."""
    if not body:
        return None
    text = body.decode() if isinstance(body, bytes) else str(body)
    try:
        decoded = json.loads(text)
    except ValueError:
        return {"<raw>": text}
    return without_nonce(decoded) if isinstance(decoded, dict) else {"<json>": decoded}


@dataclass(frozen=True)
class RequestKey:
    """What identifies a Gemini request across runs."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    payload: str

    def describe(self) -> str:
        """``POST /v1/order/new {"amount": ...}`` (for errors and logs)."""
        query = "&".join(f"{k}={v}" for k, v in self.query)
        text = f"{self.method} {self.path}" + (f"?{query}" if query else "")
        return f"{text} {self.payload}" if self.payload else text


def request_key(
    method: str, path: str, query: Iterable[tuple[str, str]], payload: dict[str, Any] | None
) -> RequestKey:
    """The key of a request (secret-like query parameters do not count)."""
    kept = tuple(sorted((k, v) for k, v in query if k not in SECRET_QUERY_PARAMS))
    return RequestKey(method.upper(), path or "/", kept, canonical_payload(payload))


class CassetteFilter:
    """vcrpy's ``before_record_request``/``before_record_response`` for Gemini."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = tuple(s for s in secrets if s)

    def scrub(self, text: str) -> str:
        """``text`` without the key or secret."""
        for secret in self.secrets:
            text = text.replace(secret, SCRUBBED)
        return text

    def request(self, request: Any) -> Any:
        """The request as recorded and as matched: no auth headers, payload in the body."""
        headers = {k.lower(): v for k, v in request.headers.items()}
        payload = headers.get(PAYLOAD_HEADER)
        for name in list(request.headers):
            if name.lower() not in KEPT_REQUEST_HEADERS:
                del request.headers[name]
        if payload is not None:
            decoded = without_nonce(decode_payload(payload))
            request.body = self.scrub(json.dumps(decoded, sort_keys=True)).encode()
        elif request.body:
            body = request.body
            text = body.decode() if isinstance(body, bytes) else str(body)
            request.body = self.scrub(text).encode()
        parts = urlsplit(request.uri)
        base = urlsplit(CASSETTE_URL)
        query = "&".join(
            f"{k}={v}" for k, v in parse_qsl(parts.query) if k not in SECRET_QUERY_PARAMS
        )
        request.uri = self.scrub(urlunsplit((base.scheme, base.netloc, parts.path, query, "")))
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """No key or secret in a recorded answer's body; only harmless headers.

        vcrpy also runs this on a cassette it loads: a body keeps its type (bytes or text).
        """
        body = response.get("body", {}).get("string")
        if isinstance(body, bytes):
            response["body"]["string"] = self.scrub(body.decode("utf-8", "replace")).encode()
        elif isinstance(body, str):
            response["body"]["string"] = self.scrub(body)
        headers = response.get("headers") or {}
        for name in list(headers):
            if name.lower() not in KEPT_RESPONSE_HEADERS:
                del headers[name]
        return response


def payload_of(request: Any) -> dict[str, Any] | None:
    """A vcrpy request's Gemini payload without ``nonce``: from the header, else the body."""
    for name, value in request.headers.items():
        if name.lower() == PAYLOAD_HEADER:
            return without_nonce(decode_payload(value))
    return body_payload(request.body)


def gemini_payload(r1: Any, r2: Any) -> None:
    """vcrpy matcher: the two requests carry the same Gemini payload, nonce aside."""
    p1, p2 = payload_of(r1), payload_of(r2)
    if canonical_payload(p1) != canonical_payload(p2):
        raise AssertionError(f"Gemini payloads differ: {p1} != {p2}")


def make_vcr(record_mode: str = "none", secrets: Iterable[str] = ()) -> vcr.VCR:
    """The VCR Gemini cassettes are recorded (and, in tests, replayed) with."""
    import vcr

    cassette_filter = CassetteFilter(secrets)
    v = vcr.VCR(
        record_mode=record_mode,
        match_on=["method", "path", "query", "gemini_payload"],
        filter_query_parameters=list(SECRET_QUERY_PARAMS),
        before_record_request=cassette_filter.request,
        before_record_response=cassette_filter.response,
        decode_compressed_response=True,
    )
    v.register_matcher("gemini_payload", gemini_payload)
    return v


# ----- reading a cassette without vcrpy -------------------------------------------------------
@dataclass
class Interaction:
    """One recorded request and its answer."""

    key: RequestKey
    status: int
    body: str
    content_type: str


def load_cassette(path: Path) -> list[Interaction]:
    """The interactions of a cassette file, in recorded order; an unreadable or malformed one is
    :class:`~trader_cli.replay.wirelog.RecordingError` (exit 2)."""
    import yaml

    from trader_cli.replay.wirelog import RecordingError

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return [_interaction(i) for i in data.get("interactions", [])]
    except OSError as e:
        raise RecordingError(f"cannot read {path}: {e.strerror or e}") from e
    except (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RecordingError(f"{path} is not a readable cassette ({first})") from e


def _interaction(raw: dict[str, Any]) -> Interaction:
    request, response = raw["request"], raw["response"]
    parts = urlsplit(str(request["uri"]))
    key = request_key(
        str(request["method"]), parts.path, parse_qsl(parts.query), body_payload(request["body"])
    )
    body = response.get("body", {}).get("string", "")
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    headers = {str(k).lower(): v for k, v in (response.get("headers") or {}).items()}
    content_type = headers.get("content-type", ["application/json"])
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else "application/json"
    return Interaction(key, int(response["status"]["code"]), text, str(content_type))
