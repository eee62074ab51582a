"""Message catalogues and language negotiation of the public pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from fangkong.web import i18n

LOCALE = Path(i18n.locale_dir())


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_catalogue_complete_and_compiled(lang: str) -> None:
    with (LOCALE / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        po = read_po(fh)
    with (LOCALE / lang / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
        mo = read_mo(fh)
    with (LOCALE / "messages.pot").open("rb") as fh:
        pot = read_po(fh)
    ids = {m.id for m in pot if m.id}
    assert ids <= {m.id for m in po if m.id}, "run `make i18n`"
    untranslated = [m.id for m in po if m.id and not m.string]
    assert untranslated == []
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}, (
        "the .mo is older than the .po: run `make i18n`"
    )


def test_chinese_and_english_render() -> None:
    assert i18n.translations("zh").gettext("National overview") == "全国疫情概览"
    assert i18n.translations("en").gettext("National overview") == "National overview"
    zh, en = i18n.formatter("zh"), i18n.formatter("en")
    assert zh.date("2020-02-12") == "2020年2月12日"
    assert en.date("2020-02-12") == "February 12, 2020"
    assert en.num(1234567) == "1,234,567" and en.delta(-5) == "\u22125" and en.delta(0) == "±0"
    assert zh.num(None) == "—" and en.num(1.5, 2) == "1.50"


@pytest.mark.parametrize(
    ("cookie", "header", "lang"),
    [
        (None, None, "zh"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "fr-FR, en;q=0.5, zh;q=0.8", "zh"),
        (None, "fr", "zh"),
        ("en", "zh-CN", "en"),
        ("xx", "en", "en"),
    ],
)
def test_negotiate(cookie: str | None, header: str | None, lang: str) -> None:
    assert i18n.negotiate(cookie, header) == lang


def test_switch_path() -> None:
    assert i18n.switch_path("/zh/region/420000?date=2020-02-12", "en") == (
        "/en/region/420000?date=2020-02-12"
    )
    assert i18n.switch_path("/login", "en") == "/en/"
