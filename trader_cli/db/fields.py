"""Column types keeping money exact, timestamps UTC and enums typed on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

import peewee

from trader_cli.domain.money import normalize_currency

_E = TypeVar("_E", bound=Enum)
_V = TypeVar("_V")

if TYPE_CHECKING:
    # The peewee stubs make fields generic in the Python type they read as; peewee itself is not.
    _Field = peewee.Field
    _CharField = peewee.CharField
else:

    class _Field(peewee.Field, Generic[_V]):
        pass

    class _CharField(peewee.CharField, Generic[_V]):
        pass

# Storage type of each custom field per backend. The names contain "TEXT" on purpose: if a
# SQLite database were ever opened without this mapping, the column would still get TEXT affinity
# (exact) instead of NUMERIC affinity (which silently turns '0.1' into a float).
DECIMAL_TYPE = "TEXT_DECIMAL"
TIMESTAMP_TYPE = "TEXT_UTC_TIMESTAMP"
FIELD_TYPES: dict[str, dict[str, str]] = {
    "sqlite": {DECIMAL_TYPE: "TEXT", TIMESTAMP_TYPE: "TEXT"},
    "postgresql": {DECIMAL_TYPE: "NUMERIC", TIMESTAMP_TYPE: "TIMESTAMP WITH TIME ZONE"},
}


def exact_decimal(value: object) -> Decimal:
    """``value`` as a canonical finite ``Decimal``: no exponent, no trailing fractional zeros.

    ``Decimal('100.00')`` becomes ``Decimal('100')`` and ``Decimal('1.50')`` becomes
    ``Decimal('1.5')``; the value never changes (no rounding, whatever the context precision).
    Floats are refused: convert them with :func:`trader_cli.domain.money.to_decimal` where they are
    parsed.
    """
    if isinstance(value, bool | float):
        raise TypeError(f"{value!r}: store a Decimal, not a {type(value).__name__}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation as e:
            raise ValueError(f"{value!r} is not a number") from e
    if not isinstance(value, Decimal):
        raise TypeError(f"{value!r}: store a Decimal, not a {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    digit_list = list(digits)
    while exponent < 0 and len(digit_list) > 1 and digit_list[-1] == 0:
        digit_list.pop()
        exponent += 1
    if exponent > 0:
        digit_list.extend([0] * exponent)
        exponent = 0
    while len(digit_list) > 1 and digit_list[0] == 0:
        digit_list.pop(0)
    if digit_list == [0]:
        sign, exponent = 0, 0
    return Decimal((sign, tuple(digit_list), exponent))


def to_utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive datetime raises ``ValueError`` (it is a bug in trading code)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: attach a timezone (UTC) before storing it")
    return value.astimezone(UTC)


class ExactDecimalField(_Field[_V]):
    """A ``Decimal`` that round-trips exactly: TEXT on SQLite, unconstrained NUMERIC on PostgreSQL.

    Values are stored canonically (see :func:`exact_decimal`), so an integral size reads back as
    ``Decimal('100')``. On SQLite, compare or sort these columns in Python, not in SQL (text order).
    """

    field_type = DECIMAL_TYPE

    if TYPE_CHECKING:

        @overload
        def __new__(
            cls, *, null: Literal[True], **kwargs: Any
        ) -> ExactDecimalField[Decimal | None]: ...

        @overload
        def __new__(
            cls, *, null: Literal[False] = ..., **kwargs: Any
        ) -> ExactDecimalField[Decimal]: ...

        def __new__(cls, *, null: bool = False, **kwargs: Any) -> Any: ...

    def db_value(self, value: object) -> str | None:
        if value is None:
            return None
        return format(exact_decimal(value), "f")

    def python_value(self, value: object) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, float):  # only if something outside trader wrote a REAL
            value = repr(value)
        return exact_decimal(value)


class UtcDateTimeField(_Field[_V]):
    """An aware UTC datetime: ISO-8601 TEXT on SQLite, TIMESTAMPTZ on PostgreSQL.

    Writing a naive datetime raises ``ValueError``; reads are always tz-aware UTC. The SQLite text
    is fixed-width (``YYYY-MM-DD HH:MM:SS.ffffff+00:00``) so SQL ordering and ranges work.
    """

    field_type = TIMESTAMP_TYPE

    if TYPE_CHECKING:

        @overload
        def __new__(
            cls, *, null: Literal[True], **kwargs: Any
        ) -> UtcDateTimeField[datetime | None]: ...

        @overload
        def __new__(
            cls, *, null: Literal[False] = ..., **kwargs: Any
        ) -> UtcDateTimeField[datetime]: ...

        def __new__(cls, *, null: bool = False, **kwargs: Any) -> Any: ...

    def db_value(self, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"{value!r}: store an aware datetime")
        naive_utc = to_utc(value).replace(tzinfo=None)
        return naive_utc.isoformat(sep=" ", timespec="microseconds") + "+00:00"

    def python_value(self, value: object) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            raise TypeError(f"unexpected timestamp value {value!r} in the database")
        if value.tzinfo is None:  # written by SQL (CURRENT_TIMESTAMP is UTC), not by trader
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EnumField(_CharField[_V]):
    """A ``str`` enum stored as its value; reads give the member, unknown values are refused."""

    enum: type[Enum]

    if TYPE_CHECKING:

        @overload
        def __new__(
            cls, enum: type[_E], *, null: Literal[True], **kwargs: Any
        ) -> EnumField[_E | None]: ...

        @overload
        def __new__(
            cls, enum: type[_E], *, null: Literal[False] = ..., **kwargs: Any
        ) -> EnumField[_E]: ...

        def __new__(cls, enum: type[_E], *, null: bool = False, **kwargs: Any) -> Any: ...

    else:

        def __init__(self, enum: type[Enum], *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("max_length", 16)
            super().__init__(*args, **kwargs)
            self.enum = enum

    def db_value(self, value: object) -> str | None:
        if value is None:
            return None
        try:
            return str(self.enum(value).value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in self.enum)
            raise ValueError(
                f"{value!r} is not a valid {self.enum.__name__}; allowed: {allowed}"
            ) from None

    def python_value(self, value: object) -> Enum | None:
        if value is None:
            return None
        return self.enum(value)


class CurrencyField(_CharField[_V]):
    """A currency or asset code, always stored upper-case (``aud`` is written as ``AUD``)."""

    if TYPE_CHECKING:

        @overload
        def __new__(cls, *, null: Literal[True], **kwargs: Any) -> CurrencyField[str | None]: ...

        @overload
        def __new__(cls, *, null: Literal[False] = ..., **kwargs: Any) -> CurrencyField[str]: ...

        def __new__(cls, *, null: bool = False, **kwargs: Any) -> Any: ...

    else:

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("max_length", 10)
            super().__init__(*args, **kwargs)

    def db_value(self, value: object) -> str | None:
        if value is None:
            return None
        return normalize_currency(str(value))


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return to_utc(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class JsonTextField(peewee.TextField):
    """JSON stored as TEXT on both backends; Decimals become strings, datetimes ISO-8601 UTC."""

    def db_value(self, value: object) -> str | None:
        if value is None:
            return None
        return json.dumps(value, default=_json_default, sort_keys=True, separators=(",", ":"))

    def python_value(self, value: object) -> Any:
        if value is None:
            return None
        return json.loads(str(value))
