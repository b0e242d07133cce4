"""The chat-completions client of ``--strategy llm``, on the ``openai`` SDK (the ``llm`` extra).

Any OpenAI-compatible endpoint (OpenAI, Azure, Ollama, vLLM, OpenRouter, llama.cpp) works. The
answer format is negotiated once a session: ``json_schema`` (the server enforces the schema),
else ``json_object``, else plain text; the strategy validates every answer whatever the mode.
A 429 or 5xx is retried a bounded number of times (``Retry-After`` honoured); every other HTTP
error is final. SDK errors become :mod:`trader_cli.errors` here; the SDK is imported lazily.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from trader_cli.errors import ConfigError, RateLimitError, TemporaryError, VenueError
from trader_cli.telemetry import Redactor

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = logging.getLogger(__name__)

EXTRA_HINT = "install the llm extra: pip install 'trader-cli[llm]'"
RATE_LIMITED_STATUS = 429
RETRYABLE_STATUS = frozenset({408, 409, 425, 500, 502, 503, 504})
SERVER_ERROR_FIRST = 500  # any 5xx is temporary (only those above are retried)
AUTH_REFUSED_STATUS = frozenset({401, 403})
# how a server refuses a response_format it does not support (OpenAI, vLLM, Ollama, llama.cpp)
FORMAT_REFUSED_STATUS = frozenset({400, 404, 415, 422, 501})
FORMAT_REFUSED_TEXT = re.compile(r"response_format|json_schema|json_object|schema|structured", re.I)
# the order ``auto`` tries answer formats in; each is remembered once the server refuses it
FORMATS = ("json_schema", "json_object", "text")
BACKOFF_FIRST = 1.0  # seconds before the first retry when the server names no Retry-After
SCHEMA_NAME = "trading_decisions"

Sleep = Callable[[float], Awaitable[None]]


def load_openai() -> Any:
    """The ``openai`` module, or :class:`ConfigError` (exit 2) naming the extra to install."""
    try:
        import openai
    except ImportError as e:
        raise ConfigError(
            "--strategy llm needs the openai package, which is not installed", hint=EXTRA_HINT
        ) from e
    return openai


class _FormatRefused(Exception):
    """The server refused the response_format of this request (internal)."""


class ChatClient:
    """One chat-completions endpoint through ``openai.AsyncOpenAI`` (cancellable requests)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None,
        *,
        timeout: float = 30.0,
        temperature: float | None = None,
        response_format: str = "auto",
        max_retries: int = 3,
        retry_max_wait: float = 30.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        _refuse_userinfo(base_url)
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/chat/completions"
        self.model = model
        self.timeout = timeout
        self.temperature = temperature
        self.auto = response_format == "auto"
        #: the answer format requests use now (``auto`` starts at json_schema and steps down)
        self.response_format = FORMATS[0] if self.auto else response_format
        self.max_retries = max_retries
        self.retry_max_wait = retry_max_wait
        self.retries = 0  # retries this client made (all requests)
        self._sleep = sleep
        self._redactor = Redactor(secrets=[api_key] if api_key else [])
        self._openai = load_openai()
        self._sdk: AsyncOpenAI = self._make_sdk(api_key)

    def __repr__(self) -> str:
        return f"ChatClient(url={self.url!r}, model={self.model!r})"

    def _make_sdk(self, api_key: str | None) -> AsyncOpenAI:
        # a local server without keys: the Authorization header is left out of every request
        self._headers: dict[str, Any] = {} if api_key else {"Authorization": self._openai.Omit()}
        client: AsyncOpenAI = self._openai.AsyncOpenAI(
            api_key=api_key or "unused",
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=0,  # retries are ours: bounded, logged, on an injectable sleep
        )
        return client

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._sdk.close()

    async def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | None = None,
        schema: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One chat completion (retried on 429/5xx); returns the decoded response body.

        ``schema`` is the answer's JSON schema, enforced by the server where it can be.
        Raises :class:`TemporaryError` (timeouts, refused connections, 5xx, unreadable bodies),
        :class:`RateLimitError` (429) or :class:`VenueError` (other HTTP errors, e.g. 401).
        Cancelling the calling task aborts the request at once.
        """
        while True:
            body = self._body(messages, tools, tool_choice, schema)
            try:
                return await self._send(body)
            except _FormatRefused as refused:
                current = self.response_format
                step = FORMATS.index(current) + 1
                if not self.auto or step >= len(FORMATS):
                    raise self._final(refused.__cause__) from refused.__cause__
                self.response_format = FORMATS[step]
                log.info(
                    "LLM endpoint %s refused response_format %s; using %s from now on",
                    self.url, current, self.response_format,
                )

    def _body(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        tool_choice: str | None,
        schema: dict[str, Any] | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": messages}
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if tools:
            body["tools"] = tools
            if tool_choice:
                body["tool_choice"] = tool_choice
        if schema is not None and self.response_format == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": schema},
            }
        elif schema is not None and self.response_format == "json_object":
            body["response_format"] = {"type": "json_object"}
        return body

    async def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        openai = self._openai
        attempt = 0
        while True:
            try:
                raw = await self._sdk.chat.completions.with_raw_response.create(
                    **body, extra_headers=self._headers or None
                )
                content = raw.http_response.content
            except openai.APIStatusError as e:
                status = e.status_code
                retryable = status == RATE_LIMITED_STATUS or status in RETRYABLE_STATUS
                if retryable and attempt < self.max_retries:
                    wait = self._wait(e.response.headers, attempt)
                    if wait is not None:
                        attempt += 1
                        self.retries += 1
                        log.warning(
                            "LLM endpoint %s answered HTTP %s; retry %d of %d in %.1fs",
                            self.url, status, attempt, self.max_retries, wait,
                        )
                        await self._sleep(wait)
                        continue
                if (
                    "response_format" in body
                    and status in FORMAT_REFUSED_STATUS
                    and FORMAT_REFUSED_TEXT.search(_error_text(e))
                ):
                    raise _FormatRefused from e
                raise self._final(e) from e
            except openai.APITimeoutError as e:
                raise TemporaryError(
                    f"LLM endpoint {self.url} did not answer within {self.timeout:g}s",
                    hint="check LLM_BASE_URL and that the server is up (LLM_TIMEOUT)",
                ) from e
            except openai.APIConnectionError as e:
                reason = e.__cause__ or e
                raise TemporaryError(
                    f"LLM endpoint {self.url} did not answer: {self._clean(str(reason))}",
                    hint="check LLM_BASE_URL and that the server is up (LLM_TIMEOUT)",
                ) from e
            return self._decode(content)

    def _wait(self, headers: Any, attempt: int) -> float | None:
        """Seconds before the next try: the server's Retry-After, else exponential backoff;
        None when the server asks for more than ``LLM_RETRY_MAX_WAIT`` (stop retrying)."""
        asked = retry_after(headers)
        if asked is not None:
            return asked if asked <= self.retry_max_wait else None
        backoff: float = BACKOFF_FIRST * float(2**attempt)
        return min(backoff, self.retry_max_wait)

    def _final(self, error: BaseException | None) -> Exception:
        """A final :mod:`trader_cli.errors` error for an SDK status error."""
        openai = self._openai
        if not isinstance(error, openai.APIStatusError):
            return TemporaryError(f"LLM endpoint {self.url} failed: {self._clean(str(error))}")
        status = error.status_code
        detail = self._clean(_error_text(error)[:300])
        message = f"LLM endpoint {self.url} answered HTTP {status}: {detail}"
        if status == RATE_LIMITED_STATUS:
            return RateLimitError(message, code=status, hint="slow down or raise the quota")
        if status in RETRYABLE_STATUS or status >= SERVER_ERROR_FIRST:
            return TemporaryError(message, code=status)
        if status in AUTH_REFUSED_STATUS:
            hint = "check LLM_API_KEY (or OPENAI_API_KEY)"
        elif FORMAT_REFUSED_TEXT.search(detail):
            hint = "set LLM_RESPONSE_FORMAT=auto (or json_object, or text) for this server"
        else:
            hint = "check LLM_BASE_URL/LLM_MODEL"
        return VenueError(message, code=status, hint=hint)

    def _decode(self, raw: bytes) -> dict[str, Any]:
        try:
            decoded = json.loads(raw)
        except ValueError as e:
            raise TemporaryError(f"LLM endpoint {self.url} sent a body that is not JSON") from e
        if not isinstance(decoded, dict):
            raise TemporaryError(f"LLM endpoint {self.url} sent an unexpected body")
        return decoded

    def _clean(self, text: str) -> str:
        return self._redactor.text(text)


def retry_after(headers: Any, *, now: datetime | None = None) -> float | None:
    """Seconds a response asks to wait: ``retry-after-ms``, or ``Retry-After`` in seconds or
    as an HTTP date; None when it names none (or nonsense)."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        text = headers.get(name)
        if text is None:
            continue
        try:
            seconds = float(text) / scale
        except ValueError:
            if scale != 1.0:
                continue
            try:
                when = parsedate_to_datetime(text)
            except (TypeError, ValueError):
                continue
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds = (when - (now or datetime.now(UTC))).total_seconds()
        if seconds >= 0:
            return seconds
    return None


def _error_text(error: Any) -> str:
    """The body of an SDK status error as text (its JSON, or its message)."""
    body = getattr(error, "body", None)
    if body is not None:
        return body if isinstance(body, str) else json.dumps(body, default=str)
    return str(getattr(error, "message", error))


def _refuse_userinfo(base_url: str) -> None:
    """A ``user:password@`` in the endpoint URL is refused rather than sent as a host name.

    It would be printed in every error; the key belongs in ``LLM_API_KEY`` (sent as
    ``Authorization: Bearer``), never in the URL.
    """
    from urllib.parse import urlsplit

    try:
        netloc = urlsplit(base_url).netloc
    except ValueError:
        netloc = base_url
    if "@" in netloc:
        raise ConfigError(
            f"LLM_BASE_URL {re.sub(r'//[^/]*@', '//***@', base_url)!r} contains credentials "
            "(user:password@)",
            hint="remove them from LLM_BASE_URL and put the API key in LLM_API_KEY",
        )


__all__ = ["EXTRA_HINT", "ChatClient", "load_openai", "retry_after"]
