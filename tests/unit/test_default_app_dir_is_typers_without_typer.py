"""The app dir's platform default (no ``TRADER_HOME``) is the one ``typer.get_app_dir`` gives,
computed without importing typer (the emergency commands load no command-line library)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from trader_cli.platform_dirs import default_app_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("xdg", [None, "/tmp/xdg-config", "", "relative/conf"])
@pytest.mark.parametrize("home", ["/home/someone", "/root"])
def test_the_default_is_typers(monkeypatch: pytest.MonkeyPatch, xdg: str | None, home: str) -> None:
    monkeypatch.setenv("HOME", home)
    if xdg is None:
        monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CONFIG_HOME", xdg)
    assert default_app_dir() == Path(typer.get_app_dir("trader"))
    assert default_app_dir("My App") == Path(typer.get_app_dir("My App"))


def test_it_needs_no_typer() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from trader_cli.platform_dirs import default_app_dir;"
         " default_app_dir(); print(sorted(m for m in sys.modules if 'typer' in m or "
         "'click' in m))"],
        capture_output=True, text=True, check=True, timeout=60, cwd=ROOT,
    )
    assert done.stdout.strip() == "[]"
