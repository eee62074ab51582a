"""Request-scoped dependencies: settings and engine come from ``app.state``."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import Engine

from fangkong.api.auth import (
    current_actor,
    get_region_tree,
    optional_actor,
    require_permission,
)
from fangkong.settings import Settings

__all__ = [
    "current_actor",
    "get_engine",
    "get_region_tree",
    "get_settings",
    "optional_actor",
    "require_permission",
]


# ``async`` although they do not await: FastAPI runs a plain ``def`` dependency in the
# thread pool, one thread hop per dependency per request for a field read.


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings
