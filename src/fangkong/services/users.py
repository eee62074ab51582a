"""User accounts, passwords and API bearer tokens.

Passwords are hashed with Argon2id (RFC 9106) through ``argon2-cffi``; a hash made with
older cost parameters is replaced at the next successful login. Logging in as an
unknown or disabled user still verifies the password against a dummy hash, so the
response time does not reveal which usernames exist (OWASP Authentication Cheat Sheet).

API tokens are 32 random bytes (``secrets.token_urlsafe``) behind the prefix ``fk_``
(so that secret scanners can recognise them); only their SHA-256 is stored, the token
itself is shown once. A token stops working when revoked, when it expires, or when its
user is disabled.

The API verifies tokens through a :class:`TokenCache`: a token verified in the database
is then accepted from memory for a few seconds (``Settings.token_cache_seconds``, 5 by
default), which spares every authenticated request a database query. Expiry is checked
at every use. A revocation or a change of a user's ``active`` flag made by
:func:`revoke_token` or :func:`set_active` in the same process takes effect at once
(:func:`forget_verified_tokens`); one made by another process — the other server
workers, the CLI, a restore — takes effect there within that TTL at most. A new write
that can invalidate a verified token (say, a change of role or jurisdiction) must call
:func:`forget_verified_tokens` after its commit too.

Who may manage whom (enforced here, not in the API, so the CLI obeys the same rule):

* an ``admin`` creates users of every role anywhere and lists, disables and issues
  tokens for every user;
* a ``commander`` creates users of a lower role (epidemiologist, reporter, logistics,
  viewer) whose jurisdiction lies inside the commander's own, and lists the users of
  that jurisdiction;
* every user may issue and revoke tokens for their own account;
* nobody else manages users.

An account's ``version`` counts its changes (enabling, disabling) and is its ETag: an
administrator changes an account only from the version they read (``If-Match``,
services/versions.py), so that two administrators cannot undo each other unseen.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, func, insert, select, update

from fangkong.core.access import WORLD, Actor, Role
from fangkong.core.regions import RegionTree
from fangkong.services.audit import LoginFailure
from fangkong.services.auth import SESSION_MARK, Session, session_key
from fangkong.services.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.services.versions import UNCHECKED, IfMatch, check_preconditions, etag, locked_write
from fangkong.store import models as m

U = m.UserRow
T = m.ApiTokenRow

#: Argon2id with the library's defaults (RFC 9106 "second recommended option":
#: t=3, m=64 MiB, p=4). Changing them makes old hashes rehash at the next login.
PASSWORD_HASHER = PasswordHasher()

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
TOKEN_PREFIX = "fk_"
TOKEN_MAX_DAYS = 3650
#: Longer strings are refused without a database lookup.
TOKEN_MAX_LENGTH = 256

#: Roles a commander may hand out (strictly below commander).
COMMANDER_GRANTABLE = frozenset({Role.EPIDEMIOLOGIST, Role.REPORTER, Role.LOGISTICS, Role.VIEWER})


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    role: Role
    jurisdiction: str
    active: bool
    created_at: datetime
    version: int = 1

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.role, self.jurisdiction)

    @property
    def etag(self) -> str:
        return etag(self.version)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role.value,
            "jurisdiction": self.jurisdiction,
            "active": self.active,
            "created_at": _aware(self.created_at).isoformat(),
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    username: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "name": self.name,
            "created_at": _aware(self.created_at).isoformat(),
            "expires_at": _aware(self.expires_at).isoformat() if self.expires_at else None,
            "revoked": self.revoked,
        }


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _user(row: Any) -> UserInfo:
    return UserInfo(
        row.id,
        row.username,
        row.display_name,
        Role(row.role),
        row.jurisdiction,
        bool(row.active),
        _aware(row.created_at),
        int(row.version),
    )


# --- passwords ---------------------------------------------------------------------------


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: stored and looked up in lower case."""
    return username.strip().lower()


def check_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME_PATTERN.fullmatch(name):
        raise Invalid(
            "username must be 3-64 characters: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            field="username",
        )
    return name


def check_password(username: str, password: str) -> None:
    """Reject passwords that are too short or equal to the username (NIST SP 800-63B
    §5.1.1.2: length over composition rules; reject context-specific words)."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise Invalid(
            f"password must be at least {PASSWORD_MIN_LENGTH} characters", field="password"
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise Invalid(
            f"password must be at most {PASSWORD_MAX_LENGTH} characters", field="password"
        )
    if password.strip().lower() == normalise_username(username):
        raise Invalid("password must not be the username", field="password")


def hash_password(password: str, hasher: PasswordHasher = PASSWORD_HASHER) -> str:
    return hasher.hash(password)


def verify_password(
    password_hash: str, password: str, hasher: PasswordHasher = PASSWORD_HASHER
) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash(params: tuple[int, int, int, int, int]) -> str:
    time_cost, memory_cost, parallelism, hash_len, salt_len = params
    hasher = PasswordHasher(
        time_cost=time_cost,
        memory_cost=memory_cost,
        parallelism=parallelism,
        hash_len=hash_len,
        salt_len=salt_len,
    )
    return hasher.hash(secrets.token_urlsafe(16))


def _burn_time(password: str, hasher: PasswordHasher) -> None:
    """Spend as long as a real verification would (unknown or disabled user)."""
    params = (
        hasher.time_cost,
        hasher.memory_cost,
        hasher.parallelism,
        hasher.hash_len,
        hasher.salt_len,
    )
    verify_password(_dummy_hash(params), password, hasher)


# --- users -------------------------------------------------------------------------------


def _check_jurisdiction(engine: Engine, jurisdiction: str) -> str:
    code = jurisdiction.strip()
    if code == WORLD:
        return code
    with engine.connect() as conn:
        found = conn.execute(
            select(m.RegionRow.region_code).where(m.RegionRow.region_code == code)
        ).first()
    if found is None:
        raise Invalid(
            f"jurisdiction {code!r} is neither '*' (every region) nor a region code",
            field="jurisdiction",
        )
    return code


def _within(tree: RegionTree, region_code: str, jurisdiction: str) -> bool:
    if jurisdiction == WORLD:
        return True
    if region_code == WORLD:
        return False
    return tree.is_within(region_code, jurisdiction)


def may_create(actor: Actor, role: Role, jurisdiction: str, tree: RegionTree) -> bool:
    """The account-creation rule of this module's docstring."""
    if actor.role is Role.ADMIN:
        return True
    if actor.role is Role.COMMANDER:
        return role in COMMANDER_GRANTABLE and _within(tree, jurisdiction, actor.jurisdiction)
    return False


def create_user(
    engine: Engine,
    actor: Actor,
    *,
    username: str,
    password: str,
    role: Role | str,
    jurisdiction: str,
    tree: RegionTree,
    display_name: str | None = None,
    hasher: PasswordHasher = PASSWORD_HASHER,
) -> UserInfo:
    """Create an active account. Raises Invalid, Forbidden or Conflict (name taken)."""
    name = check_username(username)
    try:
        the_role = Role(role)
    except ValueError:
        raise Invalid(
            f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}", field="role"
        ) from None
    code = _check_jurisdiction(engine, jurisdiction)
    if not may_create(actor, the_role, code, tree):
        raise Forbidden(
            f"{actor.username} ({actor.role.value}, jurisdiction "
            f"{actor.jurisdiction}) may not create a {the_role.value} user for "
            f"jurisdiction {code}"
        )
    check_password(name, password)
    shown = (display_name or "").strip() or name
    if len(shown) > 128:
        raise Invalid("display name must be at most 128 characters", field="display_name")
    with engine.begin() as conn:
        taken = conn.execute(select(U.id).where(U.username == name)).first()
        if taken is not None:
            raise Conflict(f"username {name!r} is taken", field="username")
        new_id = conn.execute(
            insert(U)
            .values(
                username=name,
                display_name=shown,
                password_hash=hash_password(password, hasher),
                role=the_role.value,
                jurisdiction=code,
                active=True,
                created_at=_now(),
            )
            .returning(U.id)
        ).scalar_one()
    return get_user_by_id(engine, int(new_id))


def get_user(engine: Engine, username: str) -> UserInfo:
    name = normalise_username(username)
    with engine.connect() as conn:
        row = conn.execute(select(U).where(U.username == name)).first()
    if row is None:
        raise NotFound(f"no user {name!r}", field="username")
    return _user(row)


def get_user_by_id(engine: Engine, user_id: int) -> UserInfo:
    with engine.connect() as conn:
        row = conn.execute(select(U).where(U.id == user_id)).first()
    if row is None:
        raise NotFound(f"no user with id {user_id}")
    return _user(row)


def session_user(engine: Engine, session: Session, now: int) -> UserInfo | None:
    """The user of a live session — its record exists, is not revoked (logout) and has
    not expired at ``now`` (unix seconds), and its user is active — or None. One query."""
    with engine.connect() as conn:
        row = conn.execute(
            select(U, T.expires_at.label("session_expires_at"))
            .join(T, T.user_id == U.id)
            .where(
                T.token_sha256 == session_key(session.sid),
                T.user_id == session.user_id,
                T.revoked.is_(False),
                U.active.is_(True),
            )
        ).first()
    if row is None or row.session_expires_at is None:
        return None
    if _aware(row.session_expires_at) <= datetime.fromtimestamp(now, tz=UTC):
        return None
    return _user(row)


def active_user(engine: Engine, user_id: int) -> UserInfo | None:
    """The user with ``user_id`` if it exists and is active (session lookups)."""
    with engine.connect() as conn:
        row = conn.execute(select(U).where(U.id == user_id, U.active.is_(True))).first()
    return _user(row) if row is not None else None


def list_users(engine: Engine, actor: Actor, tree: RegionTree) -> list[UserInfo]:
    """Every user for an admin; the users inside a commander's jurisdiction."""
    if actor.role not in (Role.ADMIN, Role.COMMANDER):
        raise Forbidden(f"{actor.username} ({actor.role.value}) may not list users")
    with engine.connect() as conn:
        rows = conn.execute(select(U).order_by(U.username)).all()
    users = [_user(r) for r in rows]
    if actor.role is Role.ADMIN:
        return users
    return [u for u in users if _within(tree, u.jurisdiction, actor.jurisdiction)]


def user_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(U)).scalar_one())


def set_active(
    engine: Engine,
    actor: Actor,
    username: str,
    active: bool,
    *,
    if_match: IfMatch = UNCHECKED,
) -> UserInfo:
    """Enable or disable an account (admins only). A disabled user cannot log in and
    their tokens and sessions stop working at once.

    ``if_match`` names the account's version the change was made from
    (PreconditionRequired without one, PreconditionFailed when the account changed
    since); the command line passes :data:`UNCHECKED`. Every call adds one to the
    version, so a second administrator's stale edit is refused."""
    if actor.role is not Role.ADMIN:
        raise Forbidden(f"{actor.username} ({actor.role.value}) may not disable users")
    name = normalise_username(username)
    with locked_write(engine) as conn:
        query = select(U).where(U.username == name)
        query = query.with_for_update()  # SQLite: no clause (one writer at a time)
        row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"no user {name!r}", field="username")
        check_preconditions(
            row.version,
            if_match=if_match,
            what=f"the account {name!r}",
            last_change=f" ({'active' if row.active else 'disabled'})",
        )
        conn.execute(update(U).where(U.id == row.id).values(active=active, version=U.version + 1))
    forget_verified_tokens(engine)
    # The row was locked, checked and changed in that transaction: no need to read it again.
    return replace(_user(row), active=active, version=row.version + 1)


@dataclass(frozen=True, slots=True)
class LoginCheck:
    """The outcome of checking a username and password: the user, or why not."""

    user: UserInfo | None
    #: Unknown user, disabled or wrong password; None on success.
    failure: LoginFailure | None = None


def check_login(
    engine: Engine, username: str, password: str, hasher: PasswordHasher = PASSWORD_HASHER
) -> LoginCheck:
    """Check a login: the active user with this name and password, or the reason it
    failed. Takes the same time for unknown, disabled and existing users (a password is
    verified in every case); rehashes a hash made with old parameters."""
    name = normalise_username(username)
    with engine.connect() as conn:
        row = conn.execute(select(U).where(U.username == name)).first()
    if row is None or not row.active:
        _burn_time(password, hasher)
        return LoginCheck(None, LoginFailure.UNKNOWN_USER if row is None else LoginFailure.DISABLED)
    if not verify_password(row.password_hash, password, hasher):
        return LoginCheck(None, LoginFailure.WRONG_PASSWORD)
    if hasher.check_needs_rehash(row.password_hash):
        with engine.begin() as conn:
            conn.execute(
                update(U)
                .where(U.id == row.id)
                .values(password_hash=hash_password(password, hasher))
            )
    return LoginCheck(_user(row))


def authenticate(
    engine: Engine, username: str, password: str, hasher: PasswordHasher = PASSWORD_HASHER
) -> UserInfo | None:
    """The active user with this name and password, or None (:func:`check_login`)."""
    return check_login(engine, username, password, hasher).user


# --- API tokens ---------------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _may_manage_tokens(actor: Actor, user: UserInfo) -> bool:
    return actor.role is Role.ADMIN or actor.username == user.username


def create_token(
    engine: Engine,
    actor: Actor,
    username: str,
    *,
    name: str = "api",
    expires_days: int | None = None,
) -> tuple[str, TokenInfo]:
    """Issue a bearer token for ``username`` (admin, or the user themself). Returns the
    token - the only time it is ever available - and its stored description."""
    user = get_user(engine, username)
    if not _may_manage_tokens(actor, user):
        raise Forbidden(f"{actor.username} may not issue tokens for {user.username}")
    if not user.active:
        raise Conflict(f"user {user.username!r} is disabled", field="username")
    label = name.strip()
    if not 1 <= len(label) <= 128:
        raise Invalid("token name must be 1-128 characters", field="name")
    if expires_days is not None and not 1 <= expires_days <= TOKEN_MAX_DAYS:
        raise Invalid(f"expires_days must be between 1 and {TOKEN_MAX_DAYS}", field="expires_days")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    created = _now()
    expires = created + timedelta(days=expires_days) if expires_days else None
    with engine.begin() as conn:
        token_id = conn.execute(
            insert(T)
            .values(
                user_id=user.id,
                token_sha256=token_digest(token),
                name=label,
                created_at=created,
                expires_at=expires,
                revoked=False,
            )
            .returning(T.id)
        ).scalar_one()
    return token, TokenInfo(int(token_id), user.username, label, created, expires, False)


def _token_owner(engine: Engine, token: str) -> tuple[UserInfo, datetime | None] | None:
    """The active user owning the unrevoked token, and the token's expiry (not checked
    here); None for a malformed, unknown or revoked token or a disabled user."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > TOKEN_MAX_LENGTH:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(U, T.expires_at.label("token_expires_at"))
            .join(T, T.user_id == U.id)
            .where(T.token_sha256 == token_digest(token), T.revoked.is_(False), U.active.is_(True))
        ).first()
    if row is None:
        return None
    expires = _aware(row.token_expires_at) if row.token_expires_at is not None else None
    return _user(row), expires


def _unexpired(expires: datetime | None, now: datetime | None) -> bool:
    return expires is None or expires > (now or _now())


def verify_token(engine: Engine, token: str, *, now: datetime | None = None) -> UserInfo | None:
    """The active user owning a valid (unrevoked, unexpired) token, or None. Always asks
    the database; the API goes through :class:`TokenCache`."""
    found = _token_owner(engine, token)
    if found is None or not _unexpired(found[1], now):
        return None
    return found[0]


# --- verified tokens kept in memory (see the module docstring) ----------------------------

#: Seconds a verified token is accepted without asking the database again (default of
#: ``Settings.token_cache_seconds``): the longest a revocation or a disabled account made
#: by another process goes unnoticed by a server process.
TOKEN_CACHE_SECONDS = 5.0
#: Verified tokens one process keeps at most (stale ones are dropped first).
TOKEN_CACHE_ENTRIES = 10_000

#: Per engine, how many times tokens verified through it were invalidated. Kept per
#: engine, not per cache, because the writers (:func:`set_active`, :func:`revoke_token`)
#: know only the engine; every cache reading through that engine in this process sees
#: the change. Weak keys: an engine that is dropped takes its counter with it.
_EPOCHS: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()
_EPOCHS_LOCK = threading.Lock()


def _epoch(engine: Engine) -> int:
    return _EPOCHS.get(engine, 0)


def forget_verified_tokens(engine: Engine) -> None:
    """Make every :class:`TokenCache` of ``engine`` in this process ask the database
    again. Called after the commit of a change that can invalidate a token."""
    with _EPOCHS_LOCK:
        _EPOCHS[engine] = _EPOCHS.get(engine, 0) + 1


@dataclass(frozen=True, slots=True)
class _Verified:
    user: UserInfo
    expires_at: datetime | None  # the token's own expiry, checked at every use
    fresh_until: float  # clock reading after which the database is asked again
    epoch: int  # the engine's invalidation count when the row was read


class TokenCache:
    """Tokens verified in the database, accepted from memory for ``ttl_seconds``.

    Entries are keyed by the token's SHA-256 (the token itself is not kept). An entry
    is used only while it is fresh, its token unexpired, and no invalidation
    (:func:`forget_verified_tokens`) happened since its row was read; a row read while
    an invalidation commits is not kept. Unknown or refused tokens are not remembered:
    they are looked up every time. ``ttl_seconds=0`` turns the cache off."""

    def __init__(
        self,
        engine: Engine,
        ttl_seconds: float = TOKEN_CACHE_SECONDS,
        *,
        max_entries: int = TOKEN_CACHE_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[str, _Verified] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def cached(self, token: str, *, now: datetime | None = None) -> UserInfo | None:
        """The user of a token verified recently (no database access; safe to call
        on the event loop), or None when the database must be asked."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > TOKEN_MAX_LENGTH:
            return None
        entry = self._entries.get(token_digest(token))
        if (
            entry is None
            or entry.fresh_until <= self.clock()
            or entry.epoch != _epoch(self.engine)
            or not _unexpired(entry.expires_at, now)
        ):
            return None
        return entry.user

    def verify(self, token: str, *, now: datetime | None = None) -> UserInfo | None:
        """:func:`verify_token`, answered from memory when possible (blocking)."""
        return self.cached(token, now=now) or self.load(token, now=now)

    def load(self, token: str, *, now: datetime | None = None) -> UserInfo | None:
        """:func:`verify_token` from the database, kept for the next uses (blocking;
        call after :meth:`cached` missed)."""
        epoch = _epoch(self.engine)
        found = self._read(token)
        if found is None:
            return None
        owner, expires = found
        if self.ttl > 0:
            entry = _Verified(owner, expires, self.clock() + self.ttl, epoch)
            self._keep(token_digest(token), entry)
        return owner if _unexpired(expires, now) else None

    def _read(self, token: str) -> tuple[UserInfo, datetime | None] | None:
        """The token's row (a seam: tests commit a revocation during the read)."""
        return _token_owner(self.engine, token)

    def _keep(self, key: str, entry: _Verified) -> None:
        with self._lock:
            if _epoch(self.engine) != entry.epoch:
                return  # invalidated while the row was read: it may be stale
            if len(self._entries) >= self.max_entries:
                moment = self.clock()
                self._entries = {k: v for k, v in self._entries.items() if v.fresh_until > moment}
                if len(self._entries) >= self.max_entries:
                    self._entries = {}
            self._entries[key] = entry


def list_tokens(engine: Engine, actor: Actor, username: str) -> list[TokenInfo]:
    user = get_user(engine, username)
    if not _may_manage_tokens(actor, user):
        raise Forbidden(f"{actor.username} may not see the tokens of {user.username}")
    with engine.connect() as conn:
        rows = conn.execute(
            select(T)
            .where(T.user_id == user.id, ~T.token_sha256.startswith(SESSION_MARK))
            .order_by(T.id)
        ).all()
    return [
        TokenInfo(
            r.id,
            user.username,
            r.name,
            _aware(r.created_at),
            _aware(r.expires_at) if r.expires_at else None,
            bool(r.revoked),
        )
        for r in rows
    ]


def revoke_token(engine: Engine, actor: Actor, username: str, token_id: int) -> TokenInfo:
    """Revoke one token for good (admin, or the owner)."""
    user = get_user(engine, username)
    if not _may_manage_tokens(actor, user):
        raise Forbidden(f"{actor.username} may not revoke tokens of {user.username}")
    with engine.begin() as conn:
        done = conn.execute(
            update(T).where(T.id == token_id, T.user_id == user.id).values(revoked=True)
        )
    forget_verified_tokens(engine)
    if done.rowcount == 0:
        raise NotFound(f"user {user.username!r} has no token {token_id}", field="token_id")
    return next(t for t in list_tokens(engine, actor, username) if t.id == token_id)
