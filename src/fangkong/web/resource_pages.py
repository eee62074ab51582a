"""Console pages of the medical resources (issue 6), under ``/{lang}/console/resources``.

The flow of supplies, one page per step, each showing a user what their role may do:

* **hospitals** — beds and the latest occupancy of each hospital (stale reports
  flagged), the days until the ICU beds of a region run out; a hospital's page has its
  occupancy history, the daily report form, its patients (admit, transfer, discharge)
  and the census that follows from them;
* **requests** — a hospital's reporter drafts a request (priority, needed-by day, lines
  in whole packs) and submits it; the command approves each line (or rejects);
* **allocation** — the command computes the optimal plan (one or several periods);
  the plan page explains each hospital's allocation in plain words and lists the draft
  shipments it made;
* **shipments** — logistics confirms a draft (carrier, tracking number) and
  dispatches it (the units leave the depot); the hospital signs for it with proof;
* **stock** — stock per warehouse and item (usable, unusable, days of supply), the
  stock card of a warehouse, receipts of new lots (logistics), and the proof that the
  ledger balances;
* **teams** — medical teams with their status, health-worker infections and PPE days
  of supply at their hospital; province-to-city pairings.

As on the other console pages (web/console.py), reads come from the services with the
signed-in user as the actor, refusals are shown on the page, and changes are made by
``static/js/console/resources.js`` through the JSON API (CSRF header, problem+json
errors beside their fields).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from fangkong.core.supplies.requests import RequestStatus
from fangkong.services import allocation as asvc
from fangkong.services import hospitals as hsvc
from fangkong.services import patients as psvc
from fangkong.services import requests as rqsvc
from fangkong.services import shipments as shsvc
from fangkong.services import supplies as ssvc
from fangkong.services import teams as tsvc
from fangkong.services.errors import ServiceError


def N_(text: str) -> str:
    """Marks a message for the catalogues; translated where it is shown."""
    return text


#: The pages of the resources section, in the order of its own navigation.
SUBSECTIONS: tuple[tuple[str, str], ...] = (
    ("", N_("Hospitals")),
    ("requests", N_("Requests")),
    ("allocation", N_("Allocation")),
    ("shipments", N_("Shipments")),
    ("stock", N_("Stock")),
    ("teams", N_("Medical teams")),
)

#: Labels of the statuses shown by chips on these pages (requests, shipments, stock,
#: teams and stays), added to the console's own.
RESOURCE_STATUS: dict[str, str] = {
    "draft": N_("draft"),
    "submitted": N_("submitted"),
    "approved": N_("approved"),
    "committed": N_("committed"),
    "shipped": N_("shipped"),
    "received": N_("received"),
    "rejected": N_("rejected"),
    "confirmed": N_("confirmed"),
    "dispatched": N_("dispatched"),
    "in_stock": N_("in stock"),
    "stock_out": N_("stock-out"),
    "only_unusable": N_("stock-out (only expired or damaged left)"),
    "on_site": N_("on site"),
    "rotation_due": N_("rotation due"),
    "returned": N_("returned"),
    "stale": N_("report stale"),
    "discharged": N_("discharged"),
    "died": N_("died"),
    "transferred": N_("transferred"),
    "in_bed": N_("in bed"),
}

BED_LABELS: dict[str, str] = {
    "general": N_("General"),
    "isolation": N_("Isolation"),
    "icu": N_("ICU"),
    "ventilator": N_("ICU with ventilator"),
}

SEVERITY_LABELS: dict[str, str] = {
    "mild": N_("Mild"),
    "moderate": N_("Moderate"),
    "severe": N_("Severe"),
    "critical": N_("Critical"),
}

PRIORITY_LABELS: dict[str, str] = {
    "routine": N_("Routine (常规)"),
    "urgent": N_("Urgent (紧急)"),
    "critical": N_("Critical (特急)"),
}

MOVEMENT_LABELS: dict[str, str] = {
    "receipt": N_("receipt"),
    "issue": N_("issue"),
    "transfer": N_("transfer"),
    "adjustment": N_("adjustment"),
    "expiry": N_("expiry write-off"),
}

#: Messages of resources.js (passed translated in ``data-resource-messages``).
SCRIPT_MESSAGES: dict[str, str] = {
    "packs": N_("A whole number of packs, please."),
    "one_line": N_("At least one line with a quantity, please."),
    "reject_note": N_("Say why the request is rejected."),
}


def install_resource_pages(
    app: FastAPI,
    signed_in: Callable[[Request, str], Any],
    page: Callable[..., HTMLResponse],
    attempt: Callable[[Callable[[], Any]], tuple[Any, str | None]],
    today: Callable[[], date],
) -> None:
    """Register the pages (the console's own helpers are passed in by web/console.py)."""
    engine = app.state.engine
    settings = app.state.settings
    section = "resources"

    def show(c: Any, lang: str, name: str, sub: str, **context: Any) -> HTMLResponse:
        from fangkong.web import i18n

        tr = i18n.translations(lang)
        return page(
            c,
            lang,
            f"resources/{name}",
            section,
            sub=sub,
            subsections=SUBSECTIONS,
            resource_status=RESOURCE_STATUS,
            bed_labels=BED_LABELS,
            severity_labels=SEVERITY_LABELS,
            priority_labels=PRIORITY_LABELS,
            movement_labels=MOVEMENT_LABELS,
            resource_messages={k: tr.gettext(v) for k, v in SCRIPT_MESSAGES.items()},
            today=today().isoformat(),
            **context,
        )

    def items() -> dict[str, Any]:
        return {i["item_code"]: i for i in ssvc.list_items(engine)}

    def hospitals_of(c: Any) -> list[dict[str, Any]]:
        found, _ = attempt(lambda: hsvc.list_hospitals(engine, c.actor, c.tree, day=today()))
        return found or []

    @app.get("/{lang}/console/resources", response_class=HTMLResponse, include_in_schema=False)
    def hospitals(request: Request, lang: str, region: str | None = None) -> Response:
        """Hospitals of the jurisdiction with beds, occupancy and stale reports, and the
        days until the ICU beds of a region run out."""
        c = signed_in(request, lang)
        if not hasattr(c, "actor"):
            return c  # type: ignore[no-any-return]
        day = today()
        listing = hospitals_of(c)
        codes = sorted({h["region_code"] for h in listing})
        scope = region or c.root
        runway, runway_error = (None, None)
        if listing:
            runway, runway_error = attempt(
                lambda: hsvc.icu_runway(
                    engine, c.actor, c.tree, scope, day=day, priority=settings.source_priority
                )
            )
        regions = _regions_with_hospitals(engine, c, codes)
        return show(
            c,
            lang,
            "hospitals",
            "",
            hospitals=listing,
            runway=runway,
            runway_error=runway_error,
            scope=scope,
            regions=regions,
            day=day.isoformat(),
            bed_types=hsvc.BED_TYPES,
        )

    @app.get(
        "/{lang}/console/resources/hospitals/{hospital_code}",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def hospital(
        request: Request, lang: str, hospital_code: str, saved: int | None = None
    ) -> Response:
        c = signed_in(request, lang)
        if not hasattr(c, "actor"):
            return c  # type: ignore[no-any-return]
        day = today()
        found, error = attempt(
            lambda: hsvc.get_hospital(engine, c.actor, c.tree, hospital_code, day)
        )
        census, stays, others = None, None, []
        if found:
            census, _ = attempt(lambda: psvc.census(engine, c.actor, c.tree, hospital_code, day))
            if c.can("read_cases"):
                stays, _ = attempt(
                    lambda: psvc.list_stays(engine, c.actor, c.tree, hospital_code, limit=200)
                )
            others = hospitals_of(c)
        return show(
            c,
            lang,
            "hospital",
            "",
            h=found,
            error=error,
            census=census,
            stays=stays,
            others=others,
            saved=saved,
            bed_types=hsvc.BED_TYPES,
            severities=psvc.SEVERITIES,
        )

    @app.get(
        "/{lang}/console/resources/requests", response_class=HTMLResponse, include_in_schema=False
    )
    def requests(
        request: Request, lang: str, status: str | None = None, saved: int | None = None
    ) -> Response:
        """Hospitals' requests: draft and submit (hospital), approve or reject (command)."""
        c = signed_in(request, lang)
        if not hasattr(c, "actor"):
            return c  # type: ignore[no-any-return]
        listing, error = attempt(
            lambda: rqsvc.list_requests(engine, c.actor, c.tree, status=status or None)
        )
        return show(
            c,
            lang,
            "requests",
            "requests",
            listing=listing or [],
            error=error,
            status=status or "",
            statuses=[s.value for s in RequestStatus],
            saved=saved,
            catalogue=items(),
            hospitals=hospitals_of(c) if c.can("write_reports") else [],
            priorities=rqsvc.PRIORITY_WEIGHT,
        )

    @app.get(
        "/{lang}/console/resources/allocation",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def allocation(request: Request, lang: str) -> Response:
        c = signed_in(request, lang)
        if not hasattr(c, "actor"):
            return c  # type: ignore[no-any-return]
        plans, error = attempt(lambda: asvc.list_plans(engine, c.actor, c.tree, limit=50))
        waiting, _ = attempt(
            lambda: rqsvc.list_requests(engine, c.actor, c.tree, status="approved")
        )
        return show(
            c,
            lang,
            "allocation",
            "allocation",
            plans=plans or [],
            error=error,
            waiting=waiting or [],
            regions=_regions_with_hospitals(
                engine, c, sorted({h["region_code"] for h in hospitals_of(c)})
            ),
            max_periods=asvc.MAX_PERIODS,
            max_period_days=asvc.MAX_PERIOD_DAYS,
        )

    @app.get(
        "/{lang}/console/resources/allocation/{plan_id}",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def plan(request: Request, lang: str, plan_id: int) -> Response:
        c = signed_in(request, lang)
        if not hasattr(c, "actor"):
            return c  # type: ignore[no-any-return]
        found, error = attempt(lambda: asvc.get_plan(engine, c.actor, c.tree, plan_id))
        names: dict[str, str] = {}
        if found:
            names = {h["hospital_code"]: h["name"] for h in found["summary"]["hospitals"]}
        return show(
            c, lang, "plan", "allocation", p=found, error=error, names=names, catalogue=items()
        )

    @app.get(
        "/{lang}/console/resources/shipments",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def shipments(request: Request, lang: str, status: str | None = None) -> Response:
        c = signed_in(request, lang)
        if not hasattr(c, "actor"):
            return c  # type: ignore[no-any-return]
        listing, error = attempt(
            lambda: shsvc.list_shipments(engine, c.actor, c.tree, status=status or None)
        )
        return show(
            c,
            lang,
            "shipments",
            "shipments",
            listing=listing or [],
            error=error,
            status=status or "",
            statuses=[s.value for s in shsvc.ShipmentStatus],
            catalogue=items(),
        )

    @app.get(
        "/{lang}/console/resources/shipments/{shipment_id}",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def shipment(request: Request, lang: str, shipment_id: int) -> Response:
        c = signed_in(request, lang)
        if not hasattr(c, "actor"):
            return c  # type: ignore[no-any-return]
        found, error = attempt(lambda: shsvc.get_shipment(engine, c.actor, c.tree, shipment_id))
        return show(c, lang, "shipment", "shipments", s=found, error=error, catalogue=items())

    @app.get(
        "/{lang}/console/resources/stock", response_class=HTMLResponse, include_in_schema=False
    )
    def stock(
        request: Request, lang: str, warehouse: str | None = None, saved: int | None = None
    ) -> Response:
        """Stock per warehouse and item, the stock card of one warehouse, receipts
        (logistics) and the ledger check."""
        c = signed_in(request, lang)
        if not hasattr(c, "actor"):
            return c  # type: ignore[no-any-return]
        day = today()
        places, _ = attempt(lambda: ssvc.list_warehouses(engine, c.actor, c.tree))
        places = places or []
        chosen = warehouse if warehouse in {w["warehouse_code"] for w in places} else None
        rows, error = attempt(
            lambda: ssvc.stock(engine, c.actor, c.tree, day=day, warehouse_code=chosen)
        )
        card = None
        if chosen:
            card, _ = attempt(lambda: ssvc.list_movements(engine, warehouse_code=chosen, limit=500))
        check = ssvc.ledger_check(engine)
        return show(
            c,
            lang,
            "stock",
            "stock",
            warehouses=places,
            warehouse=chosen or "",
            rows=rows or [],
            error=error,
            card=card[0] if card else None,
            check=check,
            catalogue=items(),
            saved=saved,
            day=day.isoformat(),
        )

    @app.get(
        "/{lang}/console/resources/teams", response_class=HTMLResponse, include_in_schema=False
    )
    def teams(request: Request, lang: str) -> Response:
        c = signed_in(request, lang)
        if not hasattr(c, "actor"):
            return c  # type: ignore[no-any-return]
        listing, error = attempt(lambda: tsvc.list_teams(engine, c.actor, c.tree, day=today()))
        pairings, _ = attempt(lambda: tsvc.list_pairings(engine))
        return show(
            c,
            lang,
            "teams",
            "teams",
            teams=listing or [],
            error=error,
            pairings=pairings or [],
            catalogue=items(),
        )


def _regions_with_hospitals(engine: Any, c: Any, codes: list[str]) -> list[dict[str, Any]]:
    """The choices of the ICU runway: the user's root region and, within it, every
    region holding a hospital and the regions between (with their names)."""
    from fangkong.services.regions import get_region

    chosen: set[str] = {c.root}
    for code in codes:
        for k in [code, *c.tree.ancestors(code)]:
            if c.tree.is_within(k, c.root):
                chosen.add(k)
    out: list[dict[str, Any]] = []
    for code in sorted(chosen, key=lambda k: (len(c.tree.ancestors(k)), k)):
        try:
            found = get_region(engine, code)
        except ServiceError:
            continue
        out.append(
            {
                "region_code": code,
                "name_zh": found.name_zh,
                "name_en": found.name_en,
                "depth": len(c.tree.ancestors(code)) - len(c.tree.ancestors(c.root)),
            }
        )
    return out


def install_public_resource_page(app: FastAPI, render: Callable[..., HTMLResponse]) -> None:
    """``/{lang}/resources``: the public dashboard of medical resources — days until the
    ICU beds run out in China and each province with hospitals (region totals, never a
    hospital), and the donations received with donor and provenance (transparency; the
    same list as ``/api/v1/donations``)."""
    from fangkong.services import donations as dsvc
    from fangkong.services.public import PublicCache
    from fangkong.services.reference import region_tree
    from fangkong.web import i18n

    engine = app.state.engine
    settings = app.state.settings

    def view(request: Request, lang: str) -> HTMLResponse:
        day = date.today()
        cache: PublicCache = app.state.public_cache
        key = ("resources", day, hsvc.resources_version(engine))
        data = cache.get(
            key,
            lambda: {
                "runways": hsvc.public_runways(
                    engine, region_tree(engine), day=day, priority=settings.source_priority
                ),
                "donations": dsvc.list_donations(engine, limit=200),
            },
        )
        donations, total = data["donations"]
        return render(
            request,
            "resources.html",
            lang,
            runways=data["runways"],
            donations=donations,
            donations_total=total,
        )

    for code in i18n.LANGS:

        def route(request: Request, _lang: str = code) -> HTMLResponse:
            return view(request, _lang)

        app.add_api_route(
            f"/{code}/resources",
            route,
            methods=["GET"],
            response_class=HTMLResponse,
            include_in_schema=False,
        )
