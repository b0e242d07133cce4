"""Settings from the environment and ``.env``, one typed record per concern.

Every variable is documented in ``.env.example``. :func:`load_settings` turns any bad value into a
:class:`~trader_cli.errors.ConfigError` naming the variable, the value and what is allowed; secret
values are never echoed (URL passwords are masked, account-id digits are masked), and every
secret the loaded settings hold is registered for redaction (:mod:`trader_cli.redaction`).
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar

from trader_cli.config_fields import (
    SecretStr,
    ValidationError,
)
from trader_cli.config_groups import (
    GEMINI_DEFAULT_SYMBOLS,
    SECRET_FIELDS,
    CoreSettings,
    GeminiSettings,
    HealthSettings,
    IBSettings,
    LLMSettings,
    NotifySettings,
    OpenAIFallbackSettings,
    RiskSettings,
    SettingsGroup,
    SimSettings,
    TelemetrySettings,
    shown_value,
)
from trader_cli.config_sources import (
    EnvFile,
    find_env_file,
    platform_app_dir,
    raw_values,
    setting_sources,
)
from trader_cli.domain.scope import Backend
from trader_cli.domain.symbols import Symbol, parse_symbols
from trader_cli.domain.venues import Venue
from trader_cli.errors import ConfigError
from trader_cli.redaction import register_settings

# the groups are defined in config_groups; import them (and the rest) from here
__all__ = [
    "CoreSettings",
    "GeminiSettings",
    "HealthSettings",
    "IBSettings",
    "LLMSettings",
    "NotifySettings",
    "OpenAIFallbackSettings",
    "RiskSettings",
    "Settings",
    "SettingsGroup",
    "SimSettings",
    "TelemetrySettings",
    "load_settings",
    "shown_value",
]


class Settings:
    """All settings of one invocation; build it with :func:`load_settings`."""

    SECRET_FIELDS: ClassVar[frozenset[str]] = SECRET_FIELDS

    def __init__(
        self,
        core: CoreSettings,
        ib: IBSettings,
        gemini: GeminiSettings,
        risk: RiskSettings,
        sim: SimSettings | None = None,
        telemetry: TelemetrySettings | None = None,
        health: HealthSettings | None = None,
        llm: LLMSettings | None = None,
        notify: NotifySettings | None = None,
        openai: OpenAIFallbackSettings | None = None,
    ) -> None:
        self.core = core
        self.ib = ib
        self.gemini = gemini
        self.risk = risk
        self.sim = sim or SimSettings()
        self.telemetry = telemetry or TelemetrySettings()
        self.health = health or HealthSettings()
        self.llm = llm or LLMSettings()
        self.notify = notify or NotifySettings()
        self.openai = openai or OpenAIFallbackSettings()
        #: The ``.env`` file read (None: none), and each setting's source (see load_settings).
        self.env_file: EnvFile | None = None
        self.sources: dict[str, str] = {}
        self._backend: Backend | None = None
        self.replay_dir: Path | None = None

    def __repr__(self) -> str:
        return (
            f"Settings(venue={self.venue.value}, backend={self.backend.value}, "
            f"ib_paper={self.ib.paper})"
        )

    @property
    def venue(self) -> Venue:
        """The active venue: ``ACTIVE_EXCHANGE`` (or ``--venue``); ``sim`` is IB."""
        return self.core.active_exchange.venue

    @property
    def backend(self) -> Backend:
        """What answers: ``--sim``/``--replay``, else the sim for ``sim``, else the venue's API."""
        return self._backend or self.core.active_exchange.backend

    @property
    def venue_name(self) -> str:
        """The venue as outputs name it: ``ib``, ``gemini``, or ``sim`` for IB on the sim."""
        from trader_cli.domain.venues import venue_name

        return venue_name(self.venue, self.backend)

    def use_backend(self, backend: Backend | None, replay_dir: Path | None = None) -> None:
        """Pick the backend (``--sim``, ``--replay DIR``); None: the one ACTIVE_EXCHANGE implies."""
        self._backend = backend
        self.replay_dir = replay_dir if backend is Backend.REPLAY else None

    @property
    def llm_base_url(self) -> str:
        """The LLM endpoint: ``LLM_BASE_URL``, else ``OPENAI_BASE_URL``, else OpenAI's."""
        if "base_url" in self.llm.model_fields_set or self.openai.base_url is None:
            return self.llm.base_url
        return self.openai.base_url

    @property
    def llm_api_key(self) -> str | None:
        """The LLM API key: ``LLM_API_KEY``, else ``OPENAI_API_KEY``, else None (no key)."""
        key = self.llm.api_key if self.llm.api_key is not None else self.openai.api_key
        return key.get_secret_value() if key is not None else None

    @property
    def base_currency(self) -> str:
        """The currency risk limits and equity are expressed in (``BASE_CURRENCY``).

        ``IB_BASE_CURRENCY``, its deprecated name, is used when ``BASE_CURRENCY`` is not set.
        """
        if "base_currency" in self.core.model_fields_set or self.ib.base_currency is None:
            return self.core.base_currency
        return self.ib.base_currency

    @property
    def allowed_symbols(self) -> list[Symbol]:
        """``ALLOWED_SYMBOLS`` parsed; unset, the venue's default universe (ASX and AUD/USD on
        IB, the simulated crypto pairs on Gemini)."""
        if "allowed_symbols" not in self.core.model_fields_set and self.venue is Venue.GEMINI:
            return parse_symbols(GEMINI_DEFAULT_SYMBOLS)
        return parse_symbols(self.core.allowed_symbols)

    @property
    def app_dir(self) -> Path:
        """Per-user app dir (``TRADER_HOME`` or the platform default), not created."""
        if self.core.trader_home is not None:
            return self.core.trader_home
        return platform_app_dir()

    @property
    def home(self) -> Path:
        """Per-user app dir (``TRADER_HOME`` or the platform default); created on first use."""
        path = self.app_dir
        if path.is_dir():  # one stat: most calls find it made (mkdir would raise and catch)
            return path
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(
                f"cannot create the app dir {str(path)!r}: {e.strerror or e}",
                hint="set TRADER_HOME to a directory trader can create or write",
            ) from None
        return path

    @property
    def database_is_default(self) -> bool:
        """True when ``DATABASE_URL`` is unset: one SQLite file per venue and mode (app dir)."""
        return self.core.database_url is None

    def database_url_for(self, file_key: str) -> str:
        """``DATABASE_URL`` (one database, rows told apart by scope columns), or the app dir's
        SQLite file of one venue and mode (``trader-ib-sim.sqlite``, ``trader-ib-paper.sqlite``),
        so simulator experiments can never reach paper or live rows."""
        if self.core.database_url:
            return self.core.database_url
        # the app dir is not created here: opening the SQLite file creates its directory
        return f"sqlite:///{self.app_dir / f'trader-{file_key}.sqlite'}"

    @property
    def sim_world_path(self) -> Path | None:
        """Where the IB sim's saved world lives (None: ``SIM_PERSIST=false``); nothing is
        created or moved (see :attr:`sim_state_path`)."""
        if not self.sim.persist:
            return None
        from trader_cli.domain.scope import Backend, Mode, Scope

        scope = Scope("ib", Backend.SIM, Mode.SIM)
        return self.app_dir / scope.backend.value / f"{scope.venue}-world.json"

    @property
    def gemini_sim_world_path(self) -> Path | None:
        """Where the Gemini simulator's paper world lives (None: ``SIM_PERSIST=false``):
        ``<home>/sim/gemini-world.json``, one writer at a time like the IB sim's."""
        if not self.sim.persist:
            return None
        from trader_cli.domain.scope import Backend, Mode, Scope

        scope = Scope("gemini", Backend.SIM, Mode.SIM)
        return self.app_dir / scope.backend.value / f"{scope.venue}-world.json"

    @property
    def sim_state_path(self) -> Path | None:
        """Where the IB sim keeps its paper world between commands (None: ``SIM_PERSIST=false``).

        Scoped to (venue ib, backend sim): ``<home>/sim/ib-world.json``. A world an earlier
        version saved at ``<home>/sim-world.json`` is moved there on first use.
        """
        path = self.sim_world_path
        if path is None:
            return None
        import contextlib

        legacy = self.home / "sim-world.json"
        if legacy.exists() and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                os.replace(legacy, path)
        return path

    @property
    def telemetry_path(self) -> Path:
        """``TELEMETRY_LOG``, or ``telemetry.log`` in the app dir."""
        return self.core.telemetry_log or self.home / "telemetry.log"

    def groups(self) -> list[tuple[str, str, SettingsGroup]]:
        """``(concern, environment prefix, settings part)`` of every concern, in display order."""
        return [
            ("core", "", self.core),
            ("ib", "IB_", self.ib),
            ("gemini", "GEMINI_", self.gemini),
            ("risk", "", self.risk),
            ("sim", "SIM_", self.sim),
            ("telemetry", "TELEMETRY_", self.telemetry),
            ("health", "HEALTH_", self.health),
            ("llm", "LLM_", self.llm),
            ("llm", "OPENAI_", self.openai),
            ("notify", "NOTIFY_", self.notify),
        ]

    def public_dict(self) -> dict[str, Any]:
        """Every setting by environment name, secrets shown only as set/unset."""
        out: dict[str, Any] = {}
        for _group, prefix, part in self.groups():
            for name in type(part).model_fields:
                value = getattr(part, name)
                key = f"{prefix}{name}".upper()
                if isinstance(value, SecretStr):
                    value = "********"
                elif isinstance(value, list):
                    value = ",".join(str(getattr(v, "value", v)) for v in value)
                elif isinstance(value, Enum):
                    value = value.value
                elif value is not None and not isinstance(value, bool | int):
                    value = str(value)
                out[key] = value
        return out


def _describe(error: dict[str, Any], prefix: str) -> str:
    field = ".".join(str(p) for p in error.get("loc", ()))
    name = f"{prefix}{field}".upper() if field else prefix.rstrip("_") or "settings"
    msg = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    value = error.get("input")
    if field and not isinstance(value, dict):
        shown = shown_value(name, value)
        if shown is None:
            return f"{name}: {msg}"
        return f"{name}={shown!r}: {msg}" if isinstance(value, str) else f"{name}={shown}: {msg}"
    return f"{name}: {msg}"


def load_settings(env_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Read settings from the environment and a ``.env`` file.

    The file is ``env_file`` (``--env-file``), else the first of ``TRADER_ENV_FILE``, ``./.env``
    and the app dir's ``.env`` (:func:`~trader_cli.config_sources.find_env_file`); environment
    variables win over it. Keyword ``overrides`` use environment names (``ACTIVE_EXCHANGE="ib"``)
    and win over both. The result records the file (:attr:`Settings.env_file`) and each
    setting's source (:attr:`Settings.sources`).
    Raises :class:`ConfigError` (exit 2) for a named env file that is missing or any invalid value.
    """
    found = find_env_file(env_file)
    upper = {k.upper(): v for k, v in overrides.items() if v is not None}
    raw = raw_values(found, upper)

    def build(cls: type[SettingsGroup]) -> Any:
        prefix = cls.ENV_PREFIX
        fields = {
            name: raw[key] for name in cls.model_fields if (key := f"{prefix}{name}".upper()) in raw
        }
        try:
            return cls.model_validate(fields)
        except ValidationError as e:
            problems = "; ".join(_describe(err, prefix) for err in e.errors())
            raise ConfigError(
                f"invalid setting: {problems}",
                hint="fix it in the environment or your .env file (see .env.example)",
            ) from None

    settings = Settings(
        core=build(CoreSettings),
        ib=build(IBSettings),
        gemini=build(GeminiSettings),
        risk=build(RiskSettings),
        sim=build(SimSettings),
        telemetry=build(TelemetrySettings),
        health=build(HealthSettings),
        llm=build(LLMSettings),
        notify=build(NotifySettings),
        openai=build(OpenAIFallbackSettings),
    )
    settings.env_file = found
    settings.sources = setting_sources(settings.public_dict(), found, upper)
    register_settings(settings)
    return settings
