"""Settings: defaults are safe, every bad value exits 2 naming the variable, secrets never leak."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from trader_cli.config import load_settings
from trader_cli.domain.scope import Backend
from trader_cli.domain.symbols import InstrumentClass, Symbol
from trader_cli.domain.venues import Venue
from trader_cli.errors import ConfigError, ExitCode

pytestmark = pytest.mark.usefixtures("clean_env")


def test_defaults_are_paper_sim_and_aud() -> None:
    s = load_settings()
    assert (s.venue, s.backend) == (Venue.IB, Backend.SIM)  # IB on the sim
    assert s.ib.paper is True
    assert s.base_currency == "AUD"
    assert s.ib.routing_exchange == "SMART"
    assert s.ib.primary_exchange == "ASX"
    assert s.ib.effective_port == 4002
    assert InstrumentClass.CRYPTO not in s.ib.allowed_instruments
    assert s.gemini.sandbox is True
    assert Symbol("BHP", "AUD") in s.allowed_symbols
    assert isinstance(s.risk.max_order_value, Decimal)


@pytest.mark.parametrize(
    ("app", "paper", "port"),
    [
        ("gateway", "true", 4002),
        ("gateway", "false", 4001),
        ("tws", "true", 7497),
        ("tws", "false", 7496),
    ],
)
def test_default_port_follows_app_and_paper(
    monkeypatch: pytest.MonkeyPatch, app: str, paper: str, port: int
) -> None:
    monkeypatch.setenv("IB_APP", app)
    monkeypatch.setenv("IB_PAPER", paper)
    assert load_settings().ib.effective_port == port


def test_env_file_values_and_environment_precedence(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = tmp_path / "custom.env"
    env.write_text("IB_BASE_CURRENCY=usd\nALLOWED_SYMBOLS=cba/aud, AUD/USD\nIB_PORT=4100\n")
    s = load_settings(env)
    assert s.base_currency == "USD"
    assert [str(x) for x in s.allowed_symbols] == ["CBA/AUD", "AUD/USD"]
    monkeypatch.setenv("IB_PORT", "4200")
    assert load_settings(env).ib.port == 4200
    assert load_settings(env, IB_PORT=4300).ib.port == 4300


def test_dot_env_in_cwd_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ACTIVE_EXCHANGE=ib\n")
    assert load_settings().venue is Venue.IB


def test_missing_env_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist") as info:
        load_settings(tmp_path / "nope.env")
    assert info.value.exit_code is ExitCode.BAD_INPUT


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("ACTIVE_EXCHANGE", "binance", "'ib', 'gemini' or 'sim'"),
        ("IB_PORT", "abc", "integer"),
        ("IB_PORT", "70000", "less than or equal to 65535"),
        ("IB_CLIENT_ID", "-1", "greater than or equal to 0"),
        ("IB_PAPER", "maybe", "boolean"),
        ("IB_APP", "desktop", "gateway|tws"),
        ("IB_BASE_CURRENCY", "dollars!", "currency code"),
        ("IB_EXCHANGE", "smart//asx", "ROUTING/PRIMARY"),
        ("IB_ACCOUNT_ID", "not-an-account", "DU1234567"),
        ("IB_ALLOWED_INSTRUMENTS", "asx_equity,crypto", "no crypto"),
        ("IB_ALLOWED_INSTRUMENTS", "stocks", "asx_equity"),
        ("IB_COMMISSION_ASX_RATE", "-0.1", "greater than or equal to 0"),
        ("ALLOWED_SYMBOLS", "BHP/AUD,BHP.AX", "BHP/AUD"),
        ("ALLOWED_SYMBOLS", "AUDUSD", "AUD/USD"),
        ("CLIENT_ORDER_PREFIX", "my-bot!", "letters/digits"),
        ("MAX_ORDER_VALUE", "0", "greater than 0"),
        ("MAX_ORDER_VALUE", "lots", "decimal"),
        ("MAX_ORDER_VALUE", "50000", "cannot exceed MAX_TOTAL_EXPOSURE"),
        ("DATABASE_URL", "mysql://x", "sqlite:///"),
        ("GEMINI_SANDBOX", "perhaps", "boolean"),
    ],
)
def test_bad_values_name_variable_value_and_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    text = str(info.value)
    assert info.value.exit_code is ExitCode.BAD_INPUT
    assert name in text
    assert fragment.lower() in text.lower()
    if name not in {"MAX_ORDER_VALUE"} or value != "50000":
        assert value in text


def test_account_id_is_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IB_ACCOUNT_ID", " du1234567 ")
    assert load_settings().ib.account_id == "DU1234567"


def test_secrets_never_appear_in_repr_dict_or_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "key-s3cret-value")
    monkeypatch.setenv("GEMINI_API_SECRET", "secret-s3cret-value")
    s = load_settings()
    assert s.gemini.api_secret is not None
    assert s.gemini.api_secret.get_secret_value() == "secret-s3cret-value"
    for text in (repr(s), repr(s.gemini), str(s.gemini), str(s.public_dict())):
        assert "s3cret" not in text
    # a bad value next to secrets: the error names the bad variable but shows no secret
    monkeypatch.setenv("GEMINI_TAKER_FEE", "free")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "GEMINI_TAKER_FEE" in str(info.value)
    assert "s3cret" not in str(info.value)
    assert "s3cret" not in repr(info.value.__cause__)


REPO = Path(__file__).resolve().parents[2]


def test_env_example_documents_every_setting_and_loads_cleanly() -> None:
    example = REPO / ".env.example"
    text = example.read_text()
    documented = {
        line.lstrip("# ").split("=", 1)[0]
        for line in text.splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].isupper()
    }
    names = set(load_settings(example).public_dict())
    assert names - documented == set(), f"undocumented settings: {sorted(names - documented)}"
    assert documented - names == set(), f"documented but unknown: {sorted(documented - names)}"


def test_unset_allowed_symbols_follow_the_venue(tmp_path: Path) -> None:
    ib = load_settings(ACTIVE_EXCHANGE="ib")
    assert [str(s) for s in ib.allowed_symbols][:1] == ["BHP/AUD"]
    gemini = load_settings(ACTIVE_EXCHANGE="gemini")
    assert [str(s) for s in gemini.allowed_symbols] == ["BTC/USD", "ETH/USD", "SOL/USD"]
    env = tmp_path / "gemini.env"
    env.write_text("ACTIVE_EXCHANGE=gemini\nALLOWED_SYMBOLS=ETH/USD\n")
    assert [str(s) for s in load_settings(env).allowed_symbols] == ["ETH/USD"]
    chosen = load_settings(ACTIVE_EXCHANGE="gemini", ALLOWED_SYMBOLS="BTC/USD")
    assert [str(s) for s in chosen.allowed_symbols] == ["BTC/USD"]


# --- read as before (pydantic-settings, 9c58068): found by a differential over both loaders ---


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IB_APP", "gateway\n"),  # was accepted, then IB_PORTS[("gateway\n", True)] raised
        ("IB_COMMISSION_PLAN", "fixed\n"),  # was accepted, then priced as tiered (AUD 5, not 6)
        ("HEALTH_IB_SERVER_REGION", "europe\n"),
    ],
)
def test_a_choice_with_a_trailing_newline_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.message.startswith(f"invalid setting: {name}=")
    monkeypatch.delenv(name)
    env = tmp_path / "quoted.env"  # the same from a .env file: "\n" inside double quotes
    env.write_text(f'{name}="{value.strip()}\\n"\n')
    with pytest.raises(ConfigError, match=name):
        load_settings(env)


@pytest.mark.parametrize("value", [" true ", "false ", "\tfalse\n", " 0"])
def test_a_boolean_with_blanks_around_it_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("IB_PAPER", value)
    with pytest.raises(ConfigError, match=r"IB_PAPER=.*valid boolean"):
        load_settings()


@pytest.mark.parametrize(
    ("value", "port"), [("4001.0", 4001), ("4001.000", 4001), (" 7497.0 ", 7497)]
)
def test_an_integer_with_a_zero_fraction_is_read(
    monkeypatch: pytest.MonkeyPatch, value: str, port: int
) -> None:
    monkeypatch.setenv("IB_PORT", value)
    assert load_settings().ib.port == port
    monkeypatch.setenv("IB_PORT", "4001.5")
    with pytest.raises(ConfigError, match="IB_PORT"):
        load_settings()


@pytest.mark.parametrize("name", ["IB_PORT", "SIM_SEED", "TELEMETRY_MAX_BYTES"])
def test_an_integer_of_thousands_of_digits_is_a_config_error_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "1" * 5000)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.exit_code == ExitCode.BAD_INPUT and name in info.value.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-07-03T01:00:00z", "2024-07-03T01:00:00+00:00"),
        ("2024-07-03t01:00:00+0000", "2024-07-03T01:00:00+00:00"),
        ("2024-07-03 01:00+10:00", "2024-07-03T01:00:00+10:00"),
        ("2024-07-03T01:00:00.1234567Z", "2024-07-03T01:00:00.123456+00:00"),
        ("1720000000", "2024-07-03T09:46:40+00:00"),
        ("1720000000000", "2024-07-03T09:46:40+00:00"),  # beyond 2e10: milliseconds
        ("99999999999", "1973-03-03T09:46:39.999000+00:00"),  # not the year 5138
    ],
)
def test_sim_clock_reads_times_and_epoch_numbers_as_before(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    monkeypatch.setenv("SIM_CLOCK", value)
    clock = load_settings().sim.clock
    assert clock is not None and clock.isoformat() == expected


@pytest.mark.parametrize(
    "value",
    ["20240703T010000Z", "2024-W27-3T01:00Z", "2024-07-03T01:00:00+00", "2024-07-03T01Z",
     " 2024-07-03T01:00:00Z ", "2024-07-03T01:00:00 +00:00", "1e9", "2024-07-03T01:00:00+24:00",
     "\u0662\u0660\u0662\u0664-07-03T01:00:00Z", "2024-07-03T01:00:00.\uff15Z"],
)
def test_sim_clock_refuses_what_it_refused_before(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SIM_CLOCK", value)
    with pytest.raises(ConfigError, match="SIM_CLOCK"):
        load_settings()


def test_no_url_password_in_an_error_or_a_record_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_URL", "gu:gemPWzz11@127.0.0.1:1")  # no scheme: refused
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "gemPWzz11" not in info.value.message
    monkeypatch.setenv("GEMINI_API_URL", "http://gu:gemPWzz11@127.0.0.1:1")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:dbPWzz33@localhost/db")
    monkeypatch.setenv("GEMINI_API_KEY", "keyZZ998877")
    monkeypatch.setenv("IB_ACCOUNT_ID", "DU7654321")
    s = load_settings()
    shown = " ".join(repr(part) for _, _, part in s.groups())
    for secret in ("gemPWzz11", "dbPWzz33", "keyZZ998877", "7654321"):
        assert secret not in shown
    assert "database_url='postgresql://u:***@localhost/db'" in shown


def test_every_secret_setting_and_url_password_is_registered_for_redaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every SecretStr setting of every record (found by its type, so a new one is covered)
    and the password of every URL setting is masked once the settings are loaded."""
    from trader_cli.config import Settings
    from trader_cli.config_fields import SecretStr
    from trader_cli.redaction import redact

    names: dict[str, str] = {}
    for _, prefix, part in load_settings().groups():
        for field, info in type(part).model_fields.items():
            name = f"{prefix}{field}".upper()
            if SecretStr in getattr(info.annotation, "__args__", (info.annotation,)):
                names[name] = f"{field.replace('_', '')}Zq{len(names)}x"
            elif field.endswith("url"):
                names[name] = f"pw{field.replace('_', '')}Zq{len(names)}"
    assert set(names) >= Settings.SECRET_FIELDS
    for name, secret in names.items():
        if name == "NOTIFY_URLS":
            monkeypatch.setenv(name, f"json://user:{secret}@127.0.0.1:9/x")
        elif name.endswith("URL"):
            scheme = "postgresql" if name == "DATABASE_URL" else "https"
            monkeypatch.setenv(name, f"{scheme}://user:{secret}@example.net/db")
        else:
            monkeypatch.setenv(name, secret)
    load_settings()
    for name, secret in names.items():
        assert secret not in redact(f"logged: {secret} and in a URL https://a:{secret}@h/"), name


@pytest.mark.parametrize(
    "text",
    [
        'MAX_ORDER_VALUE="500\n',  # an unclosed quote: dotenv skipped it, the default 5000 ruled
        "KILL_SWITCH=true\nMAX ORDER VALUE=500\n",
        "IB_PAPER=true\n=false\n",
        "MAX_ORDER_VALUE='500\nMAX_TOTAL_EXPOSURE=2000\n",
    ],
)
def test_an_env_file_line_that_cannot_be_read_stops_the_command(
    tmp_path: Path, text: str
) -> None:
    env = tmp_path / "typo.env"
    env.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    assert str(env) in info.value.message and "line" in info.value.message
    assert info.value.exit_code == ExitCode.BAD_INPUT
    assert "500" not in info.value.message  # the line itself may hold a secret: not echoed


def test_an_env_file_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    env = tmp_path / "latin1.env"
    env.write_bytes(b"IB_HOST=caf\xe9\n")
    with pytest.raises(ConfigError, match="UTF-8") as info:
        load_settings(env)
    assert info.value.exit_code == ExitCode.BAD_INPUT


@pytest.mark.parametrize("value", ["", " "])
def test_an_empty_path_setting_is_unset_not_the_current_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    """``TRADER_HOME=`` (as .env.example has it, uncommented) once made the app dir, the
    database and the sim world ``.``: a different database in every directory a command ran
    from, though the .env search already read it as unset."""
    from trader_cli.config_sources import platform_app_dir

    for name in ("TRADER_HOME", "TELEMETRY_LOG", "SIM_BARS"):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    s = load_settings()
    assert s.core.trader_home is None and s.app_dir == platform_app_dir()
    assert s.core.telemetry_log is None and s.telemetry_path == s.app_dir / "telemetry.log"
    assert s.sim.bars is None
    database = platform_app_dir() / "trader-ib-sim.sqlite"
    assert s.database_url_for("ib-sim") == f"sqlite:///{database}"


@pytest.mark.parametrize("name", ["TRADER_HOME", "DATABASE_URL", "TRADER_ENV_FILE"])
def test_a_path_too_long_for_the_system_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    """ENAMETOOLONG from a stat once escaped as an unexpected failure (exit 1)."""
    long = tmp_path / ("a" * 300) / "x"
    monkeypatch.setenv(name, f"sqlite:///{long}.sqlite" if name == "DATABASE_URL" else str(long))
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert name in info.value.message and info.value.exit_code == ExitCode.BAD_INPUT
