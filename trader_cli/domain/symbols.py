"""Canonical symbols ``SYMBOL/CCY``: parse, format, classify, and explain common mistakes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from trader_cli.errors import SymbolError


class InstrumentClass(StrEnum):
    """What kind of instrument a canonical symbol names; decides the venue and its rules."""

    ASX_EQUITY = "asx_equity"
    ASX_ETF = "asx_etf"
    US_EQUITY = "us_equity"
    FX = "fx"
    CRYPTO = "crypto"

    @property
    def label(self) -> str:
        """Human label, e.g. ``ASX equity``."""
        return _LABELS[self]

    @property
    def is_equity(self) -> bool:
        """Stocks and ETFs: traded in whole shares."""
        return self in (
            InstrumentClass.ASX_EQUITY,
            InstrumentClass.ASX_ETF,
            InstrumentClass.US_EQUITY,
        )


_LABELS = {
    InstrumentClass.ASX_EQUITY: "ASX equity",
    InstrumentClass.ASX_ETF: "ASX ETF",
    InstrumentClass.US_EQUITY: "US equity",
    InstrumentClass.FX: "FX pair",
    InstrumentClass.CRYPTO: "crypto",
}

# ISO 4217 currencies that IDEALPRO quotes (and that can be an equity's quote currency).
FIAT_CURRENCIES = frozenset(
    [
        "AUD",
        "USD",
        "EUR",
        "GBP",
        "JPY",
        "CAD",
        "CHF",
        "NZD",
        "HKD",
        "SGD",
        "CNH",
        "SEK",
        "NOK",
        "DKK",
        "ZAR",
        "MXN",
        "PLN",
        "CZK",
        "HUF",
        "ILS",
        "TRY",
        "KRW",
    ]
)
# Crypto assets listed on Gemini (base side); stablecoins may also be a quote currency.
CRYPTO_ASSETS = frozenset(
    [
        "BTC",
        "ETH",
        "LTC",
        "BCH",
        "SOL",
        "DOGE",
        "AVAX",
        "LINK",
        "MATIC",
        "POL",
        "DOT",
        "UNI",
        "AAVE",
        "XRP",
        "ADA",
        "SHIB",
        "PEPE",
        "FIL",
        "ATOM",
        "XTZ",
        "ZEC",
        "COMP",
        "MKR",
        "SNX",
        "CRV",
        "BAT",
        "GRT",
        "SAND",
        "MANA",
        "APE",
        "ARB",
        "OP",
        "INJ",
        "RNDR",
        "FET",
        "GUSD",
        "USDC",
        "USDT",
        "DAI",
        "PAXG",
    ]
)
CRYPTO_QUOTES = frozenset({"USD", "EUR", "GBP", "SGD", "BTC", "ETH", "GUSD", "USDT", "USDC", "DAI"})
# ASX exchange-traded funds we know by code; everything else quoted in AUD is an ASX equity.
ASX_ETFS = frozenset(
    [
        "VAS",
        "IOZ",
        "STW",
        "A200",
        "VGS",
        "NDQ",
        "IVV",
        "VTS",
        "VEU",
        "VAP",
        "VHY",
        "QUAL",
        "ETHI",
        "IOO",
        "IAA",
        "SFY",
        "MVW",
        "GOLD",
        "QAU",
        "VGE",
        "VDHG",
        "VDGR",
        "VDBA",
        "DHHF",
        "BILL",
        "AAA",
        "IAF",
        "VAF",
    ]
)
# Suffixes other data vendors put on ASX codes (Yahoo ``BHP.AX``, Bloomberg ``BHP AU``).
_ASX_SUFFIXES = (".AX", ".ASX", ".AU", ":ASX", " AU", " AT")
_ASX_PREFIXES = ("ASX:", "ASX.")

_BASE_RE = re.compile(r"^[A-Z0-9]{1,10}$")
_US_CLASS_RE = re.compile(r"^[A-Z]{1,5}\.[A-Z]$")  # BRK.B


@dataclass(frozen=True, slots=True, order=True)
class Symbol:
    """A canonical symbol: ``base`` traded against ``quote`` (``BHP/AUD``, ``AUD/USD``)."""

    base: str
    quote: str
    # the hash of (base, quote), made once: symbols key the dicts of every hot loop
    _hash: int = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.base, self.quote)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[type[Symbol], tuple[str, str]]:
        # made again where it is loaded: a str's hash differs from one process to the next
        return Symbol, (self.base, self.quote)

    def __str__(self) -> str:
        return f"{self.base}/{self.quote}"

    @property
    def instrument_class(self) -> InstrumentClass:
        """The class this symbol belongs to (see :func:`classify`)."""
        return classify(self)


def format_symbol(base: str, quote: str) -> str:
    """Canonical text of a base/quote pair."""
    return str(parse_symbol(f"{base}/{quote}"))


def _normalize(text: str) -> str:
    return re.sub(r"\s*/\s*", "/", " ".join(text.split())).upper()


def _suggest_without_slash(text: str) -> str | None:
    """Guess the canonical form of something typed without ``/`` (``AUDUSD``, ``BHP.AX``)."""
    for suffix in _ASX_SUFFIXES:
        if text.endswith(suffix) and _BASE_RE.match(text[: -len(suffix)]):
            return f"{text[: -len(suffix)]}/AUD"
    for prefix in _ASX_PREFIXES:
        if text.startswith(prefix) and _BASE_RE.match(text[len(prefix) :]):
            return f"{text[len(prefix) :]}/AUD"
    squeezed = re.sub(r"[.\-_: ]", "", text)
    if len(squeezed) == 6 and squeezed[:3] in FIAT_CURRENCIES and squeezed[3:] in FIAT_CURRENCIES:
        return f"{squeezed[:3]}/{squeezed[3:]}"
    for quote in sorted(CRYPTO_QUOTES, key=len, reverse=True):
        base = squeezed[: -len(quote)]
        if squeezed.endswith(quote) and base in CRYPTO_ASSETS:
            return f"{base}/{quote}"
    for sep in ("-", "_", ":", "."):
        if text.count(sep) == 1:
            left, right = text.split(sep)
            if _BASE_RE.match(left) and (right in FIAT_CURRENCIES or right in CRYPTO_QUOTES):
                return f"{left}/{right}"
    if _BASE_RE.match(text):
        return f"{text}/USD" if text in CRYPTO_ASSETS else f"{text}/AUD"
    return None


def parse_symbol(text: str) -> Symbol:
    """Parse user or config text into a canonical :class:`Symbol`.

    Case and whitespace are normalised (``" bhp / aud "`` → ``BHP/AUD``). Common mistakes raise
    :class:`SymbolError` with a suggestion: ``BHP.AX`` → ``BHP/AUD``, ``AUDUSD`` → ``AUD/USD``,
    ``bhp`` → needs a currency.
    """
    if isinstance(text, str):
        known = _PARSED.get(text)
        if known is not None:
            return known
    symbol = _parse_symbol(text)
    if len(_PARSED) < _PARSED_MAX:
        _PARSED[text] = symbol
    return symbol


# texts already parsed: a Symbol is immutable and the parse is a pure function of the text
# (what fails to parse is not kept, and raises again)
_PARSED: dict[str, Symbol] = {}
_PARSED_MAX = 4096


def _parse_symbol(text: str) -> Symbol:
    if not isinstance(text, str) or not text.strip():
        raise SymbolError(
            "empty symbol", hint="write symbols as SYMBOL/CCY, e.g. BHP/AUD, AUD/USD, BTC/USD"
        )
    norm = _normalize(text)
    if "/" not in norm:
        suggestion = _suggest_without_slash(norm)
        if suggestion and suggestion.replace("/", "") != norm and _BASE_RE.match(norm):
            raise SymbolError(
                f"symbol {text.strip()!r} needs a currency",
                hint=f"write SYMBOL/CCY, e.g. {suggestion}",
                suggestion=suggestion,
            )
        raise SymbolError(
            f"{text.strip()!r} is not a canonical symbol (SYMBOL/CCY)",
            hint=f"did you mean {suggestion!r}?" if suggestion else "write e.g. BHP/AUD or AUD/USD",
            suggestion=suggestion,
        )
    parts = norm.split("/")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise SymbolError(
            f"{text.strip()!r} is not a canonical symbol (SYMBOL/CCY)",
            hint="exactly one '/' between the symbol and its currency, e.g. BHP/AUD",
        )
    base, quote = parts
    for suffix in (s for s in _ASX_SUFFIXES if s.startswith(".")):
        if base.endswith(suffix) and _BASE_RE.match(base[: -len(suffix)]):
            fixed = f"{base[: -len(suffix)]}/{quote}"
            raise SymbolError(f"{text.strip()!r} carries an exchange suffix", suggestion=fixed)
    if not (_BASE_RE.match(base) or _US_CLASS_RE.match(base)):
        raise SymbolError(
            f"{base!r} in {text.strip()!r} is not a valid symbol code",
            hint="use letters and digits only, up to 10 characters (e.g. BHP, A200, BTC)",
        )
    if quote not in FIAT_CURRENCIES and quote not in CRYPTO_QUOTES:
        raise SymbolError(
            f"unknown currency {quote!r} in {text.strip()!r}",
            hint="the part after '/' is a currency: AUD, USD, EUR, GBP, JPY, BTC, ...",
        )
    symbol = Symbol(base, quote)
    classify(symbol)  # reject what no venue trades, e.g. BHP/EUR
    return symbol


def classify(symbol: Symbol) -> InstrumentClass:
    """Which class of instrument a symbol names.

    Both sides fiat → FX pair; a known crypto asset → crypto; quoted in AUD → ASX ETF if the code
    is a known ETF, else ASX equity; quoted in USD → US equity.
    """
    base, quote = symbol.base, symbol.quote
    if base in FIAT_CURRENCIES and quote in FIAT_CURRENCIES:
        if base == quote:
            raise SymbolError(f"{symbol} pairs a currency with itself")
        return InstrumentClass.FX
    if base in CRYPTO_ASSETS:
        if quote not in CRYPTO_QUOTES:
            raise SymbolError(
                f"{symbol}: crypto is not quoted in {quote}",
                hint=f"use one of {', '.join(sorted(CRYPTO_QUOTES))}",
                suggestion=f"{base}/USD",
            )
        return InstrumentClass.CRYPTO
    if quote == "AUD":
        return InstrumentClass.ASX_ETF if base in ASX_ETFS else InstrumentClass.ASX_EQUITY
    if quote == "USD":
        return InstrumentClass.US_EQUITY
    raise SymbolError(
        f"no venue trades {symbol}",
        hint="stocks are quoted in AUD (ASX) or USD (US); an FX pair is two currencies: AUD/USD",
        suggestion=f"{base}/AUD",
    )


def parse_symbols(items: Iterable[str]) -> list[Symbol]:
    """Parse several symbols, reporting every bad one at once; duplicates are dropped."""
    found: list[Symbol] = []
    errors: list[str] = []
    for item in items:
        try:
            sym = parse_symbol(item)
        except SymbolError as e:
            errors.append(f"{e.message} ({e.hint})" if e.hint else e.message)
            continue
        if sym not in found:
            found.append(sym)
    if errors:
        raise SymbolError("; ".join(errors))
    return found
