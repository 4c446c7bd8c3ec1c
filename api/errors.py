"""Errors as JSON: {"error": {"code": ..., "message": ...}}; never a 500 for bad input.

Routes raise `ApiError` subclasses; the ledger's own errors (`LedgerError`) reach the client
through one app-wide handler (`ledger_status`), so no route catches and re-wraps them. Every
status a route can answer is declared with `documented(...)` for the OpenAPI document."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.errors import ContractRevert, LedgerError, SignatureInvalid
from ledger.settlement.errors import SettlementError
from ledger.settlement.runs import SettlementRunError, StatementNotFound

log = logging.getLogger("essl.api")


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class Unavailable(ApiError):
    status = 503
    code = "unavailable"


class InvalidParameter(ApiError):
    """A value inside the declared range that the ledger cannot use (e.g. 20261399)."""

    status = 422
    code = "invalid_parameter"

    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


class FieldDetail(BaseModel):
    field: str
    reason: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: list[FieldDetail] | None = None


class ErrorPublic(BaseModel):
    """Every error answer of the API."""

    error: ErrorDetail


DESCRIPTIONS = {
    400: "Bad request (the message names the field)",
    401: "Not signed in, or the token is invalid or expired",
    403: "Signed in without the role or ownership the route needs",
    404: "Not found (or not indexed yet)",
    405: "Method not allowed (see the Allow header)",
    409: "Refused by the ledger or the chain in its current state",
    413: "Request body too large",
    422: "A parameter is out of range or malformed (details name each field)",
    503: "This API runs without the chain connection the route needs",
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status with the error model (422 is always there)."""
    return {s: {"model": ErrorPublic, "description": DESCRIPTIONS[s]} for s in (*statuses, 422)}


# Ledger errors -> HTTP status; the most specific class wins (checked in this order).
LEDGER_STATUS: tuple[tuple[type[LedgerError], int, str], ...] = (
    (StatementNotFound, 404, "not_found"),
    (SignatureInvalid, 403, "forbidden"),
    (SettlementRunError, 409, "conflict"),
    (SettlementError, 409, "conflict"),
    (ContractRevert, 409, "conflict"),
)


def ledger_status(exc: LedgerError) -> tuple[int, str]:
    for cls, status, code in LEDGER_STATUS:
        if isinstance(exc, cls):
            return status, code
    return 503, "unavailable"  # the node, the toolchain or the deployment is not there


def _body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **extra}}


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        extra = {}
        if isinstance(exc, InvalidParameter):
            extra["details"] = [{"field": exc.field, "reason": exc.reason}]
        return JSONResponse(_body(exc.code, exc.message, **extra), status_code=exc.status)

    @app.exception_handler(LedgerError)
    async def _ledger_error(_: Request, exc: LedgerError) -> JSONResponse:
        status, code = ledger_status(exc)
        if status >= 500:
            log.warning("ledger unavailable: %s", exc)
        return JSONResponse(_body(code, str(exc)), status_code=status)

    @app.exception_handler(DataError)
    async def _out_of_range(_: Request, exc: DataError) -> JSONResponse:
        # A safety net: the routes bound their parameters to what the columns hold.
        log.warning("a value the database cannot hold reached a query: %s", exc.orig)
        message = "a parameter is outside the range the database holds"
        return JSONResponse(_body("invalid_parameter", message), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {
                "field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]),
                "reason": e["msg"],
            }
            for e in exc.errors()
        ]
        message = "; ".join(f"{d['field']}: {d['reason']}" for d in details)
        return JSONResponse(_body("invalid_parameter", message, details=details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(
            _body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )
