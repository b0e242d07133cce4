"""The kill switch: a setting or a file in the app dir that blocks every order adding risk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trader_cli.config import Settings

KILL_SWITCH_FILE = "KILL_SWITCH"


@dataclass
class KillSwitch:
    """Engaged when ``KILL_SWITCH=true`` or the file ``<app dir>/KILL_SWITCH`` exists.

    The file survives restarts and can be made by hand (``touch``) or by :meth:`engage`; its
    text is the reason shown in refusals. Orders that only reduce a position are never blocked.
    """

    path: Path | None = None
    forced: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> KillSwitch:
        """The switch for this app dir and ``KILL_SWITCH`` setting."""
        return cls(path=settings.home / KILL_SWITCH_FILE, forced=settings.risk.kill_switch)

    @property
    def engaged(self) -> bool:
        """True when new risk is blocked."""
        return self.forced or (self.path is not None and self.path.exists())

    @property
    def reason(self) -> str | None:
        """Why it is engaged (the file's text, or the setting), None when it is not."""
        if self.path is not None and self.path.exists():
            text = self.path.read_text(encoding="utf-8").strip()
            return text or f"{self.path} exists"
        return "KILL_SWITCH=true" if self.forced else None

    def engage(self, reason: str) -> None:
        """Write the file (persisted until :meth:`release`)."""
        if self.path is None:
            raise ValueError("this kill switch has no file to write")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        self.path.write_text(f"{reason} (engaged {stamp})\n", encoding="utf-8")

    def release(self) -> bool:
        """Remove the file; True if there was one. ``KILL_SWITCH=true`` stays in force."""
        if self.path is None or not self.path.exists():
            return False
        self.path.unlink()
        return True
