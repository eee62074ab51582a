"""Access control, proven: every route × role × jurisdiction × method, from one table.

``TABLE`` names every route of ``create_app`` (API routes and pages, keyed by
``"METHOD /path"``) with its rule and a minimal valid request built on real data
(the bundled 2020 Hubei reports and line list, hospitals and patient stays, depots,
directives…).
Each request is sent by an anonymous caller and by a user of every role of
``core.access.Role`` scoped to each of three jurisdictions: ``420000`` (Hubei, where
all the objects of the requests lie: *inside*), ``110000`` (Beijing: *outside*) and
``*`` (every region). API routes are called with a bearer token, pages with a web
session cookie.

How an answer is judged:

* denied: 401 (anonymous) or 403 (signed in) for the API; for pages an anonymous
  visitor is sent to ``/login`` (303). Rules marked ``hidden`` answer 404 outside the
  jurisdiction on purpose (the object's existence is itself confidential) and must
  then answer 2xx when allowed.
* allowed: anything but 401/403 — a 404, 409 or 422 *after* the authorisation layer
  counts as allowed (e.g. a shipment already confirmed by an earlier caller answers
  409). A 5xx always fails. Within a route the callers expected to be denied go first,
  so state changed by an allowed call cannot hide a refusal.
* filtered answers: everyone with the permission may call them; a caller outside the
  jurisdiction must not see the marker text of the Hubei objects (``leak``) or must
  get the "nothing of yours" answer (``outside_shows``: an empty list of plans, no
  signal stored, every row of a case file rejected one by one).

A route of the app without an entry here fails the test, naming it; so does an entry
without a route. The number of cases checked is printed and recorded as the
``access_cases`` property of the test (``pytest -rA -s`` shows it).
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from starlette.routing import Route

from fangkong.api.app import create_app
from fangkong.core.access import CLI_ACTOR, WORLD, Actor, Permission, Role, has_permission
from fangkong.services import (
    allocation,
    bulletins,
    directives,
    hospitals,
    patients,
    requests,
    risk,
    shipments,
    supplies,
    teams,
    timeliness,
    users,
)
from fangkong.services import warnings as warning_svc
from fangkong.services.auth import SESSION_COOKIE, start_session
from fangkong.services.case_import import import_case_file
from fangkong.services.daily_import import import_daily_file
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from fangkong.store import models as m
from support import DEMO_DATA, PASSWORD

INSIDE = "420000"
OUTSIDE = "110000"
JURISDICTIONS = (INSIDE, OUTSIDE, WORLD)
TODAY = date.today()
HB_CMD = Actor("hb.owner.cmd", Role.COMMANDER, INSIDE)
HB_LOG = Actor("hb.owner.log", Role.LOGISTICS, INSIDE)
WH_REP = Actor("wh.owner.rep", Role.REPORTER, "420100")

W = dict[str, Any]


# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Who may call a route.

    ``permission`` None and not ``public``: any signed-in user. ``scope`` names where
    the request names the region checked against the jurisdiction (documentation;
    the requests of the table always name a Hubei region or object). ``allows``
    replaces the permission test for the few routes with their own rule."""

    public: bool = False
    permission: Permission | None = None
    scope: str | None = None
    hidden: bool = False
    allows: Callable[[Role, str], bool] | None = None
    note: str = ""

    def allowed(self, role: Role | None, jurisdiction: str | None) -> bool:
        if self.public:
            return True
        if role is None or jurisdiction is None:
            return False
        if self.allows is not None:
            return self.allows(role, jurisdiction)
        if self.permission is not None and not has_permission(role, self.permission):
            return False
        return self.scope is None or jurisdiction in (INSIDE, WORLD)


PUBLIC = Rule(public=True)
SIGNED_IN = Rule()


def perm(permission: Permission, scope: str | None = None, **kw: Any) -> Rule:
    return Rule(permission=permission, scope=scope, **kw)


def national_command(role: Role, jurisdiction: str) -> bool:
    """National rules (measures catalogue, ``*`` deadlines): command over every region."""
    return has_permission(role, Permission.COMMAND) and jurisdiction == WORLD


def user_creator(role: Role, jurisdiction: str) -> bool:
    """Admins create any user; commanders grant lesser roles inside their jurisdiction."""
    return role is Role.ADMIN or (role is Role.COMMANDER and jurisdiction in (INSIDE, WORLD))


def admin_only(role: Role, jurisdiction: str) -> bool:
    return role is Role.ADMIN


def user_lister(role: Role, jurisdiction: str) -> bool:
    return role in (Role.ADMIN, Role.COMMANDER)


def shipment_canceller(role: Role, jurisdiction: str) -> bool:
    """Logistics staff of the depot, or its command (services/shipments.py ``cancel``)."""
    inside = jurisdiction in (INSIDE, WORLD)
    if has_permission(role, Permission.LOGISTICS):
        return inside
    return has_permission(role, Permission.COMMAND) and inside


def shipment_receiver(role: Role, jurisdiction: str) -> bool:
    """The receiving store signs: logistics staff, or hospital reporters of its region."""
    inside = jurisdiction in (INSIDE, WORLD)
    if has_permission(role, Permission.LOGISTICS):
        return inside
    return has_permission(role, Permission.WRITE_REPORTS) and inside


def store_mover(role: Role, jurisdiction: str) -> bool:
    """Movements of a hospital store: logistics staff, or the hospital's reporters."""
    return shipment_receiver(role, jurisdiction)


# --- requests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """A route's rule and a minimal valid request (strings formatted with the world)."""

    rule: Rule
    url: str
    params: dict[str, Any] | None = None
    json: Any = None
    files: Callable[[W], dict[str, Any]] | None = None
    data: dict[str, Any] | None = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    page: bool = False
    leak: str | None = None
    outside_shows: str | None = None

    def body(self, w: W) -> Any:
        return _fill(self.json, w)


def _fill(value: Any, w: W) -> Any:
    if callable(value):
        return value(w)
    if isinstance(value, str):
        return value.format(**w)
    if isinstance(value, dict):
        return {k: _fill(v, w) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, w) for v in value]
    return value


def _csv_file(w: W) -> dict[str, Any]:
    text = (
        "date,city,cityCode,confirmed,suspected,cured,dead\n"
        "2020-02-01,武汉市,420100,4109,0,224,224\n"
    )
    return {"file": ("wuhan.csv", io.BytesIO(text.encode()), "text/csv")}


def _case_file(w: W) -> dict[str, Any]:
    return {"file": ("cases.csv", io.BytesIO(w["case_csv"]), "text/csv")}


def _attachment(w: W) -> dict[str, Any]:
    return {"file": ("通知.txt", io.BytesIO("落实预检分诊".encode()), "text/plain")}


def _due() -> str:
    return (datetime.now(UTC) + timedelta(days=2)).isoformat()


RT_QUERY = {"si_mean": 4.7, "si_sd": 2.9, "from": "2020-01-25", "to": "2020-02-20"}
DAY = "2020-02-12"

TABLE: dict[str, Call] = {
    # --- health, docs, session ---------------------------------------------------------------
    "GET /api/v1/health": Call(PUBLIC, "/api/v1/health"),
    "GET /api/v1/openapi.json": Call(PUBLIC, "/api/v1/openapi.json"),
    "GET /docs": Call(PUBLIC, "/docs"),
    "POST /api/v1/session": Call(
        PUBLIC, "/api/v1/session", json={"username": "wh.owner.rep", "password": PASSWORD}
    ),
    "DELETE /api/v1/session": Call(PUBLIC, "/api/v1/session"),
    "POST /api/v1/session/logout": Call(PUBLIC, "/api/v1/session/logout", data={}),
    "GET /api/v1/me": Call(SIGNED_IN, "/api/v1/me"),
    # --- users and tokens (the target user is the Hubei reporter "wh.owner.rep") ---------
    "POST /api/v1/users": Call(
        Rule(allows=user_creator, scope="body jurisdiction", note="admin, or commander"),
        "/api/v1/users",
        json=lambda w: {
            "username": f"new.{next(w['seq'])}",
            "password": PASSWORD,
            "role": "viewer",
            "jurisdiction": "420100",
        },
    ),
    "GET /api/v1/users": Call(
        Rule(allows=user_lister, note="commanders see their jurisdiction's users"),
        "/api/v1/users",
    ),
    "GET /api/v1/users/{username}": Call(
        Rule(allows=admin_only, note="or the user themself"), "/api/v1/users/wh.owner.rep"
    ),
    "PATCH /api/v1/users/{username}": Call(
        Rule(allows=admin_only, note="If-Match (428 without, after the access check)"),
        "/api/v1/users/wh.owner.rep",
        json={"active": True},
        headers={"If-Match": "*"},
    ),
    "POST /api/v1/users/{username}/tokens": Call(
        Rule(allows=admin_only, note="or the user themself"),
        "/api/v1/users/wh.owner.rep/tokens",
        json={"name": "matrix"},
    ),
    "GET /api/v1/users/{username}/tokens": Call(
        Rule(allows=admin_only, note="or the user themself"), "/api/v1/users/wh.owner.rep/tokens"
    ),
    "DELETE /api/v1/users/{username}/tokens/{token_id}": Call(
        Rule(allows=admin_only, note="or the user themself"),
        "/api/v1/users/wh.owner.rep/tokens/{owner_token_id}",
    ),
    # --- public reference and figures -----------------------------------------------------------
    "GET /api/v1/regions": Call(PUBLIC, "/api/v1/regions", params={"parent": "420000"}),
    "GET /api/v1/regions/tree": Call(PUBLIC, "/api/v1/regions/tree", params={"root": "420000"}),
    "GET /api/v1/regions/{region_code}": Call(PUBLIC, "/api/v1/regions/420100"),
    "GET /api/v1/regions/{region_code}/daily": Call(
        PUBLIC, "/api/v1/regions/420100/daily", params={"from": "2020-02-01", "to": DAY}
    ),
    "GET /api/v1/regions/{region_code}/breakdowns": Call(
        PUBLIC, "/api/v1/regions/420000/breakdowns", params={"by": "sex"}
    ),
    "GET /api/v1/regions/{region_code}/growth": Call(
        PUBLIC, "/api/v1/regions/420100/growth", params={"from": "2020-02-01", "to": DAY}
    ),
    "GET /api/v1/regions/{region_code}/rt": Call(
        PUBLIC, "/api/v1/regions/420100/rt", params=RT_QUERY
    ),
    "GET /api/v1/regions/{region_code}/forecast": Call(
        PUBLIC, "/api/v1/regions/420100/forecast", params={"from": "2020-02-13", "horizon": 7}
    ),
    "GET /api/v1/regions/{region_code}/nowcast": Call(
        perm(Permission.READ_CASES, "path region_code"),
        "/api/v1/regions/420000/nowcast",
        params={"cutoff": "2020-02-10", "days": 14},
    ),
    "GET /api/v1/delays": Call(
        perm(Permission.READ_CASES, "query region_code"),
        "/api/v1/delays",
        params={"region_code": "420000", "bootstrap": 0},
    ),
    "POST /api/v1/scenarios": Call(
        perm(Permission.READ_AGGREGATE),
        "/api/v1/scenarios",
        json={
            "start": "2020-01-23",
            "days": 30,
            "population": 11081000,
            "initial": {"exposed": 100, "infectious": 50},
            "scenarios": [{"name": "baseline"}],
        },
    ),
    # --- open data and bulletins (public) -------------------------------------------------------
    "GET /api/v1/opendata": Call(PUBLIC, "/api/v1/opendata"),
    "GET /api/v1/opendata/regions.{fmt}": Call(PUBLIC, "/api/v1/opendata/regions.json"),
    "GET /api/v1/opendata/daily_reports.{fmt}": Call(
        PUBLIC, "/api/v1/opendata/daily_reports.csv", params={"region": "420100"}
    ),
    "GET /api/v1/opendata/who_daily.{fmt}": Call(PUBLIC, "/api/v1/opendata/who_daily.json"),
    "GET /api/v1/opendata/overview.json": Call(PUBLIC, "/api/v1/opendata/overview.json"),
    "GET /api/v1/opendata/region/{region_code}.json": Call(
        PUBLIC, "/api/v1/opendata/region/420100.json"
    ),
    "GET /api/v1/opendata/world.json": Call(PUBLIC, "/api/v1/opendata/world.json"),
    "GET /api/v1/bulletins": Call(PUBLIC, "/api/v1/bulletins", params={"region": "420000"}),
    "GET /api/v1/bulletins/{region_code}/{day}": Call(PUBLIC, f"/api/v1/bulletins/420000/{DAY}"),
    "GET /api/v1/corrections.json": Call(PUBLIC, "/api/v1/corrections.json"),
    "GET /api/v1/corrections.csv": Call(PUBLIC, "/api/v1/corrections.csv"),
    "GET /api/v1/bulletins/drafts": Call(
        perm(Permission.READ_AGGREGATE), "/api/v1/bulletins/drafts", leak='"region_code":"420000"'
    ),
    "GET /api/v1/bulletins/drafts/{bulletin_id}": Call(
        perm(Permission.READ_AGGREGATE, "the draft's region"),
        "/api/v1/bulletins/drafts/{draft_id}",
    ),
    "POST /api/v1/bulletins/drafts": Call(
        perm(Permission.WRITE_REPORTS, "body region_code"),
        "/api/v1/bulletins/drafts",
        json={"region_code": "420000", "report_date": DAY},
    ),
    "POST /api/v1/bulletins/{bulletin_id}/publish": Call(
        perm(Permission.COMMAND, "the draft's region"),
        "/api/v1/bulletins/{draft_id}/publish",
        json={"reason": "matrix"},
    ),
    # --- daily reports, cases, imports ----------------------------------------------------------
    "POST /api/v1/daily": Call(
        perm(Permission.WRITE_REPORTS, "body items[].region_code"),
        "/api/v1/daily",
        json={
            "source": "fangkong",
            "items": [{"region_code": "420100", "report_date": DAY, "new_confirmed": 13436}],
        },
    ),
    "GET /api/v1/daily/{source}/{region_code}/{report_date}": Call(
        SIGNED_IN, "/api/v1/daily/{daily_source}/420100/" + DAY
    ),
    "PUT /api/v1/daily/{source}/{region_code}/{report_date}": Call(
        perm(
            Permission.WRITE_REPORTS,
            "path region_code",
            note="an edit of a stored report: If-Match (428 without, after the access check)",
        ),
        "/api/v1/daily/{daily_source}/420100/" + DAY,
        json={"new_deaths": 72},
        headers={"If-Match": "*"},
    ),
    "POST /api/v1/cases": Call(
        perm(Permission.WRITE_CASES, "body items[].region_code"),
        "/api/v1/cases",
        json={
            "items": [
                {
                    "source": "matrix",
                    "case_id": "m-1",
                    "region_code": "420100",
                    "classification": "confirmed",
                    "onset_date": "2020-02-01",
                    "confirmation_date": "2020-02-05",
                }
            ]
        },
    ),
    "GET /api/v1/cases": Call(
        perm(Permission.READ_CASES, "query region_code"),
        "/api/v1/cases",
        params={"region_code": "420000", "limit": 5},
    ),
    "GET /api/v1/cases/export": Call(
        perm(Permission.EXPORT_LINE_LIST, "query region_code"),
        "/api/v1/cases/export",
        params={"region_code": "420000", "format": "csv"},
    ),
    # --- audit log (administrators; the whole log, whatever their jurisdiction) ---------
    "GET /api/v1/audit": Call(perm(Permission.READ_AUDIT), "/api/v1/audit", params={"limit": 5}),
    "GET /api/v1/audit/verify": Call(perm(Permission.READ_AUDIT), "/api/v1/audit/verify"),
    "GET /api/v1/cases/{source}/{case_id}": Call(
        perm(Permission.READ_CASES, "the case's region", hidden=True),
        "/api/v1/cases/{case_source}/{case_id}",
    ),
    "GET /api/v1/imports/templates/{name}": Call(PUBLIC, "/api/v1/imports/templates/daily.csv"),
    "POST /api/v1/imports/daily": Call(
        perm(Permission.IMPORT, "the rows' regions"),
        "/api/v1/imports/daily",
        files=_csv_file,
        data={"format": "canghailan-city", "source": "canghailan"},
    ),
    "POST /api/v1/imports/cases": Call(
        Rule(
            allows=lambda role, j: (
                has_permission(role, Permission.IMPORT)
                and has_permission(role, Permission.WRITE_CASES)
            ),
            scope="each row's region",
            note="a file import rejects the rows outside the jurisdiction one by one",
        ),
        "/api/v1/imports/cases",
        files=_case_file,
        data={"source": "matrix-import"},
        outside_shows='"rows_inserted":0,"rows_updated":0,"rows_unchanged":0,"rows_rejected":{case_rows}',
    ),
    "GET /api/v1/imports/{import_id}": Call(
        perm(Permission.IMPORT, "the importer's jurisdiction"), "/api/v1/imports/{import_id}"
    ),
    "POST /api/v1/imports/bulletin": Call(
        perm(Permission.WRITE_REPORTS, "query region_code"),
        "/api/v1/imports/bulletin",
        params={"dry_run": "false", "date": DAY, "region_code": "420000", "source": "nhc"},
        content="2020年2月12日0—24时，湖北省新增新冠肺炎病例14840例。".encode(),
        headers={"Content-Type": "text/plain; charset=utf-8"},
    ),
    # --- response levels, risk, warnings --------------------------------------------------------
    "GET /api/v1/response/levels": Call(
        PUBLIC, "/api/v1/response/levels", params={"parent": "420000"}
    ),
    "GET /api/v1/response/regions/{region_code}": Call(PUBLIC, "/api/v1/response/regions/420100"),
    "GET /api/v1/response/history": Call(SIGNED_IN, "/api/v1/response/history"),
    "POST /api/v1/response/declarations": Call(
        perm(Permission.COMMAND, "body region_code"),
        "/api/v1/response/declarations",
        json=lambda w: {
            "region_code": "420100",
            "level": ["IV", "III"][next(w["seq"]) % 2],
            "reason": "matrix",
        },
    ),
    "GET /api/v1/response/measures/{level}": Call(PUBLIC, "/api/v1/response/measures/I"),
    "PUT /api/v1/response/measures/{level}": Call(
        Rule(allows=national_command, note="national command only"),
        "/api/v1/response/measures/IV",
        json={"items": [{"text_zh": "加强监测", "text_en": "Step up surveillance"}], "reason": "m"},
        headers={"If-Match": "*"},
    ),
    "GET /api/v1/risk/rulesets": Call(PUBLIC, "/api/v1/risk/rulesets"),
    "POST /api/v1/risk/rulesets": Call(
        perm(Permission.COMMAND),
        "/api/v1/risk/rulesets",
        json=lambda w: w["ruleset"](),
    ),
    "GET /api/v1/risk/levels": Call(
        PUBLIC,
        "/api/v1/risk/levels",
        params={"date": DAY, "parent": "420000", "unit": "prefecture"},
    ),
    "GET /api/v1/risk/regions/{region_code}/history": Call(
        PUBLIC, "/api/v1/risk/regions/420100/history", params={"until": DAY}
    ),
    "POST /api/v1/warnings/scan": Call(
        perm(Permission.READ_CASES, note="a scan reads public figures; storing needs read_cases"),
        "/api/v1/warnings/scan",
        json={"from": "2020-01-25", "to": DAY, "regions": ["420100"], "store": True},
        outside_shows='"stored":{{"inserted":0,"unchanged":0,"outside":',
    ),
    "GET /api/v1/warnings": Call(
        perm(Permission.READ_AGGREGATE), "/api/v1/warnings", leak="420100"
    ),
    "POST /api/v1/warnings/{signal_id}/status": Call(
        perm(Permission.RESPOND, "the signal's region"),
        "/api/v1/warnings/{signal_id}/status",
        json={"status": "acknowledged", "note": "matrix"},
    ),
    # --- timeliness -----------------------------------------------------------------------------
    "GET /api/v1/timeliness/scorecard": Call(
        perm(Permission.READ_AGGREGATE, "query region"),
        "/api/v1/timeliness/scorecard",
        params={"from": "2020-02-10", "to": DAY, "region": "420000"},
    ),
    "GET /api/v1/timeliness/alerts": Call(
        perm(Permission.READ_AGGREGATE, "query region"),
        "/api/v1/timeliness/alerts",
        params={"from": "2020-02-10", "to": DAY, "region": "420000"},
    ),
    "GET /api/v1/timeliness/deadlines": Call(
        perm(Permission.READ_AGGREGATE), "/api/v1/timeliness/deadlines"
    ),
    "GET /api/v1/timeliness/deadlines/{key}": Call(
        perm(Permission.READ_AGGREGATE), "/api/v1/timeliness/deadlines/420500"
    ),
    "PUT /api/v1/timeliness/deadlines/{key}": Call(
        perm(
            Permission.COMMAND,
            "path key",
            note="replacing a stored rule: If-Match (428 without, after the access check)",
        ),
        "/api/v1/timeliness/deadlines/420100",
        json={"due_time": "10:00", "day_offset": 1},
        headers={"If-Match": "*"},
    ),
    "DELETE /api/v1/timeliness/deadlines/{key}": Call(
        perm(Permission.COMMAND, "path key"), "/api/v1/timeliness/deadlines/420500"
    ),
    "GET /api/v1/timeliness/events": Call(
        perm(Permission.READ_AGGREGATE, "query region"),
        "/api/v1/timeliness/events",
        params={"region": "420000"},
    ),
    "POST /api/v1/timeliness/events": Call(
        perm(Permission.WRITE_REPORTS, "body region_code"),
        "/api/v1/timeliness/events",
        json=lambda w: {
            "region_code": "420100",
            "title": "聚集性疫情",
            "detected_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        },
    ),
    "POST /api/v1/timeliness/events/{event_id}/reported": Call(
        perm(Permission.WRITE_REPORTS, "the event's region"),
        "/api/v1/timeliness/events/{event_id}/reported",
        json={},
    ),
    # --- directives and guidance teams ----------------------------------------------------------
    "GET /api/v1/directives/teams": Call(
        perm(Permission.READ_AGGREGATE), "/api/v1/directives/teams", leak="湖北指导组"
    ),
    "POST /api/v1/directives/teams": Call(
        perm(Permission.COMMAND, "body region_code"),
        "/api/v1/directives/teams",
        json={"name": "指导组", "leader": "王", "region_code": "420100"},
    ),
    "POST /api/v1/directives/teams/{team_id}/disband": Call(
        perm(Permission.COMMAND, "the team's region"),
        "/api/v1/directives/teams/{guidance_team_id}/disband",
    ),
    "GET /api/v1/directives/dashboard": Call(
        perm(Permission.COMMAND), "/api/v1/directives/dashboard", leak="湖北通知"
    ),
    "GET /api/v1/directives": Call(
        perm(Permission.READ_AGGREGATE), "/api/v1/directives", leak="湖北通知"
    ),
    "POST /api/v1/directives": Call(
        perm(Permission.COMMAND, "body regions"),
        "/api/v1/directives",
        json=lambda w: {"title": "通知", "body": "落实", "due_at": _due(), "regions": ["420100"]},
    ),
    "GET /api/v1/directives/{directive_id}": Call(
        perm(Permission.READ_AGGREGATE, "recipients' and issuer's regions"),
        "/api/v1/directives/{directive_id}",
    ),
    "POST /api/v1/directives/{directive_id}/acknowledge": Call(
        perm(Permission.RESPOND, "the recipient's region"),
        "/api/v1/directives/{directive_id}/acknowledge",
        json={"region_code": "420100", "note": "收到"},
    ),
    "POST /api/v1/directives/{directive_id}/progress": Call(
        perm(Permission.RESPOND, "the recipient's region"),
        "/api/v1/directives/{directive_id}/progress",
        json={"region_code": "420100", "percent": 50, "note": "进行中"},
    ),
    "POST /api/v1/directives/{directive_id}/cancel": Call(
        perm(Permission.COMMAND, "the issuer's jurisdiction"),
        "/api/v1/directives/{cancel_directive_id}/cancel",
        json={"note": "撤回"},
    ),
    "POST /api/v1/directives/{directive_id}/attachments": Call(
        perm(Permission.COMMAND, "the issuer's jurisdiction"),
        "/api/v1/directives/{directive_id}/attachments",
        files=_attachment,
    ),
    "GET /api/v1/directives/{directive_id}/attachments/{attachment_id}": Call(
        perm(Permission.READ_AGGREGATE, "recipients' and issuer's regions"),
        "/api/v1/directives/{directive_id}/attachments/{attachment_id}",
    ),
    # --- hospitals and medical teams ------------------------------------------------------------
    "GET /api/v1/hospitals": Call(SIGNED_IN, "/api/v1/hospitals", leak="JYT"),
    "POST /api/v1/hospitals": Call(
        perm(Permission.COMMAND, "body region_code"),
        "/api/v1/hospitals",
        json=lambda w: {
            "hospital_code": f"M{next(w['seq'])}",
            "name": "雷神山医院",
            "kind": "designated",
            "region_code": "420100",
            "lat": 30.42,
            "lon": 114.26,
        },
    ),
    "GET /api/v1/hospitals/capacity/{region_code}": Call(
        SIGNED_IN, "/api/v1/hospitals/capacity/420000", leak='"hospitals":1'
    ),
    "GET /api/v1/hospitals/runway/{region_code}": Call(
        SIGNED_IN, "/api/v1/hospitals/runway/420100", params={"day": DAY}, leak="JYT"
    ),
    "GET /api/v1/hospitals/{hospital_code}": Call(
        Rule(scope="the hospital's region", hidden=True), "/api/v1/hospitals/JYT"
    ),
    "PATCH /api/v1/hospitals/{hospital_code}/beds": Call(
        perm(Permission.COMMAND, "the hospital's region"),
        "/api/v1/hospitals/JYT/beds",
        json={"icu": 61},
        headers={"If-Match": "*"},
    ),
    "PUT /api/v1/hospitals/{hospital_code}/occupancy": Call(
        perm(Permission.WRITE_REPORTS, "the hospital's region"),
        "/api/v1/hospitals/JYT/occupancy",
        json={"report_date": TODAY.isoformat(), "occupied": {"icu": 40, "general": 300}},
        headers={"If-Match": "*"},  # the day is reported already: a correction
    ),
    "GET /api/v1/hospitals/icu-runways": Call(
        PUBLIC,
        "/api/v1/hospitals/icu-runways",
        leak="JYT",  # region totals, no hospital
    ),
    "GET /api/v1/hospitals/case-stays": Call(
        perm(Permission.READ_CASES, "the case's region", hidden=True),
        "/api/v1/hospitals/case-stays",
        params={"source": "{case_source}", "case_id": "{transfer_case_id}"},
    ),
    "GET /api/v1/hospitals/{hospital_code}/census": Call(
        Rule(scope="the hospital's region", hidden=True, note="aggregate counts"),
        "/api/v1/hospitals/JYT/census",
    ),
    "GET /api/v1/hospitals/{hospital_code}/patients": Call(
        perm(Permission.READ_CASES, "the hospital's region"), "/api/v1/hospitals/JYT/patients"
    ),
    "POST /api/v1/hospitals/{hospital_code}/patients": Call(
        perm(Permission.WRITE_CASES, "the hospital's and the case's region"),
        "/api/v1/hospitals/JYT/patients",
        json={
            "source": "{case_source}",
            "case_id": "{case_id}",
            "bed_type": "isolation",
            "severity": "moderate",
            "admission_date": TODAY.isoformat(),
        },
    ),
    "POST /api/v1/hospitals/{hospital_code}/patients/{stay_id}/transfer": Call(
        perm(Permission.WRITE_CASES, "the sending hospital's and the case's region"),
        "/api/v1/hospitals/JYT/patients/{transfer_stay_id}/transfer",
        json={"hospital_code": "JYT", "bed_type": "icu", "transfer_date": TODAY.isoformat()},
    ),
    "POST /api/v1/hospitals/{hospital_code}/patients/{stay_id}/discharge": Call(
        perm(Permission.WRITE_CASES, "the hospital's and the case's region"),
        "/api/v1/hospitals/JYT/patients/{discharge_stay_id}/discharge",
        json={"end_date": TODAY.isoformat(), "outcome": "discharged"},
    ),
    "POST /api/v1/hospitals/{hospital_code}/occupancy/from-census": Call(
        perm(Permission.WRITE_REPORTS, "the hospital's region"),
        "/api/v1/hospitals/JYT/occupancy/from-census",
        json={"report_date": TODAY.isoformat()},
    ),
    "GET /api/v1/medical-teams": Call(SIGNED_IN, "/api/v1/medical-teams", leak="国家医疗队"),
    "POST /api/v1/medical-teams": Call(
        perm(Permission.COMMAND, "body region_code"),
        "/api/v1/medical-teams",
        json={
            "name": "援鄂医疗队",
            "origin_code": "310000",
            "leader": "李",
            "size": 10,
            "region_code": "420100",
            "departure_date": TODAY.isoformat(),
        },
    ),
    "GET /api/v1/medical-teams/pairings": Call(SIGNED_IN, "/api/v1/medical-teams/pairings"),
    "POST /api/v1/medical-teams/pairings": Call(
        perm(Permission.COMMAND, "body city_code"),
        "/api/v1/medical-teams/pairings",
        json={"province_code": "440000", "city_code": "420500", "start_date": TODAY.isoformat()},
    ),
    "POST /api/v1/medical-teams/pairings/{pairing_id}/end": Call(
        perm(Permission.COMMAND, "the pairing's city"),
        "/api/v1/medical-teams/pairings/{pairing_id}/end",
        json={"end_date": TODAY.isoformat()},
    ),
    "POST /api/v1/medical-teams/{team_id}/dates": Call(
        perm(Permission.COMMAND, "the team's region"),
        "/api/v1/medical-teams/{medical_team_id}/dates",
        json={"arrival_date": TODAY.isoformat()},
    ),
    # --- supplies, requests, donations, allocation, shipments -----------------------------------
    "GET /api/v1/supplies/items": Call(PUBLIC, "/api/v1/supplies/items"),
    "GET /api/v1/supplies/warehouses": Call(SIGNED_IN, "/api/v1/supplies/warehouses", leak="D-WH"),
    "POST /api/v1/supplies/warehouses": Call(
        perm(Permission.LOGISTICS, "body region_code"),
        "/api/v1/supplies/warehouses",
        json=lambda w: {
            "warehouse_code": f"D-M{next(w['seq'])}",
            "name": "储备库",
            "region_code": "420100",
            "lat": 30.6,
            "lon": 114.3,
        },
    ),
    "GET /api/v1/supplies/stock": Call(SIGNED_IN, "/api/v1/supplies/stock", leak="D-WH"),
    "GET /api/v1/supplies/ledger/check": Call(SIGNED_IN, "/api/v1/supplies/ledger/check"),
    "GET /api/v1/supplies/movements": Call(
        SIGNED_IN, "/api/v1/supplies/movements", params={"warehouse": "D-WH"}, leak="D-WH"
    ),
    "POST /api/v1/supplies/receipts": Call(
        perm(Permission.LOGISTICS, "the warehouse's region"),
        "/api/v1/supplies/receipts",
        json=lambda w: {
            "warehouse_code": "D-WH",
            "item_code": "surgical_mask",
            "lot_code": f"SM-M{next(w['seq'])}",
            "quantity": 500,
            "movement_date": TODAY.isoformat(),
        },
    ),
    "POST /api/v1/supplies/movements": Call(
        Rule(allows=store_mover, scope="the warehouses' regions"),
        "/api/v1/supplies/movements",
        json={
            "kind": "issue",
            "lot_code": "N95-STORE",
            "quantity": 20,
            "movement_date": TODAY.isoformat(),
            "from_warehouse": "H-JYT",
            "reason": "ward use",
        },
    ),
    "POST /api/v1/supplies/lots/{lot_code}/damaged": Call(
        perm(Permission.LOGISTICS, "the lot's warehouses"),
        "/api/v1/supplies/lots/SM-DMG/damaged",
        json={"reason": "受潮"},
    ),
    "GET /api/v1/supplies/requests": Call(SIGNED_IN, "/api/v1/supplies/requests", leak="JYT"),
    "POST /api/v1/supplies/requests": Call(
        perm(Permission.WRITE_REPORTS, "the hospital's region"),
        "/api/v1/supplies/requests",
        json={"hospital_code": "JYT", "lines": [{"item_code": "n95_respirator", "quantity": 200}]},
    ),
    "GET /api/v1/supplies/requests/{request_id}": Call(
        Rule(scope="the hospital's region", hidden=True), "/api/v1/supplies/requests/{request_id}"
    ),
    "POST /api/v1/supplies/requests/{request_id}/submit": Call(
        perm(Permission.WRITE_REPORTS, "the hospital's region"),
        "/api/v1/supplies/requests/{draft_request_id}/submit",
    ),
    "POST /api/v1/supplies/requests/{request_id}/decide": Call(
        perm(Permission.COMMAND, "the hospital's region"),
        "/api/v1/supplies/requests/{submitted_request_id}/decide",
        json={},
    ),
    "GET /api/v1/donations": Call(PUBLIC, "/api/v1/donations"),
    "POST /api/v1/donations": Call(
        perm(Permission.LOGISTICS, "the warehouse's region"),
        "/api/v1/donations",
        json=lambda w: {
            "donor": "某基金会",
            "donor_kind": "organisation",
            "provenance": "红十字会渠道",
            "received_date": TODAY.isoformat(),
            "item_code": "protective_suit",
            "quantity": 10,
            "lot_code": f"PS-DON-M{next(w['seq'])}",
            "warehouse_code": "D-WH",
        },
    ),
    "POST /api/v1/allocation/plans": Call(
        perm(Permission.COMMAND, "body region_code"),
        "/api/v1/allocation/plans",
        json={"plan_date": TODAY.isoformat(), "region_code": "420000"},
    ),
    "GET /api/v1/allocation/plans": Call(
        perm(Permission.READ_AGGREGATE), "/api/v1/allocation/plans", outside_shows='"items":[]'
    ),
    "GET /api/v1/allocation/plans/{plan_id}": Call(
        perm(Permission.READ_AGGREGATE, "the plan's region"), "/api/v1/allocation/plans/{plan_id}"
    ),
    "GET /api/v1/shipments": Call(SIGNED_IN, "/api/v1/shipments", leak="JYT"),
    "GET /api/v1/shipments/{shipment_id}": Call(
        Rule(scope="depot's or store's region", hidden=True), "/api/v1/shipments/{shipment_id}"
    ),
    "POST /api/v1/shipments/{shipment_id}/confirm": Call(
        perm(Permission.LOGISTICS, "the depot's region"),
        "/api/v1/shipments/{confirm_shipment_id}/confirm",
        json={"carrier": "顺丰"},
    ),
    "POST /api/v1/shipments/{shipment_id}/dispatch": Call(
        perm(Permission.LOGISTICS, "the depot's region"),
        "/api/v1/shipments/{dispatch_shipment_id}/dispatch",
        json={"movement_date": TODAY.isoformat()},
    ),
    "POST /api/v1/shipments/{shipment_id}/receive": Call(
        Rule(allows=shipment_receiver, scope="the store's region"),
        "/api/v1/shipments/{receive_shipment_id}/receive",
        json={"signed_by": "王护士长", "movement_date": TODAY.isoformat()},
    ),
    "POST /api/v1/shipments/{shipment_id}/cancel": Call(
        Rule(allows=shipment_canceller, scope="the depot's region"),
        "/api/v1/shipments/{cancel_shipment_id}/cancel",
        json={"reason": "改派"},
    ),
}


def _pages() -> dict[str, Call]:
    """The HTML pages: public ones per language; the console needs a session."""
    pages: dict[str, Call] = {
        "GET /": Call(PUBLIC, "/", page=True),
        "GET /lang/{lang}": Call(PUBLIC, "/lang/en", params={"next": "/en/"}, page=True),
        "GET /about/data": Call(PUBLIC, "/about/data", page=True),
        "GET /login": Call(PUBLIC, "/login", page=True),
        "GET /console": Call(PUBLIC, "/console", page=True),
        "GET /{lang}/console": Call(SIGNED_IN, "/zh/console", page=True),
        "GET /{lang}/console/report": Call(SIGNED_IN, "/zh/console/report", page=True),
        "GET /{lang}/console/import": Call(SIGNED_IN, "/en/console/import", page=True),
        "GET /{lang}/console/response": Call(SIGNED_IN, "/zh/console/response", page=True),
        "GET /{lang}/console/risk": Call(
            SIGNED_IN, "/zh/console/risk", params={"date": DAY}, page=True
        ),
        "GET /{lang}/console/warnings": Call(SIGNED_IN, "/zh/console/warnings", page=True),
        "GET /{lang}/console/directives": Call(SIGNED_IN, "/zh/console/directives", page=True),
        "GET /{lang}/console/directives/{directive_id}": Call(
            SIGNED_IN, "/zh/console/directives/{directive_id}", page=True
        ),
        "GET /{lang}/console/timeliness": Call(SIGNED_IN, "/en/console/timeliness", page=True),
        "GET /{lang}/console/bulletins": Call(SIGNED_IN, "/zh/console/bulletins", page=True),
        "GET /{lang}/console/audit": Call(
            perm(Permission.READ_AUDIT), "/zh/console/audit", page=True
        ),
        "GET /{lang}/console/resources": Call(
            SIGNED_IN, "/zh/console/resources", page=True, leak="金银潭医院"
        ),
        "GET /{lang}/console/resources/hospitals/{hospital_code}": Call(
            SIGNED_IN, "/zh/console/resources/hospitals/JYT", page=True, leak="金银潭医院"
        ),
        "GET /{lang}/console/resources/requests": Call(
            SIGNED_IN, "/en/console/resources/requests", page=True, leak="金银潭医院"
        ),
        "GET /{lang}/console/resources/allocation": Call(
            SIGNED_IN,
            "/zh/console/resources/allocation",
            page=True,
            leak="/console/resources/allocation/{plan_id}",
        ),
        "GET /{lang}/console/resources/allocation/{plan_id}": Call(
            SIGNED_IN, "/zh/console/resources/allocation/{plan_id}", page=True, leak="金银潭医院"
        ),
        "GET /{lang}/console/resources/shipments": Call(
            SIGNED_IN, "/zh/console/resources/shipments", page=True, leak="金银潭医院"
        ),
        "GET /{lang}/console/resources/shipments/{shipment_id}": Call(
            SIGNED_IN, "/zh/console/resources/shipments/{shipment_id}", page=True, leak="D-WH"
        ),
        "GET /{lang}/console/resources/stock": Call(
            SIGNED_IN, "/zh/console/resources/stock", page=True, leak="D-WH"
        ),
        "GET /{lang}/console/resources/teams": Call(
            SIGNED_IN, "/en/console/resources/teams", page=True, leak="国家医疗队"
        ),
        "GET /console/imports/{import_id}/rejects": Call(
            perm(Permission.IMPORT, "the importer's jurisdiction"),
            "/console/imports/{import_id}/rejects",
            page=True,
        ),
    }
    for lang in ("zh", "en"):
        pages |= {
            f"GET /{lang}/": Call(PUBLIC, f"/{lang}/", params={"date": DAY}, page=True),
            f"GET /{lang}/region/{{region_code}}": Call(
                PUBLIC, f"/{lang}/region/420100", params={"date": DAY}, page=True
            ),
            f"GET /{lang}/world": Call(PUBLIC, f"/{lang}/world", page=True),
            f"GET /{lang}/opendata": Call(PUBLIC, f"/{lang}/opendata", page=True),
            f"GET /{lang}/about/data": Call(PUBLIC, f"/{lang}/about/data", page=True),
            f"GET /{lang}/bulletins": Call(PUBLIC, f"/{lang}/bulletins", page=True),
            f"GET /{lang}/bulletins/{{region_code}}/{{day}}": Call(
                PUBLIC, f"/{lang}/bulletins/420000/{DAY}", page=True
            ),
            f"GET /{lang}/corrections": Call(PUBLIC, f"/{lang}/corrections", page=True),
            # region totals only: the public page never names a hospital
            f"GET /{lang}/resources": Call(
                PUBLIC, f"/{lang}/resources", page=True, leak="金银潭医院"
            ),
        }
    return pages


TABLE |= _pages()


# --- the app's routes ----------------------------------------------------------------------


def route_keys(app: FastAPI) -> set[str]:
    """Every ``METHOD /path`` the app answers, routers included (HEAD is GET's twin;
    mounts such as ``/static`` serve files only)."""
    keys: set[str] = set()
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute | Route):
            for method in context.methods or ():
                if method != "HEAD":
                    keys.add(f"{method} {context.path}")
    return keys


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_route_has_exactly_one_entry(settings: Settings, engine: Engine) -> None:
    keys = route_keys(create_app(settings, engine))
    missing = sorted(keys - TABLE.keys())
    stale = sorted(TABLE.keys() - keys)
    assert not missing, f"routes without an access rule in TABLE: {missing}"
    assert not stale, f"TABLE entries without a route: {stale}"


# --- the world the requests act on -----------------------------------------------------------


def _subset(source: Path, target: Path, keep: Callable[[list[str]], bool], limit: int) -> Path:
    lines = source.read_text("utf-8").splitlines()
    rows = [lines[0], *[line for line in lines[1:] if keep(line.split(","))][:limit]]
    target.write_text("\n".join(rows) + "\n", "utf-8")
    return target


def build_world(engine: Engine, settings: Settings, tmp: Path) -> W:
    """Real reports, cases and one of every kind of object, all in Hubei."""
    tree = region_tree(engine)
    w: W = {"seq": itertools.count(1)}
    city = _subset(
        DEMO_DATA / "canghailan_hubei_city_daily_2020-01-10_2020-06-30.csv",
        tmp / "hubei_city.csv",
        lambda r: r[0] <= "2020-02-20" and r[2].startswith("42"),
        2000,
    )
    assert import_daily_file(engine, settings, city, actor=CLI_ACTOR).ok
    ccdc = DEMO_DATA / "ccdc_dashboard_china_province_daily_2020-01-17_2020-03-04.csv"
    assert import_daily_file(engine, settings, ccdc, actor=CLI_ACTOR).ok
    cases = _subset(
        DEMO_DATA / "beoutbreakprepared_ncov_hubei_20200221.csv",
        tmp / "hubei_cases.csv",
        lambda r: len(r) > 12 and r[3] == "Wuhan City" and bool(r[10]) and bool(r[12]),
        300,
    )
    case_result = import_case_file(engine, settings, cases, actor=CLI_ACTOR)
    assert case_result.rows_inserted > 0
    with engine.connect() as conn:
        w["daily_source"] = (
            conn.execute(
                select(m.DailyReportRow.source).where(
                    m.DailyReportRow.region_code == "420100",
                    m.DailyReportRow.report_date == date.fromisoformat(DAY),
                )
            )
            .scalars()
            .first()
        )
        wuhan_cases = conn.execute(
            select(m.CaseRecordRow.source, m.CaseRecordRow.case_id)
            .where(
                m.CaseRecordRow.region_code.like("4201%"),
                m.CaseRecordRow.classification != "discarded",
            )
            .order_by(m.CaseRecordRow.id)
            .limit(3)
        ).all()
    assert w["daily_source"] and len(wuhan_cases) == 3
    w["case_source"], w["case_id"] = wuhan_cases[0]
    w["case_csv"] = cases.read_bytes()
    w["case_rows"] = len(cases.read_text("utf-8").splitlines()) - 1
    # an import with a rejected row, by a Hubei reporter (for the report and reject file)
    users.create_user(
        engine, CLI_ACTOR, username=WH_REP.username, password=PASSWORD, role="reporter",
        jurisdiction="420100", tree=tree,
    )  # fmt: skip
    _token, info = users.create_token(engine, CLI_ACTOR, WH_REP.username, name="owner")
    w["owner_token_id"] = info.id
    bad = tmp / "wuhan_bad.csv"
    bad.write_text(
        "date,city,cityCode,confirmed,suspected,cured,dead\n"
        "2020-02-03,武汉市,420100,5142,0,303,265\n"
        "2020-02-04,武汉市,420100,lots,0,0,0\n",
        "utf-8",
    )
    rejected = import_daily_file(engine, settings, bad, actor=WH_REP, tree=tree)
    w["import_id"] = rejected.import_id
    # bulletins: a draft of Hubei
    draft = bulletins.draft_bulletin(engine, settings, HB_CMD, tree, "420000", date(2020, 2, 12))
    w["draft_id"] = draft["id"]
    # directives (issued by the Hubei command), guidance teams, an attachment
    team = directives.create_team(
        engine, HB_CMD, tree, name="湖北指导组", leader="张", members=[], region_code="420100"
    )
    w["guidance_team_id"] = team["id"]
    made = directives.issue(
        engine, HB_CMD, tree, title="湖北通知", body="落实预检分诊",
        due_at=datetime.now(UTC) + timedelta(days=2), regions=["420100"],
    )  # fmt: skip
    w["directive_id"] = made["id"]
    other = directives.issue(
        engine, HB_CMD, tree, title="湖北通知二", body="撤回测试",
        due_at=datetime.now(UTC) + timedelta(days=2), regions=["420100"],
    )  # fmt: skip
    w["cancel_directive_id"] = other["id"]
    attached = directives.add_attachment(
        engine, settings, HB_CMD, tree, made["id"], filename="方案.txt",
        stream=io.BytesIO("方案全文".encode()),
    )  # fmt: skip
    w["attachment_id"] = attached["id"]
    # timeliness: an event and a deadline rule to delete
    event = timeliness.record_event(
        engine, WH_REP, tree, region_code="420100", title="聚集性疫情",
        detected_at=datetime.now(UTC) - timedelta(hours=3),
    )  # fmt: skip
    w["event_id"] = event["id"]
    timeliness.set_deadline(engine, HB_CMD, tree, "420500", due_time="09:00", day_offset=1)
    # warnings: stored signals of Wuhan
    signals = warning_svc.scan(
        engine, settings, tree, date_from=date(2020, 1, 25), date_to=date(2020, 2, 12),
        region_codes=["420100"], level=None,
    )  # fmt: skip
    assert signals, "the Wuhan series of 2020 raises signals"
    warning_svc.store_signals(engine, HB_CMD, signals, tree)
    w["signal_id"] = warning_svc.list_signals(engine, HB_CMD, tree, limit=1)["items"][0]["id"]
    # risk: a user-defined rule set to post (a shipped one under a new name)
    shipped = next(iter(risk.shipped_rulesets().values()))
    w["ruleset_name"] = shipped.name
    w["ruleset"] = _renamed_ruleset(shipped.name, w)
    # hospitals, medical teams, pairings
    supplies.load_catalogue(engine)
    hospitals.create_hospital(
        engine, HB_CMD, tree, hospital_code="JYT", name="金银潭医院", kind="designated",
        region_code="420100", lat=30.64, lon=114.26,
        beds={"general": 500, "isolation": 300, "icu": 60, "ventilator": 30},
    )  # fmt: skip
    hospitals.report_occupancy(
        engine, WH_REP, tree, "JYT", report_date=TODAY, occupied={"icu": 30, "general": 200}
    )
    # patients: two Wuhan cases in JYT (one to transfer, one to discharge); the first
    # case of the world is admitted by the table's request
    for name, (source, case_id) in zip(("transfer", "discharge"), wuhan_cases[1:], strict=True):
        stay = patients.admit(
            engine, WH_REP, tree, "JYT", source=source, case_id=case_id, bed_type="general",
            severity="severe", admission_date=TODAY - timedelta(days=3),
        )  # fmt: skip
        w[f"{name}_stay_id"], w[f"{name}_case_id"] = stay["id"], case_id
    mt = teams.dispatch_team(
        engine, CLI_ACTOR, tree, name="国家医疗队", origin_code="310000", leader="钟",
        members=[], size=20, region_code="420100", departure_date=TODAY,
    )  # fmt: skip
    w["medical_team_id"] = mt["id"]
    pairing = teams.pair(
        engine, CLI_ACTOR, tree, province_code="320000", city_code="420200", start_date=TODAY
    )
    w["pairing_id"] = pairing["id"]
    # supplies: two depots, stock, a hospital store with stock, requests, a plan
    for code, region, lat, lon in (
        ("D-WH", "420100", 30.59, 114.30),
        ("D-YC", "420500", 30.69, 111.29),
    ):
        supplies.create_depot(
            engine,
            HB_LOG,
            tree,
            warehouse_code=code,
            name=code,
            region_code=region,
            lat=lat,
            lon=lon,
        )
    later = TODAY + timedelta(days=300)
    for depot, item, lot, qty in (
        ("D-WH", "n95_respirator", "N95-A", 4000),
        ("D-YC", "n95_respirator", "N95-B", 4000),
        ("D-WH", "surgical_mask", "SM-DMG", 500),
        ("H-JYT", "n95_respirator", "N95-STORE", 2000),
    ):
        supplies.receive_stock(
            engine, HB_LOG, tree, warehouse_code=depot, item_code=item, lot_code=lot,
            quantity=qty, movement_date=TODAY - timedelta(days=2), expiry_date=later,
        )  # fmt: skip
    draft_req = requests.create_request(
        engine, WH_REP, tree, hospital_code="JYT", priority="urgent",
        lines=[("n95_respirator", 200)],
    )  # fmt: skip
    w["draft_request_id"] = draft_req["id"]
    submitted = requests.create_request(
        engine, WH_REP, tree, hospital_code="JYT", priority="urgent",
        lines=[("n95_respirator", 200)],
    )  # fmt: skip
    requests.submit_request(engine, WH_REP, tree, submitted["id"])
    w["submitted_request_id"] = submitted["id"]
    w["request_id"] = submitted["id"]
    ids = []
    for _ in range(4):
        r = requests.create_request(
            engine, WH_REP, tree, hospital_code="JYT", priority="critical",
            lines=[("n95_respirator", 400)],
        )  # fmt: skip
        requests.submit_request(engine, WH_REP, tree, r["id"])
        requests.decide_request(engine, HB_CMD, tree, r["id"])
        plan = allocation.run_allocation(engine, HB_CMD, tree, plan_date=TODAY, region_code=INSIDE)
        assert plan["shipments"], plan
        ids.append(plan["shipments"][0]["id"])
    w["plan_id"] = plan["id"]
    w["shipment_id"] = ids[0]
    w["confirm_shipment_id"] = ids[0]
    w["cancel_shipment_id"] = ids[1]
    shipments.confirm(engine, HB_LOG, tree, ids[2])
    w["dispatch_shipment_id"] = ids[2]
    shipments.confirm(engine, HB_LOG, tree, ids[3])
    shipments.dispatch(engine, HB_LOG, tree, ids[3], movement_date=TODAY)
    w["receive_shipment_id"] = ids[3]
    return w


def _renamed_ruleset(name: str, w: W) -> Callable[[], Any]:
    for path in resources.files("fangkong.data").joinpath("rulesets").iterdir():
        if path.name.endswith(".json") and path.name != "response_levels.json":
            definition = json.loads(path.read_text("utf-8"))
            if definition.get("name") == name:
                break
    else:  # pragma: no cover - the shipped rule sets are part of the package
        raise AssertionError(f"no shipped rule set file for {name}")

    def fresh() -> Any:
        return {**definition, "name": f"matrix-{next(w['seq'])}"}

    return fresh  # type: ignore[return-value]


# --- the matrix ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    role: Role | None
    jurisdiction: str | None
    headers: dict[str, str]

    @property
    def name(self) -> str:
        return "anonymous" if self.role is None else f"{self.role.value}@{self.jurisdiction}"


def make_callers(app: FastAPI, engine: Engine) -> tuple[list[Caller], list[Caller]]:
    """Bearer-token callers (API) and session-cookie callers (pages), anonymous first."""
    tree = region_tree(engine)
    api = [Caller(None, None, {})]
    pages = [Caller(None, None, {})]
    signer = app.state.session_signer
    for role, jurisdiction in itertools.product(Role, JURISDICTIONS):
        name = f"m.{role.value}.{'world' if jurisdiction == WORLD else jurisdiction}"
        user = users.create_user(
            engine, CLI_ACTOR, username=name, password=PASSWORD, role=role.value,
            jurisdiction=jurisdiction, tree=tree,
        )  # fmt: skip
        token, _ = users.create_token(engine, CLI_ACTOR, name)
        api.append(Caller(role, jurisdiction, {"Authorization": f"Bearer {token}"}))
        cookie = start_session(engine, signer, user.id)[0]
        pages.append(Caller(role, jurisdiction, {"Cookie": f"{SESSION_COOKIE}={cookie}"}))
    return api, pages


def _send(client: TestClient, method: str, call: Call, w: W, caller: Caller) -> Any:
    client.cookies.clear()  # a login answer sets cookies: each caller brings only its own
    kwargs: dict[str, Any] = {"headers": {**call.headers, **caller.headers}}
    if call.params:
        kwargs["params"] = _fill(call.params, w)
    if call.json is not None:
        kwargs["json"] = call.body(w)
    if call.files is not None:
        kwargs["files"] = call.files(w)
    if call.data is not None:
        kwargs["data"] = call.data
    if call.content is not None:
        kwargs["content"] = call.content
    return client.request(method, _fill(call.url, w), **kwargs)


def _verdict(call: Call, caller: Caller, response: Any, expected: bool, w: W) -> str | None:
    """None when the answer matches the rule, else what went wrong."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}: {response.text[:200]}"
    if call.page and caller.role is None and not call.rule.public:
        denied = status == 303 and response.headers.get("location", "").startswith("/login")
    elif call.rule.hidden and caller.role is not None and not expected:
        denied = status in (403, 404)
    else:
        denied = status == (401 if caller.role is None else 403)
    if expected:
        if status in (401, 403) or denied:
            return f"expected allowed, got {status}: {response.text[:200]}"
        if call.rule.hidden and not 200 <= status < 300:
            return (
                f"expected 2xx for a hidden-when-outside rule, got {status}: {response.text[:200]}"
            )
        if caller.jurisdiction == OUTSIDE:
            leak = _fill(call.leak, w)
            if leak and leak in response.text:
                return f"an outside caller sees {leak!r}: {response.text[:200]}"
            shows = _fill(call.outside_shows, w)
            if shows and shows not in response.text:
                return f"an outside caller's answer lacks {shows!r}: {response.text[:300]}"
        return None
    if not denied:
        return f"expected denied, got {status}: {response.text[:200]}"
    return None


@pytest.mark.slow
def test_access_matrix(
    settings: Settings, engine: Engine, tmp_path: Path, record_property: Any
) -> None:
    world = build_world(engine, settings, tmp_path)
    app = create_app(settings, engine)
    api_callers, page_callers = make_callers(app, engine)
    failures: list[str] = []
    cases = 0
    with TestClient(app, follow_redirects=False) as client:
        keys = route_keys(app)
        for key in sorted(keys):
            call = TABLE[key]
            method = key.split(" ", 1)[0]
            callers = page_callers if call.page else api_callers
            plan = [(c, call.rule.allowed(c.role, c.jurisdiction)) for c in callers]
            plan.sort(key=lambda pair: pair[1])  # the denied first
            for caller, expected in plan:
                response = _send(client, method, call, world, caller)
                cases += 1
                problem = _verdict(call, caller, response, expected, world)
                if problem:
                    failures.append(f"{key} as {caller.name}: {problem}")
    record_property("access_cases", cases)
    print(f"\naccess matrix: {cases} route × role × jurisdiction × method cases")
    assert not failures, f"{len(failures)} of {cases} cases wrong:\n" + "\n".join(failures)
