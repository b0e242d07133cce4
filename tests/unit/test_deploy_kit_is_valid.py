"""``deploy/``: the Compose file is valid Compose (``docker compose config`` where Docker works,
else the Compose spec's JSON schema), paper by default with credentials only in env files; the
systemd units parse (``systemd-analyze verify`` where it exists) and run commands trader takes."""

from __future__ import annotations

import configparser
import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
UNITS = DEPLOY / "systemd"
# Where the Compose spec's schema can be found on this machine: TRADER_COMPOSE_SCHEMA, or the
# one Debian's docker-compose package ships (.ci/run installs it when Docker has no compose).
SCHEMA_CANDIDATES = [
    os.environ.get("TRADER_COMPOSE_SCHEMA", ""),
    "/usr/lib/python3/dist-packages/compose/config/compose_spec.json",
]
IN_CI = bool(os.environ.get("CI"))


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def missing(what: str) -> None:
    """Skip on a developer's machine without ``what``; fail in CI, which installs it."""
    if IN_CI:
        pytest.fail(f"{what} is missing in CI (.ci/run installs it)")
    pytest.skip(f"{what} is not installed here")


def with_env_files(tmp_path: Path) -> Path:
    """A copy of deploy/ with the example env files in place of the private ones."""
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy)
    for example in copy.glob("*.env.example"):
        shutil.copy(example, example.with_name(example.name.removesuffix(".example")))
    return copy / "compose.yaml"


def compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        ok = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if ok.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    cli = compose_cli()
    if cli is None:
        missing("docker compose (or docker-compose)")
    assert cli is not None
    done = subprocess.run([*cli, "-f", str(with_env_files(tmp_path)), "config", "-q"],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_file_matches_the_compose_spec_schema() -> None:
    import jsonschema

    found = [Path(p) for p in SCHEMA_CANDIDATES if p and Path(p).is_file()]
    if not found:
        missing("the Compose spec JSON schema (Debian's docker-compose package)")
    schema = json.loads(found[0].read_text())
    # its $schema names no draft jsonschema knows; draft 7 reads it as the spec means
    validator = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)(
        schema
    )
    errors = sorted(validator.iter_errors(compose()), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    # the check can fail: a misspelt key is an error
    broken = compose()
    broken["services"]["trader"]["restrat"] = "always"
    assert list(validator.iter_errors(broken))


def test_the_gateway_is_paper_by_default_with_credentials_only_in_an_env_file() -> None:
    gateway = compose()["services"]["ib-gateway"]
    assert gateway["image"].startswith("ghcr.io/gnzsnz/ib-gateway:")
    assert gateway["environment"]["TRADING_MODE"] == "${TRADING_MODE:-paper}"
    assert gateway["env_file"] == ["./ib-gateway.env"]
    text = COMPOSE.read_text()
    for secret in ("TWS_PASSWORD", "TWS_USERID", "NOTIFY_URLS"):
        assert f"{secret}:" not in text and f"{secret}=" not in text, secret
    assert all(p.startswith("127.0.0.1:") for p in gateway["ports"])  # loopback only
    example = (DEPLOY / "ib-gateway.env.example").read_text()
    assert "TRADING_MODE=paper" in example
    ignored = (ROOT / ".gitignore").read_text()
    assert "deploy/*.env" in ignored  # the private copies never get committed


def trader_accepts(args: list[str]) -> None:
    """``trader <args> --help`` exits 0: every option in a deploy file is one trader takes."""
    from typer.testing import CliRunner

    from trader_cli.cli.app import app

    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, (args, result.output)


def test_every_trader_command_in_compose_is_one_trader_takes() -> None:
    services = compose()["services"]
    client_ids = []
    for name in ("trader", "resync"):
        service = services[name]
        trader_accepts(service["command"])
        client_ids.append(service["environment"]["IB_CLIENT_ID"])
        assert service["environment"]["IB_HOST"] == "ib-gateway"
    assert len(set(client_ids)) == len(client_ids)  # one client id per process


def units() -> dict[str, configparser.ConfigParser]:
    parsed = {}
    for path in sorted(UNITS.iterdir()):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(path)
        parsed[path.name] = parser
    return parsed


def test_the_units_have_what_systemd_needs_and_run_commands_trader_takes() -> None:
    found = units()
    assert set(found) == {"trader-run.service", "trader-resync.service", "trader-resync.timer"}
    client_ids = []
    for name in ("trader-run.service", "trader-resync.service"):
        unit = found[name]
        assert unit["Unit"]["Description"]
        service = unit["Service"]
        assert service["EnvironmentFile"] == "/etc/trader/trader.env"  # secrets never inline
        argv = shlex.split(service["ExecStart"])
        assert argv[0].startswith("/") and argv[0].endswith("/trader")
        trader_accepts(argv[1:])
        client_ids.append(
            next(v for v in service.get("Environment", "").split() if "IB_CLIENT_ID" in v)
        )
    assert found["trader-run.service"]["Service"]["Restart"] == "on-failure"
    assert found["trader-run.service"]["Install"]["WantedBy"] == "multi-user.target"
    assert found["trader-resync.service"]["Service"]["Type"] == "oneshot"
    timer = found["trader-resync.timer"]
    assert timer["Timer"]["OnCalendar"]
    assert timer["Install"]["WantedBy"] == "timers.target"
    assert len(set(client_ids)) == 2


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here (the parse test above still runs)")
    paths = [str(p) for p in sorted(UNITS.iterdir())]
    done = subprocess.run([analyze, "verify", *paths], capture_output=True, text=True,
                          check=False, timeout=60)
    # the one thing a test machine lacks is the installed program itself
    problems = [
        line for line in (done.stdout + done.stderr).splitlines()
        if line.strip() and "/opt/trader/venv/bin/trader is not executable" not in line
    ]
    assert not problems, problems
