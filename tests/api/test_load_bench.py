"""bench/load.sh (issue 7's load test) in CI: wrk holds 1,000 open connections for the
full 60 s against the public pages, their API calls and token-authenticated endpoints
of a real server (two worker processes) on the small generated dataset (the provinces
of Hubei and Yunnan: the same paths as the national one, built in seconds); every
request must succeed. ``bench/load.sh`` with no arguments runs it on the national
dataset."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.serial]
ROOT = Path(__file__).resolve().parents[2]
SECONDS = 60
CONNECTIONS = 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (.ci/run installs it)"
)
def test_thousand_connections_without_errors(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "FANGKONG_BENCH_OUT": str(tmp_path),
        "FANGKONG_BENCH_PORT": str(_free_port()),
        "FANGKONG_WORKERS": "2",
    }
    run = subprocess.run(
        ["bench/load.sh", str(SECONDS), str(CONNECTIONS), "small"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SECONDS + 300,  # + dataset, start, warm-up passes (at most 60 s), report
    )
    out = run.stdout + run.stderr
    metrics = dict(re.findall(r"^metric (\w+) ([\d.]+)$", run.stdout, re.MULTILINE))
    assert metrics.get("load_errors") == "0", out
    assert float(metrics["load_p99_ms"]) > 0, out
    result = re.search(
        r"^RESULT requests=(\d+) .* errors=(\d+) status=(\d+) connect=(\d+) read=(\d+) "
        r"write=(\d+) timeout=(\d+)$",
        run.stdout,
        re.MULTILINE,
    )
    assert result, out
    requests, *errors = (int(n) for n in result.groups())
    assert errors == [0] * 6, out  # no failed status, connect, read, write or timeout
    assert requests > SECONDS * 100, out
    assert f"{CONNECTIONS} connections, {SECONDS} s" in run.stdout, out
    assert run.returncode == 0, out
    # Both kinds of endpoint were exercised: the token worked, the server logged times.
    assert "5 authenticated paths" in run.stdout, out
    assert re.search(r"^SERVER responses=(\d{4,})", run.stdout, re.MULTILINE), out
