"""Typed settings records: fields declared by annotation, every value parsed and checked.

The settings classes of :mod:`trader_cli.config` are :class:`Record` subclasses, written as one
writes pydantic models (``port: int | None = Field(default=None, ge=1, le=65535)``,
``@field_validator``, ``@model_validator``), and behave as pydantic's lax mode does for the
values a setting can hold: text from the environment or a ``.env`` file, or the same values
already typed. This module needs nothing beyond the standard library: importing a validation
library and building its schemas was ~100 ms of every ``trader place`` and ``flatten``.

What a field may hold: ``str``, ``int``, ``float``, ``Decimal``, ``bool``, ``Path``,
``datetime``, :class:`SecretStr`, an ``Enum``, a ``Literal``, ``list[...]`` of one of these, and
``... | None``. Numbers are plain ASCII digits (no ``5_000``, no other scripts' digits) and
finite; an integer may be written ``5.0``; a boolean and a time have no surrounding blanks; a
time is ISO 8601 as ``2024-07-03T01:00:00Z`` or whole seconds since the epoch (milliseconds
beyond 2e10, as pydantic reads them). ``pattern`` must match the whole value (a trailing newline
too). Every value, defaults included, goes through a field's ``before`` validators, its type,
its bounds (``gt``, ``ge``, ``lt``, ``le``, ``pattern``) and its ``after`` validators in that
order; then, if every field passed, the ``model_validator``s. All problems are reported at once
in a :class:`ValidationError` whose ``errors()`` name each field (``loc``), what is wrong
(``msg``) and the value (``input``); its text never holds a value.
"""

from __future__ import annotations

import copy
import math
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

_MISSING: Any = object()

_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
# an integer, optionally with a zero fraction (``5.0``), as pydantic's lax mode reads one
_INTEGER = re.compile(r"([+-]?[0-9]+)(?:\.0+)?")
# ISO 8601 times pydantic reads (RFC 3339 and the forms it tolerates); nothing else
_ISO_TIME = re.compile(  # ASCII: \d would take other scripts' digits
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt _](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?",
    re.ASCII,
)
_EPOCH = re.compile(r"[+-]?[0-9]+")
#: Larger epoch numbers are milliseconds (pydantic's rule), smaller ones seconds.
EPOCH_MS_ABOVE = 20_000_000_000
_EPOCH_START = datetime(1970, 1, 1, tzinfo=UTC)
PLAIN_NUMBER = "must be a plain number in ASCII digits, e.g. 5000"


class SecretStr:
    """A secret setting: shown as ``**********`` everywhere; ``get_secret_value()`` reads it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """The secret itself (never log or print it)."""
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __len__(self) -> int:
        return len(self._value)


class ValidationError(ValueError):
    """Every problem found in one record's values (:meth:`errors`); the text names the fields
    and what is wrong with each, never a value."""

    def __init__(self, title: str, errors: list[dict[str, Any]]) -> None:
        self._errors = errors
        lines = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or title}: {e['msg']}" for e in errors
        )
        super().__init__(f"{len(errors)} invalid value(s) for {title}: {lines}")

    def errors(self) -> list[dict[str, Any]]:
        """One dict per problem: ``loc`` (field name, then list index), ``msg``, ``input``."""
        return [dict(e) for e in self._errors]


class _Invalid(Exception):
    """One value refused: ``msg`` says why; ``index`` is the list item's, if any."""

    def __init__(self, msg: str, index: int | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.index = index


@dataclass
class FieldInfo:
    """One field: its default and bounds (from :func:`Field`), its annotation and parser."""

    default: Any = _MISSING
    default_factory: Callable[[], Any] | None = None
    gt: Any = None
    ge: Any = None
    lt: Any = None
    le: Any = None
    pattern: str | None = None
    annotation: Any = None
    parse: Callable[[Any], Any] = field(default=lambda v: v, repr=False)

    def get_default(self) -> Any:
        """The default value (a fresh one from the factory each time)."""
        return self.default_factory() if self.default_factory is not None else self.default

    def check(self, value: Any) -> None:
        """Raise :class:`_Invalid` when ``value`` (parsed, not None) is out of bounds."""
        if self.gt is not None and not value > self.gt:
            raise _Invalid(f"Input should be greater than {self.gt}")
        if self.ge is not None and not value >= self.ge:
            raise _Invalid(f"Input should be greater than or equal to {self.ge}")
        if self.lt is not None and not value < self.lt:
            raise _Invalid(f"Input should be less than {self.lt}")
        if self.le is not None and not value <= self.le:
            raise _Invalid(f"Input should be less than or equal to {self.le}")
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise _Invalid(f"String should match pattern '{self.pattern}'")


def Field(
    default: Any = _MISSING,
    *,
    default_factory: Callable[[], Any] | None = None,
    gt: Any = None,
    ge: Any = None,
    lt: Any = None,
    le: Any = None,
    pattern: str | None = None,
) -> Any:
    """A field's default and bounds: ``port: int | None = Field(default=None, ge=1)``."""
    return FieldInfo(default, default_factory, gt, ge, lt, le, pattern)


@dataclass(frozen=True)
class _Validator:
    fn: Any
    fields: tuple[str, ...]
    mode: str

    def __call__(self, owner: type, value: Any) -> Any:
        if isinstance(self.fn, classmethod):
            return self.fn.__func__(owner, value)
        return self.fn(value)


def field_validator(
    *fields: str, mode: Literal["before", "after"] = "after"
) -> Callable[[Any], Any]:
    """Run the decorated classmethod (or plain one-argument function) on ``fields``' values:
    ``before`` on the raw value, ``after`` on the parsed one. It returns the value to keep or
    raises ``ValueError`` with what is wrong."""

    def mark(fn: Any) -> Any:
        return _Validator(fn, fields, mode)

    return mark


def model_validator(*, mode: Literal["after"]) -> Callable[[Any], Any]:
    """Run the decorated method on the whole record once every field is valid; it returns the
    record or raises ``ValueError``."""
    del mode  # only "after": checks across fields

    def mark(fn: Any) -> Any:
        return _Validator(fn, (), "model")

    return mark


def _choices(values: Iterable[Any]) -> str:
    shown = [repr(v) for v in values]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def _plain(value: str) -> str:
    text = value.strip()
    if "_" in text or not text.isascii():
        raise _Invalid(PLAIN_NUMBER)
    return text


def _parse_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _Invalid("Input should be a valid string")


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):  # no blanks around it, as before: " false " is refused
        text = value.lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise _Invalid("Input should be a valid boolean, unable to interpret input")


def _parse_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = _plain(value)
        found = _INTEGER.fullmatch(text)
        if found:
            try:
                return int(found.group(1))
            except ValueError:  # more digits than Python converts (4300)
                raise _Invalid("Input should be a valid integer, too many digits") from None
        raise _Invalid("Input should be a valid integer, unable to parse string as an integer")
    raise _Invalid("Input should be a valid integer")


def _parse_float(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(_plain(value))
        except ValueError:
            raise _Invalid(
                "Input should be a valid number, unable to parse string as a number"
            ) from None
    else:
        raise _Invalid("Input should be a valid number")
    if not math.isfinite(number):
        raise _Invalid("Input should be a finite number")
    return number


def _parse_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = Decimal(str(value))
    elif isinstance(value, str):
        try:
            number = Decimal(_plain(value))
        except InvalidOperation:
            raise _Invalid("Input should be a valid decimal") from None
    else:
        raise _Invalid("Input should be a valid decimal")
    if not number.is_finite():
        raise _Invalid("Input should be a finite number")
    return number


def _parse_path(value: Any) -> Path:
    if isinstance(value, Path):
        return value
    if isinstance(value, str):
        return Path(value)
    raise _Invalid("Input should be a valid path")


def _parse_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        if isinstance(value, str):
            if _EPOCH.fullmatch(value):
                return _from_epoch(int(value))
            found = _ISO_TIME.fullmatch(value)
            if found:
                return _from_iso(found)
        elif isinstance(value, int) and not isinstance(value, bool):
            return _from_epoch(value)
    except (ValueError, OverflowError):
        pass
    raise _Invalid("Input should be a valid datetime, e.g. 2024-07-03T01:00:00Z")


def _from_epoch(number: int) -> datetime:
    if abs(number) > EPOCH_MS_ABOVE:
        return _EPOCH_START + timedelta(milliseconds=number)
    return _EPOCH_START + timedelta(seconds=number)


def _from_iso(found: re.Match[str]) -> datetime:
    year, month, day, hour, minute, second, fraction, utc, sign, tz_h, tz_m = found.groups()
    zone: timezone | None = None
    if utc:
        zone = UTC
    elif sign:
        if int(tz_h) > 23 or int(tz_m) > 59:
            raise ValueError("offset out of range")
        offset = timedelta(hours=int(tz_h), minutes=int(tz_m))
        zone = UTC if not offset else timezone(-offset if sign == "-" else offset)
    micro = int((fraction or "").ljust(6, "0")[:6])
    return datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
        micro, tzinfo=zone,
    )


def _parse_secret(value: Any) -> SecretStr:
    if isinstance(value, SecretStr):
        return value
    if isinstance(value, str):
        return SecretStr(value)
    raise _Invalid("Input should be a valid string")


def _one_of(values: tuple[Any, ...], make: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        for choice in values:
            if value is choice or (type(value) is type(choice) and value == choice):
                return make(choice)
        raise _Invalid(f"Input should be {_choices(values)}")

    return parse


def _enum(cls: type[Enum]) -> Callable[[Any], Any]:
    members = tuple(m.value for m in cls)
    by_value = _one_of(members, cls)

    def parse(value: Any) -> Any:
        return value if isinstance(value, cls) else by_value(value)

    return parse


def _list_of(item: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def parse(value: Any) -> list[Any]:
        if not isinstance(value, list | tuple):
            raise _Invalid("Input should be a valid list")
        out = []
        for index, element in enumerate(value):
            try:
                out.append(item(element))
            except _Invalid as e:
                raise _Invalid(e.msg, index) from None
        return out

    return parse


def _optional(inner: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        return None if value is None else inner(value)

    return parse


_SIMPLE: dict[Any, Callable[[Any], Any]] = {
    str: _parse_str,
    bool: _parse_bool,
    int: _parse_int,
    float: _parse_float,
    Decimal: _parse_decimal,
    Path: _parse_path,
    datetime: _parse_datetime,
    SecretStr: _parse_secret,
}


def parser_for(annotation: Any) -> Callable[[Any], Any]:
    """The parser of a field annotated ``annotation``; raises ``TypeError`` for a type a
    setting cannot hold (a mistake in the settings class, found when it is defined)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            return _optional(parser_for(rest[0]))
    elif origin is Literal:
        return _one_of(args, lambda v: v)
    elif origin is list and len(args) == 1:
        return _list_of(parser_for(args[0]))
    elif isinstance(annotation, type) and issubclass(annotation, Enum):
        return _enum(annotation)
    elif annotation in _SIMPLE:
        return _SIMPLE[annotation]
    raise TypeError(f"a setting cannot be of type {annotation!r}")


class Record:
    """A settings record: the fields its annotations declare, each parsed and checked.

    ``Record(**values)`` and :meth:`model_validate` check every value (raising
    :class:`ValidationError`); :meth:`model_construct` and :meth:`model_copy` do not (for
    values that are already valid). Unknown names are ignored. Fields are plain attributes.
    """

    model_fields: ClassVar[dict[str, FieldInfo]] = {}
    _validators: ClassVar[list[_Validator]] = []
    model_fields_set: set[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        validators = [v for base in reversed(cls.__mro__[1:]) for v in vars(base).values()
                      if isinstance(v, _Validator)]
        validators += [v for v in vars(cls).values() if isinstance(v, _Validator)]
        cls._validators = validators
        fields: dict[str, FieldInfo] = {}
        for name, hint in typing.get_type_hints(cls).items():
            if name.startswith("_") or typing.get_origin(hint) is ClassVar or name in (
                "model_fields_set",
            ):
                continue
            declared = cls.__dict__.get(name, _MISSING)
            if declared is _MISSING and name in cls.model_fields:
                info = copy.copy(cls.model_fields[name])  # inherited as it was
            else:
                info = declared if isinstance(declared, FieldInfo) else FieldInfo(declared)
                if info.default is _MISSING and info.default_factory is None:
                    raise TypeError(f"setting {cls.__name__}.{name} needs a default")
                info.annotation = hint
                info.parse = parser_for(hint)
            if isinstance(declared, FieldInfo):
                delattr(cls, name)
            fields[name] = info
        cls.model_fields = fields

    def __init__(self, **values: Any) -> None:
        self._fill(values)

    @classmethod
    def model_validate(cls, values: Mapping[str, Any]) -> Self:
        """A record of ``values`` (by field name), every value checked."""
        record = cls.__new__(cls)
        record._fill(values)
        return record

    @classmethod
    def model_construct(cls, **values: Any) -> Self:
        """A record of ``values`` as given (defaults for the rest), nothing checked."""
        record = cls.__new__(cls)
        for name, info in cls.model_fields.items():
            setattr(record, name, values[name] if name in values else info.get_default())
        record.model_fields_set = set(values) & set(cls.model_fields)
        return record

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Self:
        """A copy, with ``update``'s values as given (nothing checked)."""
        out = copy.copy(self)
        out.model_fields_set = set(self.model_fields_set)
        for name, value in (update or {}).items():
            setattr(out, name, value)
            out.model_fields_set.add(name)
        return out

    def model_dump(self, *, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        """Every field by name; with ``mode="json"`` as JSON values (decimals, paths and times
        as text, enums as their values, secrets masked)."""
        out = {name: getattr(self, name) for name in self.model_fields}
        return out if mode == "python" else {k: _json(v) for k, v in out.items()}

    def _fill(self, values: Mapping[str, Any]) -> None:
        cls = type(self)
        errors: list[dict[str, Any]] = []
        for name, info in cls.model_fields.items():
            raw = values[name] if name in values else info.get_default()
            try:
                value = raw
                for v in cls._validators:
                    if v.mode == "before" and (name in v.fields or "*" in v.fields):
                        value = _checked(v, cls, value)
                value = info.parse(value)
                if value is not None:
                    info.check(value)
                for v in cls._validators:
                    if v.mode == "after" and (name in v.fields or "*" in v.fields):
                        value = _checked(v, cls, value)
            except _Invalid as e:
                loc = (name,) if e.index is None else (name, e.index)
                shown = raw[e.index] if e.index is not None and isinstance(raw, list) else raw
                errors.append({"loc": loc, "msg": e.msg, "input": shown})
                continue
            setattr(self, name, value)
        if errors:
            raise ValidationError(cls.__name__, errors)
        self.model_fields_set = set(values) & set(cls.model_fields)
        for v in cls._validators:
            if v.mode == "model":
                try:
                    v.fn(self)
                except ValueError as e:
                    raise ValidationError(
                        cls.__name__, [{"loc": (), "msg": str(e), "input": None}]
                    ) from None

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.model_fields)
        return f"{type(self).__name__}({shown})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.model_fields)

    __hash__ = None  # type: ignore[assignment]  # mutable, as the settings objects are


def _checked(validator: _Validator, owner: type, value: Any) -> Any:
    try:
        return validator(owner, value)
    except _Invalid:
        raise
    except ValueError as e:
        raise _Invalid(str(e)) from None


def _json(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return "**********" if value.get_secret_value() else ""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal | Path):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value
