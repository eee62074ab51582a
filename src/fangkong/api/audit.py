"""Route-level capture for the audit log: every request knows who and what it is.

:class:`AuditMiddleware` (pure ASGI) gives each HTTP request an *origin*
(``store.audit.set_origin``) that the engine hook reads when a transaction of the
request commits: the actor is the authenticated user (``request.state.user``, set by
``api.auth``), the action is named after the route — ``<resource>.<endpoint>``, the
resource being the first path segment after ``/api/v1/`` (``users.create_user``,
``daily.submit_daily``, ``medical_teams.dispatch_team``) — and the target is the
route's path parameters. The entry's details carry the method and path, the client
address, how the caller authenticated and, for a bearer token, the first 16 hex digits
of its SHA-256 (the stored ``api_tokens.token_sha256`` starts with them: the token is
identified, never revealed).

So writes are recorded in their own transaction by the hook. The middleware adds an
entry only for a state-changing request (POST, PUT, PATCH, DELETE) that wrote nothing
to the database yet succeeded (a login, a logout, a computation) or was refused with
403 (``<action>.denied``): every such request leaves at least one entry. That entry is
stored before the response starts; if it cannot be stored the client gets a 500
rather than an unrecorded success. The one exception is a request its route marks
``request.state.audit_quiet``: a repeat of a refusal already recorded (the login
attempts refused during a lockout after the first, ``routes/session.py``), left out so
that an anonymous client cannot fill the log for free.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fangkong.store import audit as hook

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIX = "/api/v1/"


def action_of(route: Any, path: str) -> tuple[str, str]:
    """``(action, resource)`` for a request to ``route`` (``None`` when no route
    matched) at ``path``."""
    template = str(getattr(route, "path", "") or path)
    if template.startswith(API_PREFIX):
        resource = template[len(API_PREFIX) :].split("/", 1)[0] or "api"
    else:
        resource = "web"
    resource = resource.replace("-", "_")
    name = getattr(route, "name", None) or "unmatched"
    return f"{resource}.{name}", resource


def token_fingerprint(headers: list[tuple[bytes, bytes]]) -> str | None:
    for key, value in headers:
        if key.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()[:16]
    return None


class RequestAudit:
    """The origin of one request, read lazily from its ASGI scope (the user and the
    route are known only once routing and authentication have run)."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.appended = 0

    def _counted(self, entries: int) -> None:
        self.appended += entries

    def origin(self) -> hook.Origin:
        scope = self.scope
        state: dict[str, Any] = scope.get("state") or {}
        user = state.get("user")
        actor = getattr(user, "username", None) or state.get("audit_actor")
        action, resource = action_of(scope.get("route"), scope.get("path", ""))
        params = scope.get("path_params") or {}
        target = "/".join(str(v) for k, v in params.items() if k != "lang") or None
        context: dict[str, Any] = {"method": scope.get("method"), "path": scope.get("path")}
        client = scope.get("client")
        if client:
            context["client"] = client[0]
        method = state.get("auth_method")
        if method:
            context["auth"] = method
        token = token_fingerprint(scope.get("headers") or [])
        if token and method == "token":
            context["token"] = token
        return hook.Origin(
            actor=actor or "anonymous",
            action=action,
            target_type=resource,
            target_id=target,
            context=context,
            authoritative=actor is not None,
            on_append=self._counted,
        )

    def session_username(self) -> str | None:
        """The user of a valid session cookie on a route that did not authenticate
        (logging out)."""
        from fangkong.api.auth import signer_of
        from fangkong.services.auth import SESSION_COOKIE
        from fangkong.services.users import active_user

        request = Request(self.scope)
        cookie = request.cookies.get(SESSION_COOKIE)
        session = signer_of(request).read(cookie) if cookie else None
        if session is None:
            return None
        user = active_user(request.app.state.engine, session.user_id)
        return user.username if user is not None else None

    def record_request(self, status: int) -> None:
        """The entry of a state-changing request that wrote nothing (see the module)."""
        origin = self.origin()
        action = origin.action + (".denied" if status == 403 else "")
        actor = None if origin.authoritative else self.session_username()
        engine = self.scope["app"].state.engine
        with engine.begin() as conn:
            hook.note(
                conn,
                action,
                origin.target_type,
                origin.target_id,
                {"status": status},
                actor=actor,
            )


class AuditMiddleware:
    """Sets the audit origin of every request; records state-changing requests that
    left no entry (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        audit = RequestAudit(scope)
        token = hook.set_origin(audit.origin)
        try:
            if scope["method"] in SAFE_METHODS:
                await self.app(scope, receive, send)
                return

            async def send_recorded(message: Message) -> None:
                quiet = (scope.get("state") or {}).get("audit_quiet", False)
                if message["type"] == "http.response.start" and audit.appended == 0 and not quiet:
                    status = int(message["status"])
                    if status < 400 or status == 403:
                        await run_in_threadpool(audit.record_request, status)
                await send(message)

            await self.app(scope, receive, send_recorded)
        finally:
            hook.reset_origin(token)
