"""The one exception tree of trader, and the exit code each branch maps to.

::

    TraderError                         exit 1  (anything unexpected from a venue or at run time)
    ├── ConfigError                     exit 2  bad or missing settings
    ├── InputError                      exit 2  bad command-line input
    │   ├── SymbolError                         a symbol that cannot be parsed or is not allowed
    │   ├── TimeframeError                      a timeframe that is not supported
    │   └── InvalidOrderError                   quantity/price/side that can never be valid
    ├── RefusedError                    exit 3  refused by a risk or safety check
    │   ├── RiskRejected                        a risk limit (order value, exposure, daily loss)
    │   └── SafetyRefused                       paper/live mismatch, missing --live, kill switch
    └── VenueError(code, message)       exit 1  the venue answered with an error
        ├── TemporaryError                      retryable: timeouts, disconnects, farm outages
        │   └── RateLimitError                  retryable after a pause: IB pacing, HTTP 429
        ├── NotConnectedError                   the venue cannot be reached at all
        ├── DataUnavailableError                no such data here: no subscription, no depth
        └── OrderRejected                       the venue definitively rejected an order

Only :class:`TemporaryError` (and its children) may be retried; everything else is final.
SDK exceptions are translated into this tree at the adapter boundary with ``raise ... from e``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of every ``trader`` command (DESIGN §2)."""

    OK = 0
    FAILURE = 1
    BAD_INPUT = 2
    REFUSED = 3


class TraderError(Exception):
    """Base of every error trader raises on purpose; carries a hint on how to fix it."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class ConfigError(TraderError):
    """A setting is missing or has a value that is not allowed."""

    exit_code = ExitCode.BAD_INPUT


class InputError(TraderError):
    """Input given on the command line (or by a caller) is invalid."""

    exit_code = ExitCode.BAD_INPUT


class SymbolError(InputError):
    """A symbol cannot be parsed, classified or is not in ``ALLOWED_SYMBOLS``."""

    def __init__(
        self, message: str, *, hint: str | None = None, suggestion: str | None = None
    ) -> None:
        if suggestion and (not hint or suggestion not in hint):
            hint = (
                f"{hint}; did you mean {suggestion!r}?" if hint else f"did you mean {suggestion!r}?"
            )
        super().__init__(message, hint=hint)
        self.suggestion = suggestion


class TimeframeError(InputError):
    """A timeframe is not one trader (or the venue) supports."""


class InvalidOrderError(InputError):
    """An order can never be valid as given (negative or fractional quantity, off-tick price...)."""


class RefusedError(TraderError):
    """A check refused the action; nothing was sent."""

    exit_code = ExitCode.REFUSED


class RiskRejected(RefusedError):
    """A risk limit refused an order; names the limit, the value and the limit's value."""

    def __init__(
        self, message: str, *, limit: str, value: object = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.limit = limit
        self.value = value


class SafetyRefused(RefusedError):
    """A safety interlock refused the action (paper/live mismatch, missing ``--live``...)."""


class VenueError(TraderError):
    """The venue answered with an error. ``code`` is the venue's own code, when it has one."""

    def __init__(
        self, message: str, *, code: int | str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code

    def __str__(self) -> str:
        text = super().__str__()
        return f"[{self.code}] {text}" if self.code is not None else text


class TemporaryError(VenueError):
    """A failure that may go away on retry: timeout, dropped link, data farm outage."""


class RateLimitError(TemporaryError):
    """The venue asked us to slow down (IB pacing violation 162/420, HTTP 429)."""


class NotConnectedError(VenueError):
    """The venue could not be reached (no Gateway listening, refused, auth failure)."""


class DataUnavailableError(VenueError):
    """The venue will not serve this data to this account (no subscription, no deep book).

    Final, not retryable: callers that can do with less (top of book instead of depth) fall
    back and say so.
    """


class OrderRejected(VenueError):
    """The venue definitively rejected an order (IB 201/110/..., Gemini InvalidOrder)."""


def exit_code_for(exc: BaseException) -> ExitCode:
    """Map any exception to the process exit code trader documents."""
    if isinstance(exc, TraderError):
        return exc.exit_code
    return ExitCode.FAILURE
