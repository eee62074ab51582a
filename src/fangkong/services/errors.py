"""Errors raised by services; the API maps them to problem documents, the CLI to messages."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class. ``field`` names the offending input when there is one."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Invalid(ServiceError):
    status = 422


class Conflict(ServiceError):
    status = 409


class PreconditionFailed(ServiceError):
    """An edit's ``If-Match`` names a version that is no longer the record's (someone
    else changed it first) — HTTP 412. ``etag`` is the record's current ETag (or
    ``None`` when the record does not exist)."""

    status = 412

    def __init__(self, message: str, field: str | None = None, etag: str | None = None) -> None:
        super().__init__(message, field)
        self.etag = etag


class PreconditionRequired(PreconditionFailed):
    """An edit of an existing record came without ``If-Match`` — HTTP 428 (RFC 6585):
    the client must say which version it edits."""

    status = 428
