"""bench/load.sh (issue 7's load test) in CI, shortened: wrk holds 1,000 open connections
for 20 s against the public pages, their API calls and token-authenticated endpoints of
a real server (two worker processes) on a generated dataset; every request must
succeed. The full 60-s run is ``bench/load.sh``."""

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
        ["bench/load.sh", "20", "1000", "small"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = run.stdout + run.stderr
    metrics = dict(re.findall(r"^metric (\w+) ([\d.]+)$", run.stdout, re.MULTILINE))
    assert metrics.get("load_errors") == "0", out
    assert float(metrics["load_p99_ms"]) > 0, out
    result = re.search(r"^RESULT requests=(\d+) .* errors=(\d+)", run.stdout, re.MULTILINE)
    assert result and int(result.group(1)) > 1000 and result.group(2) == "0", out
    assert run.returncode == 0, out
    # Both kinds of endpoint were exercised: the token worked, the server logged times.
    assert "5 authenticated paths" in run.stdout, out
    assert re.search(r"^SERVER responses=(\d{4,})", run.stdout, re.MULTILINE), out
