"""Starting ``trader dashboard``: who may be served, the Streamlit command line, its environment.

Nothing here imports Streamlit (``trader --help`` stays fast). The page process gets the venue,
backend and ``.env`` choice through ``TRADER_DASHBOARD_*`` variables and ``TRADER_ENV_FILE``,
never on its command line, and reads ``DASHBOARD_PASSWORD`` itself from its settings: no secret is
ever on an argv, where ``ps`` would show it.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from trader_cli.dashboard import DEFAULT_HOST, DEFAULT_REFRESH, MAX_REFRESH, MIN_REFRESH
from trader_cli.domain.scope import Backend
from trader_cli.errors import ConfigError

if TYPE_CHECKING:
    from trader_cli.config import Settings

ENV_VENUE = "TRADER_DASHBOARD_VENUE"
ENV_BACKEND = "TRADER_DASHBOARD_BACKEND"
ENV_REPLAY = "TRADER_DASHBOARD_REPLAY"
ENV_REFRESH = "TRADER_DASHBOARD_REFRESH"
ENV_OFFLINE = "TRADER_DASHBOARD_OFFLINE"
ENV_FILE = "TRADER_ENV_FILE"

#: How long the page process gets to stop before it is killed.
STOP_TIMEOUT = 10.0

INSTALL_HINT = "install the dashboard extra: pip install 'trader-cli[dashboard]'"
APP_SCRIPT = Path(__file__).with_name("app.py")


@dataclass(frozen=True, slots=True)
class DashboardOptions:
    """What the page needs to know of the command line: the scope to show and how often."""

    venue: str | None = None
    backend: Backend | None = None
    replay_dir: Path | None = None
    env_file: Path | None = None
    refresh: float = DEFAULT_REFRESH
    offline: bool = False

    def to_env(self) -> dict[str, str]:
        """The variables that carry these options to the page process."""
        env = {ENV_REFRESH: f"{self.refresh:g}", ENV_OFFLINE: "1" if self.offline else "0"}
        if self.venue:
            env[ENV_VENUE] = self.venue
        if self.backend is not None:
            env[ENV_BACKEND] = self.backend.value
        if self.replay_dir is not None:
            env[ENV_REPLAY] = str(self.replay_dir)
        if self.env_file is not None:
            env[ENV_FILE] = str(self.env_file.expanduser().resolve())
        return env

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> DashboardOptions:
        """The options :meth:`to_env` wrote (the ``.env`` file is found via ``TRADER_ENV_FILE``)."""
        backend = environ.get(ENV_BACKEND) or None
        replay = environ.get(ENV_REPLAY) or None
        try:
            refresh = float(environ.get(ENV_REFRESH) or DEFAULT_REFRESH)
        except ValueError:
            refresh = DEFAULT_REFRESH
        return cls(
            venue=environ.get(ENV_VENUE) or None,
            backend=None if backend is None else Backend(backend),
            replay_dir=None if replay is None else Path(replay),
            refresh=min(max(refresh, MIN_REFRESH), MAX_REFRESH),
            offline=environ.get(ENV_OFFLINE) == "1",
        )

    def settings(self) -> Settings:
        """Settings as the command line chose them (``--venue`` wins over ACTIVE_EXCHANGE)."""
        from trader_cli.config import load_settings
        from trader_cli.domain.venues import VenueChoice

        venue = None if self.venue is None else VenueChoice(self.venue)
        settings = load_settings(self.env_file, ACTIVE_EXCHANGE=venue)
        settings.use_backend(self.backend, self.replay_dir)
        return settings


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_host(host: str, settings: Settings) -> None:
    """Refuse (``ConfigError``, exit 2) to serve beyond loopback without ``DASHBOARD_PASSWORD``."""
    if not host.strip():
        raise ConfigError("--host is empty", hint=f"e.g. --host {DEFAULT_HOST}")
    if is_loopback(host) or settings.core.dashboard_password is not None:
        return
    raise ConfigError(
        f"--host {host} would serve the dashboard beyond this machine without a password",
        hint="set DASHBOARD_PASSWORD (environment or .env) so the page asks for it, or keep "
        f"the default --host {DEFAULT_HOST} and reach it through an SSH tunnel",
    )


def require_streamlit() -> None:
    """Raise ``ConfigError`` (exit 2) naming the extra to install when Streamlit cannot load."""
    try:
        import streamlit  # noqa: F401
    except ImportError as e:
        raise ConfigError(
            f"the dashboard needs Streamlit, which cannot be imported ({e})", hint=INSTALL_HINT
        ) from None


def streamlit_argv(host: str, port: int) -> list[str]:
    """``python -m streamlit run …``: headless, no usage statistics, no reloading."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
        "--global.developmentMode", "false",
        "--client.toolbarMode", "viewer",
        "--client.showErrorDetails", "none",  # our errors are shown redacted; no tracebacks
    ]  # fmt: skip


def child_env(options: DashboardOptions, base: Mapping[str, str]) -> dict[str, str]:
    """The page process's environment: ours, the options, and unbuffered output."""
    env = {k: v for k, v in base.items() if not k.startswith("TRADER_DASHBOARD_")}
    env.update(options.to_env())
    env["PYTHONUNBUFFERED"] = "1"  # its log lines reach us (and redaction) as they are written
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    return env


def serve(
    options: DashboardOptions,
    host: str,
    port: int,
    *,
    echo: TextIO,
    on_start: Callable[[], None] | None = None,
) -> int:
    """Run the Streamlit server until it stops, Ctrl-C or SIGTERM; its exit code (0 on a stop).

    The server's output is copied line by line to ``echo`` (which the CLI redacts). On SIGTERM
    or Ctrl-C the server is stopped too, so no page process outlives the command.
    """
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and script, no shell
        streamlit_argv(host, port),
        env=child_env(options, os.environ),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        preexec_fn=_die_with_parent,  # the command is single-threaded when it starts the page
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        if on_start is not None:
            on_start()
        assert proc.stdout is not None
        for line in proc.stdout:
            echo.write(line)
            echo.flush()
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop(proc)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent() -> None:
    """In the page process, before exec: SIGKILL when ``trader dashboard`` dies, even by
    SIGKILL, so a killed command never leaves a server listening (Linux; elsewhere a no-op).

    SIGKILL, not SIGTERM: Streamlit's own SIGTERM handler writes to the pipe of the dead command
    and never finishes stopping. The page holds nothing to save (it is read-only)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
