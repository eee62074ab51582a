"""Web sessions, CSRF tokens, login rate limiting and the authorisation check.

* Session (OWASP Session Management Cheat Sheet): at login a random session id is
  drawn and recorded server side (a row of ``api_tokens`` keyed by a marked hash of the
  id, so it can never serve as a bearer token and is left out of token lists); the
  cookie holds the user id, the login time, the time of the last request and the id,
  signed with HMAC over ``settings.secret_key`` by ``itsdangerous``. A session ends at
  the absolute timeout (``session_max_seconds`` after login), after
  ``session_idle_seconds`` without a request, at logout (the row is revoked: a copy of
  the cookie is worthless afterwards) and when the user is disabled. The cookie is
  re-signed with the new "last request" time at most once a minute (sliding idle
  timeout). Every time comes from the signer's ``clock``, so expiry is tested by
  passing time in.
* CSRF (OWASP CSRF Prevention Cheat Sheet, "signed double-submit cookie"): a token
  signed with a separate salt and bound either to the session (user id + login time)
  or, before login, to a random nonce kept in a cookie. A forged cross-site form
  cannot know the token; a token of one session is worthless for another.
* Login throttling: at most ``max_failures`` failed logins per (username, client
  address) in a sliding window; the state lives on the app object, not in a module.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import Engine, delete, insert, update

from fangkong.core.access import Actor, Permission, has_permission, may_act_on
from fangkong.core.regions import RegionTree
from fangkong.services.errors import Forbidden
from fangkong.settings import Settings
from fangkong.store import models as m

SESSION_COOKIE = "fangkong_session"
#: Readable by page scripts, which echo it in the ``X-CSRF-Token`` header.
CSRF_COOKIE = "fangkong_csrf"
#: Before login: a random nonce (HttpOnly) to which the login form's CSRF token is bound.
LOGIN_NONCE_COOKIE = "fangkong_login_nonce"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_MAX_AGE = 8 * 3600
SESSION_IDLE = 30 * 60
#: A session cookie is re-signed (idle clock restarted) at most this often.
REFRESH_AFTER = 60
#: Marks session rows in ``api_tokens``: a bearer token's SHA-256 is 64 hex digits and
#: never starts with it.
SESSION_MARK = "session:"
SESSION_ROW_NAME = "web session"


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser: user, login time, last request time, session id."""

    user_id: int
    issued_at: int
    seen_at: int = 0
    sid: str = ""

    @property
    def binding(self) -> str:
        return f"s:{self.user_id}:{self.issued_at}"


class SessionSigner:
    """Issues and checks session cookies and CSRF tokens for one secret key; times
    come from ``clock`` (seconds since the epoch)."""

    def __init__(
        self,
        secret_key: str,
        max_age: int = SESSION_MAX_AGE,
        idle: int = SESSION_IDLE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_age = max_age
        self.idle = idle
        self.clock = clock
        self._sessions = URLSafeSerializer(secret_key, salt="fangkong.session.v2")
        self._csrf = URLSafeTimedSerializer(secret_key, salt="fangkong.csrf")

    @classmethod
    def for_settings(cls, settings: Settings) -> SessionSigner:
        return cls(
            settings.secret_key,
            max_age=settings.session_max_seconds,
            idle=settings.session_idle_seconds,
        )

    def now(self) -> int:
        return int(self.clock())

    def issue(self, user_id: int, sid: str | None = None) -> tuple[str, Session]:
        """A new session (login now) and its cookie. Record ``sid`` with
        :func:`start_session` for it to be accepted."""
        now = self.now()
        return self.cookie(Session(user_id, now, now, sid or new_session_id()))

    def cookie(self, session: Session) -> tuple[str, Session]:
        """The cookie of ``session`` with its last request set to now."""
        fresh = Session(session.user_id, session.issued_at, self.now(), session.sid)
        payload = {"uid": fresh.user_id, "iat": fresh.issued_at, "seen": fresh.seen_at}
        return self._sessions.dumps({**payload, "sid": fresh.sid}), fresh

    def read(self, cookie: str) -> Session | None:
        """The session in a cookie, or None when forged, malformed or expired (past
        the absolute or the idle timeout)."""
        try:
            data = self._sessions.loads(cookie)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        uid, iat, seen, sid = (data.get(k) for k in ("uid", "iat", "seen", "sid"))
        if not (
            isinstance(uid, int)
            and isinstance(iat, int)
            and isinstance(seen, int)
            and isinstance(sid, str)
        ):
            return None
        now = self.now()
        if now - iat >= self.max_age or now - seen >= self.idle or seen < iat:
            return None
        return Session(uid, iat, seen, sid)

    def needs_refresh(self, session: Session) -> bool:
        return self.now() - session.seen_at >= min(REFRESH_AFTER, self.idle // 2)

    def remaining(self, session: Session) -> int:
        """Seconds until the absolute timeout (the cookie's ``Max-Age``)."""
        return max(0, session.issued_at + self.max_age - self.now())

    def expires_at(self, session: Session) -> datetime:
        """When the session ends if used without a pause: the absolute timeout."""
        return datetime.fromtimestamp(session.issued_at + self.max_age, tz=UTC)

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


# --- server-side session records -----------------------------------------------------------

T = m.ApiTokenRow


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def session_key(sid: str) -> str:
    """The stored key of a session id (never a valid bearer-token digest)."""
    return SESSION_MARK + hashlib.sha256(sid.encode("utf-8")).hexdigest()[: 64 - len(SESSION_MARK)]


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def start_session(engine: Engine, signer: SessionSigner, user_id: int) -> tuple[str, Session]:
    """Record a new session of ``user_id`` and return its cookie. Expired session rows
    of the user are removed on the way."""
    cookie, session = signer.issue(user_id)
    now = _moment(session.issued_at)
    with engine.begin() as conn:
        conn.execute(
            delete(T).where(
                T.user_id == user_id, T.token_sha256.like(f"{SESSION_MARK}%"), T.expires_at <= now
            )
        )
        conn.execute(
            insert(T).values(
                user_id=user_id,
                token_sha256=session_key(session.sid),
                name=SESSION_ROW_NAME,
                created_at=now,
                expires_at=_moment(session.issued_at + signer.max_age),
                revoked=False,
            )
        )
    return cookie, session


def end_session(engine: Engine, session: Session) -> None:
    """Logout: revoke the session's record; its cookie is refused from now on."""
    with engine.begin() as conn:
        conn.execute(
            update(T)
            .where(T.token_sha256 == session_key(session.sid), T.user_id == session.user_id)
            .values(revoked=True)
        )


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


def login_binding(nonce: str) -> str:
    return f"n:{nonce}"


class LoginRateLimiter:
    """Sliding-window count of failed logins per key; thread safe; bounded memory.

    It also remembers which keys' current lockout was already reported
    (:meth:`first_refusal`): the audit log records the first refused attempt of a
    lockout, not every one, so that a client hammering a locked account cannot fill the
    log (and hold its chain lock) at no cost to itself."""

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
        #: Keys whose lockout was reported, with the moment the lockout ends.
        self._reported: OrderedDict[tuple[str, str], float] = OrderedDict()
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

    def first_refusal(self, username: str, client: str, wait: float) -> bool:
        """True for the first attempt refused during a lockout that ends in ``wait``
        seconds (the one to report); False for the attempts refused after it."""
        key = (username, client)
        with self._lock:
            now = self._clock()
            until = self._reported.get(key)
            if until is not None and until > now:
                return False
            self._reported[key] = now + wait
            self._reported.move_to_end(key)
            while len(self._reported) > self.max_keys:
                self._reported.popitem(last=False)
            return True

    def succeeded(self, username: str, client: str) -> None:
        with self._lock:
            self._failures.pop((username, client), None)
            self._reported.pop((username, client), None)


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
