"""One place that turns refusals into HTTP answers: `{"detail": ..., "field": ...}`.

| error                                   | status |
|-----------------------------------------|--------|
| ValidationError, msgspec decode errors  | 400 (the detail names the path, e.g. `$.items[0].qty`) |
| SignatureError, missing/bad token       | 401    |
| PermissionDenied                        | 403    |
| NotFoundError                           | 404    |
| ConflictError                           | 409    |
| TransitionError                         | 409: the request is well formed but conflicts with the case's current status; the detail lists the moves allowed from it |
| body too large / wrong content type     | 413 / 415 |
| anything else                           | 500 `{"detail": "internal error"}`, traceback in the log file |
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from shopdesk.domain.decode_errors import explain, not_utf8_reason
from shopdesk.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDenied,
    ShopdeskError,
    StoreUnavailable,
    TransitionError,
    ValidationError,
)
from shopdesk.domain.intake.mapping import ALLOWED_BY_FIELD, WrongContentType
from shopdesk.domain.intake.signatures import SignatureError

log = logging.getLogger(__name__)

# query parameter -> the values it takes, named in a refusal (where they differ from the body's)
ALLOWED_IN_QUERY: dict[str, tuple[str, ...]] = {}


class ErrorBody(msgspec.Struct):
    """Every 4xx/5xx answer of the API."""

    detail: str
    field: str | None = None


_STATUS_BY_ERROR: tuple[tuple[type[ShopdeskError], int], ...] = (
    (SignatureError, 401),
    (WrongContentType, 415),
    (PermissionDenied, 403),
    (NotFoundError, 404),
    (TransitionError, 409),
    (ConflictError, 409),
    (ValidationError, 400),
    (StoreUnavailable, 503),
)

_DESCRIPTIONS = {
    400: "Malformed input; `field` names the part at fault",
    401: "Missing or bad signature or bearer token",
    403: "The token's operator may not do this",
    404: "No such thing",
    409: "Conflicts with the current state (a stale version, or a move the status does not allow)",
    413: "Body larger than the limit",
    415: "Wrong Content-Type",
    422: "Well formed but refused",
    503: "The store cannot take writes now (its file is gone); nothing was stored, send it again",
}


def status_of(error: ShopdeskError) -> int:
    for error_type, status in _STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return status
    return 400


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error statuses a route returns (400 is always possible)."""
    return {
        status: ResponseSpec(data_container=ErrorBody, description=_DESCRIPTIONS[status])
        for status in sorted({400, *statuses})
    }


def error_response(status: int, detail: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> Response[ErrorBody]:
    return Response(
        ErrorBody(detail=detail, field=field), status_code=status, media_type=MediaType.JSON,
        headers=headers,
    )


def _shopdesk_error(request: Request, error: ShopdeskError) -> Response[ErrorBody]:
    detail, field = explain(error.detail, error.field)
    return error_response(status_of(error), detail, field)


def _msgspec_error(request: Request, error: ValueError) -> Response[ErrorBody]:
    # msgspec's text names the path: "Expected `int`, got `str` - at `$.items[0].qty`".
    # A string that is not UTF-8 (a body cut mid-character) is a DecodeError from msgspec 0.23,
    # a UnicodeDecodeError before: not_utf8_reason knows both.
    reason = not_utf8_reason(error)
    if reason is not None:
        return _not_utf8(reason)
    detail, field = explain(str(error))
    return error_response(400, f"invalid JSON body: {detail}", field or "body")


def _not_utf8(reason: str, headers: dict[str, str] | None = None) -> Response[ErrorBody]:
    return error_response(400, f"invalid JSON body: not valid UTF-8 ({reason})", "body", headers)


def _too_large(request: Request) -> Response[ErrorBody]:
    limit = request.app.request_max_body_size
    size = f"{limit / 1_048_576:g} MiB" if limit and limit % 1024 == 0 else f"{limit} bytes"
    return error_response(
        413, f"the body is larger than the limit of {size} ({limit} bytes, api.max_body_bytes)",
        "body",
    )


def _http_error(request: Request, error: HTTPException) -> Response[ErrorBody]:
    headers = dict(error.headers or {})
    if isinstance(error, ValidationException) and error.extra:
        problems = error.extra if isinstance(error.extra, list) else [error.extra]
        messages, field = [], None
        for problem in problems:
            if isinstance(problem, dict):
                message = str(problem.get("message", ""))
                key = str(problem.get("key") or "")
                source = getattr(problem.get("source"), "value", problem.get("source"))
                if (source == "body" or key == "data") and message == f"'{key}'":
                    message, key = "the body is empty: send a JSON object", "body"
                elif source == "body" or key == "data":
                    path = "$" if key in ("", "data") else f"$.{key}"
                    message, key = explain(f"{message} - at `{path}`", path)
                elif key and source in ("query", "path", "header", "cookie"):
                    if source == "header":  # the Python name -> the header's: Idempotency-Key
                        key = "-".join(part.capitalize() for part in key.split("_"))
                    message = f"{source} parameter {key!r}: {explain(message)[0]}"
                if "Invalid enum value" in message:
                    allowed = (source == "query" and ALLOWED_IN_QUERY.get(key)) or \
                        ALLOWED_BY_FIELD.get(key.rsplit(".", 1)[-1].split("[")[0])
                    if allowed:
                        message = f"{message}; expected one of: {', '.join(allowed)}"
                messages.append(message)
                field = field or key or None
            else:
                messages.append(str(problem))
        return error_response(400, "; ".join(m for m in messages if m) or error.detail, field,
                              headers)
    detail = error.detail or "error"
    if error.status_code == 413:
        return _too_large(request)
    if error.status_code == 401:
        return error_response(401, detail, "Authorization", headers)
    if error.status_code == 400 and detail.startswith("Validation failed"):
        detail = "invalid request"
    field = None
    if error.status_code == 400:
        reason = not_utf8_reason(detail)  # Litestar's words for msgspec's DecodeError
        if reason is not None:
            return _not_utf8(reason, headers)
        detail, field = explain(detail)
    return error_response(error.status_code, detail, field, headers)


def _internal_error(request: Request, error: Exception) -> Response[ErrorBody]:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return error_response(500, "internal error; see the shopdesk log file")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ShopdeskError: _shopdesk_error,
    msgspec.DecodeError: _msgspec_error,
    UnicodeDecodeError: _msgspec_error,
    HTTPException: _http_error,
    Exception: _internal_error,
}
