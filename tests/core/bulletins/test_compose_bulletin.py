"""The bulletin composer: official layout, zh and en from one set of numbers, and a
round trip through the bulletin reader on the figures of every real NHC bulletin in
``tests/fixtures/bulletins`` (read → compose → read gives the same figures)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fangkong.core.bulletins import BulletinReading, read_bulletin
from fangkong.core.bulletins.compose import (
    FIGURES,
    HK_MO_TW,
    BulletinFigures,
    Place,
    compose,
)
from fangkong.core.bulletins.places import PROVINCES

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bulletins"
NHC = sorted(p.name for p in FIXTURES.glob("nhc_*.txt"))
PLACES = {code: Place(code, short, en) for short, (code, en) in PROVINCES.items()}
FLOWS = ("new_confirmed", "new_confirmed_imported", "new_confirmed_local", "new_deaths")
ASYM = {
    "new_asymptomatic_imported": "new_imported",
    "new_asymptomatic_local": "new_local",
    "current_asymptomatic": "under_observation",
}


def from_reading(r: BulletinReading) -> BulletinFigures:
    """The numbers of an official bulletin as composer input."""
    assert r.date is not None and r.region_code is not None
    # the official lists name regions with cases (zeros come from a region's own block)
    breakdowns = {
        code: {k: v for k, v in fs.items() if k in FLOWS and v > 0}
        for code, fs in r.breakdowns.items()
        if code in PLACES and code not in HK_MO_TW
    }
    if "new_confirmed_local" in r.figures and "new_confirmed_imported" in r.figures:
        # with both parts known the lists go with the parts (the total's list is not
        # repeated); a province's own block (湖北新增确诊病例…) is not composed
        for fs in breakdowns.values():
            fs.pop("new_confirmed", None)
    return BulletinFigures(
        region_code=r.region_code,
        report_date=r.date,
        place=Place(r.region_code, "全国", "China"),
        figures=dict(r.figures),
        breakdowns={c: f for c, f in breakdowns.items() if f},
        places=PLACES,
        imported=dict(r.imported),
        asymptomatic={ASYM[k]: v for k, v in r.other.items() if k in ASYM},
        hk_mo_tw={
            c: {k: v for k, v in r.breakdowns[c].items() if k.startswith("cumulative")}
            for c in HK_MO_TW
            if c in r.breakdowns
        },
    )


def national_2020_02_13() -> BulletinFigures:
    return BulletinFigures(
        region_code="CN",
        report_date=date(2020, 2, 13),
        place=Place("CN", "全国", "China"),
        figures={
            "new_confirmed": 5090,
            "new_deaths": 121,
            "new_recovered": 1081,
            "cumulative_confirmed": 63851,
            "cumulative_recovered": 6723,
            "cumulative_deaths": 1380,
            "current_confirmed": 55748,
            "current_suspected": 10109,
        },
        breakdowns={
            "420000": {"new_deaths": 116},
            "230000": {"new_deaths": 2},
            "340000": {"new_deaths": 1},
            "410000": {"new_deaths": 1},
            "500000": {"new_deaths": 1},
        },
        places=PLACES,
        hk_mo_tw={
            "810000": {
                "cumulative_confirmed": 53,
                "cumulative_recovered": 1,
                "cumulative_deaths": 1,
            },
            "820000": {"cumulative_confirmed": 10, "cumulative_recovered": 3},
            "710000": {"cumulative_confirmed": 18, "cumulative_recovered": 1},
        },
    )


def test_layout_follows_the_nhc_bulletin_of_2020_02_13() -> None:
    text = compose(national_2020_02_13()).text_zh
    lines = text.split("\n")
    assert lines[0].startswith(
        "2月13日0—24时，31个省（自治区、直辖市）和新疆生产建设兵团报告新增确诊病例5090例"
    )
    # the official list: largest first, equal counts joined with 各
    assert "新增死亡病例121例（湖北116例，黑龙江2例，安徽、河南、重庆各1例）" in lines[0]
    assert lines[1] == "当日新增治愈出院病例1081例。"
    assert lines[2].startswith(
        "截至2月13日24时，据31个省（自治区、直辖市）和新疆生产建设兵团报告，"
    )
    assert "现有确诊病例55748例" in lines[2] and "累计报告确诊病例63851例" in lines[2]
    assert lines[3] == (
        "累计收到港澳台地区通报确诊病例81例：香港特别行政区53例（出院1例，死亡1例），"
        "澳门特别行政区10例（出院3例），台湾地区18例（出院1例）。"
    )


def test_unreported_figures_are_omitted_and_named_never_zero() -> None:
    out = compose(national_2020_02_13())
    zh, en = out.text_zh, out.text_en
    # not reported: new suspected, severe, contacts → no sentence, and the closing note
    assert "疑似病例0例" not in zh and "无新增疑似病例" not in zh
    assert "密切接触者" in zh.split("\n")[-1]  # only in the note
    assert zh.split("\n")[-1].startswith("（注：本通报未包含以下数据：")
    assert "新增疑似病例" in zh.split("\n")[-1]
    assert en.split("\n")[-1].startswith("(Not reported in this bulletin:")
    assert "new suspected cases" in en.split("\n")[-1]
    assert " 0 " not in en
    # a reported zero is an explicit zero
    b = national_2020_02_13()
    b.figures["new_suspected"] = 0
    b.figures["new_deaths"] = 0
    b.breakdowns = {}
    again = compose(b)
    assert "无新增死亡病例" in again.text_zh and "无新增疑似病例" in again.text_zh
    assert "no new deaths" in again.text_en and "no new suspected cases" in again.text_en


def test_english_carries_the_same_numbers() -> None:
    en = compose(national_2020_02_13()).text_en
    assert en.startswith("From 0:00 to 24:00 on 13 February 2020, 31 provincial-level regions")
    for figure in ("5,090 new confirmed cases", "121 new deaths", "1,081 patients"):
        assert figure in en
    assert "(116 in Hubei, 2 in Heilongjiang, 1 each in Anhui, Henan and Chongqing)" in en
    assert "55,748 current confirmed cases" in en and "63,851 confirmed cases" in en
    assert "53 in the Hong Kong SAR (1 discharged, 1 death)" in en


def test_severe_change_wording() -> None:
    b = national_2020_02_13()
    for change, zh, en in (
        (5, "重症病例较前一日增加5例", "severe cases increased by 5"),
        (-4, "重症病例较前一日减少4例", "severe cases decreased by 4"),
        (0, "重症病例与前一日持平", "severe cases were unchanged"),
    ):
        b.figures["new_severe"] = change
        out = compose(b)
        assert zh in out.text_zh and en in out.text_en
        assert read_bulletin(out.text_zh, as_of=b.report_date).figures["new_severe"] == change


def test_province_bulletin_names_the_province() -> None:
    b = BulletinFigures(
        region_code="420000",
        report_date=date(2020, 2, 13),
        place=Place("420000", "湖北省", "Hubei"),
        figures={
            "new_confirmed": 4823,
            "cumulative_confirmed": 51986,
            "cumulative_recovered": 3862,
            "cumulative_deaths": 1318,
            "current_confirmed": 46806,
        },
        breakdowns={"420100": {"new_confirmed": 3910}},
        places={"420100": Place("420100", "武汉市", "Wuhan")},
    )
    out = compose(b)
    assert out.text_zh.startswith("2月13日0—24时，湖北省报告新增确诊病例4823例（武汉市3910例）")
    assert "港澳台" not in out.text_zh
    read = read_bulletin(out.text_zh, as_of=b.report_date)
    assert read.region_code == "420000"
    assert {k: read.figures[k] for k in b.figures} == b.figures
    assert read.breakdowns["420100"] == {"new_confirmed": 3910}
    assert "From 0:00 to 24:00 on 13 February 2020, Hubei reported 4,823" in out.text_en


def test_figures_survive_json() -> None:
    b = national_2020_02_13()
    b.corrections = [
        {"region_code": "420000", "field": "cumulative_confirmed", "change": -1043, "reason": "r"}
    ]
    again = BulletinFigures.from_dict(b.as_dict())
    assert again.as_dict() == b.as_dict()
    assert compose(again) == compose(b)
    assert "累计报告确诊病例63851例（湖北核减1043例）" in compose(again).text_zh


@pytest.mark.parametrize("name", NHC)
def test_round_trip_of_every_real_nhc_bulletin(name: str) -> None:
    """Official figures → composed Chinese text → reader: the same figures, breakdowns,
    imported block and Hong Kong/Macao/Taiwan block, with nothing unread."""
    official = read_bulletin((FIXTURES / name).read_text(encoding="utf-8"), filename=name)
    b = from_reading(official)
    text = compose(b).text_zh
    back = read_bulletin(text, as_of=b.report_date)
    assert back.unread == [], text
    assert back.region_code == "CN" and back.date == b.report_date
    assert back.figures == {k: official.figures[k] for k in FIGURES if k in official.figures}
    for code, fs in b.breakdowns.items():
        assert {k: back.breakdowns[code][k] for k in fs} == fs, (code, text)
    assert back.imported == b.imported
    for code, fs in b.hk_mo_tw.items():
        assert {k: back.breakdowns[code].get(k, 0) for k in fs} == fs
