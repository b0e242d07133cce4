"""What ``trader config`` shows: every effective setting with its source, secrets masked."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

from trader_cli.config import Settings
from trader_cli.config_fields import SecretStr
from trader_cli.redaction import redact_account, redact_url

MASK = "***"
_URL_SETTINGS = frozenset({"DATABASE_URL", "LLM_BASE_URL", "OPENAI_BASE_URL", "GEMINI_API_URL"})
_ACCOUNT_SETTINGS = frozenset({"IB_ACCOUNT_ID"})


@dataclass(frozen=True)
class SettingLine:
    """One setting as shown: its concern, environment name, masked value and source."""

    group: str
    name: str
    value: Any
    source: str


@dataclass
class SettingsReport:
    """The effective settings of one invocation and the facts derived from them."""

    env_file: Path | None
    lines: list[SettingLine]
    derived: dict[str, str | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"envFile", "settings": {NAME: {"value", "source"}}, "derived"}`` for ``--json``."""
        return {
            "envFile": str(self.env_file) if self.env_file is not None else None,
            "settings": {
                line.name: {"value": line.value, "source": line.source} for line in self.lines
            },
            "derived": dict(self.derived),
        }


def shown(name: str, value: Any) -> Any:
    """``value`` of setting ``name`` as it may be shown: secrets ``***``, URL passwords
    ``***``, account ids ``DU****567``; lists comma-joined, enums and paths as text."""
    if value is None:
        return None
    if isinstance(value, SecretStr):
        return MASK
    if isinstance(value, list):
        return ",".join(str(getattr(v, "value", v)) for v in value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    if name in _URL_SETTINGS:
        text = redact_url(text)
        if "@" in text and f":{MASK}@" not in text:  # userinfo the URL pattern did not recognise
            text = f"{MASK}@" + text.rpartition("@")[2]
    elif name in _ACCOUNT_SETTINGS:
        text = redact_account(text)
    return text


def settings_report(settings: Settings) -> SettingsReport:
    """Every setting of ``settings`` with its source, and where this invocation keeps its state.

    Reads nothing but the settings and creates nothing (not even the app dir); never connects.
    """
    from trader_cli.services.context import command_scope

    lines = [
        SettingLine(
            group,
            f"{prefix}{name}".upper(),
            shown(f"{prefix}{name}".upper(), getattr(part, name)),
            settings.sources.get(f"{prefix}{name}".upper(), "default"),
        )
        for group, prefix, part in settings.groups()
        for name in type(part).model_fields
    ]
    lines = [
        # the default universe follows the venue (Settings.allowed_symbols)
        replace(line, value=",".join(str(s) for s in settings.allowed_symbols))
        if line.name == "ALLOWED_SYMBOLS" and line.source == "default"
        else line
        for line in lines
    ]
    scope = command_scope(settings)
    database = settings.database_url_for(scope.file_key)
    if settings.database_is_default:
        database = database.removeprefix("sqlite:///")  # the file, for ls and backups
    else:
        database = shown("DATABASE_URL", database)
    world = settings.sim_world_path
    env_file = settings.env_file
    derived: dict[str, str | None] = {
        "envFileFrom": env_file.origin.value if env_file is not None else None,
        "appDir": str(settings.app_dir),
        "venue": settings.venue.value,
        "scope": scope.file_key,
        "database": database,
        "simWorld": str(world) if world is not None else None,
    }
    return SettingsReport(env_file.path if env_file is not None else None, lines, derived)
