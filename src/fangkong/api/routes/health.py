"""``/api/v1/health``: liveness and database reachability."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Engine, text

from fangkong import __version__
from fangkong.api.deps import get_engine
from fangkong.api.routing import ApiRouter
from fangkong.store.migrate import current_revision

router = ApiRouter(prefix="/api/v1", tags=["health"])


@router.get("/health", summary="Health check")
def health(engine: Annotated[Engine, Depends(get_engine)]) -> dict[str, Any]:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {
        "status": "ok",
        "version": __version__,
        "database": engine.dialect.name,
        "schema_revision": current_revision(engine),
    }
