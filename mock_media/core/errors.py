"""Simulated API errors: what the real API would answer, each rendering its own envelope.

The tree (decision 3 gives the body, the doc's error table the codes)::

    ApiError(status, code, message, param=None, retry_after=None)
    ├── InvalidPrompt            400 invalid_prompt
    ├── InvalidParameter         400 invalid_parameter   (names the field as "param")
    ├── Unauthorized             401 unauthorized
    ├── InsufficientBalance      402 insufficient_balance
    ├── NotFound                 404 not_found            (decision 4)
    ├── MethodNotAllowed         405 method_not_allowed   (decision 4)
    ├── PayloadTooLarge          413 payload_too_large    (decision 4)
    ├── RateLimitExceeded        429 rate_limit_exceeded  (carries Retry-After)
    ├── GenerationFailed         500 generation_failed
    └── ModelUnavailable         503 model_unavailable

Misuse of the fake itself (a bad scenario, a bad admin call from Python) raises plain
``ValueError``/``TypeError`` or an ``AssertionError`` subclass, never one of these.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .facts import ERROR_STATUS, ErrorCode


class ApiError(Exception):
    """An error the API answers with; ``body()`` is its wire envelope."""

    code: ClassVar[ErrorCode]

    def __init__(self, message: str, *, param: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        """The HTTP status the doc's table pairs with this code."""
        return ERROR_STATUS[self.code]

    def body(self) -> dict[str, Any]:
        """Decision 3: ``{"error": {code, message, status[, param]}, "detail": message}``."""
        error: dict[str, Any] = {"code": str(self.code), "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        error["status"] = self.status
        return {"error": error, "detail": self.message}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class InvalidPrompt(ApiError):
    code = ErrorCode.INVALID_PROMPT


class InvalidParameter(ApiError, ValueError):
    """Also a ``ValueError``, so Python callers of the fake catch it as they would expect."""

    code = ErrorCode.INVALID_PARAMETER

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message, param=param)


class Unauthorized(ApiError):
    code = ErrorCode.UNAUTHORIZED


class InsufficientBalance(ApiError):
    code = ErrorCode.INSUFFICIENT_BALANCE


class NotFound(ApiError):
    code = ErrorCode.NOT_FOUND


class MethodNotAllowed(ApiError):
    code = ErrorCode.METHOD_NOT_ALLOWED

    def __init__(self, method: str, path: str, allowed: tuple[str, ...], message: str | None = None) -> None:
        self.allowed = allowed
        listed = ", ".join(allowed)
        super().__init__(message or f"Method {method} is not allowed on {path}; allowed: {listed}")


class PayloadTooLarge(ApiError):
    code = ErrorCode.PAYLOAD_TOO_LARGE


class RateLimitExceeded(ApiError):
    code = ErrorCode.RATE_LIMIT_EXCEEDED


class GenerationFailed(ApiError):
    code = ErrorCode.GENERATION_FAILED


class ModelUnavailable(ApiError):
    code = ErrorCode.MODEL_UNAVAILABLE


ERROR_CLASSES: dict[ErrorCode, type[ApiError]] = {
    cls.code: cls
    for cls in (
        InvalidPrompt,
        InvalidParameter,
        Unauthorized,
        InsufficientBalance,
        NotFound,
        MethodNotAllowed,
        PayloadTooLarge,
        RateLimitExceeded,
        GenerationFailed,
        ModelUnavailable,
    )
}


def error_for(code: ErrorCode | str, message: str, *, param: str | None = None) -> ApiError:
    """Build the error for a code, e.g. from a fault rule that names it by string."""
    cls = ERROR_CLASSES[ErrorCode(code)]
    if cls is InvalidParameter:
        return InvalidParameter(param or "body", message)
    if cls is MethodNotAllowed:
        # Scripted on a route whose method is fine: no method is allowed instead (an empty Allow).
        return MethodNotAllowed("", "", (), message)
    return cls(message, param=param)
