"""Which ``.env`` a command reads (--env-file, TRADER_ENV_FILE, ./.env, app dir) and each
setting's source; the environment always wins over the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from trader_cli.config import load_settings
from trader_cli.config_sources import EnvFileOrigin, find_env_file, platform_app_dir
from trader_cli.domain.venues import Venue
from trader_cli.errors import ConfigError, ExitCode

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def four_files(tmp_path: Path, clean_env: Path) -> dict[str, Path]:
    """One .env in each place, each setting IB_CLIENT_ID to a different number."""
    places = {
        "option": tmp_path / "cli" / "option.env",
        "variable": tmp_path / "cron" / "trader.env",
        "cwd": tmp_path / ".env",  # the cwd of clean_env
        "app_dir": clean_env / ".env",  # TRADER_HOME of clean_env
    }
    for number, path in enumerate(places.values(), start=11):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"IB_CLIENT_ID={number}\n")
    return places


def test_nothing_configured_reads_no_file() -> None:
    s = load_settings()
    assert s.env_file is None
    assert find_env_file() is None
    assert set(s.sources.values()) == {"default", "environment"}  # TRADER_HOME of clean_env
    assert s.sources["ACTIVE_EXCHANGE"] == "default"


def test_env_file_option_wins_over_every_other_place(
    four_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADER_ENV_FILE", str(four_files["variable"]))
    s = load_settings(four_files["option"])
    assert s.ib.client_id == 11
    assert s.env_file is not None
    assert s.env_file.origin is EnvFileOrigin.OPTION
    assert s.sources["IB_CLIENT_ID"] == f"--env-file {four_files['option']}"


def test_trader_env_file_wins_over_cwd_and_app_dir(
    four_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADER_ENV_FILE", str(four_files["variable"]))
    s = load_settings()
    assert s.ib.client_id == 12
    assert s.sources["IB_CLIENT_ID"] == f"TRADER_ENV_FILE {four_files['variable']}"


def test_cwd_dot_env_wins_over_app_dir(four_files: dict[str, Path]) -> None:
    s = load_settings()
    assert s.ib.client_id == 13
    assert s.env_file is not None
    assert s.env_file.origin is EnvFileOrigin.CWD
    assert s.env_file.path == four_files["cwd"].absolute()
    assert s.sources["IB_CLIENT_ID"] == f".env file {four_files['cwd'].absolute()}"


def test_app_dir_dot_env_is_the_last_resort(four_files: dict[str, Path]) -> None:
    four_files["cwd"].unlink()
    s = load_settings()
    assert s.ib.client_id == 14
    assert s.env_file is not None
    assert s.env_file.origin is EnvFileOrigin.APP_DIR
    assert s.sources["IB_CLIENT_ID"] == f".env file {four_files['app_dir'].absolute()}"


def test_app_dir_is_platform_default_without_trader_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRADER_HOME")
    platform_dir = tmp_path / "xdg" / "trader"
    platform_dir.mkdir(parents=True)
    (platform_dir / ".env").write_text("IB_CLIENT_ID=21\n")
    monkeypatch.setattr("trader_cli.config_sources.sys.platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(platform_dir.parent))
    assert load_settings().ib.client_id == 21


def test_trader_home_inside_a_dot_env_does_not_move_the_lookup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # for the lookup, TRADER_HOME counts only from the process environment
    monkeypatch.delenv("TRADER_HOME")
    platform_dir = tmp_path / "xdg" / "trader"
    elsewhere = tmp_path / "elsewhere"
    for path in (platform_dir, elsewhere):
        path.mkdir(parents=True)
    (platform_dir / ".env").write_text(f"TRADER_HOME={elsewhere}\nIB_CLIENT_ID=31\n")
    (elsewhere / ".env").write_text("IB_CLIENT_ID=32\n")
    monkeypatch.setattr("trader_cli.config_sources.sys.platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(platform_dir.parent))
    s = load_settings()
    assert s.ib.client_id == 31  # not read from elsewhere/.env
    assert s.app_dir == elsewhere  # ... yet the file moves the app dir (database, sim world)
    assert s.sources["TRADER_HOME"] == f".env file {platform_dir / '.env'}"


def test_environment_wins_over_the_file_and_override_over_both(
    four_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    four_files["cwd"].write_text("IB_CLIENT_ID=13\nACTIVE_EXCHANGE=gemini\nIB_HOST=10.0.0.9\n")
    monkeypatch.setenv("ib_client_id", "99")  # names match case-insensitively, as settings do
    s = load_settings(ACTIVE_EXCHANGE="ib")
    assert s.ib.client_id == 99
    assert s.sources["IB_CLIENT_ID"] == "environment"
    assert s.venue is Venue.IB
    assert s.sources["ACTIVE_EXCHANGE"] == "--venue"
    assert s.ib.host == "10.0.0.9"
    assert s.sources["IB_HOST"].startswith(".env file ")
    assert s.sources["IB_PORT"] == "default"


@pytest.mark.parametrize("how", ["option", "variable"])
def test_a_named_env_file_that_is_missing_is_a_config_error(
    how: str, tmp_path: Path, four_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # ./.env and the app dir's .env exist: a typo must not fall back to them
    missing = tmp_path / "typo.env"
    if how == "variable":
        monkeypatch.setenv("TRADER_ENV_FILE", str(missing))
    with pytest.raises(ConfigError) as info:
        load_settings(missing if how == "option" else None)
    assert info.value.exit_code is ExitCode.BAD_INPUT
    assert str(missing) in info.value.message
    assert ("--env-file" if how == "option" else "TRADER_ENV_FILE") in info.value.message


def test_the_file_is_read_as_dotenv_reads_it(
    four_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Names in any case, ``${VAR}`` expanded, a bare name sets nothing, unknown names ignored,
    lists written as commas."""
    monkeypatch.setenv("GATEWAY_HOST", "10.1.2.3")
    four_files["cwd"].write_text(
        "ib_client_id=21\n"
        "IB_HOST=${GATEWAY_HOST}\n"
        "IB_APP\n"  # no '=': not set, the default stands
        "NOT_A_SETTING=whatever\n"
        "ALLOWED_SYMBOLS= BHP/AUD, AUD/USD ,\n"
    )
    s = load_settings()
    assert (s.ib.client_id, s.ib.host, s.ib.app) == (21, "10.1.2.3", "gateway")
    assert s.sources["IB_CLIENT_ID"].startswith(".env file ")
    assert s.sources["IB_APP"] == "default"
    assert [str(x) for x in s.allowed_symbols] == ["BHP/AUD", "AUD/USD"]


def test_an_empty_value_is_a_value_and_is_checked(
    four_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``IB_PORT=`` is not the default: it is refused, naming the variable (exit 2)."""
    monkeypatch.setenv("IB_PORT", "")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.exit_code is ExitCode.BAD_INPUT
    assert "IB_PORT=''" in info.value.message


@pytest.mark.parametrize("xdg", [None, "/srv/conf"])
def test_the_platform_app_dir_is_typers(xdg: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """DESIGN's app dir is ``typer.get_app_dir("trader")``; settings compute it without
    importing typer (the emergency commands never load it), to the same path."""
    import typer

    if xdg is None:
        monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CONFIG_HOME", xdg)
    assert platform_app_dir() == Path(typer.get_app_dir("trader"))


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("darwin", {}, "~/Library/Application Support/trader"),
        ("win32", {"APPDATA": "C:/Users/me/AppData/Roaming"}, "C:/Users/me/AppData/Roaming/trader"),
        ("linux", {"XDG_CONFIG_HOME": "/x"}, "/x/trader"),
        ("linux", {}, "~/.config/trader"),
    ],
)
def test_the_platform_app_dir_on_each_platform(
    platform: str, env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("trader_cli.config_sources.sys.platform", platform)
    assert platform_app_dir(env) == Path(expected).expanduser()
