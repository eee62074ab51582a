"""``/api/v1/session`` and ``/api/v1/me``: web login and logout, and who am I.

Login takes JSON (``{"username", "password"}``, ``Content-Type: application/json``
only, so a cross-site page cannot send it without a CORS preflight) or an HTML form
(``username``, ``password``, ``csrf_token`` bound to the login page's nonce cookie,
optional ``next``). Success sets the signed session cookie (HttpOnly, SameSite=Lax,
Secure in production; it ends 8 h after login, after 30 min without a request and at
logout: ``session_max_seconds``, ``session_idle_seconds``) and a readable
``fangkong_csrf`` cookie with the session's CSRF token; JSON callers get the user and
the token in the body, form callers a 303 to ``next``. A browser form that fails is
sent back to ``/login`` with an error code; every other failure is problem+json (401
bad credentials, 403 CSRF, 415, 422, 429).

Failed logins are throttled per (username, client address): 10 in 15 minutes
(``login_max_failures``, ``login_window_seconds``), then
429 with ``Retry-After`` (OWASP Authentication Cheat Sheet, "Login Throttling").

Every refused login, JSON or form, is recorded in the audit log as
``session.login_failed`` with the username attempted, the client address and the
reason — ``unknown_user``, ``wrong_password``, ``disabled``, ``throttled`` or ``csrf``
— but never the password (OWASP Logging Cheat Sheet: authentication failures are
logged, secrets are not). Of the attempts refused during one lockout only the first is
recorded, so that hammering a locked account cannot flood the log. A successful login
is recorded by its own write (``session.login``, actor the user).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from fangkong.api.auth import (
    clear_session_cookies,
    current_actor,
    is_secure,
    limiter_of,
    read_session,
    set_session_cookies,
    signer_of,
    unauthorized,
)
from fangkong.api.deps import get_settings
from fangkong.api.problems import Problem
from fangkong.api.routing import ApiRouter
from fangkong.core.access import ROLE_PERMISSIONS, Actor
from fangkong.services import audit as audit_svc
from fangkong.services import users as user_svc
from fangkong.services.audit import LoginFailure
from fangkong.services.auth import (
    CSRF_FIELD,
    LOGIN_NONCE_COOKIE,
    Session,
    end_session,
    login_binding,
    start_session,
)
from fangkong.services.users import UserInfo
from fangkong.settings import Settings

router = ApiRouter(prefix="/api/v1", tags=["session"])

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class LoginIn(BaseModel):
    username: str
    password: str


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    jurisdiction: str
    active: bool
    created_at: datetime
    #: The account's version (its ETag is ``"<version>"``; ``PATCH`` needs it).
    version: int


class SessionOut(BaseModel):
    user: UserOut
    csrf_token: str
    expires_at: datetime


class MeOut(BaseModel):
    user: UserOut
    permissions: list[str]
    auth_method: str
    csrf_token: str | None
    session_expires_at: datetime | None


def safe_next(target: str | None) -> str:
    """Only local paths: ``/x`` but not ``//host`` or ``/\\host`` (open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ch in target for ch in "\r\n\t\\"):
        return "/"
    return target


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _read_login(request: Request) -> tuple[LoginIn, bool, str | None, str | None]:
    """The credentials, whether they came from a form, its CSRF token and ``next``."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            payload = json.loads(await request.body())
        except ValueError as exc:
            raise Problem(
                422,
                "Invalid request",
                f"the body is not valid JSON: {exc}",
                errors=[{"pointer": "", "detail": "invalid JSON"}],
            ) from None
        try:
            return LoginIn.model_validate(payload), False, None, None
        except ValidationError as exc:
            errors = [
                {"pointer": "/" + "/".join(str(p) for p in e["loc"]), "detail": e["msg"]}
                for e in exc.errors()
            ]
            raise Problem(
                422, "Invalid request", "username and password are required", errors=errors
            ) from None
    if content_type in FORM_TYPES:
        form = await request.form()
        fields = {k: form.get(k) for k in ("username", "password", CSRF_FIELD, "next")}
        texts = {k: v if isinstance(v, str) else None for k, v in fields.items()}
        missing = [k for k in ("username", "password") if not texts[k]]
        if missing:
            raise Problem(
                422,
                "Invalid request",
                f"missing form field(s): {', '.join(missing)}",
                errors=[{"parameter": k, "in": "form", "detail": "required"} for k in missing],
            )
        login = LoginIn(username=texts["username"] or "", password=texts["password"] or "")
        return login, True, texts[CSRF_FIELD], texts["next"]
    raise Problem(
        415, "Unsupported media type", "send the credentials as application/json or as an HTML form"
    )


def _back_to_login(error: str, next_path: str, **extra: str) -> RedirectResponse:
    query = urlencode({"error": error, "next": next_path, **extra})
    return RedirectResponse(f"/login?{query}", status_code=303)


@router.post(
    "/session",
    response_model=SessionOut,
    summary="Log in (web session)",
    responses={
        303: {"description": "form login: redirect to next"},
        401: {"description": "bad credentials"},
        403: {"description": "form login without the login page's CSRF token"},
        429: {"description": "throttled"},
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": LoginIn.model_json_schema()},
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["username", "password", CSRF_FIELD],
                        "properties": {
                            "username": {"type": "string"},
                            "password": {"type": "string"},
                            CSRF_FIELD: {"type": "string"},
                            "next": {"type": "string"},
                        },
                    }
                },
            },
            "required": True,
        }
    },
)
async def login(
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
) -> Response:
    credentials, is_form, csrf, next_raw = await _read_login(request)
    next_path = safe_next(next_raw)
    html = is_form and _wants_html(request)
    signer = signer_of(request)
    username = user_svc.normalise_username(credentials.username)
    client = _client(request)
    via = "form" if is_form else "json"

    async def refused(reason: LoginFailure, retry_after: int | None = None) -> None:
        await run_in_threadpool(
            audit_svc.record_failed_login,
            request.app.state.engine,
            username=username,
            client=client,
            reason=reason,
            via=via,
            retry_after=retry_after,
        )

    if is_form:
        nonce = request.cookies.get(LOGIN_NONCE_COOKIE)
        if not nonce or not signer.check_csrf(csrf, login_binding(nonce)):
            await refused(LoginFailure.CSRF)
            if html:
                return _back_to_login("csrf", next_path)
            raise Problem(
                403,
                "Forbidden",
                "missing or invalid CSRF token: load /login and "
                "submit its form, or log in with JSON",
            )
    limiter = limiter_of(request)
    wait = limiter.retry_after(username, client)
    if wait:
        if limiter.first_refusal(username, client, wait):
            await refused(LoginFailure.THROTTLED, wait)
        else:
            request.state.audit_quiet = True  # this lockout's first refusal is recorded
        if html:
            return _back_to_login("throttled", next_path, retry_after=str(wait))
        raise Problem(
            429,
            "Too many requests",
            f"too many failed logins for {username!r} from this address; try again in {wait} s",
            headers={"Retry-After": str(wait)},
            retry_after=wait,
        )
    check = await run_in_threadpool(
        user_svc.check_login,
        request.app.state.engine,
        credentials.username,
        credentials.password,
    )
    user = check.user
    if user is None:
        limiter.failed(username, client)
        await refused(check.failure or LoginFailure.WRONG_PASSWORD)
        if html:
            return _back_to_login("invalid", next_path)
        raise unauthorized("invalid username or password")
    limiter.succeeded(username, client)
    request.state.audit_actor = user.username  # the audit log's actor of this login
    return _session_response(request, settings, user, next_path if is_form else None)


def _session_response(
    request: Request, settings: Settings, user: UserInfo, redirect_to: str | None
) -> Response:
    signer = signer_of(request)
    cookie, session = start_session(request.app.state.engine, signer, user.id)
    token = signer.csrf_token(session.binding)
    response: Response
    if redirect_to is not None:
        response = RedirectResponse(redirect_to, status_code=303)
    else:
        body = {
            "user": user.as_dict(),
            "csrf_token": token,
            "expires_at": signer.expires_at(session).isoformat(),
        }
        response = JSONResponse(body)
    set_session_cookies(response, settings, cookie, token, signer.max_age)
    response.delete_cookie(
        LOGIN_NONCE_COOKIE, path="/", httponly=True, samesite="lax", secure=is_secure(settings)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _attribute_to(request: Request, session: Session) -> None:
    """Logging out is not an authenticated route: name the session's user as the actor
    of the audit entry of the logout (``fangkong.api.audit`` reads ``audit_actor``)."""
    user = user_svc.active_user(request.app.state.engine, session.user_id)
    if user is not None:
        request.state.audit_actor = user.username


@router.delete("/session", status_code=204, summary="Log out (web session)")
def logout(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> Response:
    """End the session for good (its record is revoked, so a copy of the cookie is
    refused too) and drop the cookies. Idempotent; a DELETE cannot be sent cross-site
    without a CORS preflight, so no CSRF token is needed."""
    session = read_session(request)
    if session is not None:
        _attribute_to(request, session)
        end_session(request.app.state.engine, session)
    response = Response(status_code=204)
    clear_session_cookies(response, settings)
    return response


@router.post(
    "/session/logout",
    summary="Log out from an HTML form",
    responses={
        303: {"description": "redirect to /"},
        403: {"description": "a session without its CSRF token"},
    },
)
async def logout_form(
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
) -> Response:
    """The form variant of ``DELETE /api/v1/session``: needs the session's CSRF token."""
    signer = signer_of(request)
    session = await run_in_threadpool(read_session, request)
    if session is not None:
        form = await request.form()
        token = form.get(CSRF_FIELD)
        if not signer.check_csrf(token if isinstance(token, str) else None, session.binding):
            raise Problem(403, "Forbidden", "missing or invalid CSRF token")
        await run_in_threadpool(_attribute_to, request, session)
        await run_in_threadpool(end_session, request.app.state.engine, session)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookies(response, settings)
    return response


@router.get("/me", response_model=MeOut, summary="The authenticated user")
async def me(request: Request, actor: Annotated[Actor, Depends(current_actor)]) -> dict[str, Any]:
    # ``async``: nothing here blocks (the user was read by ``current_actor``), so the
    # answer costs no thread hand-off.
    user: UserInfo = request.state.user
    session: Session | None = request.state.session
    signer = signer_of(request)
    return {
        "user": user.as_dict(),
        "permissions": sorted(p.value for p in ROLE_PERMISSIONS[actor.role]),
        "auth_method": request.state.auth_method,
        "csrf_token": signer.csrf_token(session.binding) if session else None,
        "session_expires_at": signer.expires_at(session) if session else None,
    }
