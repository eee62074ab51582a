"""HTML pages: the home page and the offline API documentation.

Pages carry no inline scripts: behaviour lives in ``static/js`` so that a strict
Content-Security-Policy can be applied.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from fangkong.services import regions as region_svc

ATTRIBUTION = (
    "Data: China provincial and Hubei city figures from the National Health Commission "
    "and provincial health commissions via canghailan/Wuhan-2019-nCoV (MIT); global "
    "figures from JHU CSSE COVID-19 Data (CC BY 4.0); line lists from the Open COVID-19 "
    "Data Working Group, Xu B. et al., Scientific Data 7:106 (2020) (MIT). "
    "Sources and licences:"
)


def install_pages(app: FastAPI) -> None:
    templates = Jinja2Templates(
        directory=str(resources.files("fangkong.web").joinpath("templates"))
    )

    def render(request: Request, name: str, **context: Any) -> HTMLResponse:
        context.setdefault("attribution", ATTRIBUTION)
        return templates.TemplateResponse(request, name, context)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        engine = request.app.state.engine
        provinces, _ = region_svc.list_regions(engine, level="province", limit=100)
        return render(request, "home.html", provinces=provinces, focus_code="420000")

    @app.get("/about/data", response_class=HTMLResponse, include_in_schema=False)
    def about_data(request: Request) -> HTMLResponse:
        text = resources.files("fangkong.data").joinpath("demo/README.md").read_text("utf-8")
        return render(request, "about_data.html", sources=text)

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return render(request, "docs.html", openapi_url=app.openapi_url)
