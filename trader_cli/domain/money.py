"""Money as ``Decimal`` with an explicit currency; never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

_CURRENCY_RE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
_CODES: set[str] = set()  # codes already checked (and already upper case, no spaces)


def to_decimal(value: object, *, field: str = "value") -> Decimal:
    """Convert ``value`` to ``Decimal`` exactly; floats go through ``repr`` so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValueError(f"{field}: a boolean is not a number")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace("_", ""))
        except InvalidOperation as e:
            raise ValueError(f"{field}: {value!r} is not a number") from e
    else:
        raise ValueError(f"{field}: {value!r} is not a number")
    if not result.is_finite():
        raise ValueError(f"{field}: {value!r} is not a finite number")
    return result


def normalize_currency(code: str) -> str:
    """Return an upper-case currency or asset code, or raise ``ValueError``."""
    text = code.strip().upper()
    if not _CURRENCY_RE.match(text):
        raise ValueError(f"{code!r} is not a currency code (like AUD, USD, BTC)")
    return text


_CENT = Decimal("0.01")
_QUANTA = tuple(Decimal(1).scaleb(-places) for places in range(13))  # 1, 0.1, ... 1E-12


def quantum(places: int) -> Decimal:
    """One unit of the ``places``-th decimal (``2`` → ``0.01``), for ``quantize``."""
    return _QUANTA[places] if 0 <= places < len(_QUANTA) else Decimal(1).scaleb(-places)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency. Arithmetic across currencies raises instead of guessing."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        amount = self.amount
        if type(amount) is not Decimal or not amount.is_finite():
            object.__setattr__(self, "amount", to_decimal(amount, field="amount"))
        if self.currency not in _CODES:  # a code seen before needs no second look
            code = normalize_currency(self.currency)
            object.__setattr__(self, "currency", code)
            if code == self.currency and len(_CODES) < 1024:
                _CODES.add(code)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Nothing, in ``currency``."""
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}; convert first")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def convert(self, rate: Decimal, currency: str) -> Money:
        """This amount in ``currency`` at ``rate`` units of ``currency`` per unit of ours."""
        return Money(self.amount * to_decimal(rate), currency)

    def rounded(self, places: int = 2) -> Money:
        """Rounded half-even to ``places`` decimals (banker's rounding, as ledgers do)."""
        return Money(self.amount.quantize(quantum(places), ROUND_HALF_EVEN), self.currency)

    def __str__(self) -> str:
        return (
            f"{self.amount:,.2f} {self.currency}"
            if self.amount == self.amount.quantize(_CENT)
            else f"{self.amount:,} {self.currency}"
        )

    def to_json(self) -> dict[str, str]:
        """``{"amount": "12.50", "currency": "AUD"}`` — amounts as strings, never floats."""
        return {"amount": str(self.amount), "currency": self.currency}
