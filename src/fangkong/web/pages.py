"""HTML pages: the public situation pages (zh/en), open data, sign-in and API docs.

Public pages live under a language prefix (``/zh/…``, ``/en/…``; see
:mod:`fangkong.web.i18n`). They are rendered on the server from the cached read models
of :mod:`fangkong.services.public` (numbers and dates formatted by CLDR); the charts
and maps are drawn by ``static/js`` from JSON in ``data-*`` attributes or fetched from
the public API. Pages carry no inline scripts, so a strict Content-Security-Policy
(``script-src 'self'``) can be applied.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from importlib import resources
from typing import Any
from urllib.parse import quote

import jinja2
import markupsafe
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from fangkong.api.caching import conditional
from fangkong.services import opendata as od
from fangkong.services import public as pub
from fangkong.services.auth import SESSION_COOKIE
from fangkong.services.errors import NotFound
from fangkong.web import i18n
from fangkong.web.bulletin_pages import install_bulletin_pages
from fangkong.web.console import install_console

#: Vendored map files and their attribution (see static/vendor/VENDORED.md).
CHINA_MAP_ATTRIBUTION = "echarts@4.9.0 map/json/china.json (Apache-2.0)"
WORLD_MAP_ATTRIBUTION = "@surbowl/world-geo-json-zh 2.1.5 (Unlicense)"


def N_(text: str) -> str:
    """Marks a message for the catalogues; translated where it is shown."""
    return text


#: Labels of the headline figures, in display order.
HEADLINE_LABELS: dict[str, str] = {
    "new_confirmed": N_("New confirmed"),
    "current_confirmed": N_("Current confirmed"),
    "cumulative_confirmed": N_("Cumulative confirmed"),
    "cumulative_deaths": N_("Deaths"),
    "cumulative_recovered": N_("Recovered"),
    "current_severe": N_("Severe"),
    "current_suspected": N_("Suspected"),
}

#: Labels used by the charts (passed to static/js in data-i18n).
CHART_LABELS: dict[str, str] = {
    "local": N_("Local"),
    "imported": N_("Imported"),
    "unsplit": N_("Not split by origin"),
    "new_confirmed": N_("New confirmed"),
    "new_cases": N_("New cases"),
    "cases": N_("cases"),
    "rt": N_("Rt"),
    "rt_mean": N_("Rt (posterior mean)"),
    "ci95": N_("Credible interval (95%)"),
    "pi95": N_("95% prediction interval"),
    "pi50": N_("50% prediction interval"),
    "median": N_("Median forecast"),
    "observed": N_("Reported later"),
    "history": N_("Reported"),
    "threshold": N_("Rt = 1"),
    "no_data": N_("No data"),
    "too_few": N_("Too few cases for an estimate"),
    "per100k": N_("per 100,000 people"),
    "unavailable": N_("Not available for this region and date"),
    "cumulative_confirmed": N_("Cumulative confirmed"),
    "cumulative_deaths": N_("Deaths"),
    "current_confirmed": N_("Current confirmed"),
    "incidence_14d": N_("14-day incidence per 100,000"),
    "cases_7d": N_("New cases in 7 days"),
}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("fangkong.web").joinpath("templates"))),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,
    )
    env.filters["tojson_attr"] = _json
    return env


def _gettexts(tr: Any) -> dict[str, Callable[..., Any]]:
    """Per-request ``gettext``/``ngettext`` for templates: ``_("… %(name)s", name=x)``
    formats after translating, escaping the values (Jinja's "new style" gettext)."""

    @jinja2.pass_context
    def gettext(context: Any, message: str, **variables: Any) -> str:
        text = tr.gettext(message)
        if context.eval_ctx.autoescape:
            text = markupsafe.Markup(text)
        return text % variables if variables else text  # type: ignore[no-any-return]

    @jinja2.pass_context
    def ngettext(context: Any, singular: str, plural: str, n: int, **variables: Any) -> str:
        text = tr.ngettext(singular, plural, n)
        if context.eval_ctx.autoescape:
            text = markupsafe.Markup(text)
        variables.setdefault("num", n)
        return text % variables  # type: ignore[no-any-return]

    return {"gettext": gettext, "ngettext": ngettext}


def _page_cache(request: Request) -> pub.PublicCache:
    cache: pub.PublicCache = request.app.state.public_cache
    return cache


def _safe_next(path: str | None, lang: str) -> str:
    """A same-site path to return to (never another host)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return f"/{lang}/"
    return path


def install_pages(app: FastAPI) -> None:
    templates = Jinja2Templates(env=_environment())
    settings = app.state.settings
    priority: tuple[str, ...] = settings.source_priority
    app.state.public_cache = pub.PublicCache(app.state.engine)

    def render(
        request: Request, name: str, lang: str | None = None, **context: Any
    ) -> HTMLResponse:
        if lang is None:
            lang = i18n.negotiate(
                request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")
            )
        tr = i18n.translations(lang)
        other = "en" if lang == "zh" else "zh"
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        sources: list[str] = context.pop("sources_shown", [])
        context.update(
            lang=lang,
            html_lang=i18n.HTML_LANG[lang],
            other_lang=other,
            switch_url=f"/lang/{other}?next={quote(i18n.switch_path(here, other), safe='/')}",
            **_gettexts(tr),
            fmt=i18n.formatter(lang),
            attributions=[pub.source_info(s)[lang] for s in sources],
            chart_labels={k: tr.gettext(v) for k, v in CHART_LABELS.items()},
            path=request.url.path,
        )
        return templates.TemplateResponse(request, name, context)

    def cached(request: Request, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        return _page_cache(request).get(key, compute)

    @app.get("/", include_in_schema=False)
    def root(request: Request) -> Response:
        lang = i18n.negotiate(
            request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")
        )
        response = RedirectResponse(f"/{lang}/", status_code=307)
        response.headers["Vary"] = "Cookie, Accept-Language"
        response.headers["Cache-Control"] = "private, no-cache"
        return response

    @app.get("/lang/{lang}", include_in_schema=False)
    def switch_language(lang: str, next: str | None = None) -> Response:
        """The language switch: remember the choice in a cookie, return to the page."""
        if lang not in i18n.LANGS:
            raise NotFound(f"no language {lang!r}; one of {', '.join(i18n.LANGS)}")
        response = RedirectResponse(_safe_next(next, lang), status_code=303)
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 24 * 3600, path="/", samesite="lax")
        return response

    @app.get("/about/data", include_in_schema=False)
    def about_data_redirect(request: Request) -> Response:
        lang = i18n.negotiate(
            request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")
        )
        return RedirectResponse(f"/{lang}/about/data", status_code=307)

    def overview(
        request: Request, lang: str, date: str | None = None, source: str | None = None
    ) -> HTMLResponse:
        day = pub.parse_day(date)
        data = cached(
            request,
            ("overview", day, source),
            lambda: pub.national_overview(
                app.state.engine, day, province_source=source, priority=priority
            ),
        )
        shown = [s for s in (data["source"], data["provinces"]["source"]) if s]
        return render(
            request,
            "overview.html",
            lang,
            data=data,
            labels=HEADLINE_LABELS,
            sources_shown=sorted(set(shown)),
            map_attribution=CHINA_MAP_ATTRIBUTION,
        )

    def region(
        request: Request,
        lang: str,
        region_code: str,
        date: str | None = None,
        source: str | None = None,
    ) -> HTMLResponse:
        day = pub.parse_day(date)
        engine = app.state.engine

        def compute() -> dict[str, Any]:
            data = pub.region_overview(engine, region_code, day, source=source, priority=priority)
            as_of = pub.parse_day(data["date"]) or day
            data["subregions"] = pub.subregion_table(engine, region_code, as_of, priority=priority)
            return data

        data = cached(request, ("region", region_code, day, source), compute)
        forecast_from = None
        if data["date"]:
            forecast_from = (pub.parse_day(data["date"]) or day or _today()) + timedelta(days=1)
        shown = [s for s in (data["source"], data["subregions"]["source"]) if s]
        first, as_of = pub.parse_day(data["first_date"]), pub.parse_day(data["date"])
        series_days = (as_of - first).days + 1 if first and as_of and as_of >= first else 0
        return render(
            request,
            "region.html",
            lang,
            data=data,
            labels=HEADLINE_LABELS,
            sources_shown=sorted(set(shown)),
            rt=pub,
            forecast_from=forecast_from.isoformat() if forecast_from else None,
            # R_t and the forecast need a whole window and a day before it, and the
            # forecast needs a case (the API answers 422 otherwise): the page says so
            # instead of requesting them.
            series_days=series_days,
            has_cases=any((d["new_confirmed"] or 0) > 0 for d in data["curve"]),
        )

    def world(
        request: Request, lang: str, date: str | None = None, source: str | None = None
    ) -> HTMLResponse:
        day = pub.parse_day(date)
        data = cached(
            request,
            ("world", day, source),
            lambda: pub.world_table(app.state.engine, day, source=source, priority=priority),
        )
        return render(
            request,
            "world.html",
            lang,
            data=data,
            sources_shown=[data["source"]] if data["source"] else [],
            map_attribution=WORLD_MAP_ATTRIBUTION,
        )

    def opendata(request: Request, lang: str) -> HTMLResponse:
        sources = cached(request, ("opendata-sources",), lambda: _sources(app.state.engine))
        return render(
            request,
            "opendata.html",
            lang,
            tables=od.TABLES,
            licence=od.LICENCE,
            sources=sources,
            source_info=pub.SOURCES,
            sources_shown=sorted(set(sources["daily"])),
        )

    def about_data(request: Request, lang: str) -> HTMLResponse:
        text = resources.files("fangkong.data").joinpath("demo/README.md").read_text("utf-8")
        return render(
            request,
            "about_data.html",
            lang,
            sources=text,
            source_info=pub.SOURCES,
            sources_shown=sorted(pub.SOURCES),
        )

    for code in i18n.LANGS:
        _add_lang_routes(app, code, overview, region, world, opendata, about_data)
    install_console(app, render)
    install_bulletin_pages(app, render)

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login(
        request: Request, next: str = "/", error: str = "", retry_after: int = 0
    ) -> HTMLResponse:
        """The login form. Its CSRF token is bound to a fresh nonce cookie; a signed-in
        visitor sees who they are and a logout button instead."""
        from fangkong.api.auth import is_secure, optional_session_user, signer_of
        from fangkong.api.routes.session import safe_next
        from fangkong.services.auth import LOGIN_NONCE_COOKIE, login_binding, new_login_nonce

        signer = signer_of(request)
        user, session = optional_session_user(request)
        if session is not None:
            page = render(
                request,
                "login.html",
                user=user,
                next=safe_next(next),
                csrf_token=signer.csrf_token(session.binding),
                error="",
            )
        else:
            nonce = new_login_nonce()
            page = render(
                request,
                "login.html",
                user=None,
                next=safe_next(next),
                csrf_token=signer.csrf_token(login_binding(nonce)),
                error=error,
                retry_after=retry_after,
            )
            page.set_cookie(
                LOGIN_NONCE_COOKIE,
                nonce,
                max_age=signer.max_age,
                path="/",
                httponly=True,
                samesite="lax",
                secure=is_secure(request.app.state.settings),
            )
        page.headers["Cache-Control"] = "no-store"
        return page

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "docs.html", {"openapi_url": app.openapi_url})


def _today() -> date:
    return date.today()


def _sources(engine: Any) -> dict[str, list[str]]:
    """Sources with daily reports, and those with country figures (for the WHO layout)."""
    from sqlalchemy import select

    from fangkong.store import models as m

    with engine.connect() as conn:
        daily = sorted(r[0] for r in conn.execute(select(m.DailyReportRow.source).distinct()).all())
    return {"daily": daily, "world": pub.world_sources(engine)}


def _page(request: Request, view: Callable[[], HTMLResponse]) -> Response:
    """A public page from the page cache: rendered once per data version, address and
    signed-in state (the navigation shows the console link to a visitor with a session
    cookie), sent with an ETag and ``Cache-Control: no-cache`` so that browsers
    revalidate (304) instead of downloading it again (:mod:`fangkong.api.caching`)."""
    key = (
        "page",
        request.url.path,
        request.url.query,
        bool(request.cookies.get(SESSION_COOKIE)),
    )

    def build() -> tuple[bytes, str]:
        page = view()
        return bytes(page.body), page.headers.get("content-type", "text/html; charset=utf-8")

    return conditional(request, key, build, cache_control="no-cache")


def _add_lang_routes(app: FastAPI, lang: str, *views: Callable[..., HTMLResponse]) -> None:
    """Register the public pages under ``/{lang}/`` (served from the page cache)."""
    overview, region, world, opendata, about_data = views
    kw: dict[str, Any] = {"response_class": HTMLResponse, "include_in_schema": False}

    @app.get(f"/{lang}/", **kw)
    def _overview(request: Request, date: str | None = None, source: str | None = None) -> Response:
        return _page(request, lambda: overview(request, lang, date, source))

    @app.get(f"/{lang}/region/{{region_code}}", **kw)
    def _region(
        request: Request, region_code: str, date: str | None = None, source: str | None = None
    ) -> Response:
        return _page(request, lambda: region(request, lang, region_code, date, source))

    @app.get(f"/{lang}/world", **kw)
    def _world(request: Request, date: str | None = None, source: str | None = None) -> Response:
        return _page(request, lambda: world(request, lang, date, source))

    @app.get(f"/{lang}/opendata", **kw)
    def _opendata(request: Request) -> Response:
        return _page(request, lambda: opendata(request, lang))

    @app.get(f"/{lang}/about/data", **kw)
    def _about(request: Request) -> Response:
        return _page(request, lambda: about_data(request, lang))
