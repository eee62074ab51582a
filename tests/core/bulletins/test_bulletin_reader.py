"""The bulletin reader on the 31 real bulletins of ``tests/fixtures/bulletins`` (copied from
``../shared/data/bulletins``; see their README.md and SOURCES.csv). Expected figures
are typed from the texts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import opencc
import pytest

from fangkong.core.bulletins import read_bulletin
from fangkong.core.bulletins.normalise import normalise, strip_glosses

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bulletins"


def read(name: str, **kwargs: object) -> dict[str, object]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return read_bulletin(text, filename=name, **kwargs).as_dict()  # type: ignore[arg-type]


def test_nhc_2020_02_13_exact_figures() -> None:
    out = read("nhc_2020-02-13.txt")
    assert out["date"] == "2020-02-13" and out["region_code"] == "CN"
    expected = {
        "new_confirmed": 5090,
        "new_severe": 2174,
        "new_deaths": 121,
        "new_suspected": 2450,
        "new_recovered": 1081,
        "current_confirmed": 55748,
        "current_severe": 10204,
        "cumulative_recovered": 6723,
        "cumulative_deaths": 1380,
        "cumulative_confirmed": 63851,
        "current_suspected": 10109,
        "close_contacts_traced": 493067,
        "close_contacts_under_observation": 177984,
    }
    assert {k: out[k] for k in expected} == expected
    assert out["unread"] == []
    hubei, wuhan = out["breakdowns"]["420000"], out["breakdowns"]["420100"]  # type: ignore[index]
    assert hubei["new_confirmed"] == 4823 and wuhan["new_confirmed"] == 3910
    assert hubei["new_deaths"] == 116 and wuhan["new_deaths"] == 88
    assert hubei["current_severe"] == 9278 and wuhan["current_severe"] == 7492
    assert hubei["cumulative_confirmed"] == 51986 and wuhan["cumulative_confirmed"] == 35991
    # 新增死亡病例121例（湖北116例，黑龙江2例，安徽、河南、重庆各1例）
    deaths = {code: b.get("new_deaths") for code, b in out["breakdowns"].items()}  # type: ignore[union-attr]
    assert {k: v for k, v in deaths.items() if v is not None} == {
        "420000": 116,
        "420100": 88,  # from the Hubei block: 新增死亡病例116例（武汉88例）
        "230000": 2,
        "340000": 1,
        "410000": 1,
        "500000": 1,
    }
    fixes = {(c["region_code"], c["field"], c["change"]) for c in out["corrections"]}  # type: ignore[index, union-attr]
    assert fixes == {
        ("420000", "cumulative_recovered", -269),
        ("420000", "cumulative_deaths", -108),
        ("420000", "cumulative_confirmed", -1043),
    }
    assert all("湖北省核减1043例" in c["sentence"] for c in out["corrections"])  # type: ignore[index, union-attr]
    # Hong Kong, Macao, Taiwan: cumulative figures notified to the NHC
    assert out["breakdowns"]["810000"] == {  # type: ignore[index]
        "cumulative_confirmed": 53,
        "cumulative_recovered": 1,
        "cumulative_deaths": 1,
    }


#: (file, as-of date, region, headline figures typed from the text)
HEADLINES: list[tuple[str, str, str, dict[str, int]]] = [
    (
        "beijing_2020-02-12.txt",
        "2020-02-12",
        "110000",
        {
            "new_confirmed": 14,
            "cumulative_confirmed": 366,
            "cumulative_deaths": 3,
            "cumulative_recovered": 68,
            "current_suspected": 194,
        },
    ),
    (
        "guangdong_2020-02-12.txt",
        "2020-02-12",
        "440000",
        {
            "new_confirmed": 22,
            "new_deaths": 1,
            "new_recovered": 43,
            "cumulative_confirmed": 1241,
            "cumulative_deaths": 2,
            "cumulative_recovered": 284,
            "close_contacts_under_observation": 3123,
        },
    ),
    (
        "henan_2020-02-12.txt",
        "2020-02-12",
        "410000",
        {
            "new_confirmed": 34,
            "new_deaths": 2,
            "new_recovered": 27,
            "cumulative_confirmed": 1169,
            "cumulative_deaths": 10,
            "current_severe": 58,
            "close_contacts_traced": 29625,
            "close_contacts_under_observation": 9860,
        },
    ),
    (
        "nhc_2020-01-20.txt",
        "2020-01-20",
        "CN",
        {
            "new_confirmed": 77,
            "new_suspected": 27,
            "cumulative_confirmed": 291,
            "close_contacts_traced": 1739,
            "close_contacts_under_observation": 922,
        },
    ),
    (
        "nhc_2020-01-21.txt",
        "2020-01-21",
        "CN",
        {
            "new_confirmed": 149,
            "new_deaths": 3,
            "new_suspected": 26,
            "cumulative_confirmed": 440,
            "cumulative_deaths": 9,
            "close_contacts_under_observation": 1394,
        },
    ),
    (
        "nhc_2020-01-25.txt",
        "2020-01-25",
        "CN",
        {
            "new_confirmed": 688,
            "new_severe": 87,
            "new_deaths": 15,
            "new_suspected": 1309,
            "new_recovered": 11,
            "cumulative_confirmed": 1975,
            "current_severe": 324,
            "cumulative_deaths": 56,
            "cumulative_recovered": 49,
            "current_suspected": 2684,
            "close_contacts_traced": 23431,
            "close_contacts_under_observation": 21556,
        },
    ),
    (
        "nhc_2020-01-28.txt",
        "2020-01-28",
        "CN",
        {
            "new_confirmed": 1459,
            "new_deaths": 26,
            "new_suspected": 3248,
            "new_recovered": 43,
            "cumulative_confirmed": 5974,
            "cumulative_deaths": 132,
            "cumulative_recovered": 103,
            "close_contacts_under_observation": 59990,
        },
    ),
    (
        "nhc_2020-01-29.txt",
        "2020-01-29",
        "CN",
        {
            "new_confirmed": 1737,
            "new_deaths": 38,
            "new_suspected": 4148,
            "new_recovered": 21,
            "cumulative_confirmed": 7711,
            "cumulative_deaths": 170,
            "current_suspected": 12167,
            "close_contacts_under_observation": 81947,
        },
    ),
    (
        "nhc_2020-02-08.txt",
        "2020-02-08",
        "CN",
        {
            "new_confirmed": 2656,
            "new_deaths": 89,
            "new_suspected": 3916,
            "new_recovered": 600,
            "current_confirmed": 33738,
            "cumulative_confirmed": 37198,
            "cumulative_deaths": 811,
            "close_contacts_under_observation": 188183,
        },
    ),
    (
        "nhc_2020-02-12.txt",
        "2020-02-12",
        "CN",
        {
            "new_confirmed": 15152,
            "new_severe": -174,
            "new_deaths": 254,
            "new_suspected": 2807,
            "new_recovered": 1171,
            "cumulative_confirmed": 59804,
            "cumulative_deaths": 1367,
            "close_contacts_under_observation": 181386,
        },
    ),
    (
        "nhc_2020-02-13.txt",
        "2020-02-13",
        "CN",
        {
            "new_confirmed": 5090,
            "new_deaths": 121,
            "new_suspected": 2450,
            "new_recovered": 1081,
            "cumulative_confirmed": 63851,
            "cumulative_deaths": 1380,
            "close_contacts_under_observation": 177984,
        },
    ),
    (
        "nhc_2020-02-19.txt",
        "2020-02-19",
        "CN",
        {
            "new_confirmed": 394,
            "new_deaths": 114,
            "new_suspected": 1277,
            "new_recovered": 1779,
            "new_severe": -113,
            "cumulative_confirmed": 74576,
            "cumulative_deaths": 2118,
            "close_contacts_under_observation": 126363,
        },
    ),
    (
        "nhc_2020-03-04.txt",
        "2020-03-04",
        "CN",
        {
            "new_confirmed": 139,
            "new_confirmed_imported": 2,
            "new_deaths": 31,
            "new_suspected": 143,
            "new_recovered": 2189,
            "cumulative_confirmed": 80409,
            "cumulative_deaths": 3012,
            "close_contacts_under_observation": 32870,
        },
    ),
    (
        "nhc_2020-03-18.txt",
        "2020-03-18",
        "CN",
        {
            "new_confirmed": 34,
            "new_confirmed_imported": 34,
            "new_deaths": 8,
            "new_suspected": 23,
            "new_recovered": 819,
            "cumulative_confirmed": 80928,
            "cumulative_deaths": 3245,
            "close_contacts_under_observation": 9144,
        },
    ),
    (
        "nhc_2020-03-26.txt",
        "2020-03-26",
        "CN",
        {
            "new_confirmed": 55,
            "new_confirmed_imported": 54,
            "new_confirmed_local": 1,
            "new_deaths": 5,
            "new_suspected": 49,
            "new_recovered": 537,
            "cumulative_confirmed": 81340,
            "cumulative_deaths": 3292,
            "close_contacts_under_observation": 16005,
        },
    ),
    (
        "nhc_2020-03-31.txt",
        "2020-03-31",
        "CN",
        {
            "new_confirmed": 36,
            "new_confirmed_imported": 35,
            "new_confirmed_local": 1,
            "new_deaths": 7,
            "new_suspected": 26,
            "new_recovered": 186,
            "new_asymptomatic": 130,
            "current_confirmed": 2004,
            "cumulative_confirmed": 81554,
            "cumulative_deaths": 3312,
            "close_contacts_under_observation": 20314,
        },
    ),
    (
        "nhc_2020-04-17.txt",
        "2020-04-17",
        "CN",
        {
            "new_confirmed": 27,
            "new_confirmed_imported": 17,
            "new_confirmed_local": 10,
            "new_deaths": 0,
            "new_suspected": 5,
            "new_recovered": 50,
            "new_asymptomatic": 54,
            "cumulative_confirmed": 82719,
            "cumulative_deaths": 4632,
            "close_contacts_under_observation": 8893,
        },
    ),
    (
        "nhc_2020-05-12.txt",
        "2020-05-12",
        "CN",
        {
            "new_confirmed": 7,
            "new_confirmed_imported": 1,
            "new_confirmed_local": 6,
            "new_deaths": 0,
            "new_suspected": 1,
            "new_recovered": 18,
            "new_asymptomatic": 8,
            "cumulative_confirmed": 82926,
            "cumulative_deaths": 4633,
            "close_contacts_under_observation": 5317,
        },
    ),
    (
        "nhc_2020-06-13.txt",
        "2020-06-13",
        "CN",
        {
            "new_confirmed": 57,
            "new_confirmed_imported": 19,
            "new_confirmed_local": 38,
            "new_deaths": 0,
            "new_suspected": 1,
            "new_recovered": 2,
            "cumulative_confirmed": 83132,
            "cumulative_deaths": 4634,
            "close_contacts_under_observation": 3358,
        },
    ),
    (
        "nhc_2020-10-12.txt",
        "2020-10-12",
        "CN",
        {
            "new_confirmed": 13,
            "new_confirmed_imported": 7,
            "new_confirmed_local": 6,
            "new_deaths": 0,
            "new_suspected": 0,
            "new_recovered": 15,
            "new_severe": 1,
            "cumulative_confirmed": 85591,
            "cumulative_deaths": 4634,
            "close_contacts_under_observation": 8291,
        },
    ),
    (
        "nhc_2021-01-19.txt",
        "2021-01-19",
        "CN",
        {
            "new_confirmed": 103,
            "new_confirmed_imported": 15,
            "new_confirmed_local": 88,
            "new_deaths": 0,
            "new_suspected": 0,
            "new_recovered": 17,
            "current_suspected": 0,
            "cumulative_confirmed": 88557,
            "cumulative_deaths": 4635,
            "close_contacts_under_observation": 34966,
        },
    ),
    (
        "nhc_2021-08-02.txt",
        "2021-08-02",
        "CN",
        {
            "new_confirmed": 90,
            "new_confirmed_imported": 29,
            "new_confirmed_local": 61,
            "new_deaths": 0,
            "new_severe": 0,
            "new_recovered": 24,
            "new_asymptomatic": 41,
            "cumulative_confirmed": 93193,
            "cumulative_deaths": 4636,
            "close_contacts_under_observation": 31783,
        },
    ),
    (
        "nhc_2021-12-31.txt",
        "2021-12-31",
        "CN",
        {
            "new_confirmed": 231,
            "new_confirmed_imported": 56,
            "new_confirmed_local": 175,
            "new_deaths": 0,
            "new_suspected": 1,
            "new_recovered": 59,
            "new_asymptomatic": 38,
            "cumulative_confirmed": 102314,
            "cumulative_deaths": 4636,
            "close_contacts_under_observation": 43874,
        },
    ),
    (
        "nhc_2022-03-25.txt",
        "2022-03-25",
        "CN",
        {
            "new_confirmed": 1335,
            "new_confirmed_imported": 55,
            "new_confirmed_local": 1280,
            "new_deaths": 0,
            "new_suspected": 1,
            "new_recovered": 917,
            "new_asymptomatic": 4430,
            "current_confirmed": 27312,
            "cumulative_confirmed": 141986,
            "cumulative_deaths": 4638,
            "close_contacts_under_observation": 372498,
        },
    ),
    (
        "nhc_2022-04-13.txt",
        "2022-04-13",
        "CN",
        {
            "new_confirmed": 3020,
            "new_confirmed_imported": 21,
            "new_confirmed_local": 2999,
            "new_deaths": 0,
            "new_suspected": 0,
            "new_recovered": 2024,
            "new_severe": -9,
            "new_asymptomatic": 26391,
            "cumulative_confirmed": 171382,
            "cumulative_deaths": 4638,
            "close_contacts_under_observation": 444823,
        },
    ),
    (
        "nhc_2022-09-01.txt",
        "2022-09-01",
        "CN",
        {
            "new_confirmed": 373,
            "new_confirmed_imported": 55,
            "new_confirmed_local": 318,
            "new_deaths": 0,
            "new_suspected": 0,
            "new_recovered": 483,
            "new_severe": -3,
            "new_asymptomatic": 1665,
            "cumulative_confirmed": 243822,
            "cumulative_deaths": 5226,
            "close_contacts_under_observation": 269779,
        },
    ),
    (
        "nhc_2022-09-14.txt",
        "2022-09-14",
        "CN",
        {
            "new_confirmed": 167,
            "new_confirmed_imported": 41,
            "new_confirmed_local": 126,
            "new_deaths": 0,
            "new_suspected": 0,
            "new_recovered": 560,
            "new_severe": 2,
            "new_asymptomatic": 916,
            "cumulative_confirmed": 247724,
            "cumulative_deaths": 5226,
            "close_contacts_under_observation": 232617,
        },
    ),
    (
        "wuhan_2020-01-10.txt",
        "2020-01-10",
        "420100",
        {
            "cumulative_confirmed": 41,
            "cumulative_recovered": 2,
            "current_severe": 7,
            "cumulative_deaths": 1,
        },
    ),
    (
        "wuhan_2020-01-17.txt",
        "2020-01-17",
        "420100",
        {
            "new_confirmed": 17,
            "new_deaths": 0,
            "new_recovered": 4,
            "cumulative_confirmed": 62,
            "cumulative_recovered": 19,
            "current_severe": 8,
            "cumulative_deaths": 2,
            "close_contacts_traced": 763,
            "close_contacts_under_observation": 82,
        },
    ),
    (
        "wuhan_2020-01-19.txt",
        "2020-01-19",
        "420100",
        {
            "new_confirmed": 77,
            "new_recovered": 1,
            "cumulative_confirmed": 198,
            "cumulative_recovered": 25,
            "cumulative_deaths": 3,
            "current_confirmed": 170,
            "current_severe": 35,
            "close_contacts_under_observation": 90,
        },
    ),
    (
        "zhejiang_2020-02-12.txt",
        "2020-02-12",
        "330000",
        {
            "new_confirmed": 14,
            "new_recovered": 48,
            "cumulative_confirmed": 1145,
            "current_severe": 79,
            "cumulative_recovered": 327,
            "close_contacts_traced": 34908,
            "close_contacts_under_observation": 11356,
        },
    ),
]

#: Bulletins whose every sentence with a count is read.
FULLY_READ = {
    name
    for name, *_ in HEADLINES
    if name.startswith("nhc_")
    and name not in {"nhc_2020-02-12.txt", "nhc_2020-02-19.txt", "nhc_2020-06-13.txt"}
}


def test_every_real_bulletin_is_in_the_table() -> None:
    assert {p.name for p in FIXTURES.glob("*.txt")} == {name for name, *_ in HEADLINES}


@pytest.mark.parametrize(
    ("name", "as_of", "region", "figures"), HEADLINES, ids=[h[0] for h in HEADLINES]
)
def test_headline_figures(name: str, as_of: str, region: str, figures: dict[str, int]) -> None:
    out = read(name)
    assert out["date"] == as_of
    assert out["region_code"] == region
    assert {k: out.get(k) for k in figures} == figures
    if name in FULLY_READ:
        assert out["unread"] == [], out["unread"]


def test_hubei_block_and_wuhan_revision_day() -> None:
    out = read("nhc_2020-04-17.txt")
    assert out["breakdowns"]["420000"]["cumulative_deaths"] == 4512  # type: ignore[index]
    assert out["breakdowns"]["420100"]["cumulative_deaths"] == 3869  # type: ignore[index]
    assert out["breakdowns"]["420000"]["new_confirmed"] == 0  # 湖北无新增确诊病例
    # 新增疑似病例5例，均为境外输入疑似病例（上海3例，黑龙江2例）
    assert out["breakdowns"]["310000"]["new_suspected"] == 3  # type: ignore[index]


def test_imported_cases_by_province() -> None:
    out = read("nhc_2020-03-18.txt")
    imported = {
        c: b["new_confirmed_imported"]
        for c, b in out["breakdowns"].items()
        if "new_confirmed_imported" in b
    }  # type: ignore[union-attr]
    assert imported == {"110000": 21, "440000": 9, "310000": 2, "230000": 1, "330000": 1}
    assert out["imported"] == {"cumulative_confirmed": 189}


def test_imported_block_is_not_the_national_total() -> None:
    out = read("nhc_2020-03-31.txt")
    assert out["cumulative_confirmed"] == 81554
    assert out["imported"]["cumulative_confirmed"] == 806  # type: ignore[index]
    assert out["imported"]["current_severe"] == 20  # type: ignore[index]


def test_later_corrections_and_footnote_marks() -> None:
    out = read("nhc_2021-08-02.txt")
    changes = {(c["field"], c["change"]) for c in out["corrections"]}  # type: ignore[union-attr]
    assert changes == {("asymptomatic_released", -1), ("current_asymptomatic", 1)}
    assert any("footnote" in f for f in out["flags"])  # type: ignore[union-attr]


def test_ambiguous_severe_count_is_left_unread() -> None:
    """``重症病例1例`` in a day's sentence (2020-06-13): current or new? Not guessed."""
    out = read("nhc_2020-06-13.txt")
    assert "new_severe" not in out
    assert any("重症病例1例" in s for s in out["unread"])  # type: ignore[union-attr]


def test_the_corps_has_no_code_and_is_flagged() -> None:
    out = read("nhc_2020-02-12.txt")
    assert any("新疆生产建设兵团" in f for f in out["flags"])  # type: ignore[union-attr]
    assert out["breakdowns"]["120000"]["new_deaths"] == 1  # type: ignore[index]


def test_figures_of_another_day_are_not_taken() -> None:
    """Wuhan, 2020-01-19: the 1月18日 window's 59 cases are not the as-of day's."""
    out = read("wuhan_2020-01-19.txt")
    assert out["new_confirmed"] == 77
    assert "new_deaths" not in out
    assert any("22时" in f for f in out["flags"])  # type: ignore[union-attr]


# --- robustness to copies ---------------------------------------------------------------


def test_traditional_script_gives_identical_output() -> None:
    to_traditional = opencc.OpenCC("s2t")
    for name in ("nhc_2020-02-13.txt", "nhc_2022-03-25.txt", "henan_2020-02-12.txt"):
        text = (FIXTURES / name).read_text(encoding="utf-8")
        traditional = to_traditional.convert(text)
        assert traditional != text
        assert read_bulletin(traditional, filename=name).as_dict() == read(name)


GLOSSES = {"诊": "诊(zhěn)", "报": "报(bào)", "例": "例(lì)", "疑": "疑（yí）", "亡": "亡(wang2)"}


def test_pinyin_glosses_give_identical_output() -> None:
    for name in ("nhc_2020-02-13.txt", "nhc_2021-12-31.txt"):
        text = (FIXTURES / name).read_text(encoding="utf-8")
        glossed = "".join(GLOSSES.get(ch, ch) for ch in text)
        assert "确诊(zhěn)病例" in glossed
        assert read_bulletin(glossed, filename=name).as_dict() == read(name)


def test_traditional_with_glosses_as_in_the_issue() -> None:
    assert normalise("確診(zhěn)病例報(bào)告") == "确诊病例报告"
    assert strip_glosses("ICU(ICU)") == "ICU(ICU)"  # only lower-case pinyin after CJK


def test_full_width_digits_and_punctuation() -> None:
    text = (FIXTURES / "nhc_2020-02-13.txt").read_text(encoding="utf-8")
    wide = text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}).replace(",", "，")
    assert read_bulletin(wide, filename="nhc_2020-02-13.txt").as_dict() == read(
        "nhc_2020-02-13.txt"
    )


@pytest.mark.parametrize("dash", ["—", "–", "-", "－", "～", "至", "时至"])
def test_window_dash_variants(dash: str) -> None:
    text = f"2月13日0{dash}24时，31个省（自治区、直辖市）和新疆生产建设兵团报告新增确诊病例5090例。"
    out = read_bulletin(text, year=2020).as_dict()
    assert out["date"] == "2020-02-13" and out["new_confirmed"] == 5090


def test_thousands_separators() -> None:
    text = (
        "2月13日0—24时，31个省报告新增确诊病例5,090例。"
        "截至2月13日24时，累计追踪到密切接触者493,067人。"
    )
    out = read_bulletin(text, year=2020).as_dict()
    assert out["new_confirmed"] == 5090 and out["close_contacts_traced"] == 493067


# --- date and region --------------------------------------------------------------------


def test_unknown_year_is_flagged_not_guessed() -> None:
    text = (FIXTURES / "nhc_2020-02-13.txt").read_text(encoding="utf-8")
    out = read_bulletin(text).as_dict()
    assert out["date"] is None
    assert any("year unknown" in f for f in out["flags"])  # type: ignore[union-attr]
    assert out["new_confirmed"] == 5090


def test_year_from_date_option_and_from_publication_file_name() -> None:
    text = (FIXTURES / "nhc_2021-12-31.txt").read_text(encoding="utf-8")
    assert read_bulletin(text, as_of=date(2021, 12, 31)).date == date(2021, 12, 31)
    # a copy named by its publication date (the next morning, in the next year)
    assert read_bulletin(text, filename="2022-01-01.txt").date == date(2021, 12, 31)


def test_year_from_the_signature_line() -> None:
    text = (
        (FIXTURES / "nhc_2020-01-20.txt")
        .read_text(encoding="utf-8")
        .replace("2020年1月20日", "1月20日")
    )
    reading = read_bulletin(text)
    assert reading.date == date(2020, 1, 20) and reading.date_basis == "signature"


def test_region_option_and_unknown_region() -> None:
    text = (FIXTURES / "guangdong_2020-02-12.txt").read_text(encoding="utf-8")
    assert read_bulletin(text, year=2020).region_code is None
    assert read_bulletin(text, year=2020, region_code="440000").region_code == "440000"
