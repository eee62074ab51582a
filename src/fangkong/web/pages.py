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
        return render(request, "docs.html", openapi_url=app.openapi_url)
