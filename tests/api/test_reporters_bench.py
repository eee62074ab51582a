"""bench/reporters.py for a few seconds on both databases, against a served instance
(``fangkong serve`` in a child process): concurrent read-modify-write with ETags loses
no update; the same load through the last-write-wins batch endpoint does lose updates,
which shows that the bench's check can fail."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

BENCH = Path(__file__).resolve().parents[2] / "bench" / "reporters.py"


def bench() -> Any:
    spec = importlib.util.spec_from_file_location("fangkong_bench_reporters", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_reporters_with_if_match_lose_no_update(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    result = bench().run(url, reporters=10, seconds=4, records=3)
    assert result["errors"] == 0, result
    assert result["writes"] > 20, result
    assert result["conflicts"] > 0, result  # the reporters did collide
    assert result["lost_updates"] == 0 and result["phantom_updates"] == 0, result
    assert result["stored_increase"] == result["writes"] + result["unknown"] or (
        result["unknown"] and result["stored_increase"] >= result["writes"]
    )


@pytest.mark.slow
def test_last_write_wins_loses_updates_and_the_check_sees_it(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    result = bench().run(url, reporters=8, seconds=3, records=1, unsafe=True)
    assert result["errors"] == 0, result
    assert result["lost_updates"] > 0, result
