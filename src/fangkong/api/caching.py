"""Cached, conditional answers of the public read endpoints.

A public answer (open data, R_t, forecasts, risk levels, the public pages) depends only
on its request and on the stored figures. It is built once per data version (see
:class:`fangkong.services.public.PublicCache`), kept as ready-to-send bytes, and sent
with a strong ``ETag`` derived from the data version and the request; a request whose
``If-None-Match`` matches gets ``304 Not Modified`` without a body (RFC 9110 §8.8.3,
§13.1.2, §15.4.5). A new import, entry or correction changes the data version, hence
the ETag and the body, within :data:`fangkong.services.public.VERSION_TTL` seconds —
for public readers, once the server's publisher has prepared and published the new
version (:mod:`fangkong.api.warming`; signed-in users see it at once).

Two layers:

* :func:`conditional` (in the route): builds the body on a miss and keeps it per data
  version; the route still parses and validates its parameters.
* :class:`ResponseCache` (ASGI middleware): the finished response of a ``GET`` that
  :func:`conditional` answered is kept per (path, query string, whether the request
  has a session cookie) and data version, and the next identical request is answered
  from it before routing — no parameter parsing, no dependencies, no thread hop. A
  route may answer so only because its answer depends on nothing else (the pages show
  a console link when a session cookie is present; nothing else of the request is
  read). The internal header :data:`MARK` says so and how long the answer may be kept
  at most (for answers that also depend on the clock); it is never sent to clients.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from fangkong.services import public as pub

#: Public aggregate figures: shared caches may keep them for a minute.
CACHE_CONTROL = "public, max-age=60"
JSON = "application/json"
#: Internal header of a response :class:`ResponseCache` may keep: ``<seconds>|<version>``,
#: the seconds it may be kept (``-``: as long as its data version is served) and the data
#: version it shows.
MARK = "x-fangkong-response-cache"
MARK_BYTES = MARK.encode()
#: Bytes of response bodies one server process keeps.
MAX_CACHED_BYTES = 128 * 1024 * 1024


#: Key of the ASGI scope marking a request of the publisher (:mod:`fangkong.api.warming`):
#: it is answered with the latest version and never from the response cache. Clients
#: cannot set it (it is not a header).
WARM_SCOPE_KEY = "fangkong.warm"


def wants_fresh(scope: Any) -> bool:
    """Whether the request must see the latest data version: the publisher's requests,
    and signed-in users (who may just have entered the figures they look for)."""
    return bool(scope.get(WARM_SCOPE_KEY)) or _has_session(scope["headers"])


def versioned(response: Response, etag: str, *, created: bool = False) -> None:
    """Headers of an answer about one editable record: its ``ETag`` (for ``If-Match``
    on the next edit, RFC 9110 §13.1.1), ``Cache-Control: no-store`` (a private record
    that changes), and ``201 Created`` when the request created it."""
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "no-store"
    if created:
        response.status_code = 201


def cache_of(request: Request) -> pub.PublicCache:
    """The app's read-model cache (created on first use)."""
    state = request.app.state
    cache: pub.PublicCache | None = getattr(state, "public_cache", None)
    if cache is None:
        cache = state.public_cache = pub.PublicCache(state.engine)
    return cache


def etag_matches(header: str | None, etag: str) -> bool:
    """``If-None-Match`` uses the weak comparison: ``W/"x"`` matches ``"x"``."""
    if not header:
        return False
    for part in header.split(","):
        tag = part.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def json_bytes(document: Any) -> bytes:
    """Compact UTF-8 JSON, as FastAPI's ``JSONResponse`` writes it."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def conditional(
    request: Request,
    key: tuple[Hashable, ...],
    build: Callable[[], tuple[bytes, str]],
    filename: str | None = None,
    cache_control: str = CACHE_CONTROL,
    keep_seconds: int | None = None,
) -> Response:
    """Answer with the cached body of ``key`` (``build`` returns body and media type on
    a miss), or 304 when the client holds the current version.

    The body is the published version's when it is kept, else the latest version's
    (built on a miss; see :meth:`fangkong.services.public.PublicCache.served_versions`).
    ``key`` must name everything the answer depends on besides the data version; the
    answer is then also kept by :class:`ResponseCache` (for ``keep_seconds`` at most
    when given: answers that depend on the clock)."""
    cache = cache_of(request)
    versions = cache.served_versions(fresh=wants_fresh(request.scope))
    answer_key = ("answer", *key)
    version, kept = versions[-1], None
    for older in versions[:-1]:
        found, value = cache.peek(answer_key, older)
        if found:
            version, kept = older, value
            break
    digest = hashlib.sha256(f"{version}|{key!r}".encode()).hexdigest()[:32]
    etag = f'"{digest}"'
    keep = "-" if keep_seconds is None else str(keep_seconds)
    headers = {"ETag": etag, "Cache-Control": cache_control, MARK: f"{keep}|{version}"}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    body, media_type = kept if kept is not None else cache.get(answer_key, build, version=version)
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(body, media_type=media_type, headers=headers)


def cached_json(
    request: Request,
    key: tuple[Hashable, ...],
    compute: Callable[[], Any],
    *,
    keep_seconds: int | None = None,
) -> Response:
    """:func:`conditional` for a JSON document computed by ``compute``."""
    return conditional(
        request, key, lambda: (json_bytes(compute()), JSON), keep_seconds=keep_seconds
    )


# --- the response cache in front of the routes ---------------------------------------------


@dataclass(slots=True)
class _Entry:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes | None
    expires: float | None
    version: str


def _unmarked(send: Any) -> Any:
    async def unmarked(message: Any) -> None:
        if message["type"] == "http.response.start":
            raw = message.get("headers", ())
            if any(k == MARK_BYTES for k, _ in raw):
                message = {**message, "headers": [(k, v) for k, v in raw if k != MARK_BYTES]}
        await send(message)

    return unmarked


def _has_session(headers: list[tuple[bytes, bytes]]) -> bool:
    from fangkong.services.auth import SESSION_COOKIE

    name = SESSION_COOKIE.encode() + b"="
    return any(k == b"cookie" and name in v for k, v in headers)


class ResponseCache:
    """ASGI middleware answering repeated ``GET`` requests of cacheable public answers
    from memory (see the module docstring). An entry is given while its data version is
    served (:meth:`fangkong.services.public.PublicCache.served_versions`) and dropped
    when it no longer is; bodies are bounded by ``max_bytes`` (LRU)."""

    def __init__(self, app: Any, *, cache: Callable[[], pub.PublicCache], max_bytes: int) -> None:
        self.app = app
        self.cache = cache
        self.max_bytes = max_bytes
        self._versions: tuple[str, ...] = ()
        self._entries: OrderedDict[tuple[str, bytes, bool], _Entry] = OrderedDict()
        self._bytes = 0

    def _switch(self, versions: tuple[str, ...]) -> None:
        if versions != self._versions:
            for key in [k for k, e in self._entries.items() if e.version not in versions]:
                self._bytes -= len(self._entries.pop(key).body)
            self._versions = versions

    def _store(self, key: tuple[str, bytes, bool], entry: _Entry) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
        self._entries[key] = entry
        self._bytes += len(entry.body)
        while self._bytes > self.max_bytes and self._entries:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= len(dropped.body)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] != "GET":  # HEAD answers carry the mark too: remove it
            await self.app(scope, receive, _unmarked(send))
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        session = _has_session(headers)
        key = (scope["path"], scope["query_string"], session)
        versions = self.cache().served_versions()
        self._switch(versions)
        entry = None if scope.get(WARM_SCOPE_KEY) else self._entries.get(key)
        if (
            entry is not None
            and entry.version in (versions[-1:] if session else versions)
            and (entry.expires is None or entry.expires > time.monotonic())
        ):
            self._entries.move_to_end(key)
            await self._answer(entry, headers, send)
            return
        await self._forward(scope, receive, send, key)

    async def _answer(
        self, entry: _Entry, request_headers: list[tuple[bytes, bytes]], send: Any
    ) -> None:
        if entry.etag is not None:
            sent = next((v for k, v in request_headers if k == b"if-none-match"), None)
            if sent is not None and etag_matches(sent.decode("latin-1"), entry.etag.decode()):
                kept = [(k, v) for k, v in entry.headers if k in (b"etag", b"cache-control")]
                await send({"type": "http.response.start", "status": 304, "headers": kept})
                await send({"type": "http.response.body", "body": b""})
                return
        start = {"type": "http.response.start", "status": entry.status, "headers": entry.headers}
        await send(start)
        await send({"type": "http.response.body", "body": entry.body})

    async def _forward(
        self, scope: Any, receive: Any, send: Any, key: tuple[str, bytes, bool]
    ) -> None:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []
        keep: list[bytes | None] = [None]

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", ()))
                marks = [v for k, v in raw if k == MARK_BYTES]
                if marks:
                    raw = [(k, v) for k, v in raw if k != MARK_BYTES]
                    message = {**message, "headers": raw}
                    cookie = any(k == b"set-cookie" for k, _ in raw)
                    if message["status"] == 200 and not cookie:
                        keep[0] = marks[0]
                        start.update(message)
            elif message["type"] == "http.response.body" and keep[0] is not None:
                chunks.append(message.get("body", b""))
                seconds, _, version = keep[0].decode("latin-1").partition("|")
                if not message.get("more_body", False) and version in self._versions:
                    status, raw = start["status"], start["headers"]
                    etag = next((v for k, v in raw if k == b"etag"), None)
                    expires = None if seconds == "-" else time.monotonic() + float(seconds)
                    entry = _Entry(status, raw, b"".join(chunks), etag, expires, version)
                    self._store(key, entry)
            await send(message)

        await self.app(scope, receive, capture)


def install_response_cache(app: Any, max_bytes: int = MAX_CACHED_BYTES) -> None:
    """Add :class:`ResponseCache` (call before adding outer middleware)."""
    state = app.state

    def cache() -> pub.PublicCache:
        found: pub.PublicCache | None = getattr(state, "public_cache", None)
        if found is None:
            found = state.public_cache = pub.PublicCache(state.engine)
        return found

    app.add_middleware(ResponseCache, cache=cache, max_bytes=max_bytes)
