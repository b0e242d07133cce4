"""The on-disk recording: JSON lines of framed TWS messages, each with direction and time.

One line per message::

    {"conn": 0, "dir": "c2s", "t": 0.0012, "handshake": "v100..187"}
    {"conn": 0, "dir": "s2c", "t": 0.0031, "msg": "managed_accounts", "fields": ["15", "1", "DU…"]}

``conn`` numbers the client connections in the order they were opened, ``dir`` is ``c2s``
(client to server) or ``s2c``, ``t`` the seconds since the recording started, ``msg`` the
message's name (for reading; the replay uses ``fields``). The first message a client sends is
the API handshake (its version range, ``handshake``); every other one is a list of fields.
A recording directory holds ``wire.jsonl``, ``recording.json`` (what was recorded, with which
settings) and ``golden/`` (the scenario's normalised results).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from trader_cli.errors import ConfigError
from trader_cli.replay.protocol import IN_NAMES, OUT_NAMES, message_id

WIRE_LOG = "wire.jsonl"
META_FILE = "recording.json"
GOLDEN_DIR = "golden"
FORMAT_VERSION = 1
# What each venue's recording holds besides recording.json and golden/.
RECORDED_FILE = {"ib": WIRE_LOG, "gemini": "cassette.yaml"}
RECORDING_OF = {"ib": "an IB", "gemini": "a Gemini"}

Direction = Literal["c2s", "s2c"]


class RecordingError(ConfigError):
    """A recording directory that cannot be read (bad input: exit 2, never "a bug")."""

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            hint="re-record it with `trader record-fixtures`, or restore it from git "
            "(see docs/fixtures.md)",
        )


@dataclass
class WireRecord:
    """One framed message of one connection."""

    conn: int
    direction: Direction
    t: float
    fields: list[str] = field(default_factory=list)
    handshake: str | None = None
    hello: bool = False  # the server's first message: [server version, connection time]

    @property
    def name(self) -> str:
        """The message's name (``handshake`` for the client's version range)."""
        if self.handshake is not None:
            return "handshake"
        if self.hello:
            return "server_hello"
        msg = message_id(self.fields)
        names = IN_NAMES if self.direction == "c2s" else OUT_NAMES
        return names.get(msg, f"msg_{msg}") if msg is not None else "unknown"

    def to_json(self) -> dict[str, Any]:
        """The JSON line's object."""
        data: dict[str, Any] = {"conn": self.conn, "dir": self.direction, "t": round(self.t, 4)}
        if self.handshake is not None:
            data["handshake"] = self.handshake
        else:
            data["msg"] = self.name
            data["fields"] = self.fields
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WireRecord:
        """Parse one JSON line's object."""
        direction = data["dir"]
        if direction not in ("c2s", "s2c"):
            raise ValueError(f"dir must be c2s or s2c, not {direction!r}")
        fields = [str(f) for f in data.get("fields", [])]
        return cls(
            int(data["conn"]), direction, float(data["t"]), fields, data.get("handshake"),
            hello=data.get("msg") == "server_hello",
        )  # fmt: skip


def dump_records(records: Iterable[WireRecord]) -> str:
    """The wire log's text."""
    return "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in records)


def load_records(path: Path) -> list[WireRecord]:
    """Read a wire log; ``RecordingError`` names the bad line."""
    records = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise RecordingError(f"cannot read {path}: {e.strerror or e}") from e
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(WireRecord.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError) as e:
            raise RecordingError(f"{path}, line {number}: not a wire record ({e})") from e
    return records


def load_meta(directory: Path) -> dict[str, Any]:
    """``recording.json`` of a recording directory."""
    path = directory / META_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise RecordingError(f"{directory} holds no recording ({META_FILE}: {e.strerror})") from e
    except ValueError as e:
        raise RecordingError(f"{path} is not JSON: {e}") from e
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
        raise RecordingError(f"{path}: not a recording of format {FORMAT_VERSION}")
    return meta


def open_recording(directory: Path, venue: str | None = "ib") -> dict[str, Any]:
    """``recording.json`` of ``directory``; a missing, bad or other-venue one is ``ConfigError``.

    ``venue`` None accepts a recording of any venue this version replays.
    """
    try:
        meta = load_meta(directory)
    except RecordingError as e:
        raise ConfigError(
            str(e),
            hint="give a directory written by `trader record-fixtures` (see docs/fixtures.md)",
        ) from e
    recorded = meta.get("venue")
    if recorded not in RECORDED_FILE:
        raise ConfigError(
            f"{directory} is a {recorded} recording; this version replays "
            f"{' and '.join(sorted(RECORDED_FILE))} ones",
            hint="re-record it with `trader record-fixtures`",
        )
    if venue is not None and recorded != venue:
        raise ConfigError(
            f"{directory} is {RECORDING_OF.get(str(recorded), recorded)} recording, not "
            f"{RECORDING_OF.get(venue, venue)} one",
            hint=f"replay it with --venue {recorded}, or give "
            f"{RECORDING_OF.get(venue, venue)} recording (fixtures/{venue}/...)",
        )
    name = RECORDED_FILE[str(recorded)]
    if not (directory / name).exists():
        raise ConfigError(f"{directory} has no {name}", hint="re-record it")
    return meta
