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
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_health(settings: Settings, workers: int, tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "FANGKONG_DATABASE_URL": settings.database_url,
        "FANGKONG_VAR_DIR": str(tmp_path),
        "FANGKONG_WORKERS": str(workers),
    }
    cmd = [FANGKONG, "serve", "--port", str(port)]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health") as r:
                    assert r.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_production_refuses_default_secret(settings: Settings) -> None:
    env = {
        **os.environ,
        "FANGKONG_DATABASE_URL": settings.database_url,
        "FANGKONG_ENVIRONMENT": "production",
    }
    env.pop("FANGKONG_SECRET_KEY", None)
    done = subprocess.run([FANGKONG, "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "FANGKONG_SECRET_KEY" in done.stderr
