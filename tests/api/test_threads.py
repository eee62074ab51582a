"""api/threads.py: the default thread limiter takes ``settings.threads`` when the app
starts, and long jobs run on a limiter of their own, so that they never hold the threads
quick requests need."""

from __future__ import annotations

import threading

import anyio.to_thread
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.requests import Request

from fangkong.api.app import create_app
from fangkong.api.threads import LONG_WORK_THREADS, run_long
from fangkong.settings import Settings


def test_thread_limiters_are_sized_at_start(settings: Settings, engine: Engine) -> None:
    assert Settings().threads == 8
    app = create_app(settings.model_copy(update={"threads": 3}), engine)
    with TestClient(app) as client:
        assert client.portal is not None
        tokens = client.portal.call(
            lambda: anyio.to_thread.current_default_thread_limiter().total_tokens
        )
        assert tokens == 3
        assert app.state.long_work_limiter.total_tokens == LONG_WORK_THREADS


def test_long_work_does_not_take_the_threads_of_quick_requests(
    settings: Settings, engine: Engine
) -> None:
    app = create_app(settings.model_copy(update={"threads": 1}), engine)
    started, release = threading.Event(), threading.Event()

    def long_job() -> str:
        started.set()
        release.wait(10)
        return "done"

    with TestClient(app) as client:
        assert client.portal is not None
        request = Request({"type": "http", "app": app})
        job = client.portal.start_task_soon(run_long, request, long_job)
        try:
            assert started.wait(5)
            # /api/v1/health is a plain ``def`` route: it needs the only default thread
            assert client.get("/api/v1/health").status_code == 200
            assert not job.done(), "the quick request did not wait for the long job"
        finally:
            release.set()
        assert job.result(5) == "done"
