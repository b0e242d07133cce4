"""``trader dashboard``: loopback by default, a password beyond it, the extra named when missing."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.dashboard.conftest import LOOPBACK_V4, alive, environ, free_port, listening

PASSWORD = "s3cret-dashboard-pass"


def test_default_host_is_loopback_and_the_server_stops_with_the_command(
    sim_home: Path, serve
) -> None:
    port = free_port()
    server = serve(sim_home, "--venue", "sim", "--port", str(port), DASHBOARD_PASSWORD=PASSWORD)
    server.wait_for(rf"URL: http://127\.0\.0\.1:{port}")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=30) as resp:
        assert resp.read() == b"ok"
    assert listening(port) == [LOOPBACK_V4], "it must listen on 127.0.0.1 only"

    [child] = server.children()
    argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
    assert b"--server.headless" in argv
    assert argv[argv.index(b"--browser.gatherUsageStats") + 1] == b"false"
    assert not [a for a in argv if PASSWORD.encode() in a], "a secret on the command line"
    output = "".join(server.lines)
    assert PASSWORD not in output

    assert server.stop() == 0
    assert not alive(child), "the Streamlit server outlived trader dashboard"
    assert listening(port) == []


def test_a_killed_command_leaves_no_server(sim_home: Path, serve) -> None:
    port = free_port()
    server = serve(sim_home, "--venue", "sim", "--port", str(port))
    server.wait_for(rf"URL: http://127\.0\.0\.1:{port}")
    [child] = server.children()
    server.proc.kill()  # kill -9: no handler of ours runs
    server.proc.wait(30)
    try:  # the kernel signals the orphan: wait for it to exit (a pidfd turns readable)
        fd = os.pidfd_open(child)
    except ProcessLookupError:
        fd = None  # gone already
    if fd is not None:
        try:
            select.select([fd], [], [], 30)
        finally:
            os.close(fd)
    assert not alive(child), "the Streamlit server outlived a killed trader dashboard"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "dashboard.example.com"])
def test_beyond_loopback_without_a_password_is_refused(trader, host: str) -> None:
    port = free_port()
    r = trader("dashboard", "--venue", "sim", "--host", host, "--port", str(port))
    assert r.code == 2
    err = " ".join(r.err.split())  # the console wraps long lines
    assert f"--host {host} would serve the dashboard beyond this machine without a password" in err
    assert "hint: set DASHBOARD_PASSWORD" in err
    assert "Traceback" not in r.err
    assert listening(port) == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_hosts_need_no_password(host: str) -> None:
    from trader_cli.config import load_settings
    from trader_cli.dashboard.launch import check_host

    check_host(host, load_settings())  # raises when it refuses


def test_a_password_allows_another_host(monkeypatch: pytest.MonkeyPatch, clean_env) -> None:
    from trader_cli.config import load_settings
    from trader_cli.dashboard.launch import check_host
    from trader_cli.errors import ConfigError

    with pytest.raises(ConfigError):
        check_host("0.0.0.0", load_settings())
    monkeypatch.setenv("DASHBOARD_PASSWORD", PASSWORD)
    check_host("0.0.0.0", load_settings())
    monkeypatch.setenv("DASHBOARD_PASSWORD", "  ")  # empty is unset, not a password
    with pytest.raises(ConfigError):
        check_host("0.0.0.0", load_settings())


@pytest.mark.parametrize(
    "args", [["--port", "0"], ["--port", "70000"], ["--port", "8x"], ["--refresh", "0"]]
)
def test_bad_port_or_refresh_is_exit_2(trader, args: list[str]) -> None:
    r = trader("dashboard", "--venue", "sim", *args)
    assert r.code == 2
    assert "Invalid value" in r.err


def test_without_streamlit_exit_2_names_the_extra(tmp_path: Path) -> None:
    shim = tmp_path / "shim"
    (shim / "streamlit").mkdir(parents=True)
    (shim / "streamlit" / "__init__.py").write_text(
        "raise ImportError(\"No module named 'streamlit'\")\n"
    )
    port = free_port()
    env = environ(tmp_path / "home")
    env["PYTHONPATH"] = f"{shim}:{env.get('PYTHONPATH', '')}".rstrip(":")
    r = subprocess.run(
        [sys.executable, "-m", "trader_cli", "dashboard", "--venue", "sim", "--port", str(port)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )
    assert r.returncode == 2, r.stderr
    assert "pip install 'trader-cli[dashboard]'" in r.stderr
    assert "Traceback" not in r.stderr
    assert listening(port) == []


def test_trader_help_does_not_import_streamlit(tmp_path: Path) -> None:
    probe = (
        "import sys\nfrom trader_cli.cli.app import main\n"
        "try:\n    main(['dashboard', '--help'])\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(str('streamlit' in sys.modules))\n"
    )
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                       env=environ(tmp_path), timeout=60, check=False)
    assert r.stderr.strip().splitlines()[-1] == "False"
    assert "127.0.0.1" in r.stdout


def test_config_masks_the_dashboard_password(trader, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_PASSWORD", PASSWORD)
    r = trader("config", "--json")
    assert r.code == 0
    assert PASSWORD not in r.out + r.err
    assert "DASHBOARD_PASSWORD" in r.out
