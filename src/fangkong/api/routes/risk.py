"""``/api/v1/risk``: risk zoning by versioned rule sets (public reads; commanders add
rule sets)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Body, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from fangkong.api.caching import cache_of, cached_json
from fangkong.api.deps import current_actor, get_engine, get_region_tree, get_settings
from fangkong.api.routing import ApiRouter
from fangkong.core.access import Actor
from fangkong.core.regions import RegionLevel, RegionTree
from fangkong.services import risk as svc
from fangkong.settings import Settings

router = ApiRouter(prefix="/api/v1/risk", tags=["risk zoning"])
CODE = r"^[A-Za-z0-9-]{2,16}$"
RULESET = r"^[A-Za-z0-9._-]{1,64}(@[A-Za-z0-9._-]{1,32})?$"


@router.get("/rulesets", summary="Shipped and user-defined rule sets")
def rulesets(engine: Annotated[Engine, Depends(get_engine)]) -> dict[str, Any]:
    items = svc.list_rulesets(engine)
    return {"items": items, "default": svc.DEFAULT_RULESET}


@router.post("/rulesets", status_code=201, summary="Add a user-defined rule set")
def add_ruleset(
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
    definition: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    return svc.create_ruleset(engine, actor, definition)


@router.get("/levels", summary="Every unit's risk level on a date, with explanations")
def levels(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    on: Annotated[date, Query(alias="date")],
    ruleset: Annotated[str | None, Query(pattern=RULESET)] = None,
    unit: RegionLevel | None = None,
    parent: Annotated[str | None, Query(pattern=CODE)] = None,
) -> Response:
    """Cached per data version with an ETag (:mod:`fangkong.api.caching`)."""
    return cached_json(
        request,
        ("risk-levels", on, ruleset, unit, parent),
        lambda: svc.risk_table(
            engine,
            settings,
            tree,
            on=on,
            ruleset=ruleset,
            unit=unit.value if unit else None,
            parent=parent,
        ),
    )


@router.get("/regions/{region_code}/history", summary="Transitions of one unit's level")
def history(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    region_code: str,
    until: date,
    ruleset: Annotated[str | None, Query(pattern=RULESET)] = None,
) -> Response:
    """Cached per data version with an ETag (:mod:`fangkong.api.caching`)."""
    cache = cache_of(request)
    return cached_json(
        request,
        ("risk-history", region_code, until, ruleset),
        lambda: svc.region_risk_history(
            engine, settings, tree, region_code, until=until, ruleset=ruleset, cache=cache
        ),
    )
