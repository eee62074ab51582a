"""``fangkong serve`` as a real process, with one and with several workers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from fangkong.settings import Settings

pytestmark = pytest.mark.slow
FANGKONG = str(Path(sys.executable).with_name("fangkong"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("workers", "production"), [(1, False), (2, True)])
def test_serve_answers_health(
    settings: Settings, workers: int, production: bool, tmp_path: Path
) -> None:
    """One worker in development behind a proxy on 127.0.0.1 (its X-Forwarded-Proto is
    trusted: the request counts as HTTPS and the answer carries HSTS); two workers in
    production (HSTS always)."""
    port = _free_port()
    env = {
        **os.environ,
        "FANGKONG_DATABASE_URL": settings.database_url,
        "FANGKONG_VAR_DIR": str(tmp_path),
        "FANGKONG_WORKERS": str(workers),
    }
    if production:
        env |= {"FANGKONG_ENVIRONMENT": "production", "FANGKONG_SECRET_KEY": "s" * 40}
    cmd = [FANGKONG, "serve", "--port", str(port)]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    forwarded = {} if production else {"X-Forwarded-Proto": "https"}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/health", headers=forwarded)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(request) as r:
                    assert r.status == 200
                    assert r.headers["X-Frame-Options"] == "DENY"
                    assert r.headers["Strict-Transport-Security"] == "max-age=31536000"
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (None, "FANGKONG_SECRET_KEY must be set"),
        ("fangkong-development-secret-change-me", "FANGKONG_SECRET_KEY must be set"),
        ("too-short", "at least 32 characters"),
    ],
)
def test_production_refuses_default_secret(
    settings: Settings, secret: str | None, message: str
) -> None:
    env = {
        **os.environ,
        "FANGKONG_DATABASE_URL": settings.database_url,
        "FANGKONG_ENVIRONMENT": "production",
    }
    env.pop("FANGKONG_SECRET_KEY", None)
    if secret is not None:
        env["FANGKONG_SECRET_KEY"] = secret
    done = subprocess.run([FANGKONG, "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert message in done.stderr.replace("\n", " ")
