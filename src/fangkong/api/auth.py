"""Who is calling: FastAPI dependencies for bearer tokens and web sessions.

Credentials, in order:

1. ``Authorization: Bearer fk_…`` (RFC 6750). A bad token is a 401 with
   ``WWW-Authenticate: Bearer error="invalid_token"``; it never falls back to anonymous.
2. The signed session cookie set by ``POST /api/v1/session``. State-changing requests
   (anything but GET, HEAD, OPTIONS) made with the cookie must carry the session's CSRF
   token in the ``X-CSRF-Token`` header or the ``csrf_token`` form field, else 403.

``current_actor`` demands credentials (401 problem+json otherwise); ``optional_actor``
returns ``None`` for anonymous callers; ``require_permission(p)`` adds a role check.
The region tree used for jurisdiction checks is loaded once per app
(``region_tree_of``) and dropped by ``reset_region_tree`` after a reference reload.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from fangkong.api.problems import Problem
from fangkong.core.access import Actor, Permission, has_permission
from fangkong.core.regions import RegionTree
from fangkong.services import users as user_svc
from fangkong.services.auth import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    LoginRateLimiter,
    Session,
    SessionSigner,
)
from fangkong.services.reference import region_tree
from fangkong.services.users import UserInfo
from fangkong.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
REALM = 'Bearer realm="fangkong"'
#: Declared for the OpenAPI document only (the Authorize button of /docs); the header
#: and cookie are read and checked by ``_authenticate``.
BEARER_SCHEME = HTTPBearer(auto_error=False, description="API token: fk_…")
COOKIE_SCHEME = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="web session (POST /api/v1/session)"
)


def install_auth(app: FastAPI, settings: Settings) -> None:
    """Put the session signer, the login limiter and the tree cache on ``app.state``."""
    app.state.session_signer = SessionSigner.for_settings(settings)
    app.state.login_limiter = LoginRateLimiter()
    app.state.region_tree = None
    app.state.region_tree_lock = threading.Lock()


def signer_of(request: Request) -> SessionSigner:
    signer: SessionSigner = request.app.state.session_signer
    return signer


def limiter_of(request: Request) -> LoginRateLimiter:
    limiter: LoginRateLimiter = request.app.state.login_limiter
    return limiter


def region_tree_of(app: FastAPI) -> RegionTree:
    """The app's region tree, read from the database on first use."""
    state = app.state
    tree: RegionTree | None = state.region_tree
    if tree is None:
        with state.region_tree_lock:
            tree = state.region_tree
            if tree is None:
                tree = region_tree(state.engine)
                state.region_tree = tree
    return tree


def reset_region_tree(app: FastAPI) -> None:
    """Forget the cached tree (call after reference data was reloaded)."""
    app.state.region_tree = None


def get_region_tree(request: Request) -> RegionTree:
    """Dependency: the cached region tree."""
    return region_tree_of(request.app)


def unauthorized(detail: str, error: str | None = None) -> Problem:
    challenge = REALM if error is None else f'{REALM}, error="{error}"'
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": challenge})


def is_secure(settings: Settings) -> bool:
    return settings.environment == "production"


def set_session_cookies(
    response: Response, settings: Settings, cookie: str, csrf_token: str, max_age: int
) -> None:
    """Session cookie (HttpOnly) and its CSRF token (readable by page scripts)."""
    secure = is_secure(settings)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf_token,
        max_age=max_age,
        path="/",
        httponly=False,
        samesite="lax",
        secure=secure,
    )


def clear_session_cookies(response: Response, settings: Settings) -> None:
    secure = is_secure(settings)
    for name, http_only in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(name, path="/", httponly=http_only, samesite="lax", secure=secure)


def optional_session_user(request: Request) -> tuple[UserInfo | None, Session | None]:
    """The active user of a valid session cookie and the session (pages; sync)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    session = signer_of(request).read(cookie) if cookie else None
    if session is None:
        return None, None
    user = user_svc.active_user(request.app.state.engine, session.user_id)
    return (user, session) if user is not None else (None, None)


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token sent with a request: header first, then the form field."""
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(FORM_TYPES):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def _authenticate(request: Request) -> UserInfo | None:
    cached: UserInfo | None = getattr(request.state, "user", None)
    if getattr(request.state, "auth_checked", False):
        return cached
    engine = request.app.state.engine
    user: UserInfo | None = None
    method: Literal["token", "session"] | None = None
    session: Session | None = None
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized(
                "the Authorization header must be 'Bearer <token>'", "invalid_request"
            )
        user = await run_in_threadpool(user_svc.verify_token, engine, token.strip())
        if user is None:
            raise unauthorized(
                "the bearer token is unknown, revoked or expired, or its user is disabled",
                "invalid_token",
            )
        method = "token"
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        session = signer_of(request).read(cookie) if cookie else None
        if session is not None:
            user = await run_in_threadpool(user_svc.active_user, engine, session.user_id)
        if user is not None and session is not None:
            method = "session"
            if request.method not in SAFE_METHODS:
                sent = await submitted_csrf(request)
                if not signer_of(request).check_csrf(sent, session.binding):
                    raise Problem(
                        403,
                        "Forbidden",
                        f"missing or invalid CSRF token: send the session's token "
                        f"in the {CSRF_HEADER} header or the {CSRF_FIELD} field",
                    )
    request.state.user = user
    request.state.auth_method = method
    request.state.session = session if method == "session" else None
    request.state.auth_checked = True
    return user


async def optional_actor(
    request: Request,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER_SCHEME)] = None,
    _cookie: Annotated[str | None, Depends(COOKIE_SCHEME)] = None,
) -> Actor | None:
    """The caller, or None when anonymous. Invalid bearer tokens are still a 401."""
    user = await _authenticate(request)
    return user.actor if user is not None else None


async def current_actor(
    request: Request,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER_SCHEME)] = None,
    _cookie: Annotated[str | None, Depends(COOKIE_SCHEME)] = None,
) -> Actor:
    """The authenticated caller; 401 problem+json with ``WWW-Authenticate: Bearer``
    when the request has no valid credentials."""
    user = await _authenticate(request)
    if user is None:
        raise unauthorized(
            "authentication required: log in or send 'Authorization: Bearer <token>'"
        )
    return user.actor


def require_permission(permission: Permission) -> Callable[..., Awaitable[Actor]]:
    """Dependency factory: the authenticated caller, who must hold ``permission``
    (403 otherwise). Use ``Depends(require_permission(Permission.READ_CASES))``."""

    async def dependency(
        request: Request,
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER_SCHEME)] = None,
        _cookie: Annotated[str | None, Depends(COOKIE_SCHEME)] = None,
    ) -> Actor:
        actor = await current_actor(request)
        if not has_permission(actor.role, permission):
            raise Problem(
                403,
                "Forbidden",
                f"{actor.username} ({actor.role.value}) lacks the permission {permission.value}",
            )
        return actor

    dependency.__name__ = f"require_{permission.value}"
    return dependency
