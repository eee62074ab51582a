"""Public pages of the daily bulletins and the corrections log (zh/en).

* ``/{lang}/bulletins`` — the published bulletins, newest day first;
* ``/{lang}/bulletins/{region_code}/{date}`` — the latest version of a bulletin in the
  page's language (``?version=N`` for an older one), its version history with the
  reason of each correction, and the figures it was composed from;
* ``/{lang}/corrections`` — every correction with its reason and the figures changed
  (also at ``/api/v1/corrections.json`` and ``.csv``).

Published versions are frozen (:mod:`fangkong.services.bulletins`), so the text shown is
exactly the text approved; the other language's text is one click away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from fangkong.services import bulletins as bsvc
from fangkong.services import public as pub
from fangkong.services.errors import Invalid
from fangkong.web import i18n


def N_(text: str) -> str:
    """Marks a message for the catalogues; translated where it is shown."""
    return text


#: Labels of the figures of a bulletin (the figures table).
FIGURE_LABELS: dict[str, str] = {
    "new_confirmed": N_("New confirmed"),
    "new_confirmed_imported": N_("New imported"),
    "new_confirmed_local": N_("New local"),
    "new_deaths": N_("New deaths"),
    "new_suspected": N_("New suspected"),
    "new_recovered": N_("New recovered"),
    "new_severe": N_("Change in severe cases"),
    "new_asymptomatic": N_("New asymptomatic infections"),
    "cumulative_confirmed": N_("Cumulative confirmed"),
    "cumulative_recovered": N_("Cumulative recovered"),
    "cumulative_deaths": N_("Cumulative deaths"),
    "current_confirmed": N_("Current confirmed"),
    "current_severe": N_("Current severe"),
    "current_suspected": N_("Current suspected"),
    "close_contacts_traced": N_("Close contacts traced"),
    "close_contacts_under_observation": N_("Close contacts under medical observation"),
}


def install_bulletin_pages(app: FastAPI, render: Callable[..., HTMLResponse]) -> None:
    """Register the pages for every language (``render`` is the public renderer)."""
    engine = app.state.engine

    def index(request: Request, lang: str, region: str | None) -> HTMLResponse:
        listing = bsvc.list_published(engine, region_code=region or None, limit=200)
        return render(request, "bulletins.html", lang, listing=listing, region=region or "")

    def bulletin(
        request: Request, lang: str, region_code: str, day: str, version: int | None
    ) -> HTMLResponse:
        when = pub.parse_day(day)
        if when is None:
            raise Invalid("a bulletin needs a date (YYYY-MM-DD)", field="date")
        found = bsvc.published_bulletin(engine, region_code, when, version)
        figures = found["figures"]
        return render(
            request,
            "bulletin.html",
            lang,
            b=found,
            text=found["text_zh"] if lang == "zh" else found["text_en"],
            other_text=found["text_en"] if lang == "zh" else found["text_zh"],
            place=figures["place"],
            figure_rows=[
                (k, FIGURE_LABELS[k], figures["figures"][k])
                for k in FIGURE_LABELS
                if k in figures["figures"]
            ],
            not_reported=[FIGURE_LABELS[k] for k in FIGURE_LABELS if k not in figures["figures"]],
            sources_shown=[figures["source"]] if figures.get("source") else [],
        )

    def corrections(request: Request, lang: str) -> HTMLResponse:
        return render(request, "corrections.html", lang, entries=bsvc.corrections_log(engine))

    for code in i18n.LANGS:
        _routes(app, code, index, bulletin, corrections)


def _routes(
    app: FastAPI,
    lang: str,
    index: Callable[..., HTMLResponse],
    bulletin: Callable[..., HTMLResponse],
    corrections: Callable[..., HTMLResponse],
) -> None:
    kw: dict[str, Any] = {"response_class": HTMLResponse, "include_in_schema": False}

    @app.get(f"/{lang}/bulletins", **kw)
    def _index(request: Request, region: str | None = None) -> HTMLResponse:
        return index(request, lang, region)

    @app.get(f"/{lang}/bulletins/{{region_code}}/{{day}}", **kw)
    def _bulletin(
        request: Request, region_code: str, day: str, version: int | None = None
    ) -> HTMLResponse:
        return bulletin(request, lang, region_code, day, version)

    @app.get(f"/{lang}/corrections", **kw)
    def _corrections(request: Request) -> HTMLResponse:
        return corrections(request, lang)
