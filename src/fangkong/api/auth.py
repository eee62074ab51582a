"""Who is calling: FastAPI dependencies for bearer tokens and web sessions.

Credentials, in order:

1. ``Authorization: Bearer fk_…`` (RFC 6750). A bad token is a 401 with
   ``WWW-Authenticate: Bearer error="invalid_token"``; it never falls back to anonymous.
2. The signed session cookie set by ``POST /api/v1/session`` (expiry, logout and
   renewal: services/auth.py). State-changing requests
   (anything but GET, HEAD, OPTIONS) made with the cookie must carry the session's CSRF
   token in the ``X-CSRF-Token`` header or the ``csrf_token`` form field, else 403.

``current_actor`` demands credentials (401 problem+json otherwise); ``optional_actor``
returns ``None`` for anonymous callers; ``require_permission(p)`` adds a role check.
The region tree used for jurisdiction checks is loaded once per app
(``region_tree_of``) and dropped by ``reset_region_tree`` after a reference reload.

Cost per request: a bearer token verified in the last ``settings.token_cache_seconds``
is accepted from the app's :class:`~fangkong.services.users.TokenCache` on the event
loop, without a database query or a thread hand-off (revocation bound: see
services/users.py); otherwise the database is asked in one thread-pool call, as it is
for a session cookie (its record and its user in the same call).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
from fangkong.services.users import TokenCache, UserInfo
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
    """Put the session signer, the login limiter and the tree cache on ``app.state``
    and add the middleware that re-signs active sessions (sliding idle timeout)."""
    app.state.session_signer = SessionSigner.for_settings(settings)
    app.state.login_limiter = LoginRateLimiter(
        max_failures=settings.login_max_failures, window_seconds=settings.login_window_seconds
    )
    app.state.region_tree = None
    app.state.region_tree_lock = threading.Lock()
    app.state.token_cache = TokenCache(app.state.engine, settings.token_cache_seconds)
    app.add_middleware(SessionRefreshMiddleware, settings=settings)


#: Key in the request state of the list into which a renewed session cookie is put.
REFRESH_KEY = "fangkong_session_refresh"


class SessionRefreshMiddleware:
    """Sends the re-signed cookie of a session used by the request (its idle clock
    restarted; see services/auth.py), unless the response sets the cookie itself
    (login, logout)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.secure = settings.secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        renewed: list[tuple[str, int]] = []
        scope.setdefault("state", {})[REFRESH_KEY] = renewed

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and renewed:
                headers = MutableHeaders(scope=message)
                sets = headers.getlist("set-cookie")
                if not any(c.startswith(f"{SESSION_COOKIE}=") for c in sets):
                    cookie, max_age = renewed[-1]
                    carrier = Response()
                    carrier.set_cookie(
                        SESSION_COOKIE,
                        cookie,
                        max_age=max_age,
                        path="/",
                        httponly=True,
                        samesite="lax",
                        secure=self.secure,
                    )
                    headers.append("set-cookie", carrier.headers["set-cookie"])
            await send(message)

        await self.app(scope, receive, send_with_cookie)


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


async def get_region_tree(request: Request) -> RegionTree:
    """Dependency: the cached region tree (read in the thread pool the first time;
    ``async`` so that the cached tree costs no thread hand-off)."""
    tree: RegionTree | None = request.app.state.region_tree
    if tree is not None:
        return tree
    return await run_in_threadpool(region_tree_of, request.app)


def unauthorized(detail: str, error: str | None = None) -> Problem:
    challenge = REALM if error is None else f'{REALM}, error="{error}"'
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": challenge})


def is_secure(settings: Settings) -> bool:
    """Whether cookies carry ``Secure`` (``settings.secure_cookies``)."""
    return settings.secure_cookies


def set_session_cookies(
    response: Response, settings: Settings, cookie: str, csrf_token: str, max_age: int
) -> None:
    """Session cookie (HttpOnly) and its CSRF token (readable by page scripts); both
    SameSite=Lax, Secure in production."""
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


def read_session(request: Request) -> Session | None:
    """The unexpired session of the request's cookie whose record is live (not logged
    out, user active), or None. Does not renew it."""
    return live_session_user(request)[1]


def renew_session(request: Request, session: Session) -> None:
    """Have the response carry the session's cookie re-signed now (at most once a
    minute), restarting its idle clock."""
    signer = signer_of(request)
    if not signer.needs_refresh(session):
        return
    holder = request.scope.get("state", {}).get(REFRESH_KEY)
    if holder is not None:
        cookie, fresh = signer.cookie(session)
        holder.append((cookie, signer.remaining(fresh)))


def live_session_user(request: Request) -> tuple[UserInfo | None, Session | None]:
    """The active user of a valid session cookie and the session, or (None, None).
    Blocking (one query); does not renew the session."""
    cookie = request.cookies.get(SESSION_COOKIE)
    signer = signer_of(request)
    session = signer.read(cookie) if cookie else None
    if session is None:
        return None, None
    user = user_svc.session_user(request.app.state.engine, session, signer.now())
    return (user, session) if user is not None else (None, None)


def optional_session_user(request: Request) -> tuple[UserInfo | None, Session | None]:
    """The active user of a valid session cookie and the session (pages; sync)."""
    user, session = live_session_user(request)
    if user is not None and session is not None:
        renew_session(request, session)
    return user, session


def token_cache_of(request: Request) -> TokenCache:
    cache: TokenCache = request.app.state.token_cache
    return cache


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
        token = token.strip()
        tokens = token_cache_of(request)
        user = tokens.cached(token)
        if user is None:
            user = await run_in_threadpool(tokens.load, token)
        if user is None:
            raise unauthorized(
                "the bearer token is unknown, revoked or expired, or its user is disabled",
                "invalid_token",
            )
        method = "token"
    else:
        user, session = await run_in_threadpool(live_session_user, request)
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
            renew_session(request, session)
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
