"""``fangkong epi delays`` and ``fangkong epi growth`` from the command line."""

from __future__ import annotations

import json
import math
from pathlib import Path

from typer.testing import CliRunner

from fangkong.cli import app

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "delays"
runner = CliRunner()


def test_serial_interval_of_singapore_matches_tindale() -> None:
    result = runner.invoke(
        app,
        [
            "epi",
            "delays",
            "--file",
            str(FIXTURES / "tindale2020_COVID-19_Singapore_data_revised.csv"),
            "--kind",
            "serial",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # Tindale et al. 2020 (eLife 9:e57149): Singapore serial interval 4.17 (2.44-5.89) days.
    assert abs(report["icc"]["mean"] - 4.17) < 0.01
    assert 2.44 <= report["fits"][0]["mean"] <= 5.89


def test_growth_of_an_exact_exponential(tmp_path: Path) -> None:
    rows = ["date,count"] + [
        f"2020-01-{i + 1:02d},{round(100 * math.exp(0.1 * i))}" for i in range(21)
    ]
    path = tmp_path / "inc.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["epi", "growth", "--incidence", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    fit = json.loads(result.output)
    assert abs(fit["growth_rate"] - 0.1) < 1e-3
    assert abs(fit["doubling_time"] - math.log(2) / 0.1) < 0.1


def test_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["epi", "growth", "--incidence", str(tmp_path / "none.csv")])
    assert result.exit_code == 2
    assert "cannot read" in result.output
