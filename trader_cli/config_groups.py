"""The settings of each concern (IB, Gemini, risk, core, sim, telemetry, health, LLM, notify):
one typed record per concern (:mod:`trader_cli.config_fields`), read by
:func:`trader_cli.config.load_settings` from the variables named ``ENV_PREFIX`` + field name.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Literal

from trader_cli.config_fields import (
    Field,
    Record,
    SecretStr,
    field_validator,
    model_validator,
)
from trader_cli.domain.money import normalize_currency
from trader_cli.domain.orders import Protection
from trader_cli.domain.symbols import FIAT_CURRENCIES, InstrumentClass, parse_symbols
from trader_cli.domain.venues import VenueChoice
from trader_cli.errors import SymbolError
from trader_cli.redaction import mask_digits, redact, redact_url

IB_PORTS = {
    ("gateway", True): 4002,
    ("gateway", False): 4001,
    ("tws", True): 7497,
    ("tws", False): 7496,
}

#: ``ALLOWED_SYMBOLS`` on ``--venue gemini`` when it is not set: pairs Gemini and its simulator list
GEMINI_DEFAULT_SYMBOLS = ("BTC/USD", "ETH/USD", "SOL/USD")


# Where IB_EXCHANGE may route ASX stocks (the exchanges IB lists for them) and list them; FX
# always goes to IDEALPRO and US stocks to SMART, whatever IB_EXCHANGE says.
IB_ROUTING_EXCHANGES = ("SMART", "ASX", "CHIXAU")
IB_PRIMARY_EXCHANGES = ("ASX",)


def unusable_directory(path: Path) -> str | None:
    """Why ``path`` cannot be (or become) a writable directory, or None when it can."""
    try:
        return _unusable_directory(path.expanduser())
    except OSError as e:  # a name too long for the system, a loop of links
        return f"{path} cannot be used: {e.strerror or e}"


def _unusable_directory(path: Path) -> str | None:
    if path.exists():
        if not path.is_dir():
            return f"{path} is a file, not a directory"
        if not os.access(path, os.W_OK | os.X_OK):
            return f"{path} is not writable"
        return None
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"{path} cannot be created: {parent} is a file"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{path} cannot be created: {parent} is not writable"
    return None


def base_currency_code(value: str) -> str:
    """``value`` as a fiat currency code risk can be valued in; raises ``ValueError``."""
    code = normalize_currency(value)
    if code not in FIAT_CURRENCIES:
        raise ValueError(
            f"{code} is not a currency trader can value risk in; use one of "
            + ", ".join(sorted(FIAT_CURRENCIES))
        )
    return code


def _blank_is_unset(value: Any) -> Any:
    """An empty or blank path setting (``TRADER_HOME=``) is unset, never ``.``: the current
    directory would give every directory a command runs from its own database."""
    return None if isinstance(value, str) and not value.strip() else value


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class SettingsGroup(Record):
    """One concern's settings; :func:`load_settings` reads each field from the environment
    variable ``ENV_PREFIX`` + its name (any case), else the ``.env`` file, else its default.
    Numbers are plain ASCII digits (:mod:`trader_cli.config_fields`)."""

    ENV_PREFIX: ClassVar[str] = ""

    def __repr__(self) -> str:
        """Every field as an error may show it: secrets left out, URL passwords and account
        digits masked (:func:`shown_value`)."""
        parts = []
        for name in self.model_fields:
            value = getattr(self, name)
            masked = shown_value(f"{self.ENV_PREFIX}{name}".upper(), value)
            if value is None or isinstance(value, SecretStr):
                text = repr(value)
            elif masked is None:  # a secret under another type
                text = "'**********'"
            else:
                text = repr(masked) if isinstance(value, str) else masked
            parts.append(f"{name}={text}")
        return f"{type(self).__name__}({', '.join(parts)})"


class IBSettings(SettingsGroup):
    """Interactive Brokers (TWS / IB Gateway) connection, routing and commission settings."""

    ENV_PREFIX: ClassVar[str] = "IB_"

    host: str = "127.0.0.1"
    port: int | None = Field(default=None, ge=1, le=65535)
    app: str = Field(default="gateway", pattern="^(gateway|tws)$")
    client_id: int = Field(default=1, ge=0, le=2**31 - 1)
    account_id: str | None = None
    paper: bool = True
    # deprecated: BASE_CURRENCY (a core setting) wins; this is read only when that is unset
    base_currency: str | None = None
    exchange: str = "SMART/ASX"
    allowed_instruments: list[InstrumentClass] = Field(
        default_factory=lambda: [
            InstrumentClass.ASX_EQUITY,
            InstrumentClass.ASX_ETF,
            InstrumentClass.FX,
        ]
    )
    connect_timeout: float = Field(default=10.0, gt=0, le=600)
    commission_plan: str = Field(default="fixed", pattern="^(fixed|tiered)$")
    commission_asx_rate: Decimal = Field(default=Decimal("0.0008"), ge=0, lt=1)
    commission_asx_min: Decimal | None = Field(default=None, ge=0)
    commission_us_per_share: Decimal = Field(default=Decimal("0.005"), ge=0)
    commission_us_min: Decimal = Field(default=Decimal("1.00"), ge=0)
    commission_us_max_pct: Decimal = Field(default=Decimal("0.01"), ge=0, lt=1)
    commission_fx_bps: Decimal = Field(default=Decimal("0.20"), ge=0)
    commission_fx_min: Decimal = Field(default=Decimal("2.00"), ge=0)
    fx_spread_buffer_bps: Decimal = Field(default=Decimal("1.0"), ge=0)

    _validate_instruments = field_validator("allowed_instruments", mode="before")(_split_csv)

    @field_validator("base_currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return None if value is None else base_currency_code(value)

    @field_validator("account_id")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.fullmatch(r"[A-Z]{1,3}\d{3,10}", value.strip().upper()):
            raise ValueError("must look like an IB account id, e.g. DU1234567 (paper) or U1234567")
        return value.strip().upper()

    @field_validator("exchange")
    @classmethod
    def _exchange(cls, value: str) -> str:
        text = value.strip().upper()
        if not re.fullmatch(r"[A-Z]+(/[A-Z]+)?", text):
            raise ValueError("must be ROUTING/PRIMARY (e.g. SMART/ASX) or one exchange (e.g. ASX)")
        routing, primary = text.split("/")[0], text.split("/")[-1]
        if routing not in IB_ROUTING_EXCHANGES:
            fx = " (FX always goes to IDEALPRO)" if routing == "IDEALPRO" else ""
            raise ValueError(
                f"{routing} is not an exchange trader routes ASX stocks to{fx}; use one of "
                f"{', '.join(IB_ROUTING_EXCHANGES)}, e.g. SMART/ASX"
            )
        if primary not in IB_PRIMARY_EXCHANGES:
            raise ValueError(
                f"{primary} is not a listing exchange trader knows; use "
                f"{' or '.join(IB_PRIMARY_EXCHANGES)}, e.g. SMART/ASX"
            )
        return text

    @field_validator("allowed_instruments")
    @classmethod
    def _no_crypto(cls, value: list[InstrumentClass]) -> list[InstrumentClass]:
        if InstrumentClass.CRYPTO in value:
            raise ValueError(
                "IB Australia offers no crypto; allowed: asx_equity, asx_etf, us_equity, fx"
            )
        if not value:
            raise ValueError("must name at least one of asx_equity, asx_etf, us_equity, fx")
        return value

    @property
    def asx_commission_minimum(self) -> Decimal:
        """``IB_COMMISSION_ASX_MIN``, or the plan's minimum (fixed AUD 6.00, tiered AUD 5.00)."""
        if self.commission_asx_min is not None:
            return self.commission_asx_min
        return Decimal("6.00") if self.commission_plan == "fixed" else Decimal("5.00")

    @property
    def routing_exchange(self) -> str:
        """Exchange orders are routed to (``SMART`` by default)."""
        return self.exchange.split("/")[0]

    @property
    def primary_exchange(self) -> str:
        """Listing exchange of stocks (``ASX`` by default)."""
        return self.exchange.split("/")[-1]

    @property
    def effective_port(self) -> int:
        """``IB_PORT``, or IB's default: Gateway 4002/4001, TWS 7497/7496 (paper/live)."""
        return self.port if self.port is not None else IB_PORTS[(self.app, self.paper)]


class GeminiSettings(SettingsGroup):
    """Gemini (via ccxt) credentials and fee schedule."""

    ENV_PREFIX: ClassVar[str] = "GEMINI_"

    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    sandbox: bool = True
    # a base URL that replaces Gemini's (and the sandbox's): the simulator, a recording proxy
    api_url: str | None = None
    maker_fee: Decimal = Field(default=Decimal("0.0020"), ge=0, lt=1)
    taker_fee: Decimal = Field(default=Decimal("0.0040"), ge=0, lt=1)
    # USD per unit of BASE_CURRENCY (e.g. 0.66 for AUD): values Gemini's USD in the base
    # currency when BASE_CURRENCY is not USD; unset and not GEMINI_FX_FROM_IB: refused
    usd_per_base: Decimal | None = Field(default=None, gt=0)
    # ask IB (TWS/Gateway as configured by IB_*) for the base currency's USD rate instead
    fx_from_ib: bool = False

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        text = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", text):
            raise ValueError("must be an http(s) URL, e.g. http://127.0.0.1:8765")
        return text


class RiskSettings(SettingsGroup):
    """Risk limits, all in the base currency (``BASE_CURRENCY``)."""

    max_order_value: Decimal = Field(default=Decimal("5000"), gt=0)
    max_total_exposure: Decimal = Field(default=Decimal("20000"), gt=0)
    min_trade_size: Decimal = Field(default=Decimal("500"), ge=0)
    min_top_of_book_notional: Decimal = Field(default=Decimal("2000"), ge=0)
    max_daily_loss: Decimal = Field(default=Decimal("1000"), gt=0)
    # kill switch: blocks new risk, still lets orders that only reduce a position through
    kill_switch: bool = False
    # liquidity: widest spread accepted per instrument class, in basis points of the mid
    max_spread_bps_asx_equity: Decimal = Field(default=Decimal("50"), gt=0)
    max_spread_bps_asx_etf: Decimal = Field(default=Decimal("30"), gt=0)
    max_spread_bps_us_equity: Decimal = Field(default=Decimal("20"), gt=0)
    max_spread_bps_fx: Decimal = Field(default=Decimal("5"), gt=0)
    max_spread_bps_crypto: Decimal = Field(default=Decimal("40"), gt=0)
    min_top_of_book_size: Decimal = Field(default=Decimal("0"), ge=0)
    max_quote_age_seconds: Decimal = Field(default=Decimal("30"), gt=0)
    marketable_limit_slippage_bps: Decimal = Field(default=Decimal("20"), ge=0, le=1000)
    # price band: a limit further than this (percent) from the touch is refused as a typo
    max_price_deviation_pct_equity: Decimal = Field(default=Decimal("5"), gt=0)
    max_price_deviation_pct_fx: Decimal = Field(default=Decimal("1"), gt=0)
    max_price_deviation_pct_crypto: Decimal = Field(default=Decimal("5"), gt=0)
    # where a plan's stop and target are held: at the broker (an IB bracket, surviving our
    # process) where the venue can hold them, or watched by `trader run` alone
    protection: Protection = Protection.BROKER

    @model_validator(mode="after")
    def _consistent(self) -> RiskSettings:
        if self.max_order_value > self.max_total_exposure:
            raise ValueError(
                f"MAX_ORDER_VALUE ({self.max_order_value}) cannot exceed "
                f"MAX_TOTAL_EXPOSURE ({self.max_total_exposure})"
            )
        if self.min_trade_size > self.max_order_value:
            raise ValueError(
                f"MIN_TRADE_SIZE ({self.min_trade_size}) cannot exceed "
                f"MAX_ORDER_VALUE ({self.max_order_value})"
            )
        return self


class CoreSettings(SettingsGroup):
    """Venue selection, base currency, symbols, order ids, storage and telemetry."""

    active_exchange: VenueChoice = VenueChoice.SIM
    base_currency: str = "AUD"
    # IB's default universe; Settings.allowed_symbols gives Gemini its own when this is unset
    allowed_symbols: list[str] = Field(
        default_factory=lambda: ["BHP/AUD", "CBA/AUD", "CSL/AUD", "VAS/AUD", "AUD/USD"]
    )
    client_order_prefix: str = "trd"
    database_url: str | None = None
    telemetry_log: Path | None = None
    trader_home: Path | None = None
    # the password `trader dashboard` asks for; required to serve it beyond loopback
    dashboard_password: SecretStr | None = None

    _validate_symbols = field_validator("allowed_symbols", mode="before")(_split_csv)
    _blank_paths = field_validator("telemetry_log", "trader_home", mode="before")(_blank_is_unset)

    @field_validator("base_currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return base_currency_code(value)

    @field_validator("allowed_symbols")
    @classmethod
    def _symbols(cls, value: list[str]) -> list[str]:
        try:
            return [str(s) for s in parse_symbols(value)]
        except SymbolError as e:
            raise ValueError(e.message) from None

    @field_validator("client_order_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,11}", value):
            raise ValueError("must be 1-12 letters/digits starting with a letter, e.g. trd")
        return value

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.match(r"^(sqlite|postgres|postgresql)(\+\w+)?://", value.strip()):
            raise ValueError("must start with sqlite:/// or postgresql://")
        text = value.strip()
        if text.lower().startswith("sqlite:///"):
            name = text[len("sqlite:///") :].split("?", 1)[0]
            if name and name != ":memory:":
                path = Path(name).expanduser()
                try:
                    is_dir = path.is_dir()
                except OSError as e:  # a name too long for the system
                    raise ValueError(f"{path} cannot be used: {e.strerror or e}") from None
                if is_dir:
                    raise ValueError(
                        f"{path} is a directory; name the database file in it, "
                        f"e.g. sqlite:///{path / 'trader.sqlite'}"
                    )
                problem = unusable_directory(path.parent)
                if problem:
                    raise ValueError(f"the database's directory {problem}")
        return text

    @field_validator("dashboard_password", mode="before")
    @classmethod
    def _password(cls, value: Any) -> Any:
        """An empty ``DASHBOARD_PASSWORD=`` is unset, never a password anyone can type."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("trader_home")
    @classmethod
    def _home(cls, value: Path | None) -> Path | None:
        if value is None or not str(value).strip():
            return None
        problem = unusable_directory(value)
        if problem:
            raise ValueError(f"{problem}; point it at a directory trader can create or write")
        return value.expanduser()


class SimSettings(SettingsGroup):
    """The offline simulator behind ``--sim`` (and ``--venue sim``)."""

    ENV_PREFIX: ClassVar[str] = "SIM_"

    seed: int = Field(default=0, ge=0)
    clock: datetime | None = None
    speed: float | None = Field(default=None, gt=0, le=100_000)
    persist: bool = True
    # bars (``ts,open,high,low,close[,volume][,symbol]``) that drive the sim's prices instead of
    # its seeded model, as ``trader sim-gateway --bars`` (docs/sim.md)
    bars: Path | None = None
    # how long a command waits for another process's hold on the sim world (see docs/sim.md)
    lock_timeout: float = Field(default=30.0, gt=0, le=3600)

    _blank_bars = field_validator("bars", mode="before")(_blank_is_unset)

    @field_validator("clock")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a timezone, e.g. 2024-07-03T01:00:00Z")
        return value


class TelemetrySettings(SettingsGroup):
    """Rotation of ``telemetry.log`` (its path is ``TELEMETRY_LOG``)."""

    ENV_PREFIX: ClassVar[str] = "TELEMETRY_"

    max_bytes: int = Field(default=10_000_000, ge=1024)
    backups: int = Field(default=5, ge=0, le=100)


class HealthSettings(SettingsGroup):
    """Circuit breakers per dependency, reconnect backoff and IB's daily reset windows."""

    ENV_PREFIX: ClassVar[str] = "HEALTH_"

    failure_threshold: int = Field(default=3, ge=1, le=100)
    recovery_probes: int = Field(default=2, ge=1, le=100)
    backoff_initial: float = Field(default=2.0, gt=0, le=3600)
    backoff_max: float = Field(default=120.0, gt=0, le=86_400)
    ib_server_region: str = Field(
        default="asia_pacific", pattern="^(north_america|europe|asia_pacific)$"
    )
    reset_windows: str | None = None
    reset_grace_minutes: float = Field(default=15.0, ge=0, le=24 * 60)
    disconnect_alert_minutes: float = Field(default=5.0, gt=0, le=24 * 60)

    @field_validator("reset_windows")
    @classmethod
    def _windows(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from trader_cli.domain.windows import parse_windows

        try:
            parse_windows(value)
        except ValueError as e:
            raise ValueError(str(e)) from None
        return value.strip()

    @model_validator(mode="after")
    def _backoff(self) -> HealthSettings:
        if self.backoff_initial > self.backoff_max:
            raise ValueError(
                f"HEALTH_BACKOFF_INITIAL ({self.backoff_initial}) cannot exceed "
                f"HEALTH_BACKOFF_MAX ({self.backoff_max})"
            )
        return self


class LLMSettings(SettingsGroup):
    """The OpenAI-compatible chat-completions endpoint behind ``--strategy llm``."""

    ENV_PREFIX: ClassVar[str] = "LLM_"

    base_url: str = "https://api.openai.com/v1"
    model: str | None = None
    api_key: SecretStr | None = None
    timeout: float = Field(default=30.0, gt=0, le=600)
    max_tool_calls: int = Field(default=4, ge=0, le=20)
    # sent only when set: GPT-5 and o-series models reject any temperature but their own
    temperature: float | None = Field(default=None, ge=0, le=2)
    # json_schema enforced by the server where it can; auto falls back to json_object, then text
    response_format: Literal["auto", "json_schema", "json_object", "text"] = "auto"
    # retries of one request answered 429 or 5xx (Retry-After honoured); 0 = none
    max_retries: int = Field(default=3, ge=0, le=10)
    # the longest one wait between retries may be; a Retry-After above it ends the retries
    retry_max_wait: float = Field(default=30.0, gt=0, le=600)
    # USD per million tokens, for the cost recorded with each decision (unset: no cost)
    price_input_per_mtok: Decimal | None = Field(default=None, ge=0)
    price_output_per_mtok: Decimal | None = Field(default=None, ge=0)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("model")
    @classmethod
    def _model(cls, value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None


class OpenAIFallbackSettings(SettingsGroup):
    """``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``: used by ``--strategy llm`` when the ``LLM_``
    ones are not set (``LLM_API_KEY`` and ``LLM_BASE_URL`` win)."""

    ENV_PREFIX: ClassVar[str] = "OPENAI_"

    api_key: SecretStr | None = None
    base_url: str | None = None

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return _http_url(value)


def _http_url(value: str) -> str:
    """An endpoint URL without its trailing slash; anything but http(s) is refused."""
    text = value.strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", text):
        raise ValueError("must be an http(s) URL, e.g. https://api.openai.com/v1")
    return text


class NotifySettings(SettingsGroup):
    """Alerts to a person through apprise URLs (``NOTIFY_URLS``), rate-limited."""

    ENV_PREFIX: ClassVar[str] = "NOTIFY_"

    # comma/space separated apprise URLs; they carry tokens, so the whole value is a secret
    urls: SecretStr | None = None
    dedup_minutes: float = Field(default=15.0, ge=0, le=7 * 24 * 60)
    max_per_minute: int = Field(default=6, ge=1, le=600)

    @field_validator("urls", mode="before")
    @classmethod
    def _urls(cls, value: Any) -> Any:
        """An empty ``NOTIFY_URLS=`` is unset; a URL without ``scheme://`` is refused."""
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(text, str):
            return value
        from trader_cli.notify.urls import split_urls

        urls = split_urls(text)
        if not urls:
            return None
        bad = [i + 1 for i, url in enumerate(urls) if "://" not in url]
        if bad:
            raise ValueError(
                f"URL number {', '.join(map(str, bad))} has no scheme://; use apprise URLs such "
                "as tgram://BOT_TOKEN/CHAT_ID, ntfy://TOPIC or json://host:port/path"
            )
        return text


#: Settings whose whole value is a secret (never shown, never echoed in an error).
SECRET_FIELDS = frozenset(
    {
        "GEMINI_API_KEY",
        "GEMINI_API_SECRET",
        "LLM_API_KEY",
        "OPENAI_API_KEY",
        "DASHBOARD_PASSWORD",
        "NOTIFY_URLS",
    }
)

_SECRET_NAME = re.compile(r"KEY|SECRET|PASSWORD|PASSWD|TOKEN")
_URL_FIELDS = frozenset({"DATABASE_URL", "LLM_BASE_URL", "OPENAI_BASE_URL", "GEMINI_API_URL"})
_ACCOUNT_FIELDS = frozenset({"IB_ACCOUNT_ID"})


def shown_value(name: str, value: Any) -> str | None:
    """How a setting's value may appear in an error: None for a secret, else a masked repr."""
    if name in SECRET_FIELDS or _SECRET_NAME.search(name):
        return None
    text = value if isinstance(value, str) else repr(value)
    if name in _URL_FIELDS:
        text = redact_url(text)
        if "@" in text and ":***@" not in text:  # userinfo the URL pattern did not recognise
            text = "***@" + text.rpartition("@")[2]
    elif name in _ACCOUNT_FIELDS:
        text = mask_digits(text)
    return redact(text)
