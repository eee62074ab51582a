"""RFC 9457 problem details: the one error shape of the API.

Every error response is ``application/problem+json`` with ``type``, ``title``, ``status``
and ``detail``; validation errors add ``errors``, each naming the offending field by a
JSON pointer (RFC 6901) into the request body (``pointer``) or by the name of a query,
path or header parameter (``parameter``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from fangkong.services.errors import PreconditionFailed, ServiceError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class Problem(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        type_: str = "about:blank",
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.errors = list(errors or [])
        self.headers = headers
        self.extra = extra


def problem_response(problem: Problem, instance: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if instance:
        body["instance"] = instance
    if problem.errors:
        body["errors"] = problem.errors
    body.update(problem.extra)
    return JSONResponse(
        body, status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers
    )


def json_pointer(parts: Sequence[str | int]) -> str:
    """RFC 6901 pointer from path parts (``~`` and ``/`` escaped)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        where = loc[0] if loc else "body"
        entry: dict[str, Any] = {"detail": err.get("msg", "invalid value")}
        if where == "body":
            entry["pointer"] = json_pointer(loc[1:])
        else:
            entry["parameter"] = ".".join(str(p) for p in loc[1:]) or str(where)
            entry["in"] = where
        if "input" in err:
            value = _echo_value(err["input"])
            if value is not None:
                entry["value"] = value
        errors.append(entry)
    return errors


#: Longest offending value echoed back in an error (the rest is cut).
ECHO_CHARS = 200


def _echo_value(value: Any) -> str | int | float | bool | None:
    """The offending value as JSON can carry it, shortened; containers are not echoed."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value if len(value) <= ECHO_CHARS else value[:ECHO_CHARS] + "…"
    if isinstance(value, bool | int | float):
        return value
    return None


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, str(request.url.path))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        content_type = request.headers.get("content-type", "")
        body_refused = any(e.get("pointer") == "" for e in errors)
        if body_refused and content_type and not _is_json(content_type):
            return problem_response(
                Problem(
                    415,
                    "Unsupported media type",
                    f"the request body must be application/json, not {content_type!r}",
                    errors=[{"pointer": "", "detail": "send a JSON body"}],
                ),
                str(request.url.path),
            )
        names = ", ".join(
            e.get("pointer") or e.get("parameter") or "(the body)" for e in errors[:5]
        )
        return problem_response(
            Problem(
                422, "Invalid request", f"{len(errors)} invalid field(s): {names}", errors=errors
            ),
            str(request.url.path),
        )

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> JSONResponse:
        errors = [{"parameter": exc.field, "detail": exc.message}] if exc.field else None
        title = {
            404: "Not found",
            403: "Forbidden",
            409: "Conflict",
            412: "Precondition failed",
            428: "Precondition required",
        }.get(exc.status, "Invalid request")
        extra: dict[str, Any] = {}
        headers = None
        if isinstance(exc, PreconditionFailed):
            # The current ETag, so that the client can re-read and retry (RFC 9110 §13).
            extra["etag"] = exc.etag
            if exc.etag is not None:
                headers = {"ETag": exc.etag}
        return problem_response(
            Problem(exc.status, title, exc.message, errors=errors, headers=headers, **extra),
            str(request.url.path),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {
            404: "Not found",
            405: "Method not allowed",
            401: "Unauthorized",
            403: "Forbidden",
        }.get(exc.status_code, "HTTP error")
        return problem_response(
            Problem(exc.status_code, title, str(exc.detail), headers=getattr(exc, "headers", None)),
            str(request.url.path),
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(
            Problem(
                500, "Internal server error", "An unexpected error occurred; it has been logged."
            ),
            str(request.url.path),
        )
