"""The per-user app dir's platform default, computed without typer (its ``get_app_dir`` rule)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "trader"


def default_app_dir(app_name: str = APP_NAME) -> Path:
    """Where ``typer.get_app_dir(app_name)`` puts the app dir (roaming on Windows).

    The settings read it when ``TRADER_HOME`` is unset; importing typer for it would load the
    whole command-line stack on the emergency path (see :mod:`trader_cli.cli.lean`). A test
    pins it to typer's answer.
    """
    if sys.platform.startswith("win"):
        folder = os.environ.get("APPDATA")
        return Path(os.path.expanduser("~") if folder is None else folder, app_name)
    if sys.platform == "darwin":
        return Path(os.path.expanduser("~/Library/Application Support"), app_name)
    base = os.environ.get("XDG_CONFIG_HOME", os.path.expanduser("~/.config"))
    return Path(base, "-".join(app_name.split()).lower())
