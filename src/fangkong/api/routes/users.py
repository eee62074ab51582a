"""``/api/v1/users``: accounts and their API tokens.

Who may do what is decided by ``fangkong.services.users`` (admins manage everyone,
commanders create lower-ranked users inside their jurisdiction, every user manages
their own tokens). A new token is returned once, in the response that creates it.

An account is changed with optimistic concurrency (services/versions.py): ``GET`` of
a user gives its ETag, ``PATCH`` needs ``If-Match`` with it (428 without, 412 when
another administrator changed the account since, with the current ETag).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from fangkong.api.auth import current_actor, get_region_tree
from fangkong.api.caching import versioned
from fangkong.api.deps import get_engine
from fangkong.api.params import Id
from fangkong.api.routes.session import UserOut
from fangkong.api.routing import ApiRouter
from fangkong.core.access import Actor, Role
from fangkong.core.regions import RegionTree
from fangkong.services import users as svc
from fangkong.services.errors import Forbidden

router = ApiRouter(prefix="/api/v1/users", tags=["users"])
USERNAME = Path(min_length=1, max_length=64)


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    #: Checked by the service (length, not the username); never echoed in errors.
    password: str
    role: Role
    jurisdiction: str = Field(
        min_length=1, max_length=16, description='a region code, or "*" for every region'
    )
    display_name: str | None = Field(default=None, max_length=128)


class UserPatch(BaseModel):
    active: bool


class UserList(BaseModel):
    items: list[UserOut]
    total: int


class TokenCreate(BaseModel):
    name: str = Field(default="api", min_length=1, max_length=128)
    expires_days: int | None = Field(default=None, ge=1, le=svc.TOKEN_MAX_DAYS)


class TokenOut(BaseModel):
    id: int
    username: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked: bool


class NewToken(TokenOut):
    token: str = Field(description="the bearer token; shown only this once")


class TokenList(BaseModel):
    items: list[TokenOut]


@router.post("", status_code=201, response_model=UserOut, summary="Create a user")
def create_user(
    body: UserCreate,
    response: Response,
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
) -> dict[str, Any]:
    """Admins create any user; commanders create epidemiologists, reporters, logistics
    staff and viewers inside their own jurisdiction."""
    if actor.role not in (Role.ADMIN, Role.COMMANDER):
        raise Forbidden(f"{actor.username} ({actor.role.value}) may not create users")
    user = svc.create_user(
        engine,
        actor,
        username=body.username,
        password=body.password,
        role=body.role,
        jurisdiction=body.jurisdiction,
        tree=tree,
        display_name=body.display_name,
    )
    response.headers["Location"] = f"/api/v1/users/{user.username}"
    return user.as_dict()


@router.get("", response_model=UserList, summary="List users")
def list_users(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
) -> dict[str, Any]:
    """All users for admins; the users inside a commander's jurisdiction."""
    users = svc.list_users(engine, actor, tree)
    return {"items": [u.as_dict() for u in users], "total": len(users)}


@router.get("/{username}", response_model=UserOut, summary="One user, with its ETag")
def get_user(
    username: Annotated[str, USERNAME],
    response: Response,
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
) -> dict[str, Any]:
    if actor.role is not Role.ADMIN and svc.normalise_username(username) != actor.username:
        raise Forbidden(f"{actor.username} may only see their own account")
    user = svc.get_user(engine, username)
    versioned(response, user.etag)
    return user.as_dict()


@router.patch(
    "/{username}",
    response_model=UserOut,
    summary="Enable or disable a user (If-Match: the user's ETag)",
    responses={
        412: {"description": "The account changed since it was read (body: current ETag)"},
        428: {"description": "If-Match is required"},
    },
)
def patch_user(
    username: Annotated[str, USERNAME],
    body: UserPatch,
    response: Response,
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
    if_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> dict[str, Any]:
    user = svc.set_active(engine, actor, username, body.active, if_match=if_match)
    versioned(response, user.etag)
    return user.as_dict()


@router.post(
    "/{username}/tokens", status_code=201, response_model=NewToken, summary="Issue an API token"
)
def create_token(
    username: Annotated[str, USERNAME],
    response: Response,
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
    body: TokenCreate | None = None,
) -> dict[str, Any]:
    """Admins, or the user themself. The token is in this response and nowhere else."""
    response.headers["Cache-Control"] = "no-store"
    spec = body or TokenCreate()
    token, info = svc.create_token(
        engine, actor, username, name=spec.name, expires_days=spec.expires_days
    )
    return {**info.as_dict(), "token": token}


@router.get("/{username}/tokens", response_model=TokenList, summary="List API tokens")
def list_tokens(
    username: Annotated[str, USERNAME],
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
) -> dict[str, Any]:
    return {"items": [t.as_dict() for t in svc.list_tokens(engine, actor, username)]}


@router.delete(
    "/{username}/tokens/{token_id}", response_model=TokenOut, summary="Revoke an API token"
)
def revoke_token(
    username: Annotated[str, USERNAME],
    token_id: Id,
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
) -> dict[str, Any]:
    return svc.revoke_token(engine, actor, username, token_id).as_dict()
