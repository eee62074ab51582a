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
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from fangkong.api.limits import BodyLimit
from fangkong.services.errors import PreconditionFailed, ServiceError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)

#: JSON Schema of a problem document (RFC 9457 section 3), as the OpenAPI component
#: ``Problem``; extension members (``retry_after`` …) are allowed.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["detail"],
                "properties": {
                    "detail": {"type": "string"},
                    "pointer": {"type": "string", "description": "RFC 6901, into the body"},
                    "parameter": {"type": "string"},
                    "in": {"type": "string"},
                    "value": {"type": ["string", "integer", "number", "boolean", "null"]},
                },
            },
        },
    },
}
#: What each error status means in this API (the ``description`` of its response).
PROBLEM_STATUSES: dict[int, str] = {
    400: "Bad request: the body cannot be parsed",
    401: "Unauthorized: no valid credentials (WWW-Authenticate: Bearer)",
    403: "Forbidden: the caller lacks the permission or the jurisdiction, or the CSRF token",
    404: "Not found",
    409: "Conflict with the stored state",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid request: the errors name each field (JSON pointer or parameter)",
    429: "Too many requests",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route for the problem answers it gives besides those
    every operation of its kind declares (see :func:`document_problems`)."""
    return {status: _problem_response(status) for status in statuses}


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": PROBLEM_STATUSES.get(status, "Error"),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Declare the problem answers of every operation of an OpenAPI document.

    Each operation gets the statuses that the shared machinery may answer with:
    422 and 404 when it takes parameters or a body (request validation and service
    checks; a region or record named in a path, query or body may not exist), 401 and
    403 when it reads credentials (an invalid token is refused even where anonymous
    calls are allowed), 400 and 413 when it takes a body (unreadable, or over the size
    limit), and 415 when that body is JSON. Every 4xx response —
    these, FastAPI's own 422 and those a route declares with :func:`problem_responses`
    or a bare description — is described as ``application/problem+json`` with the
    ``Problem`` schema."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            statuses: set[int] = set()
            parameters = operation.get("parameters", [])
            body = operation.get("requestBody", {}).get("content", {})
            if parameters or body:
                statuses.update((404, 422))  # 404: a named region or record does not exist
            if operation.get("security"):
                statuses.update((401, 403))
            if body:
                statuses.update((400, 413))  # a body that cannot be parsed, or too large
            if "application/json" in body:
                statuses.add(415)
            responses = operation["responses"]
            for status in statuses:
                responses.setdefault(str(status), _problem_response(status))
            for code, response in responses.items():
                if code.startswith("4"):
                    response["content"] = _problem_response(int(code))["content"]
                    if response.get("description") == "Validation Error":  # FastAPI's
                        response["description"] = PROBLEM_STATUSES[422]
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    return document


def install_problem_docs(app: FastAPI) -> None:
    """Make the app's OpenAPI document declare its problem answers
    (:func:`document_problems`), once, when it is first built."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


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
    """Answer every error with a problem document, declare them in the OpenAPI document
    (:func:`install_problem_docs`), and refuse a body over its limit with a 413 problem
    (:mod:`fangkong.api.limits`)."""
    install_problem_docs(app)

    def refuse(scope: Any, exc: StarletteHTTPException) -> JSONResponse:
        problem = Problem(
            413, "Payload too large", str(exc.detail), headers={"Connection": "close"}
        )
        return problem_response(problem, str(scope.get("path", "")))

    app.add_middleware(BodyLimit, refuse=refuse)

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
            400: "Bad request",
            404: "Not found",
            405: "Method not allowed",
            401: "Unauthorized",
            403: "Forbidden",
            413: "Payload too large",
        }.get(exc.status_code, "HTTP error")
        return problem_response(
            Problem(exc.status_code, title, str(exc.detail), headers=getattr(exc, "headers", None)),
            str(request.url.path),
        )

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        """A value the database refuses (PostgreSQL: a NUL character in text, a number
        out of range, a text longer than its column): bad input, so a 422 naming the
        parameters that hold a NUL character — never the SQL or its parameters."""
        reason = str(exc.orig).splitlines()[0][:200] if exc.orig else "invalid value"
        log.info("data refused by the database on %s: %s", request.url.path, reason)
        errors: list[dict[str, Any]] = [
            {"parameter": name, "in": where, "detail": "contains a NUL character"}
            for where, items in (
                ("query", request.query_params.multi_items()),
                ("path", list(request.path_params.items())),
            )
            for name, value in items
            if "\x00" in str(value)
        ]
        return problem_response(
            Problem(
                422,
                "Invalid request",
                f"a value of the request cannot be stored: {reason}",
                errors=errors,
            ),
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
