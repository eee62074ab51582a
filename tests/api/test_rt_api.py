"""R_t interfaces: ``GET /api/v1/regions/{code}/rt`` and the commands ``fangkong epi rt``
(files, reproducing EpiEstim's saved outputs) and ``fangkong rt`` (stored data)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from fangkong.api.app import create_app
from fangkong.cli import app as cli_app
from fangkong.core.access import CLI_ACTOR
from fangkong.services.daily_import import import_daily_file
from fangkong.settings import Settings
from support import DEMO_DATA

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "epiestim"
CCDC = DEMO_DATA / "ccdc_dashboard_china_province_daily_2020-01-17_2020-03-04.csv"
R_COLS = ["Mean(R)", "Std(R)", "Quantile.0.025(R)", "Quantile.0.05(R)", "Quantile.0.25(R)",
          "Median(R)", "Quantile.0.75(R)", "Quantile.0.95(R)", "Quantile.0.975(R)"]  # fmt: skip
OUT_COLS = ["mean", "std", "q0.025", "q0.05", "q0.25", "q0.5", "q0.75", "q0.95", "q0.975"]
ONSETS = [0, 1, 1, 2, 1, 3, 4, 5, 5, 5, 5, 4, 4, 26, 6, 7, 9]
ORIGIN = ["imp", "loc", "imp", "imp", "loc", "imp", "imp", "imp", "imp", "loc", "loc", "loc", "imp",
          "loc", "imp", "loc", "imp"]  # fmt: skip
runner = CliRunner()


@pytest.fixture
def client(settings: Settings, engine: Engine) -> TestClient:
    return TestClient(create_app(settings, engine))


def table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def expected(name: str) -> list[dict[str, str]]:
    with (FIX / name).open() as fh:
        return list(csv.DictReader(fh))


def assert_matches(out: list[dict[str, str]], exp: list[dict[str, str]]) -> None:
    assert [int(r["t_start"]) for r in out] == [int(float(r["t_start"])) for r in exp]
    got = np.array([[float(r[c]) for c in OUT_COLS] for r in out])
    want = np.array([[float(r[c]) for c in R_COLS] for r in exp])
    np.testing.assert_allclose(got, want, atol=1e-8, rtol=0)


def test_cli_reproduces_epiestim_example1_and_3() -> None:
    inc = str(FIX / "Flu2009_incidence.csv")
    args = ["epi", "rt", "--incidence", inc, "--si-distr", str(FIX / "Flu2009_si_distr.csv")]
    res = runner.invoke(cli_app, args)
    assert res.exit_code == 0, res.output
    out = table(res.stdout)
    assert list(out[0]) == [
        "t_start", "t_end", "mean", "std", "q0.025", "q0.05", "q0.25", "q0.5", "q0.75",
        "q0.95", "q0.975", "date_start", "date_end",
    ]  # fmt: skip
    assert_matches(out, expected("expected_Example1_non_parametric_si_R.csv"))
    assert out[0]["date_start"] == "2009-04-28" and out[0]["date_end"] == "2009-05-04"
    res = runner.invoke(cli_app, ["epi", "rt", "--incidence", inc, "--si-mean", "2.6",
                                  "--si-sd", "1.5", "--format", "json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["method"] == "parametric_si"
    rows = [{k: str(v) for k, v in r.items()} for r in doc["items"]]
    assert_matches(rows, expected("expected_Example3_parametric_si_R.csv"))


def test_cli_reproduces_epiestim_example2_local_and_imported(tmp_path: Path) -> None:
    local, imported = [0] * 27, [0] * 27
    for day, origin in zip(ONSETS, ORIGIN, strict=True):
        (local if origin == "loc" else imported)[day] += 1
    path = tmp_path / "ex2.csv"
    path.write_text("local,imported\n" + "".join(f"{a},{b}\n" for a, b in
                                                 zip(local, imported, strict=True)))  # fmt: skip
    args = ["epi", "rt", "--incidence", str(path), "--si-mean", "2.6", "--si-sd", "1.5"]
    for t in range(2, 22):
        args += ["--t-start", str(t), "--t-end", str(t + 6)]
    res = runner.invoke(cli_app, args)
    assert res.exit_code == 0, res.output
    out = table(res.stdout)
    assert "date_start" not in out[0]
    assert_matches(out, expected("expected_Example2_parametric_si_R.csv"))


def test_cli_uncertain_si_is_seeded() -> None:
    args = ["epi", "rt", "--incidence", str(FIX / "Flu2009_incidence.csv"), "--method",
            "uncertain_si", "--si-mean", "2.6", "--si-sd", "1.5", "--std-mean-si", "1",
            "--min-mean-si", "1", "--max-mean-si", "4.2", "--std-std-si", "0.5",
            "--min-std-si", "0.5", "--max-std-si", "2.5", "--n1", "50", "--n2", "50",
            "--seed", "3"]  # fmt: skip
    first = runner.invoke(cli_app, args)
    second = runner.invoke(cli_app, args)
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    exp = expected("expected_Example4_uncertain_si_R.csv")
    means = np.array([float(r["mean"]) for r in table(first.stdout)])
    np.testing.assert_allclose(means, [float(r["Mean(R)"]) for r in exp], rtol=0.15)


def test_cli_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("dates,I\n2020-01-01,1\n2020-01-02,2\n2020-01-03,three\n")
    res = runner.invoke(cli_app, ["epi", "rt", "--incidence", str(path), "--si-mean", "4",
                                  "--si-sd", "2"])  # fmt: skip
    assert res.exit_code == 2
    assert "bad.csv:4: column 'I': 'three' is not a number" in res.stderr
    res = runner.invoke(cli_app, ["epi", "rt", "--incidence", str(path)])
    assert res.exit_code == 2 and "--si-mean" in res.stderr
    ok = tmp_path / "ok.csv"
    ok.write_text("I\n" + "\n".join(["5"] * 12) + "\n")
    res = runner.invoke(cli_app, ["epi", "rt", "--incidence", str(ok), "--si-mean", "0.5",
                                  "--si-sd", "2"])  # fmt: skip
    assert res.exit_code == 2 and "> 1" in res.stderr
    res = runner.invoke(cli_app, ["epi", "rt", "--incidence", str(ok), "--si-mean", "4",
                                  "--si-sd", "2", "--t-start", "1", "--t-end", "5"])  # fmt: skip
    assert res.exit_code == 2 and "t_start 1" in res.stderr


def test_region_rt_endpoint(client: TestClient, engine: Engine, settings: Settings) -> None:
    assert import_daily_file(engine, settings, CCDC, actor=CLI_ACTOR).rows_rejected == 0
    res = client.get("/api/v1/regions/420000/rt",
                     params={"si_mean": 7.5, "si_sd": 3.4, "source": "ccdc",
                             "from": "2020-02-01", "to": "2020-02-29"})  # fmt: skip
    assert res.status_code == 200, res.text
    doc = res.json()
    assert doc["items"][0]["date_end"] == "2020-02-01"
    assert doc["items"][-1]["date_end"] == "2020-02-29"
    assert doc["items"][-1]["q0.975"] < 1 < doc["items"][0]["q0.025"]
    assert set(doc) >= {"notes", "warnings", "si_mean", "si_sd", "window", "source"}


@pytest.mark.parametrize(
    ("params", "status", "parameter"),
    [
        ({"si_sd": 3.4}, 422, "si_mean"),
        ({"si_mean": 0.5, "si_sd": 3.4}, 422, "si_mean"),
        ({"si_mean": 7.5, "si_sd": -1}, 422, "si_sd"),
        ({"si_mean": 7.5, "si_sd": 3.4, "window": 0}, 422, "window"),
        ({"si_mean": 7.5, "si_sd": 3.4, "from": "2020-13-01"}, 422, "from"),
        ({"si_mean": 7.5, "si_sd": 3.4, "from": "2020-03-01", "to": "2020-02-01"}, 422, "from"),
        ({"si_mean": 7.5, "si_sd": 3.4, "basis": "x"}, 422, "basis"),
        ({"si_mean": 7.5, "si_sd": 3.4, "source": "nosuch"}, 404, "source"),
        ({"si_mean": 7.5, "si_sd": 3.4, "window": 300}, 422, "window"),
    ],
)
def test_region_rt_problems_name_the_parameter(
    client: TestClient, engine: Engine, settings: Settings, params: dict[str, object],
    status: int, parameter: str,
) -> None:  # fmt: skip
    import_daily_file(engine, settings, CCDC, actor=CLI_ACTOR)
    res = client.get("/api/v1/regions/420000/rt", params=params)
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    assert parameter in [e.get("parameter") for e in res.json()["errors"]]


def test_region_rt_unknown_region_is_404(client: TestClient) -> None:
    res = client.get("/api/v1/regions/999999/rt", params={"si_mean": 7.5, "si_sd": 3.4})
    assert res.status_code == 404
    assert res.json()["errors"][0]["parameter"] == "region_code"


def test_fangkong_rt_command(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_daily_file(engine, settings, CCDC, actor=CLI_ACTOR)
    monkeypatch.setenv("FANGKONG_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("FANGKONG_VAR_DIR", str(settings.var_dir))
    res = runner.invoke(cli_app, ["rt", "--region", "420000", "--source", "ccdc", "--si-mean",
                                  "7.5", "--si-sd", "3.4", "--from", "2020-02-20",
                                  "--format", "csv"])  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = table(res.stdout)
    assert rows[0]["date_end"] == "2020-02-20" and all(float(r["mean"]) < 1 for r in rows[1:])
    res = runner.invoke(cli_app, ["rt", "--region", "420000", "--si-mean", "7.5", "--si-sd",
                                  "3.4", "--source", "ccdc"])  # fmt: skip
    assert res.exit_code == 0 and "R_t 420000" in res.stdout
    res = runner.invoke(cli_app, ["rt", "--region", "420000", "--si-mean", "7.5", "--si-sd",
                                  "3.4", "--window", "400"])  # fmt: skip
    assert res.exit_code == 2 and "window" in res.stderr
