"""Request body limits: a body over its route's limit is a 413 problem, refused before it
is read into memory or spooled to disk.

Every body is limited to :data:`DEFAULT_BODY_BYTES` (the largest JSON batch the API
takes, 10,000 case or daily-report items, is a few megabytes); the file uploads of
``/api/v1/imports/daily|cases`` may be larger and a bulletin smaller (:data:`ROUTE_LIMITS`).
A ``Content-Length`` over the limit is answered at once; a body sent without one
(chunked) is counted as it arrives and refused as soon as it passes the limit.

FastAPI's own ``max_body_size`` answers ``text/plain`` when the declared length is too
large; this middleware answers with the same RFC 9457 problem document as every other
error of the API.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fangkong.services.bulletin_import import MAX_BYTES as BULLETIN_BYTES

#: The limit of a body whose route names none.
DEFAULT_BODY_BYTES = 32 << 20
#: Largest uploaded import file (the whole JHU global series is about 1 MB).
MAX_UPLOAD_BYTES = 200 << 20
#: Room for the multipart envelope and the form fields around an uploaded file.
ENVELOPE_BYTES = 1 << 20
#: Routes with their own limit, by path.
ROUTE_LIMITS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"^/api/v1/imports/(?:daily|cases)/?$"), MAX_UPLOAD_BYTES + ENVELOPE_BYTES),
    (re.compile(r"^/api/v1/imports/bulletin/?$"), BULLETIN_BYTES + (64 << 10)),
)


def body_limit(path: str) -> int:
    """The body limit of the route at ``path``."""
    for pattern, limit in ROUTE_LIMITS:
        if pattern.match(path):
            return limit
    return DEFAULT_BODY_BYTES


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"the request body is larger than {limit:,} bytes")


class BodyLimit:
    """ASGI middleware enforcing :func:`body_limit`.

    A body passing the limit while it is read raises the 413 ``HTTPException`` inside
    the app, where the problem handlers answer it; a declared length over the limit is
    answered by ``refuse`` (the app's 413 problem response) without calling the app."""

    def __init__(self, app: ASGIApp, refuse: Any) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self.refuse(scope, too_large(limit))(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
