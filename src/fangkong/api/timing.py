"""``Server-Timing: app;dur=<ms>`` on every response (W3C Server Timing).

A pure ASGI middleware (no ``BaseHTTPMiddleware``, whose per-request task and body
streaming cost more than the measurement): it notes the time a request reaches the
app and adds the header when the response starts, so ``dur`` is the server's time to
the first byte of the answer — routing, authentication, the read model or its cache,
serialisation — without the network or the client's queueing. Browsers show it in the
developer tools; the benchmarks read it to report server time.

With ``settings.timing_log`` set (``FANGKONG_TIMING_LOG``, a directory), each server
process also keeps ``(unix time, duration)`` pairs in memory and appends them to
``<dir>/timing-<pid>.tsv`` every :data:`FLUSH_EVERY` responses and when the server shuts
down (ASGI lifespan shutdown); ``bench/http.sh`` and ``bench/load.sh`` compute the
server-time percentiles from these files. Recording costs one list append per request,
writing the file one write per :data:`FLUSH_EVERY` requests, so it does not slow the
server it measures.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from fangkong.api.caching import WARM_SCOPE_KEY
from fangkong.settings import Settings

#: Responses kept in memory before the timing log is appended to.
FLUSH_EVERY = 2048
HEADER = b"server-timing"


class TimingLog:
    """Per-process log of response durations (see the module docstring)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"timing-{os.getpid()}.tsv"
        self._rows: list[tuple[float, float]] = []
        self._lock = threading.Lock()

    def record(self, at: float, ms: float) -> None:
        self._rows.append((at, ms))
        if len(self._rows) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            rows, self._rows = self._rows, []
            if rows:
                with self.path.open("a", encoding="ascii") as fh:
                    fh.write("".join(f"{at:.3f}\t{ms:.3f}\n" for at, ms in rows))


class ServerTiming:
    """ASGI middleware adding ``Server-Timing: app;dur=<ms>`` (and logging it)."""

    def __init__(self, app: Any, log: TimingLog | None = None) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._lifespan_send(send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        # The publisher's own requests are not answers anyone waits for.
        log = None if scope.get(WARM_SCOPE_KEY) else self.log

        async def timed_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - began) * 1000.0
                headers = list(message.get("headers", ()))
                headers.append((HEADER, b"app;dur=%.1f" % ms))
                message = {**message, "headers": headers}
                if log is not None:
                    log.record(time.time(), ms)
            await send(message)

        await self.app(scope, receive, timed_send)

    def _lifespan_send(self, send: Any) -> Any:
        async def lifespan_send(message: Any) -> None:
            if message["type"] == "lifespan.shutdown.complete" and self.log is not None:
                self.log.flush()
            await send(message)

        return lifespan_send


def install_server_timing(app: FastAPI, settings: Settings) -> None:
    """Add the middleware (with a timing log when ``settings.timing_log`` is set)."""
    log = TimingLog(settings.timing_log) if settings.timing_log else None
    app.add_middleware(ServerTiming, log=log)
