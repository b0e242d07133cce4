"""Gemini's error replies: reasons as named constants, each with the HTTP status Gemini uses."""

from __future__ import annotations

BAD_REQUEST, FORBIDDEN, NOT_FOUND, INSUFFICIENT, TOO_MANY = 400, 403, 404, 406, 429

INVALID_SIGNATURE = "InvalidSignature"
INVALID_API_KEY = "InvalidApiKey"
INVALID_NONCE = "InvalidNonce"
MISSING_APIKEY = "MissingApikeyHeader"
MISSING_PAYLOAD = "MissingPayloadHeader"
MISSING_SIGNATURE = "MissingSignatureHeader"
ENDPOINT_MISMATCH = "EndpointMismatch"
ENDPOINT_NOT_FOUND = "EndpointNotFound"
INVALID_JSON = "InvalidJson"
INVALID_SYMBOL = "InvalidSymbol"
INVALID_PRICE = "InvalidPrice"
INVALID_QUANTITY = "InvalidQuantity"
INVALID_SIDE = "InvalidSide"
INVALID_ORDER_TYPE = "InvalidOrderType"
INSUFFICIENT_FUNDS = "InsufficientFunds"
ORDER_NOT_FOUND = "OrderNotFound"
MISSING_ORDER_FIELD = "MissingOrderField"
CONFLICTING_OPTIONS = "ConflictingOptions"
UNSUPPORTED_OPTION = "UnsupportedOption"
OPTIONS_MUST_BE_ARRAY = "OptionsMustBeArray"
CLIENT_ORDER_ID_TOO_LONG = "ClientOrderIdTooLong"
CLIENT_ORDER_ID_MUST_BE_STRING = "ClientOrderIdMustBeString"
RATE_LIMIT = "RateLimit"
INVALID_TIMEFRAME = "InvalidTimeframe"
SYSTEM = "System"

STATUS = {
    INVALID_API_KEY: FORBIDDEN,
    INSUFFICIENT_FUNDS: INSUFFICIENT,
    ORDER_NOT_FOUND: NOT_FOUND,
    ENDPOINT_NOT_FOUND: NOT_FOUND,
    RATE_LIMIT: TOO_MANY,
    SYSTEM: 500,
}


class GeminiError(Exception):
    """A request refused the way Gemini refuses it: ``{"result": "error", ...}``."""

    def __init__(self, reason: str, message: str = "", status: int | None = None) -> None:
        super().__init__(message or reason)
        self.reason = reason
        self.message = message or reason
        self.status = status if status is not None else STATUS.get(reason, BAD_REQUEST)

    def body(self) -> dict[str, str]:
        """The JSON body Gemini sends with the error."""
        return {"result": "error", "reason": self.reason, "message": self.message}
