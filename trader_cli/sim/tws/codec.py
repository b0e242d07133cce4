"""TWS API framing: the ``API\\0`` handshake, 4-byte length prefixes and NUL-separated fields."""

from __future__ import annotations

import builtins
import math
import re
import struct
from collections.abc import Iterable
from decimal import Decimal

API_PREFIX = b"API\0"
HEADER = struct.Struct(">I")
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
UNSET_INTEGER = 2**31 - 1
UNSET_DOUBLE = 1.7976931348623157e308

_PRICE_QUANTUM = Decimal("0.00000001")
_VERSION_RANGE = re.compile(r"^v(\d+)(?:\.\.(\d+))?(?:\s+(.*))?$")

Field = str | int | float | Decimal | bool | None


class ProtocolError(Exception):
    """The peer sent bytes that are not valid TWS API framing."""


def format_field(value: Field) -> str:
    """Render one outgoing field the way TWS does (bools as 1/0, unset numbers empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return "" if value == UNSET_INTEGER else str(value)
    if isinstance(value, float):
        if value == UNSET_DOUBLE:
            return ""
        if math.isinf(value):
            return "Infinite"
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def encode_fields(fields: Iterable[Field]) -> bytes:
    """Encode one message: each field NUL-terminated, the whole prefixed with its length.

    A field that is already text (a history row's, formatted once and kept) goes as it is.
    """
    parts = [f if type(f) is str else format_field(f) for f in fields]
    payload = ("\0".join(parts) + "\0" if parts else "").encode()
    return HEADER.pack(len(payload)) + payload


def encode_raw(payload: bytes) -> bytes:
    """Prefix an already-encoded payload with its 4-byte big-endian length."""
    return HEADER.pack(len(payload)) + payload


def parse_version_range(payload: bytes) -> tuple[int, int, str]:
    """Parse the client's handshake payload ``v100..178 [options]`` into (min, max, options)."""
    match = _VERSION_RANGE.match(payload.decode(errors="replace").strip())
    if not match:
        raise ProtocolError(f"bad handshake payload: {payload!r}")
    low = int(match.group(1))
    high = int(match.group(2) or low)
    return low, high, match.group(3) or ""


class FrameDecoder:
    """Incremental decoder for the client side of the stream.

    The first message of a connection is ``API\\0`` followed by a length-prefixed version range;
    every later message is a length-prefixed list of NUL-terminated fields.
    """

    def __init__(self) -> None:
        self._buffer = b""
        self.handshake_done = False

    def feed(self, data: bytes) -> list[list[str] | bytes]:
        """Add bytes; return complete messages (the handshake payload as ``bytes``)."""
        self._buffer += data
        out: list[list[str] | bytes] = []
        if not self.handshake_done:
            if len(self._buffer) < len(API_PREFIX):
                return out
            if not self._buffer.startswith(API_PREFIX):
                raise ProtocolError("connection did not start with API\\0")
            payload = self._take(len(API_PREFIX))
            if payload is None:
                return out
            self.handshake_done = True
            out.append(payload)
        while (payload := self._take(0)) is not None:
            out.append(split_fields(payload))
        return out

    def _take(self, offset: int) -> bytes | None:
        if len(self._buffer) < offset + HEADER.size:
            return None
        (size,) = HEADER.unpack_from(self._buffer, offset)
        if size > MAX_MESSAGE_BYTES:
            raise ProtocolError(f"message of {size} bytes is too large")
        end = offset + HEADER.size + size
        if len(self._buffer) < end:
            return None
        payload = self._buffer[offset + HEADER.size : end]
        self._buffer = self._buffer[end:]
        return payload


def split_fields(payload: bytes) -> list[str]:
    """Split a message payload into its fields (the trailing NUL ends the last field)."""
    fields = payload.decode(errors="backslashreplace").split("\0")
    if fields and fields[-1] == "":
        fields.pop()
    return fields


class FieldReader:
    """Sequential typed reader over one incoming message's fields."""

    def __init__(self, fields: list[str]) -> None:
        self._fields = fields
        self._pos = 0

    def remaining(self) -> int:
        """How many fields are left."""
        return len(self._fields) - self._pos

    def str(self) -> str:
        """Next field as text ('' when the message is short)."""
        if self._pos >= len(self._fields):
            self._pos += 1
            return ""
        value = self._fields[self._pos]
        self._pos += 1
        return value

    def int(self, default: int = 0) -> int:
        """Next field as an int (empty -> ``default``)."""
        text = self.str()
        return int(text) if text else default

    def float(self, default: float = 0.0) -> float:
        """Next field as a float (empty -> ``default``)."""
        text = self.str()
        return float(text) if text else default

    def decimal(self) -> Decimal | None:
        """Next field as a Decimal (empty or unset -> None)."""
        text = self.str()
        if not text:
            return None
        value = Decimal(text)
        if value >= Decimal(UNSET_DOUBLE) / 2:
            return None
        # clients send binary floats (0.1 + 0.2 -> "0.30000000000000004"); TWS compares with a
        # tolerance, so keep 8 decimal places
        return value.quantize(_PRICE_QUANTUM).normalize()

    def bool(self) -> bool:
        """Next field as a bool ('1'/'0'/'True'/'False')."""
        text = self.str()
        return text not in ("", "0", "False", "false")

    def skip(self, count: builtins.int = 1) -> None:
        """Skip ``count`` fields."""
        self._pos += count
