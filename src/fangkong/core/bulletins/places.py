"""Place names of the bulletins: China's provincial units (GB/T 2260) and Wuhan.

National bulletins name provinces by their short names (``湖北``, ``内蒙古``, ``广西``),
sometimes with the full suffix (``湖北省``, ``宁夏回族自治区``); Hong Kong, Macao and
Taiwan appear as ``香港特别行政区``, ``澳门特别行政区``, ``台湾地区`` or ``中国台湾``.
Codes are the GB/T 2260 codes of ``regions_cn.csv``. The Xinjiang Production and
Construction Corps (新疆生产建设兵团, ``兵团``) reports separately but has no GB/T 2260
code: it is recognised so that its figures are reported as unread, not misattributed.
"""

from __future__ import annotations

import re

#: Short name → (region_code, English name as in regions_cn.csv).
PROVINCES: dict[str, tuple[str, str]] = {
    "北京": ("110000", "Beijing"),
    "天津": ("120000", "Tianjin"),
    "河北": ("130000", "Hebei"),
    "山西": ("140000", "Shanxi"),
    "内蒙古": ("150000", "Inner Mongolia"),
    "辽宁": ("210000", "Liaoning"),
    "吉林": ("220000", "Jilin"),
    "黑龙江": ("230000", "Heilongjiang"),
    "上海": ("310000", "Shanghai"),
    "江苏": ("320000", "Jiangsu"),
    "浙江": ("330000", "Zhejiang"),
    "安徽": ("340000", "Anhui"),
    "福建": ("350000", "Fujian"),
    "江西": ("360000", "Jiangxi"),
    "山东": ("370000", "Shandong"),
    "河南": ("410000", "Henan"),
    "湖北": ("420000", "Hubei"),
    "湖南": ("430000", "Hunan"),
    "广东": ("440000", "Guangdong"),
    "广西": ("450000", "Guangxi"),
    "海南": ("460000", "Hainan"),
    "重庆": ("500000", "Chongqing"),
    "四川": ("510000", "Sichuan"),
    "贵州": ("520000", "Guizhou"),
    "云南": ("530000", "Yunnan"),
    "西藏": ("540000", "Tibet"),
    "陕西": ("610000", "Shaanxi"),
    "甘肃": ("620000", "Gansu"),
    "青海": ("630000", "Qinghai"),
    "宁夏": ("640000", "Ningxia"),
    "新疆": ("650000", "Xinjiang"),
    "台湾": ("710000", "Taiwan"),
    "香港": ("810000", "Hong Kong"),
    "澳门": ("820000", "Macau"),
}
WUHAN = "420100"
NATIONAL = "CN"
#: Units that report but have no region code.
UNCODED = ("新疆生产建设兵团", "兵团")

_SUFFIX = "壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|地区|省|市"
_SHORT = "|".join(sorted(PROVINCES, key=len, reverse=True))
#: A province (or Wuhan) name, as a pattern without groups (to compose lists).
PLACE_TEXT = rf"(?:中国)?(?:新疆生产建设兵团|{_SHORT}|武汉|兵团)(?:{_SUFFIX})?"
#: The same with group ``name``: the short name.
PLACE = re.compile(rf"(?:中国)?(?P<name>新疆生产建设兵团|{_SHORT}|武汉|兵团)(?:{_SUFFIX})?")
_FILE_NAMES = {english.lower().replace(" ", ""): code for code, english in PROVINCES.values()}
_FILE_NAMES.update({"nhc": NATIONAL, "national": NATIONAL, "china": NATIONAL, "wuhan": WUHAN})


def code_of(short_name: str) -> str | None:
    """The region code of a short name matched by :data:`PLACE` (``None``: the Corps)."""
    if short_name == "武汉":
        return WUHAN
    found = PROVINCES.get(short_name)
    return found[0] if found else None


def region_from_filename(filename: str) -> str | None:
    """``nhc_2020-02-13.txt`` → ``CN``, ``guangdong_…`` → ``440000``, ``wuhan_…`` → ``420100``."""
    stem = re.split(r"[/\\]", filename)[-1].lower()
    for word in re.findall(r"[a-z]+", stem):
        if word in _FILE_NAMES:
            return _FILE_NAMES[word]
    return None
