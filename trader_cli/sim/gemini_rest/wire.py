"""Just enough HTTP/1.1 for a loopback REST simulator: one request at a time, keep-alive."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024


class BadHttp(Exception):
    """A request that is not HTTP/1.x we can read."""


@dataclass(frozen=True, slots=True)
class Request:
    """One parsed request; header names are lower case."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request on the connection, or None when the client closed it."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as err:
        if not err.partial.strip():
            return None
        raise BadHttp("truncated request head") from None
    except asyncio.LimitOverrunError:
        raise BadHttp("request head too large") from None
    if len(head) > MAX_HEADER_BYTES:
        raise BadHttp("request head too large")
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, version = lines[0].split(" ")
    except ValueError:
        raise BadHttp(f"bad request line {lines[0][:80]!r}") from None
    if not version.startswith("HTTP/1."):
        raise BadHttp(f"unsupported {version[:20]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise BadHttp(f"bad header line {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or "0")
    if length < 0 or length > MAX_BODY_BYTES:
        raise BadHttp("bad content-length")
    body = await reader.readexactly(length) if length else b""
    split = urlsplit(target)
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
    return Request(
        method=method.upper(),
        path=unquote(split.path),
        query=dict(parse_qsl(split.query)),
        headers=headers,
        body=body,
        keep_alive=keep_alive,
    )


def response(
    status: int, body: bytes, *, content_type: str = "application/json", keep_alive: bool = True
) -> bytes:
    """A complete HTTP/1.1 response."""
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Status"
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


def json_response(status: int, data: Any, *, keep_alive: bool = True) -> bytes:
    """``data`` as a JSON response."""
    return response(status, json.dumps(data).encode(), keep_alive=keep_alive)
