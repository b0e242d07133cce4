"""Redaction of account ids and secrets before anything leaves the process.

One registry of what is secret, filled as soon as it is known: :func:`register_settings` (every
``SecretStr`` setting, the password inside ``DATABASE_URL`` and ``LLM_BASE_URL``, the tokens inside
each ``NOTIFY_URLS`` URL, ``IB_ACCOUNT_ID``)
when settings are loaded, :func:`register_account` when a venue reports its accounts at connect.
One function, :func:`redact`, masks what the registry holds plus anything that looks like a
credential or an IB account id. Every path out of the process goes through it:

* stdout and stderr: :func:`redacting_streams` wraps both for the whole of a ``trader`` command
  (tables, JSON, the live view, error messages, tracebacks, warnings, logs written to stderr);
* logging: :func:`install_log_redaction` puts :class:`RedactingFilter` on every root handler, so
  records of any library (ib_async's wire dump, asyncio, ...) are scrubbed whatever the handler;
* ``telemetry.log``: :class:`trader_cli.telemetry.Redactor` calls :func:`redact`;
* the database: :mod:`trader_cli.db.connection` passes every string parameter of every statement
  through :func:`redact_stored` (registered values, URL passwords and ``Bearer …``-style
  fragments; not the account-id pattern, which could match a stored id).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import threading
from collections.abc import Iterator
from typing import IO, Any, Protocol
from urllib.parse import quote, unquote

REDACTED = "***REDACTED***"
#: Shorter values are not replaced on their own (too likely to occur by chance); inside a URL a
#: password of any length is still hidden by the URL pattern.
MIN_SECRET_LENGTH = 4

_ACCOUNT_RE = re.compile(r"\b([A-Z]{1,3})(\d{3,10})\b")
# IB account ids (individual U…, paper DU…, advisor F…/DF…, advisor client I…) in free text.
ACCOUNT_IN_TEXT = re.compile(r"\b(?:DU|DF|U|F|I)\d{5,10}\b")
# user:password@ after a scheme with zero to three slashes (``postgresql:/u:pw@h`` is a typo
# that must not leak either). The password runs to the *last* "@" before the path.
URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][\w+.-]*:/{0,3})(?P<user>[^:@/\s]*):[^/\s]*@")
URL_QUERY_PASSWORD = re.compile(r"(?i)\b(password=)[^&\s]*")
# A credential passed as a query parameter (``?key=…`` as Google's APIs take it, an access
# token, a signature); other parameters (``api-version=2024-06-01``) are left alone.
URL_QUERY_SECRET = re.compile(
    r"(?i)([?&](?:key|api[_\-]?key|access[_\-]?token|token|secret|passwd|sig|signature|auth)=)"
    r"([^&#\s]*)"
)
# Credentials that slip into free text: "Bearer abc", "api_key=abc", "token: abc".
SECRET_IN_TEXT = re.compile(
    r"(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]+"
    r"|((?:api[_\-]?key|secret|token|password|passwd)\s*[=:]\s*)[^\s,;&\"']+"
)


def redact_account(account: str | None) -> str:
    """``DU1234567`` → ``DU****567``: the kind of account stays visible, the number does not."""
    if not account:
        return ""
    m = _ACCOUNT_RE.fullmatch(account)
    if not m:
        return "***"
    prefix, digits = m.groups()
    return f"{prefix}{'*' * max(0, len(digits) - 3)}{digits[-3:]}"


def shown_account(venue: str, account: str | None) -> str:
    """An account as outputs name it: an IB account redacted (``DU****567``); a Gemini
    account's name as it is (``primary``: a label of ours, not an identifier of the holder)."""
    if not account:
        return ""
    return account if venue == "gemini" else redact_account(account)


def mask_digits(text: str) -> str:
    """Every run of 4+ digits with all but its last three masked (an account id given wrong)."""
    return re.sub(r"\d{4,}", lambda m: "*" * (len(m.group(0)) - 3) + m.group(0)[-3:], text)


def redact_accounts_in(text: str, accounts: set[str] | frozenset[str]) -> str:
    """``text`` with each of ``accounts`` replaced by its redacted form."""
    for account in accounts:
        if account:
            text = text.replace(account, redact_account(account))
    return text


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (``postgresql://u:***@h/db``); safe to log."""
    url = URL_USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url)
    url = URL_QUERY_SECRET.sub(r"\1***", url)
    return URL_QUERY_PASSWORD.sub(r"\1***", url)


def url_password(url: str) -> str | None:
    """The password inside ``url`` (userinfo or ``password=`` query parameter), if any."""
    m = URL_USERINFO.search(url)
    if m:
        start = m.end("user") + 1
        return url[start : m.end() - 1] or None
    q = re.search(r"(?i)\bpassword=([^&\s]*)", url)
    return q.group(1) or None if q else None


_URL_SCHEME = re.compile(r"^\s*[A-Za-z][\w+.-]*://")
_HOST_LIKE = re.compile(r"^(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)$")
#: a path or query piece of a URL this long (or with a digit and half as long) is a credential
URL_TOKEN_LENGTH = 12


def url_secret_parts(url: str) -> list[str]:
    """The parts of a notification URL that can be credentials, for the registry.

    Apprise URLs carry tokens anywhere: the password (``mailto://u:pw@host``), the "host"
    (``tgram://BOT_TOKEN/CHAT``, ``ntfy://TOPIC``), the path (``slack://T/B/C``,
    ``json://host/hook/TOKEN``) or the query (``?token=…``). Kept out: a real host name or IP, a
    port, query keys and short plain words (``hooks``, ``api``), which would mask ordinary text.
    """
    m = _URL_SCHEME.match(url)
    if m is None:
        return []
    rest = url[m.end() :].strip()
    parts: list[str] = []
    authority, _, tail = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if at:
        user, colon, password = userinfo.partition(":")
        parts += [password] if colon else []
        parts += [user] if len(user) >= URL_TOKEN_LENGTH or any(c.isdigit() for c in user) else []
    host, _, port = hostport.partition(":")
    for piece in (host, port):
        if piece and not _HOST_LIKE.match(piece) and not (piece.isdigit() and len(piece) <= 5):
            parts.append(piece)  # not a host name or a port: a token in the host's place
    path, _, query = tail.partition("?")
    pieces = [p for p in path.split("/") if p]
    for pair in query.split("&"):
        pieces.append(pair.partition("=")[2])
    for piece in pieces:
        piece = unquote(piece)
        digits = any(c.isdigit() for c in piece)
        if len(piece) >= URL_TOKEN_LENGTH or (digits and len(piece) >= URL_TOKEN_LENGTH // 2):
            parts.append(piece)
    return [p for p in parts if len(p) >= MIN_SECRET_LENGTH]


def is_paper_account(account: str) -> bool:
    """IB paper accounts start with ``DU`` (individual) or ``DF`` (advisor)."""
    return account.upper().startswith(("DU", "DF"))


class SecretRegistry:
    """Every secret value and account id this process knows of; thread-safe, only grows."""

    def __init__(self) -> None:
        # re-entrant: a collection run while this thread holds it (a set growing in add_secret)
        # may call a __del__ that logs, and logging redacts through this registry
        self._lock = threading.RLock()
        self._secrets: set[str] = set()
        self._accounts: set[str] = set()
        self._compiled: tuple[list[str], re.Pattern[str] | None] | None = None

    def add_secret(self, value: str | None) -> None:
        """Mask ``value`` (and its URL-quoted, unquoted and JSON-escaped forms) from now on."""
        if not value or len(value.strip()) < MIN_SECRET_LENGTH:
            return
        forms = {value, value.strip(), quote(value, safe=""), unquote(value)}
        forms.add(json.dumps(value)[1:-1])
        with self._lock:
            self._secrets |= {f for f in forms if len(f) >= MIN_SECRET_LENGTH}
            self._compiled = None

    def add_url(self, url: str | None) -> None:
        """Mask the password inside ``url`` (``scheme://user:password@host``) and any
        credential in its query string (``?key=…``) from now on."""
        if url:
            self.add_secret(url_password(url))
            for m in URL_QUERY_SECRET.finditer(url):
                self.add_secret(unquote(m.group(2)))

    def add_urls(self, urls: str | None) -> None:
        """Mask a list of notification URLs: each whole, and every credential-like part of it
        (:func:`url_secret_parts`) from now on."""
        for url in re.split(r"[\s,]+", urls or ""):
            if url:
                self.add_secret(url)
                self.add_url(url)
                for part in url_secret_parts(url):
                    self.add_secret(part)

    def add_account(self, account: str | None) -> None:
        """Mask ``account`` (shown as ``DU****567``) from now on."""
        if not account or not account.strip():
            return
        with self._lock:
            self._accounts.add(account.strip().upper())
            self._compiled = None

    def clear(self) -> None:
        """Forget everything (tests)."""
        with self._lock:
            self._secrets.clear()
            self._accounts.clear()
            self._compiled = None

    @property
    def accounts(self) -> frozenset[str]:
        """The registered account ids."""
        return frozenset(self._accounts)

    @property
    def secrets(self) -> frozenset[str]:
        """The registered secret values (every form of each)."""
        return frozenset(self._secrets)

    def _patterns(self) -> tuple[list[str], re.Pattern[str] | None]:
        compiled = self._compiled
        if compiled is None:
            with self._lock:
                # longest first, so a secret that contains another is replaced whole
                secrets = sorted(self._secrets, key=len, reverse=True)
                accounts = sorted(self._accounts, key=len, reverse=True)
                pattern = None
                if accounts:
                    alternatives = "|".join(re.escape(a) for a in accounts)
                    pattern = re.compile(rf"(?i)(?<![A-Za-z0-9])(?:{alternatives})(?![0-9])")
                compiled = self._compiled = (secrets, pattern)
        return compiled

    def redact_exact(self, text: str) -> str:
        """``text`` with registered secrets and account ids masked; nothing else is touched."""
        secrets, accounts = self._patterns()
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        if accounts is not None:
            text = accounts.sub(lambda m: redact_account(m.group(0).upper()), text)
        return text

    def redact_stored(self, text: str) -> str:
        """:meth:`redact_exact`, then URL passwords and credential fragments (``Bearer …``).

        What the database gets: these patterns cannot match an id, a number or a timestamp.
        """
        text = self.redact_exact(text)
        if "@" in text or "password=" in text.lower():
            text = redact_url(text)
        return SECRET_IN_TEXT.sub(lambda m: (m.group(1) or m.group(2)) + REDACTED, text)

    def redact(self, text: str) -> str:
        """:meth:`redact_stored`, then anything shaped like an IB account id (``DU****567``)."""
        text = self.redact_stored(text)
        return ACCOUNT_IN_TEXT.sub(lambda m: redact_account(m.group(0)), text)


#: The process-wide registry every output path consults.
REGISTRY = SecretRegistry()


def redact(text: str) -> str:
    """``text`` safe to show or store: see :meth:`SecretRegistry.redact`."""
    return REGISTRY.redact(text)


def redact_stored(text: str) -> str:
    """``text`` as the database may store it: see :meth:`SecretRegistry.redact_stored`."""
    return REGISTRY.redact_stored(text)


def register_secret(value: str | None) -> None:
    """Add a secret value to the registry."""
    REGISTRY.add_secret(value)


def register_account(account: str | None) -> None:
    """Add an account id to the registry (settings, or what a venue reports at connect)."""
    REGISTRY.add_account(account)


class _IbAccountSetting(Protocol):
    @property
    def account_id(self) -> str | None: ...


class SettingsWithSecrets(Protocol):
    """What :func:`register_settings` reads of ``config.Settings`` (a protocol: this module is
    imported by config, so it names nothing of it)."""

    @property
    def ib(self) -> _IbAccountSetting: ...


def register_settings(settings: SettingsWithSecrets) -> None:
    """Register every secret ``settings`` holds: SecretStr values, URL passwords, account ids."""
    from trader_cli.config_fields import Record, SecretStr

    for part in vars(settings).values():
        if not isinstance(part, Record):
            continue
        for name in type(part).model_fields:
            value = getattr(part, name)
            if isinstance(value, SecretStr):
                REGISTRY.add_secret(value.get_secret_value())
                if name.endswith("urls"):  # NOTIFY_URLS: tokens in every part of each URL
                    REGISTRY.add_urls(value.get_secret_value())
            elif isinstance(value, str) and name.endswith("url"):  # DATABASE_URL, LLM_BASE_URL
                REGISTRY.add_url(value)
    REGISTRY.add_account(settings.ib.account_id)


# -- logging -------------------------------------------------------------------------------
class RedactingFilter(logging.Filter):
    """Formats a record's message (and traceback) once and replaces it with the redacted text."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; never drops it."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactingFilter()


def install_log_redaction() -> None:
    """Put the redacting filter on every handler of the root logger (and on ``lastResort``).

    Every logger propagates to the root by default (ib_async, asyncio, peewee, urllib3 all do),
    so every record that reaches a handler has been scrubbed first. Idempotent.
    """
    handlers = [*logging.getLogger().handlers]
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    for handler in handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(_FILTER)


# -- stdout / stderr -----------------------------------------------------------------------
class RedactingStream:
    """A text stream that redacts every write before passing it to the stream it wraps."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    @property
    def wrapped(self) -> IO[str]:
        """The stream written to."""
        return self._stream

    def write(self, text: str) -> int:
        """Write ``text`` redacted; returns ``len(text)`` as callers expect."""
        self._stream.write(redact(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        """Write each line redacted."""
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def redacting_streams() -> Iterator[None]:
    """``sys.stdout`` and ``sys.stderr`` redact everything written to them inside the block."""
    saved = sys.stdout, sys.stderr
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
