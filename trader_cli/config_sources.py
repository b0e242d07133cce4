"""Where settings come from: which ``.env`` file is read, and the source of every value.

The ``.env`` file is the first of these that applies (see docs/configuration.md):

1. ``--env-file PATH`` (must exist);
2. ``TRADER_ENV_FILE`` in the process environment (must exist);
3. ``./.env`` in the current directory, if it exists;
4. ``.env`` in the app dir, if it exists: ``TRADER_HOME`` from the process environment (a
   ``TRADER_HOME`` inside a ``.env`` file cannot say where that file is), else the platform's
   per-user dir.

Real environment variables always win over the file. Names match in any case (``ib_port`` is
``IB_PORT``); a line of the file with no ``=`` sets nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from trader_cli.errors import ConfigError

ENV_FILE_VARIABLE = "TRADER_ENV_FILE"
HOME_VARIABLE = "TRADER_HOME"

#: The command-line option behind an override of ``load_settings`` (shown as its source).
OVERRIDE_OPTIONS = {"ACTIVE_EXCHANGE": "--venue"}


class EnvFileOrigin(StrEnum):
    """How the ``.env`` file of an invocation was found."""

    OPTION = "--env-file"
    VARIABLE = ENV_FILE_VARIABLE
    CWD = "./.env"
    APP_DIR = "app dir"


@dataclass(frozen=True)
class EnvFile:
    """The ``.env`` file settings were read from, and how it was found."""

    path: Path
    origin: EnvFileOrigin

    @property
    def label(self) -> str:
        """The source of a value read from it: ``--env-file /p/.env``, ``.env file /p/.env``."""
        if self.origin in (EnvFileOrigin.OPTION, EnvFileOrigin.VARIABLE):
            return f"{self.origin.value} {self.path}"
        return f".env file {self.path}"


def app_dir_from_environment(environ: Mapping[str, str] | None = None) -> Path:
    """The app dir as the process environment says: ``TRADER_HOME``, else the platform default."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_VARIABLE, "").strip()
    if home:
        return Path(home)
    return platform_app_dir(env)


def platform_app_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The platform's per-user config dir for ``trader``, as ``typer.get_app_dir("trader")``
    gives it (without importing the CLI library): ``$XDG_CONFIG_HOME/trader`` or
    ``~/.config/trader`` on Linux, ``~/Library/Application Support/trader`` on macOS,
    ``%APPDATA%\\trader`` on Windows."""
    env = os.environ if environ is None else environ
    if sys.platform.startswith("win"):
        folder = env.get("APPDATA")
        return Path(os.path.expanduser("~") if folder is None else folder, "trader")
    if sys.platform == "darwin":
        return Path(os.path.expanduser("~/Library/Application Support"), "trader")
    return Path(env.get("XDG_CONFIG_HOME", os.path.expanduser("~/.config")), "trader")


def find_env_file(
    explicit: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> EnvFile | None:
    """The ``.env`` file to read (None: none of the places has one).

    Raises :class:`ConfigError` (exit 2) when ``explicit`` (``--env-file``) or
    ``TRADER_ENV_FILE`` names a file that does not exist: a cron job must not run on defaults
    because of a typo.
    """
    env = os.environ if environ is None else environ
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not _is_file(path):
            raise ConfigError(
                f"--env-file {str(explicit)!r}: env file does not exist",
                hint="pass --env-file with the path of a .env file (see .env.example)",
            )
        return EnvFile(path.absolute(), EnvFileOrigin.OPTION)
    named = env.get(ENV_FILE_VARIABLE, "").strip()
    if named:
        path = Path(named).expanduser()
        if not _is_file(path):
            raise ConfigError(
                f"{ENV_FILE_VARIABLE}={named!r}: env file does not exist",
                hint=f"point {ENV_FILE_VARIABLE} at a .env file, or unset it to use ./.env or "
                "the app dir's .env",
            )
        return EnvFile(path.absolute(), EnvFileOrigin.VARIABLE)
    cwd = Path(".env")
    if _is_file(cwd):
        return EnvFile(cwd.absolute(), EnvFileOrigin.CWD)
    in_app_dir = app_dir_from_environment(env) / ".env"
    if _is_file(in_app_dir):  # a TRADER_HOME that cannot be used is refused by the settings
        return EnvFile(in_app_dir.absolute(), EnvFileOrigin.APP_DIR)
    return None


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False where the system cannot even look (a name too long)."""
    try:
        return path.is_file()
    except OSError:
        return False


def _file_values(env_file: EnvFile | None) -> dict[str, str]:
    """The ``.env`` file's assignments by upper-case name (``${VAR}`` expanded, as dotenv does).

    Raises :class:`ConfigError` (exit 2) for a file that is not UTF-8 text or has a line
    dotenv cannot read (an unclosed quote, a name with a space): dotenv would skip that line,
    and its setting would fall back to its default without a word. The line is named by its
    number only (it may hold a secret).
    """
    if env_file is None:
        return {}
    import io

    from dotenv import dotenv_values
    from dotenv.parser import parse_stream

    try:
        text = env_file.path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"env file {env_file.path}: not UTF-8 text (byte {e.start + 1})",
            hint="save the .env file as UTF-8",
        ) from None
    except OSError as e:
        raise ConfigError(
            f"env file {env_file.path}: cannot be read: {e.strerror or e}",
            hint="make the .env file readable, or name another with --env-file",
        ) from None
    bad = [binding.original.line for binding in parse_stream(io.StringIO(text)) if binding.error]
    if bad:
        raise ConfigError(
            f"env file {env_file.path}: line {', '.join(map(str, bad))} is not NAME=value "
            "(an unclosed quote? a space in the name?)",
            hint="fix the line: each setting is NAME=value, a value with spaces or # in quotes",
        )
    values = dotenv_values(stream=io.StringIO(text))
    return {key.upper(): value for key, value in values.items() if value is not None}


def raw_values(
    env_file: EnvFile | None,
    overrides: Mapping[str, Any],
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Every value by upper-case environment name, before validation: ``overrides`` (already
    upper-case), then the environment, then the ``.env`` file. Where two environment names
    differ only in case, the later one in the environment wins."""
    env = os.environ if environ is None else environ
    out: dict[str, Any] = dict(_file_values(env_file))
    out.update((key.upper(), value) for key, value in env.items())
    out.update(overrides)
    return out


def setting_sources(
    names: Iterable[str],
    env_file: EnvFile | None,
    overrides: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Where each setting (by environment name) got its value, in :func:`raw_values`' order.

    ``--venue`` (or another override), then ``environment``, then the ``.env`` file's label,
    else ``default``. Names match case-insensitively, as the settings classes read them.
    """
    env = os.environ if environ is None else environ
    in_environment = {key.upper() for key in env}
    in_file = set(_file_values(env_file))
    overridden = {name.upper() for name in overrides}
    sources: dict[str, str] = {}
    for name in names:
        if name in overridden:
            sources[name] = OVERRIDE_OPTIONS.get(name, "argument")
        elif name in in_environment:
            sources[name] = "environment"
        elif env_file is not None and name in in_file:
            sources[name] = env_file.label
        else:
            sources[name] = "default"
    return sources
