"""Security headers on every response (pages, API, static files, errors).

A pure ASGI middleware, so streamed and file responses pass through untouched except
for their headers. What it sends and why:

* ``Content-Security-Policy`` (CSP Level 3, W3C): everything from our own origin only;
  ``script-src 'self'`` without ``'unsafe-inline'`` or ``'unsafe-eval'`` (pages load
  their code from ``static/js``; the vendored ECharts and Swagger UI run under it);
  ``style-src 'self'``: no ``<style>`` elements and no ``style`` attributes in our
  markup (the templates carry none). One exception, and only that:
  ``style-src-attr 'unsafe-inline'``, because the vendored ECharts writes its tooltips
  as HTML whose markers and layout are ``style`` attributes (seen refused in Chromium
  by tests/web/test_content_security_policy.py when the mouse moves over a chart). A
  style attribute cannot run code nor select other elements, so it cannot read the
  page; ``<style>`` elements and style sheets stay limited to our origin
  (``style-src-elem 'self'``). Browsers without ``style-src-attr`` fall back to
  ``style-src 'self'`` and show the tooltips unstyled. ECharts and Swagger UI set
  other styles through the CSSOM, which CSP does not restrict.
  ``img-src 'self' data:`` for the data-URI icons of Swagger UI;
  ``object-src 'none'``, ``base-uri 'self'``, ``form-action 'self'`` and
  ``frame-ancestors 'none'`` (clickjacking; OWASP Clickjacking Defense Cheat Sheet).
* ``X-Frame-Options: DENY`` for browsers without ``frame-ancestors``.
* ``X-Content-Type-Options: nosniff`` (Fetch standard): a CSV or an attachment is
  never run as a script or a page.
* ``Referrer-Policy: same-origin``: URLs of console pages never leave the site.
* ``Permissions-Policy``: no camera, microphone, geolocation, payment or USB.
* ``Cross-Origin-Opener-Policy: same-origin``: no cross-site window handle.
* ``Strict-Transport-Security`` (RFC 6797) when the request came over HTTPS (as seen
  by uvicorn, which trusts ``X-Forwarded-Proto`` only from ``--forwarded-allow-ips``)
  or the app runs in production (served behind a TLS proxy; browsers ignore the
  header over plain HTTP, RFC 6797 section 8.1).

A header a route already set (a download's own ``X-Content-Type-Options``) is kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fangkong.settings import Settings

#: The policy directives, in the order they are sent.
CSP_DIRECTIVES: tuple[tuple[str, str], ...] = (
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    ("style-src-elem", "'self'"),
    ("style-src-attr", "'unsafe-inline'"),
    ("img-src", "'self' data:"),
    ("font-src", "'self'"),
    ("connect-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "'none'"),
)
CONTENT_SECURITY_POLICY = "; ".join(f"{name} {value}" for name, value in CSP_DIRECTIVES)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def security_headers(settings: Settings, https: bool) -> dict[str, str]:
    """The headers added to a response of a request made over ``https`` or not."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if https or settings.environment == "production":
        headers["Strict-Transport-Security"] = f"max-age={settings.hsts_max_age}"
    return headers


class SecurityHeadersMiddleware:
    """Adds :func:`security_headers` to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.plain = security_headers(settings, https=False)
        self.secure = security_headers(settings, https=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra: Mapping[str, str] = self.secure if scope.get("scheme") == "https" else self.plain

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
