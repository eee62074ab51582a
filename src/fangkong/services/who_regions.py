"""WHO regions of countries and territories, for the WHO daily CSV layout.

Codes as in WHO's COVID-19 daily file (``WHO-COVID-19-global-daily-data.csv``):
AFR African, AMR Americas, EMR Eastern Mediterranean, EUR European, SEAR South-East
Asia, WPR Western Pacific, OTHER (e.g. international conveyances). Membership follows
WHO's list of Member States by region as of 2020 (Indonesia in SEAR; it moved to WPR
in 2025), with territories in the region WHO reports them under.
"""

from __future__ import annotations

_REGIONS: dict[str, str] = {
    "AFR": (
        "DZ AO BJ BW BF BI CV CM CF TD KM CG CI CD GQ ER SZ ET GA GM GH GN GW KE LS LR MG "
        "MW ML MR MU YT MZ NA NE NG RE RW SH ST SN SC SL ZA SS TG UG TZ ZM ZW"
    ),
    "AMR": (
        "AI AG AR AW BS BB BZ BM BO BQ BR VG CA KY CL CO CR CU CW DM DO EC SV FK GF GD GP "
        "GT GY HT HN JM MQ MX MS NI PA PY PE PR BL KN LC MF PM VC SX SR TT TC US VI UY VE"
    ),
    "EMR": "AF BH DJ EG IR IQ JO KW LB LY MA OM PK PS QA SA SO SD SY TN AE YE",
    "EUR": (
        "AL AD AM AT AZ BY BE BA BG HR CY CZ DK EE FO FI FR GE DE GI GR GG HU IS IE IM IL "
        "IT JE KZ XK KG LV LI LT LU MT MC ME NL MK NO PL PT MD RO RU SM RS SK SI ES SE CH "
        "TJ TR TM UA GB UZ VA GL SJ AX"
    ),
    "SEAR": "BD BT KP IN ID MV MM NP LK TH TL",
    "WPR": (
        "AS AU BN KH CN CK FJ PF GU HK JP KI LA MO MY MH FM MN NR NC NZ NU MP PW PG PH KR "
        "WS SG SB TK TO TV VU VN WF PN TW"
    ),
}

#: ISO 3166-1 alpha-2 code -> WHO region code.
WHO_REGION: dict[str, str] = {
    code: region for region, codes in _REGIONS.items() for code in codes.split()
}


def who_region(country_code: str) -> str:
    """The WHO region of a country (``OTHER`` when it is in none)."""
    return WHO_REGION.get(country_code, "OTHER")
