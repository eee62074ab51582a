"""The benchmark's national dataset (bench/national_dataset.py) and the public read models
on it: deterministic, consistent between levels, loaded by the bulk path; cached
answers change whenever the stored figures change (an import, an entry, a filled-in
figure without revision), and a region's risk history read from its own reports
equals the classification of every unit at once."""

from __future__ import annotations

import csv
import importlib.util
import sys
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from fangkong.core.access import CLI_ACTOR
from fangkong.services import public as pub
from fangkong.services import risk
from fangkong.services.daily_import import import_daily_file
from fangkong.services.daily_reports import submit_daily_reports
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from fangkong.store import models as m

BENCH = Path(__file__).resolve().parents[2] / "bench" / "national_dataset.py"
#: Hubei: 13 prefectures and 4 county-level cities directly under the province.
PROVINCE = "420000"
DAYS = 120
SEED = 7


@pytest.fixture(scope="module")
def nd() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fangkong_bench_national", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dataset(nd: ModuleType) -> Any:
    return nd.generate(SEED, days=DAYS, provinces=[PROVINCE])


def test_generator_is_deterministic_and_seeded(nd: ModuleType, dataset: Any) -> None:
    again = nd.generate(SEED, days=DAYS, provinces=[PROVINCE])
    other = nd.generate(SEED + 1, days=DAYS, provinces=[PROVINCE])
    assert nd.fingerprint(again) == nd.fingerprint(dataset)
    assert nd.fingerprint(other) != nd.fingerprint(dataset)


def test_every_level_is_the_sum_of_the_leaves_below(dataset: Any) -> None:
    codes = dataset.codes
    hubei = [c for c, r in REFERENCE.items() if c[:2] == "42"]
    assert sorted(codes) == sorted(["CN", *hubei])  # every region of the province has rows
    assert set(dataset.leaves) == {c for c in hubei if REFERENCE[c]["level"] == "county"} | {
        c for c in hubei if not any(r["parent_code"] == c for r in REFERENCE.values())
    }
    children: dict[str, list[str]] = {}
    for code in codes:
        if code != "CN":
            children.setdefault(REFERENCE[code]["parent_code"], []).append(code)
    for field in ("new_confirmed", "new_confirmed_imported", "new_deaths", "new_recovered"):
        values = dataset.figures[field]
        for parent, kids in children.items():
            summed = sum(values[codes.index(k)] for k in kids)
            assert np.array_equal(values[codes.index(parent)], summed), (field, parent)
    assert dataset.rows() == len(codes) * DAYS


def test_figures_are_plausible(dataset: Any) -> None:
    f = dataset.figures
    confirmed, imported = f["new_confirmed"], f["new_confirmed_imported"]
    assert (confirmed >= 0).all() and (imported >= 0).all() and (imported <= confirmed).all()
    current = np.cumsum(confirmed - f["new_recovered"] - f["new_deaths"], axis=1)
    assert (current >= 0).all()  # outcomes never outnumber cases
    national = dataset.series("CN")
    assert national.sum() > 100  # outbreaks grew (R > 1 for a while) ...
    peak = int(national.argmax())
    assert national[-7:].sum() < national[max(peak - 3, 0) : peak + 4].sum()  # ... and waned


def test_bulk_load_and_read_models_agree_with_the_dataset(
    nd: ModuleType, dataset: Any, engine: Engine
) -> None:
    import_id = nd.load(engine, dataset)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(m.DailyReportRow)).scalar_one()
        stored = conn.execute(select(m.ImportRow).where(m.ImportRow.id == import_id)).one()
    assert n == dataset.rows() == stored.rows_inserted
    assert stored.status == "completed" and stored.sha256 == nd.fingerprint(dataset)
    overview = pub.national_overview(engine, None, priority=())
    last = dataset.start + timedelta(days=DAYS - 1)
    assert overview["date"] == last.isoformat() and overview["source"] == nd.SOURCE
    figures = overview["headline"]["figures"]
    assert figures["cumulative_confirmed"]["value"] == int(dataset.series("CN").sum())
    assert figures["new_confirmed"]["value"] == int(dataset.series("CN")[-1])
    hubei = next(i for i in overview["provinces"]["items"] if i["region_code"] == PROVINCE)
    assert hubei["figures"]["cumulative_confirmed"] == int(dataset.series(PROVINCE).sum())
    page = pub.region_overview(engine, "420100", None, priority=())
    assert [d["new_confirmed"] for d in page["curve"]] == dataset.series("420100").tolist()


def _read_reference() -> list[dict[str, str]]:
    text = resources.files("fangkong.data").joinpath("regions_cn.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


REFERENCE = {r["region_code"]: r for r in _read_reference()}


# --- cache invalidation ---------------------------------------------------------------------


@pytest.fixture
def loaded(nd: ModuleType, dataset: Any, engine: Engine) -> Engine:
    nd.load(engine, dataset)
    return engine


def _overview(engine: Engine, cache: pub.PublicCache) -> dict[str, Any]:
    return cache.get(("overview",), lambda: pub.national_overview(engine, None, priority=()))


def test_an_entry_changes_the_cached_answer(
    loaded: Engine, settings: Settings, dataset: Any
) -> None:
    cache = pub.PublicCache(loaded, ttl=0)
    before = _overview(loaded, cache)
    assert _overview(loaded, cache) is before  # a hit while nothing changes
    last = (dataset.start + timedelta(days=DAYS - 1)).isoformat()
    new = int(dataset.series("CN")[-1]) + 100
    submit_daily_reports(
        loaded,
        settings,
        [{"region_code": "CN", "report_date": last, "new_confirmed": new}],
        actor=CLI_ACTOR,
        source="synthetic",
        today=date(2023, 1, 1),
    )
    after = _overview(loaded, cache)
    cum = "cumulative_confirmed"
    assert after["headline"]["figures"][cum]["value"] == (
        before["headline"]["figures"][cum]["value"] + 100
    )


def test_a_figure_filled_in_without_revision_changes_the_version(
    loaded: Engine, settings: Settings, dataset: Any
) -> None:
    cache = pub.PublicCache(loaded, ttl=0)
    before = _overview(loaded, cache)
    assert before["headline"]["figures"]["current_severe"]["value"] is None
    with loaded.connect() as conn:
        revisions = conn.execute(select(func.count()).select_from(m.RevisionRow)).scalar_one()
    last = (dataset.start + timedelta(days=DAYS - 1)).isoformat()
    submit_daily_reports(
        loaded,
        settings,
        [{"region_code": "CN", "report_date": last, "current_severe": 12}],
        actor=CLI_ACTOR,
        source="synthetic",
        today=date(2023, 1, 1),
    )
    with loaded.connect() as conn:  # a first report of a figure is not a revision ...
        assert conn.execute(select(func.count()).select_from(m.RevisionRow)).scalar_one() == (
            revisions
        )
    after = _overview(loaded, cache)  # ... yet the answer follows it
    assert after["headline"]["figures"]["current_severe"]["value"] == 12


def test_an_import_of_another_source_changes_the_version(
    loaded: Engine, settings: Settings, tmp_path: Path
) -> None:
    cache = pub.PublicCache(loaded, ttl=0)
    version = cache.version()
    path = tmp_path / "reports.csv"
    path.write_text(
        "region_code,report_date,new_confirmed\n420100,2022-04-30,3\n", encoding="utf-8"
    )
    result = import_daily_file(loaded, settings, path, actor=CLI_ACTOR, source="nhc")
    assert result.rows_inserted == 1
    assert cache.version() != version
    sources = cache.get(("sources",), lambda: pub.table_sources(loaded, ["420100"]))
    assert sources == ["nhc", "synthetic"]


def test_the_version_is_read_once_per_ttl(loaded: Engine, settings: Settings) -> None:
    cache = pub.PublicCache(loaded, ttl=3600)
    version = cache.version()
    submit_daily_reports(
        loaded,
        settings,
        [{"region_code": "CN", "report_date": "2022-01-01", "new_confirmed": 999}],
        actor=CLI_ACTOR,
        source="synthetic",
        today=date(2023, 1, 1),
    )
    assert cache.version() == version  # trusted for ttl seconds
    assert pub.data_version(loaded) != version


def test_risk_history_of_one_unit_equals_the_whole_classification(
    loaded: Engine, settings: Settings, dataset: Any
) -> None:
    tree = region_tree(loaded)
    until = dataset.start + timedelta(days=DAYS - 1)
    cache = pub.PublicCache(loaded, ttl=0)
    for level in ("county", "prefecture"):
        cls, data = risk.classify_units(
            loaded, settings, tree, ruleset=None, unit=level, until=until
        )
        assert data.codes
        for u, code in enumerate(data.codes):
            history = risk.region_risk_history(
                loaded, settings, tree, code, until=until, cache=cache
            )
            transitions = [(d.isoformat(), old, new) for d, old, new in cls.transitions(u)]
            assert [(t["date"], t["from"], t["to"]) for t in history["transitions"]] == transitions
            assert history["current"]["level"] == cls.level_name(u, cls.day_index(until))
            assert history["first_day"] == data.start.isoformat()
