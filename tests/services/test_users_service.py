"""Accounts, Argon2 passwords and API tokens on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select, text

from fangkong.core.access import CLI_ACTOR, WORLD, Actor, Role
from fangkong.core.regions import RegionTree
from fangkong.services import users as svc
from fangkong.services.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.services.reference import region_tree
from fangkong.store import models as m
from fangkong.store.db import make_engine

PASSWORD = "correct horse battery"
#: Cheap parameters, to make "old" hashes that the default hasher must replace.
WEAK = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def tree(engine: Engine) -> RegionTree:
    return region_tree(engine)


def make(
    engine: Engine,
    tree: RegionTree,
    username: str,
    role: Role = Role.REPORTER,
    jurisdiction: str = "420000",
    hasher: PasswordHasher = WEAK,
) -> svc.UserInfo:
    return svc.create_user(
        engine,
        CLI_ACTOR,
        username=username,
        password=PASSWORD,
        role=role,
        jurisdiction=jurisdiction,
        tree=tree,
        hasher=hasher,
    )


def stored_hash(engine: Engine, username: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                select(m.UserRow.password_hash).where(m.UserRow.username == username)
            ).scalar_one()
        )


def test_password_is_stored_as_argon2id_and_verifies(engine: Engine, tree: RegionTree) -> None:
    user = make(engine, tree, "wang.li", hasher=svc.PASSWORD_HASHER)
    digest = stored_hash(engine, "wang.li")
    assert digest.startswith("$argon2id$") and PASSWORD not in digest
    assert svc.authenticate(engine, "wang.li", PASSWORD) == user
    assert svc.authenticate(engine, "WANG.LI", PASSWORD) == user
    assert svc.authenticate(engine, "wang.li", PASSWORD + "x") is None
    assert stored_hash(engine, "wang.li") == digest


def test_login_rehashes_when_parameters_changed(engine: Engine, tree: RegionTree) -> None:
    make(engine, tree, "zhao.min", hasher=WEAK)
    old = stored_hash(engine, "zhao.min")
    assert svc.PASSWORD_HASHER.check_needs_rehash(old)
    assert svc.authenticate(engine, "zhao.min", "wrong password!") is None
    assert stored_hash(engine, "zhao.min") == old
    assert svc.authenticate(engine, "zhao.min", PASSWORD) is not None
    new = stored_hash(engine, "zhao.min")
    assert new != old and not svc.PASSWORD_HASHER.check_needs_rehash(new)
    assert svc.authenticate(engine, "zhao.min", PASSWORD) is not None


def test_unknown_and_disabled_users_do_not_log_in(engine: Engine, tree: RegionTree) -> None:
    assert svc.authenticate(engine, "nobody", PASSWORD) is None
    make(engine, tree, "chen.jie")
    svc.set_active(engine, CLI_ACTOR, "chen.jie", False)
    assert svc.authenticate(engine, "chen.jie", PASSWORD) is None
    svc.set_active(engine, CLI_ACTOR, "chen.jie", True)
    assert svc.authenticate(engine, "chen.jie", PASSWORD) is not None


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("li.na", "short", "password"),
        ("li.na.hubei", "LI.NA.HUBEI", "password"),
        ("x", PASSWORD, "username"),
        ("has space", PASSWORD, "username"),
    ],
)
def test_bad_usernames_and_passwords_are_rejected(
    engine: Engine, tree: RegionTree, username: str, password: str, field: str
) -> None:
    with pytest.raises(Invalid) as err:
        svc.create_user(
            engine,
            CLI_ACTOR,
            username=username,
            password=password,
            role=Role.VIEWER,
            jurisdiction="420000",
            tree=tree,
        )
    assert err.value.field == field
    assert svc.user_count(engine) == 0


def test_jurisdiction_is_world_or_a_region(engine: Engine, tree: RegionTree) -> None:
    assert make(engine, tree, "national", Role.COMMANDER, WORLD).jurisdiction == WORLD
    assert make(engine, tree, "wuhan.cdc", Role.EPIDEMIOLOGIST, "420100").jurisdiction == "420100"
    with pytest.raises(Invalid, match="jurisdiction") as err:
        make(engine, tree, "atlantis", Role.VIEWER, "999999")
    assert err.value.field == "jurisdiction"
    with pytest.raises(Invalid, match="role"):
        svc.create_user(
            engine,
            CLI_ACTOR,
            username="someone",
            password=PASSWORD,
            role="overlord",
            jurisdiction="420000",
            tree=tree,
        )


def test_usernames_are_unique_ignoring_case(engine: Engine, tree: RegionTree) -> None:
    make(engine, tree, "liu.yang")
    with pytest.raises(Conflict):
        make(engine, tree, "Liu.Yang")


def test_commander_creates_lower_roles_inside_their_jurisdiction(
    engine: Engine, tree: RegionTree
) -> None:
    hubei = Actor("hubei.cmd", Role.COMMANDER, "420000")

    def create(role: Role, code: str, name: str) -> svc.UserInfo:
        return svc.create_user(
            engine,
            hubei,
            username=name,
            password=PASSWORD,
            role=role,
            jurisdiction=code,
            tree=tree,
            hasher=WEAK,
        )

    assert create(Role.REPORTER, "420102", "jiangan.rep").role is Role.REPORTER
    assert create(Role.VIEWER, "420000", "hubei.viewer").jurisdiction == "420000"
    for role, code in [
        (Role.REPORTER, "110000"),
        (Role.COMMANDER, "420100"),
        (Role.ADMIN, "420000"),
        (Role.VIEWER, WORLD),
    ]:
        with pytest.raises(Forbidden):
            create(role, code, "not.created")
    reporter = Actor("jiangan.rep", Role.REPORTER, "420102")
    with pytest.raises(Forbidden):
        svc.create_user(
            engine,
            reporter,
            username="x.y.z",
            password=PASSWORD,
            role=Role.VIEWER,
            jurisdiction="420102",
            tree=tree,
        )
    make(engine, tree, "beijing.rep", Role.REPORTER, "110000")
    assert [u.username for u in svc.list_users(engine, hubei, tree)] == [
        "hubei.viewer",
        "jiangan.rep",
    ]
    assert len(svc.list_users(engine, CLI_ACTOR, tree)) == 3
    with pytest.raises(Forbidden):
        svc.list_users(engine, reporter, tree)


def test_token_is_stored_only_as_sha256_and_verifies(engine: Engine, tree: RegionTree) -> None:
    user = make(engine, tree, "api.bot")
    token, info = svc.create_token(engine, CLI_ACTOR, "api.bot", name="nightly import")
    assert token.startswith(svc.TOKEN_PREFIX) and len(token) >= 43
    assert info.name == "nightly import" and info.expires_at is None
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT token_sha256 FROM api_tokens")).scalars().all()
    assert stored == [svc.token_digest(token)] and token not in stored[0]
    assert svc.verify_token(engine, token) == user
    assert svc.verify_token(engine, token + "x") is None
    assert svc.verify_token(engine, "not-a-token") is None
    other, _ = svc.create_token(engine, CLI_ACTOR, "api.bot")
    assert other != token


def test_token_revocation_expiry_and_disabled_user(engine: Engine, tree: RegionTree) -> None:
    make(engine, tree, "api.bot")
    token, info = svc.create_token(engine, CLI_ACTOR, "api.bot", expires_days=7)
    assert info.expires_at is not None
    now = datetime.now(UTC)
    assert svc.verify_token(engine, token, now=now + timedelta(days=6)) is not None
    assert svc.verify_token(engine, token, now=now + timedelta(days=7, minutes=1)) is None
    svc.set_active(engine, CLI_ACTOR, "api.bot", False)
    assert svc.verify_token(engine, token) is None
    svc.set_active(engine, CLI_ACTOR, "api.bot", True)
    revoked = svc.revoke_token(engine, CLI_ACTOR, "api.bot", info.id)
    assert revoked.revoked
    assert svc.verify_token(engine, token) is None
    with pytest.raises(NotFound):
        svc.revoke_token(engine, CLI_ACTOR, "api.bot", info.id + 100)
    with pytest.raises(Invalid):
        svc.create_token(engine, CLI_ACTOR, "api.bot", expires_days=0)


def test_tokens_are_managed_by_admins_or_their_owner(engine: Engine, tree: RegionTree) -> None:
    make(engine, tree, "owner")
    make(engine, tree, "stranger")
    owner = Actor("owner", Role.REPORTER, "420000")
    stranger = Actor("stranger", Role.REPORTER, "420000")
    _, info = svc.create_token(engine, owner, "owner")
    with pytest.raises(Forbidden):
        svc.create_token(engine, stranger, "owner")
    with pytest.raises(Forbidden):
        svc.revoke_token(engine, stranger, "owner", info.id)
    assert [t.id for t in svc.list_tokens(engine, owner, "owner")] == [info.id]
    svc.set_active(engine, CLI_ACTOR, "owner", False)
    with pytest.raises(Conflict):
        svc.create_token(engine, CLI_ACTOR, "owner")
    with pytest.raises(NotFound):
        svc.create_token(engine, CLI_ACTOR, "ghost")


# --- the cache of verified tokens ----------------------------------------------------------


class Clock:
    """A monotonic clock the test moves by hand (the cache's TTL)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def other_process_engine(engine: Engine) -> Engine:
    """A second engine on the same database: writes made through it are what another
    server process or the CLI would do (this process's caches are not told)."""
    return make_engine(engine.url.render_as_string(hide_password=False))


def test_cache_answers_from_memory_until_the_ttl_bound(engine: Engine, tree: RegionTree) -> None:
    user = make(engine, tree, "api.bot")
    token, info = svc.create_token(engine, CLI_ACTOR, "api.bot")
    clock = Clock()
    cache = svc.TokenCache(engine, 5.0, clock=clock)
    assert cache.cached(token) is None, "nothing is known before the first verification"
    assert cache.verify(token) == user
    assert cache.cached(token) == user and len(cache) == 1
    assert token not in repr(cache._entries), "entries are keyed by the token's SHA-256"
    other = other_process_engine(engine)
    try:
        svc.revoke_token(other, CLI_ACTOR, "api.bot", info.id)
    finally:
        other.dispose()
    # Revoked elsewhere: accepted from memory for the rest of the TTL, never longer.
    clock.now += 4.9
    assert cache.verify(token) == user
    clock.now += 0.2
    assert cache.cached(token) is None
    assert cache.verify(token) is None
    assert svc.verify_token(engine, token) is None


def test_revocation_and_disabling_in_this_process_take_effect_at_once(
    engine: Engine, tree: RegionTree
) -> None:
    user = make(engine, tree, "api.bot")
    token, info = svc.create_token(engine, CLI_ACTOR, "api.bot")
    second, _ = svc.create_token(engine, CLI_ACTOR, "api.bot")
    cache = svc.TokenCache(engine, 60.0, clock=Clock())
    assert cache.verify(token) == user and cache.verify(second) == user
    svc.set_active(engine, CLI_ACTOR, "api.bot", False)
    assert cache.cached(token) is None
    assert cache.verify(token) is None and cache.verify(second) is None
    user = svc.set_active(engine, CLI_ACTOR, "api.bot", True)  # its version moved on
    assert cache.verify(token) == user and cache.verify(second) == user
    svc.revoke_token(engine, CLI_ACTOR, "api.bot", info.id)
    assert cache.verify(token) is None
    assert cache.verify(second) == user, "only the revoked token stops working"


def test_cached_token_expires_on_time(engine: Engine, tree: RegionTree) -> None:
    make(engine, tree, "api.bot")
    token, info = svc.create_token(engine, CLI_ACTOR, "api.bot", expires_days=1)
    assert info.expires_at is not None
    cache = svc.TokenCache(engine, 60.0, clock=Clock())
    assert cache.verify(token) is not None
    later = info.expires_at + timedelta(seconds=1)
    assert cache.cached(token, now=later) is None
    assert cache.verify(token, now=later) is None
    assert cache.verify(token, now=info.expires_at - timedelta(seconds=1)) is not None


def test_row_read_during_a_revocation_is_not_kept(engine: Engine, tree: RegionTree) -> None:
    make(engine, tree, "api.bot")
    token, info = svc.create_token(engine, CLI_ACTOR, "api.bot")

    class RevokedWhileReading(svc.TokenCache):
        """The revocation commits between the database read and keeping its row."""

        def _read(self, token: str) -> tuple[svc.UserInfo, datetime | None] | None:
            found = super()._read(token)
            svc.revoke_token(self.engine, CLI_ACTOR, "api.bot", info.id)
            return found

    cache = RevokedWhileReading(engine, 60.0, clock=Clock())
    assert cache.verify(token) is not None, "the request that raced the revocation"
    assert len(cache) == 0 and cache.cached(token) is None
    assert svc.TokenCache(engine, 60.0).verify(token) is None


def test_cache_is_bounded_and_can_be_turned_off(engine: Engine, tree: RegionTree) -> None:
    user = make(engine, tree, "api.bot")
    tokens = [svc.create_token(engine, CLI_ACTOR, "api.bot")[0] for _ in range(3)]
    clock = Clock()
    small = svc.TokenCache(engine, 5.0, max_entries=2, clock=clock)
    for token in tokens:
        assert small.verify(token) == user
        assert len(small) <= 2
    off = svc.TokenCache(engine, 0.0, clock=clock)
    assert off.verify(tokens[0]) == user and len(off) == 0
    assert off.cached(tokens[0]) is None
    assert small.verify("fk_unknown") is None and small.cached("fk_unknown") is None
    assert small.verify("x" * 300) is None
