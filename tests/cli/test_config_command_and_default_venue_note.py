"""``trader config`` (sources, masking, derived paths) and the note when orders go to the sim
only because no venue was configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from trader_cli.cli.app import DEFAULT_VENUE_NOTE

# canaries: none of these may appear in any output, masked or not
GEMINI_KEY = "gemini-canary-KEY-4417"
LLM_KEY = "llm-canary-KEY-9023"
DB_PASSWORD = "dbCanaryPw8831"
LLM_URL_PASSWORD = "urlCanaryPw5512"
ACCOUNT = "DU7654321"
CANARIES = (GEMINI_KEY, LLM_KEY, DB_PASSWORD, LLM_URL_PASSWORD, ACCOUNT)


@pytest.fixture
def configured(clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Secrets in a ./.env and in the environment; returns the .env path."""
    env = tmp_path / ".env"
    env.write_text(
        f"GEMINI_API_KEY={GEMINI_KEY}\n"
        f"DATABASE_URL=postgresql://trader:{DB_PASSWORD}@db.example:5432/trader\n"
        f"IB_ACCOUNT_ID={ACCOUNT}\n"
        "IB_CLIENT_ID=7\n"
    )
    monkeypatch.setenv("LLM_API_KEY", LLM_KEY)
    monkeypatch.setenv("LLM_BASE_URL", f"https://bot:{LLM_URL_PASSWORD}@llm.example/v1")
    return env


def assert_no_canary(*texts: str) -> None:
    for text in texts:
        for canary in CANARIES:
            assert canary not in text
        # masked by the command itself, not only by the last-resort stream redaction
        assert "REDACTED" not in text


def test_config_json_sources_and_masking(trader, configured: Path, clean_env: Path) -> None:
    r = trader("config", "--json")
    assert r.code == 0, r.err
    assert_no_canary(r.out, r.err)
    data = r.json()
    assert data["envFile"] == str(configured.absolute())
    settings = data["settings"]
    from_file = f".env file {configured.absolute()}"
    assert settings["GEMINI_API_KEY"] == {"value": "***", "source": from_file}
    assert settings["LLM_API_KEY"] == {"value": "***", "source": "environment"}
    assert settings["GEMINI_API_SECRET"] == {"value": None, "source": "default"}
    assert settings["DATABASE_URL"] == {
        "value": "postgresql://trader:***@db.example:5432/trader",
        "source": from_file,
    }
    assert settings["LLM_BASE_URL"]["value"] == "https://bot:***@llm.example/v1"
    assert settings["IB_ACCOUNT_ID"] == {"value": "DU****321", "source": from_file}
    assert settings["IB_CLIENT_ID"] == {"value": 7, "source": from_file}
    assert settings["ACTIVE_EXCHANGE"] == {"value": "sim", "source": "default"}
    assert settings["TRADER_HOME"] == {"value": str(clean_env), "source": "environment"}
    derived = data["derived"]
    assert derived["envFileFrom"] == "./.env"
    assert derived["appDir"] == str(clean_env)
    assert derived["scope"] == "ib-sim"
    assert derived["database"] == "postgresql://trader:***@db.example:5432/trader"
    assert derived["simWorld"] == str(clean_env / "sim" / "ib-world.json")
    assert not clean_env.exists()  # looked at, not created


def test_config_table_groups_sources_and_masking(trader, configured: Path) -> None:
    r = trader("config")
    assert r.code == 0, r.err
    assert_no_canary(r.out, r.err)
    lines = r.out.splitlines()
    for group in ("core", "ib", "gemini", "risk", "sim", "telemetry", "health", "llm"):
        assert group in [line.strip() for line in lines], f"no {group} table"
    row = next(line for line in lines if line.split()[:1] == ["GEMINI_API_KEY"])
    assert row.split()[1:] == ["***", ".env", "file", str(configured.absolute())]
    row = next(line for line in lines if line.split()[:1] == ["IB_ACCOUNT_ID"])
    assert "DU****321" in row
    assert f"{configured.absolute()} (from ./.env)" in r.out


def test_config_default_layout_database_and_venue(
    trader, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IB_PAPER", "true")
    data = trader("config", "--venue", "ib", "--json").json()
    assert data["envFile"] is None
    assert data["derived"]["envFileFrom"] is None
    assert data["derived"]["database"] == str(clean_env / "trader-ib-paper.sqlite")
    assert data["settings"]["ACTIVE_EXCHANGE"] == {"value": "ib", "source": "--venue"}
    r = trader("config")
    assert "none (no --env-file" in r.out
    assert str(clean_env / "trader-ib-sim.sqlite") in r.out


def test_config_reads_trader_env_file(
    trader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cron_env = tmp_path / "cron.env"
    cron_env.write_text("ACTIVE_EXCHANGE=ib\n")
    monkeypatch.setenv("TRADER_ENV_FILE", str(cron_env))
    data = trader("config", "--json").json()
    assert data["envFile"] == str(cron_env)
    assert data["settings"]["ACTIVE_EXCHANGE"] == {
        "value": "ib",
        "source": f"TRADER_ENV_FILE {cron_env}",
    }


@pytest.mark.parametrize("how", ["option", "variable"])
def test_named_env_file_missing_exits_2_naming_it(
    how: str, trader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("IB_CLIENT_ID=3\n")  # not a fallback for a typo
    missing = tmp_path / "nope.env"
    if how == "option":
        r = trader("--env-file", str(missing), "config")
    else:
        monkeypatch.setenv("TRADER_ENV_FILE", str(missing))
        r = trader("config")
    assert r.code == 2
    assert str(missing) in "".join(r.err.split())  # rich may wrap a long path on stderr
    assert ("--env-file" if how == "option" else "TRADER_ENV_FILE") in r.err


# -- the note on the default sim --------------------------------------------------------------
@pytest.fixture
def pinned_sim(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")


ORDER_COMMANDS = {
    "resync": ("resync",),
    "flatten": ("flatten", "--all"),
    "place": ("place", "BHP/AUD", "buy", "1000", "--limit", "44.50"),  # refused by risk
    "run": ("run", "--cycles", "1", "--interval", "1s", "--dry-run"),
}


@pytest.mark.usefixtures("pinned_sim")
@pytest.mark.parametrize("command", sorted(ORDER_COMMANDS))
def test_order_commands_note_the_default_sim(trader, command: str) -> None:
    r = trader(*ORDER_COMMANDS[command])
    assert r.code in (0, 3), r.err
    assert r.err.count(DEFAULT_VENUE_NOTE) == 1
    assert f"note: {DEFAULT_VENUE_NOTE}\n" in r.err  # one line
    assert "note:" not in r.out


@pytest.mark.usefixtures("pinned_sim")
def test_note_goes_to_stderr_in_json_mode(trader) -> None:
    r = trader("resync", "--json")
    assert r.code == 0, r.err
    assert DEFAULT_VENUE_NOTE in r.err
    assert "note" not in r.out
    r.json()  # stdout stays one JSON document


@pytest.mark.usefixtures("pinned_sim")
@pytest.mark.parametrize("where", ["--venue sim", "environment", ".env"])
def test_no_note_when_the_sim_was_chosen(
    where: str, trader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["resync"]
    if where == "--venue sim":
        args += ["--venue", "sim"]
    elif where == "environment":
        monkeypatch.setenv("ACTIVE_EXCHANGE", "sim")
    else:
        (tmp_path / ".env").write_text("ACTIVE_EXCHANGE=sim\n")
    r = trader(*args)
    assert r.code == 0, r.err
    assert "note:" not in r.err


@pytest.mark.usefixtures("pinned_sim")
def test_no_note_for_commands_that_send_nothing(trader) -> None:
    for args in (
        ("place", "BHP/AUD", "buy", "10", "--limit", "44.50", "--dry-run"),
        ("config",),
        ("quote", "BHP/AUD"),
    ):
        r = trader(*args)
        assert r.code in (0, 3), (args, r.err)
        assert "note:" not in r.err, args
