"""Languages of the public pages: Chinese (简体中文) and English.

Messages are Babel (gettext) catalogues in ``web/locale/{zh,en}/LC_MESSAGES``; the
``msgid`` is the English text, so the English catalogue is the identity. ``make i18n``
extracts, updates and compiles them. Dates and numbers follow CLDR through
``babel.dates`` and ``babel.numbers`` with the page's locale (``zh_Hans_CN``, ``en``).

The URL names the language (``/zh/…``, ``/en/…``). ``/`` redirects by the ``lang``
cookie (set by the language switch) or else by ``Accept-Language`` (RFC 9110 §12.5.4).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

LANGS: tuple[str, ...] = ("zh", "en")
DEFAULT_LANG = "zh"
COOKIE = "lang"
#: CLDR locale of each page language.
LOCALES: dict[str, str] = {"zh": "zh_Hans_CN", "en": "en"}
#: The ``lang`` attribute of the page (BCP 47).
HTML_LANG: dict[str, str] = {"zh": "zh-Hans", "en": "en"}
DOMAIN = "messages"
MINUS = "\u2212"


def locale_dir() -> str:
    return str(resources.files("fangkong.web").joinpath("locale"))


@lru_cache(maxsize=len(LANGS))
def translations(lang: str) -> Translations:
    """The compiled catalogue of ``lang`` (loaded once per process)."""
    loaded = Translations.load(locale_dir(), [lang], domain=DOMAIN)
    if not isinstance(loaded, Translations):  # no catalogue: fall back to the msgids
        return Translations()
    return loaded


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The visitor's language: the cookie if valid, else the best ``Accept-Language``
    match by q-value, else Chinese."""
    if cookie in LANGS:
        return str(cookie)
    best, best_q = DEFAULT_LANG, -1.0
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGS:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q or (q == best_q and position == 0):
            best, best_q = primary, q
    return best if best_q > 0 else DEFAULT_LANG


def switch_path(path: str, lang: str) -> str:
    """``path`` with its language prefix replaced by ``lang`` (``/zh/world`` -> ``/en/world``);
    a path without a language prefix goes to the language's home page."""
    parts = path.split("/", 2)
    if len(parts) >= 2 and parts[1] in LANGS:
        rest = parts[2] if len(parts) == 3 else ""
        return f"/{lang}/{rest}"
    return f"/{lang}/"


class Formatter:
    """CLDR number and date formatting in one page language (templates call these)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.locale = Locale.parse(LOCALES[lang])

    def num(self, value: Any, digits: int = 0) -> str:
        """A count or measure; ``—`` for a missing figure."""
        if value is None:
            return "—"
        if digits:
            return format_decimal(value, format=f"#,##0.{'0' * digits}", locale=self.locale)
        return format_decimal(value, format="#,##0", locale=self.locale)

    def delta(self, value: Any) -> str:
        """A signed change (+1,234 / −56 / ±0); empty for a missing change."""
        if value is None:
            return ""
        if value == 0:
            return "±0"
        text = format_decimal(abs(value), format="#,##0", locale=self.locale)
        return ("+" if value > 0 else MINUS) + text

    def percent(self, value: Any) -> str:
        return "—" if value is None else format_percent(value, locale=self.locale)

    def date(self, value: date | str | None, fmt: str = "long") -> str:
        if value is None:
            return "—"
        day = value if isinstance(value, date) else date.fromisoformat(value)
        return format_date(day, format=fmt, locale=self.locale)


@lru_cache(maxsize=len(LANGS))
def formatter(lang: str) -> Formatter:
    return Formatter(lang)
