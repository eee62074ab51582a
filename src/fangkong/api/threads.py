"""The threads that run the blocking work of requests, per server process.

FastAPI runs a plain ``def`` route or dependency, and Starlette runs
``run_in_threadpool`` calls, in anyio's worker threads, at most as many at once as the
default capacity limiter allows (40 unless set). The work is Python holding the GIL
between short database calls, so on a server with few cores more threads do not make it
faster: they queue for the GIL, and every hand-over of the GIL between dozens of threads
costs CPU. Under bench/load.sh (1,000 connections, two processes on two cores) 40
threads per process served about 3,500-5,000 requests/s, 8 threads 6,300-7,100.

So the default limiter is set to ``settings.threads`` (``FANGKONG_THREADS``, 8) when the
app starts. Work that may take seconds or minutes (file imports, scenario runs, file
attachments) runs through :func:`run_long` on a limiter of its own
(:data:`LONG_WORK_THREADS`), so that a few long imports never hold every thread that
quick requests need.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import FastAPI, Request

from fangkong.settings import Settings

T = TypeVar("T")
#: Long jobs (see the module docstring) one server process runs at once; more wait.
LONG_WORK_THREADS = 4


def configure_threads(app: FastAPI, settings: Settings) -> None:
    """Size the default thread limiter and create the long-work limiter. Call in the
    app's lifespan: anyio keeps the default limiter per event loop."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
    app.state.long_work_limiter = CapacityLimiter(LONG_WORK_THREADS)


def _long_limiter(request: Request) -> CapacityLimiter | None:
    """The app's long-work limiter (None when the app was not started through its
    lifespan: the default limiter then serves)."""
    limiter: CapacityLimiter | None = getattr(request.app.state, "long_work_limiter", None)
    return limiter


async def run_long(request: Request, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``run_in_threadpool`` for work that may take seconds or more (module docstring)."""

    def call() -> T:
        return func(*args, **kwargs)

    return await anyio.to_thread.run_sync(call, limiter=_long_limiter(request))
