"""Web sessions, CSRF tokens, login rate limiting and the authorisation check.

* Session: a cookie holding the user id and the issue time, signed with HMAC-SHA1 over
  ``settings.secret_key`` by ``itsdangerous`` (its timestamp gives the expiry). Nothing
  is stored server side; disabling the user ends every session at the next request.
* CSRF (OWASP CSRF Prevention Cheat Sheet, "signed double-submit cookie"): a token
  signed with a separate salt and bound either to the session (user id + issue time)
  or, before login, to a random nonce kept in a cookie. A forged cross-site form
  cannot know the token; a token of one session is worthless for another.
* Login throttling: at most ``max_failures`` failed logins per (username, client
  address) in a sliding window; the state lives on the app object, not in a module.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from fangkong.core.access import Actor, Permission, has_permission, may_act_on
from fangkong.core.regions import RegionTree
from fangkong.services.errors import Forbidden
from fangkong.settings import Settings

SESSION_COOKIE = "fangkong_session"
#: Readable by page scripts, which echo it in the ``X-CSRF-Token`` header.
CSRF_COOKIE = "fangkong_csrf"
#: Before login: a random nonce (HttpOnly) to which the login form's CSRF token is bound.
LOGIN_NONCE_COOKIE = "fangkong_login_nonce"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_MAX_AGE = 8 * 3600


@dataclass(frozen=True, slots=True)
class Session:
    user_id: int
    issued_at: int

    @property
    def binding(self) -> str:
        return f"s:{self.user_id}:{self.issued_at}"


class SessionSigner:
    """Issues and checks session cookies and CSRF tokens for one secret key."""

    def __init__(self, secret_key: str, max_age: int = SESSION_MAX_AGE) -> None:
        self.max_age = max_age
        self._sessions = URLSafeTimedSerializer(secret_key, salt="fangkong.session")
        self._csrf = URLSafeTimedSerializer(secret_key, salt="fangkong.csrf")

    @classmethod
    def for_settings(cls, settings: Settings) -> SessionSigner:
        return cls(settings.secret_key)

    def issue(self, user_id: int) -> tuple[str, Session]:
        session = Session(user_id, int(time.time()))
        return self._sessions.dumps({"uid": user_id, "iat": session.issued_at}), session

    def read(self, cookie: str) -> Session | None:
        """The session in a cookie, or None when forged, malformed or expired."""
        try:
            data = self._sessions.loads(cookie, max_age=self.max_age)
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(data, dict):
            return None
        uid, iat = data.get("uid"), data.get("iat")
        if not isinstance(uid, int) or not isinstance(iat, int):
            return None
        return Session(uid, iat)

    def csrf_token(self, binding: str) -> str:
        return self._csrf.dumps(binding)

    def check_csrf(self, token: str | None, binding: str) -> bool:
        if not token:
            return False
        try:
            value = self._csrf.loads(token, max_age=self.max_age)
        except (BadSignature, SignatureExpired):
            return False
        return isinstance(value, str) and secrets.compare_digest(value, binding)


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


def login_binding(nonce: str) -> str:
    return f"n:{nonce}"


class LoginRateLimiter:
    """Sliding-window count of failed logins per key; thread safe; bounded memory."""

    def __init__(
        self,
        max_failures: int = 10,
        window_seconds: float = 15 * 60,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.max_keys = max_keys
        self._clock = clock
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _prune(self, key: tuple[str, str], now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def retry_after(self, username: str, client: str) -> int:
        """Seconds until another attempt is allowed; 0 when allowed now."""
        key = (username, client)
        with self._lock:
            now = self._clock()
            times = self._prune(key, now)
            if times is None or len(times) < self.max_failures:
                return 0
            oldest_relevant = times[len(times) - self.max_failures]
            return max(1, int(oldest_relevant + self.window - now + 0.999))

    def failed(self, username: str, client: str) -> None:
        key = (username, client)
        with self._lock:
            now = self._clock()
            times = self._prune(key, now) or deque()
            times.append(now)
            self._failures[key] = times
            self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, username: str, client: str) -> None:
        with self._lock:
            self._failures.pop((username, client), None)


def authorize(
    actor: Actor,
    permission: Permission,
    region_code: str | None = None,
    tree: RegionTree | None = None,
) -> None:
    """Raise Forbidden unless ``actor`` may do ``permission`` (on ``region_code`` when
    given: the region must lie inside the actor's jurisdiction, see core.access)."""
    if not has_permission(actor.role, permission):
        raise Forbidden(
            f"{actor.username} ({actor.role.value}) lacks the permission {permission.value}"
        )
    if region_code is None:
        return
    if tree is None:
        raise ValueError("a region check needs the region tree")
    if not may_act_on(actor.role, actor.jurisdiction, permission, region_code, tree):
        raise Forbidden(
            f"region {region_code} is outside the jurisdiction "
            f"{actor.jurisdiction} of {actor.username}",
            field="region_code",
        )
