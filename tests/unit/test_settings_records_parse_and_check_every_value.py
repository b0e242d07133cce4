"""The settings records (``trader_cli.config_fields``): how each type reads text, the bounds,
the validator order, every problem reported at once and no value in the error's text."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest

from trader_cli.config_fields import (
    PLAIN_NUMBER,
    Field,
    Record,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class Sample(Record):
    flag: bool = False
    count: int = Field(default=1, ge=0, le=10)
    ratio: float = Field(default=0.5, gt=0, lt=1)
    amount: Decimal = Field(default=Decimal("5"), gt=0)
    maybe: Decimal | None = None
    where: Path | None = None
    when: datetime | None = None
    secret: SecretStr | None = None
    colour: Colour = Colour.RED
    mode: Literal["a", "b"] = "a"
    names: list[str] = Field(default_factory=lambda: ["x"])
    colours: list[Colour] = Field(default_factory=list)
    word: str = Field(default="ok", pattern="^[a-z]+$")


def _errors(**values: Any) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as info:
        Sample.model_validate(values)
    return info.value.errors()


def _msg(**values: Any) -> str:
    (only,) = _errors(**values)
    return str(only["msg"])


@pytest.mark.parametrize("text", ["1", "true", "TRUE", "yes", "on", "t", "y"])
def test_true_in_text(text: str) -> None:
    assert Sample.model_validate({"flag": text}).flag is True


@pytest.mark.parametrize("text", ["0", "false", "No", "off", "f", "n"])
def test_false_in_text(text: str) -> None:
    assert Sample.model_validate({"flag": text}).flag is False


@pytest.mark.parametrize("text", ["maybe", "", "2", "truee", " yes ", "false\n"])
def test_anything_else_is_not_a_boolean(text: str) -> None:
    assert "valid boolean" in _msg(flag=text)


def test_integers() -> None:
    assert Sample.model_validate({"count": " 7 "}).count == 7
    assert Sample.model_validate({"count": 7.0}).count == 7
    assert Sample.model_validate({"count": "7.00"}).count == 7  # as pydantic reads it
    assert "valid integer" in _msg(count="7.5")
    assert "valid integer" in _msg(count="7.")
    assert "too many digits" in _msg(count="1" * 5000)
    assert "valid integer" in _msg(count="seven")
    assert _msg(count="1_0") == PLAIN_NUMBER  # int() itself would take it
    assert _msg(count="\u0665") == PLAIN_NUMBER  # an Arabic-Indic five: int() would take it


def test_decimals_and_floats_are_finite_plain_numbers() -> None:
    assert Sample.model_validate({"amount": "1e3"}).amount == Decimal("1000")
    assert Sample.model_validate({"amount": 2.5}).amount == Decimal("2.5")
    assert "valid decimal" in _msg(amount="lots")
    for bad in ("NaN", "Infinity", "-inf"):
        assert "finite" in _msg(amount=bad)
    assert _msg(amount="5_000") == PLAIN_NUMBER
    assert "finite" in _msg(ratio="nan")
    assert "valid number" in _msg(ratio="half")


def test_bounds_name_the_bound() -> None:
    assert _msg(count="11") == "Input should be less than or equal to 10"
    assert _msg(count="-1") == "Input should be greater than or equal to 0"
    assert _msg(ratio="1") == "Input should be less than 1"
    assert _msg(amount="0") == "Input should be greater than 0"
    assert _msg(word="UPPER") == "String should match pattern '^[a-z]+$'"
    assert _msg(word="ok\n") == "String should match pattern '^[a-z]+$'"  # $ is the end


def test_choices_and_lists() -> None:
    assert _msg(colour="green") == "Input should be 'red' or 'blue'"
    assert _msg(mode="c") == "Input should be 'a' or 'b'"
    assert Sample.model_validate({"colours": ["blue", Colour.RED]}).colours == [
        Colour.BLUE, Colour.RED,
    ]
    (error,) = _errors(colours=["red", "green"])
    assert error["loc"] == ("colours", 1) and error["input"] == "green"
    assert "valid list" in _msg(names="x,y")  # splitting text is a validator's job


def test_paths_times_and_secrets() -> None:
    s = Sample.model_validate(
        {"where": "~/data", "when": "2024-07-03T01:00:00Z", "secret": "hunter2"}
    )
    assert s.where == Path("~/data")
    assert s.when == datetime(2024, 7, 3, 1, tzinfo=UTC)
    assert isinstance(s.secret, SecretStr) and s.secret.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.secret)
    assert "valid datetime" in _msg(when="yesterday")


def test_every_problem_at_once_and_no_value_in_the_text() -> None:
    with pytest.raises(ValidationError) as info:
        Sample.model_validate({"count": "99", "flag": "s3cret-ish", "word": "Pa55word"})
    assert [e["loc"] for e in info.value.errors()] == [("flag",), ("count",), ("word",)]
    text = str(info.value)
    assert "flag" in text and "count" in text and "word" in text
    for value in ("99", "s3cret-ish", "Pa55word"):
        assert value not in text


class Ordered(Record):
    seen: ClassVar[list[str]] = []  # every step appends to it
    value: int = Field(default=5, le=10)
    low: int = 1
    high: int = 2

    @field_validator("value", mode="before")
    @classmethod
    def _before(cls, value: Any) -> Any:
        cls.seen.append(f"before {value!r}")
        return value

    @field_validator("value")
    @classmethod
    def _after(cls, value: int) -> int:
        cls.seen.append(f"after {value!r}")
        if value == 7:
            raise ValueError("seven is refused")
        return value * 2

    @model_validator(mode="after")
    def _order(self) -> Ordered:
        type(self).seen.append("model")
        if self.low > self.high:
            raise ValueError("low above high")
        return self



def test_validators_run_before_type_bounds_after_then_the_model() -> None:
    Ordered.seen = []
    assert Ordered.model_validate({"value": "3"}).value == 6
    assert Ordered.seen == ["before '3'", "after 3", "model"]
    Ordered.seen = []
    assert Ordered().value == 10  # the default is checked and transformed too
    assert Ordered.seen == ["before 5", "after 5", "model"]


def test_a_bound_stops_the_after_validator_and_the_model_check() -> None:
    Ordered.seen = []
    with pytest.raises(ValidationError) as info:
        Ordered.model_validate({"value": "11"})
    assert Ordered.seen == ["before '11'"]
    assert info.value.errors()[0]["msg"] == "Input should be less than or equal to 10"
    with pytest.raises(ValidationError, match="seven is refused"):
        Ordered.model_validate({"value": 7})
    with pytest.raises(ValidationError) as model_error:
        Ordered.model_validate({"low": 3})
    assert model_error.value.errors() == [{"loc": (), "msg": "low above high", "input": None}]


def test_copies_dumps_and_the_fields_given() -> None:
    s = Sample.model_validate({"count": "3", "unknown": "ignored"})
    assert s.model_fields_set == {"count"}
    copied = s.model_copy(update={"count": 4})
    assert (s.count, copied.count) == (3, 4) and copied.model_fields_set == {"count"}
    dumped = Sample.model_validate({"secret": "k", "when": "2024-07-03T01:00:00+00:00"}).model_dump(
        mode="json"
    )
    assert dumped["amount"] == "5" and dumped["colour"] == "red"
    assert dumped["secret"] == "**********" and dumped["when"] == "2024-07-03T01:00:00Z"
    assert Sample.model_validate(Sample().model_dump(mode="json") | {"secret": None}) == Sample()
    built = Sample.model_construct(count=99)  # as given: nothing checked
    assert built.count == 99 and built.flag is False


def test_a_setting_of_an_unknown_type_or_without_a_default_is_refused_at_definition() -> None:
    with pytest.raises(TypeError, match="cannot be of type"):

        class Bad(Record):
            value: dict[str, int] = Field(default_factory=dict)

    with pytest.raises(TypeError, match="needs a default"):

        class NoDefault(Record):
            value: int
