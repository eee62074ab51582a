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
