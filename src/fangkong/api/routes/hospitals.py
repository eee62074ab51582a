"""``/api/v1/hospitals``: hospitals with bed capacity, daily occupancy (stale flag) and
the capacity summary of a region, patients' stays (admissions, transfers, discharges
linked to case records) and the bed census that follows from them (signed in). Rules:
services/hospitals.py, services/patients.py."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Body, Depends, Header, Path, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from fangkong.api.caching import versioned
from fangkong.api.deps import current_actor, get_engine, get_region_tree, get_settings
from fangkong.api.params import Day, Id
from fangkong.api.routing import ApiRouter
from fangkong.core.access import Actor
from fangkong.core.regions import RegionTree
from fangkong.services import hospitals as svc
from fangkong.services import patients as patient_svc
from fangkong.services import teams as team_svc
from fangkong.settings import Settings

router = ApiRouter(prefix="/api/v1/hospitals", tags=["hospitals"])
CODE = r"^[A-Za-z0-9-]{2,16}$"
HOSPITAL = r"^[A-Za-z0-9_-]{1,24}$"
BEDS = Field(default=0, ge=0, le=svc.MAX_BEDS)


class Beds(BaseModel):
    general: int = BEDS
    isolation: int = BEDS
    icu: int = BEDS
    ventilator: int = BEDS


class HospitalIn(BaseModel):
    hospital_code: str = Field(pattern=HOSPITAL)
    name: str = Field(min_length=1, max_length=128)
    kind: str = Field(max_length=32, examples=["designated", "shelter", "fever_clinic"])
    region_code: str = Field(pattern=CODE)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    beds: Beds = Field(default_factory=Beds)


class CapacityIn(BaseModel):
    general: int | None = Field(default=None, ge=0, le=svc.MAX_BEDS)
    isolation: int | None = Field(default=None, ge=0, le=svc.MAX_BEDS)
    icu: int | None = Field(default=None, ge=0, le=svc.MAX_BEDS)
    ventilator: int | None = Field(default=None, ge=0, le=svc.MAX_BEDS)


class OccupancyIn(BaseModel):
    report_date: date
    occupied: Beds


class CensusReportIn(BaseModel):
    report_date: date


BED_TYPE = r"^(general|isolation|icu|ventilator)$"
SEVERITY = r"^(mild|moderate|severe|critical)$"


class AdmitIn(BaseModel):
    source: str = Field(min_length=1, max_length=64)
    case_id: str = Field(min_length=1, max_length=64)
    bed_type: str = Field(pattern=BED_TYPE)
    severity: str = Field(pattern=SEVERITY)
    admission_date: date
    note: str = Field(default="", max_length=2000)


class TransferIn(BaseModel):
    hospital_code: str = Field(pattern=HOSPITAL, description="The receiving hospital.")
    bed_type: str = Field(pattern=BED_TYPE)
    severity: str | None = Field(default=None, pattern=SEVERITY)
    transfer_date: date
    note: str = Field(default="", max_length=2000)


class DischargeIn(BaseModel):
    end_date: date
    outcome: str = Field(default="discharged", pattern=r"^(discharged|died)$")
    note: str = Field(default="", max_length=2000)


@router.get("", summary="Hospitals in the caller's jurisdiction, with latest occupancy")
def list_hospitals(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    region: Annotated[str | None, Query(pattern=CODE)] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    stale: bool = False,
    day: Day = None,
) -> dict[str, Any]:
    items = svc.list_hospitals(
        engine,
        actor,
        tree,
        day=day or date.today(),
        region_code=region,
        kind=kind,
        stale_only=stale,
    )
    return {"items": items, "total": len(items)}


@router.post("", status_code=201, summary="Register a hospital (and its store)")
def create_hospital(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    body: Annotated[HospitalIn, Body()],
) -> dict[str, Any]:
    return svc.create_hospital(
        engine,
        actor,
        tree,
        hospital_code=body.hospital_code,
        name=body.name,
        kind=body.kind,
        region_code=body.region_code,
        lat=body.lat,
        lon=body.lon,
        beds=body.beds.model_dump(),
    )


@router.get("/capacity/{region_code}", summary="Beds, occupancy and stale reports of a region")
def capacity(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    region_code: Annotated[str, Path(pattern=CODE)],
    day: Day = None,
) -> dict[str, Any]:
    return svc.capacity_summary(engine, actor, tree, region_code, day or date.today())


@router.get("/runway/{region_code}", summary="Days until the region's ICU beds run out")
def icu_runway(
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    region_code: Annotated[str, Path(pattern=CODE)],
    day: Day = None,
    horizon: Annotated[int, Query(ge=1, le=60)] = 21,
    icu_fraction: Annotated[float, Query(gt=0, le=1)] = svc.ICU_FRACTION,
    icu_stay_mean: Annotated[float, Query(gt=0, le=120)] = svc.ICU_STAY[0],
    icu_stay_sd: Annotated[float, Query(ge=0, le=120)] = svc.ICU_STAY[1],
) -> dict[str, Any]:
    return svc.icu_runway(
        engine,
        actor,
        tree,
        region_code,
        day=day or date.today(),
        horizon=horizon,
        icu_fraction=icu_fraction,
        icu_stay_mean=icu_stay_mean,
        icu_stay_sd=icu_stay_sd,
        priority=settings.source_priority,
    )


@router.get(
    "/icu-runways",
    summary="Days until the ICU beds run out in China and each province (public)",
)
def public_runways(
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
) -> dict[str, Any]:
    """Region totals only, as on the public page ``/{lang}/resources``; no sign-in."""
    return svc.public_runways(engine, tree, day=date.today(), priority=settings.source_priority)


@router.get("/case-stays", summary="Every stay of one case (admissions and transfers)")
def case_stays(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    source: Annotated[str, Query(min_length=1, max_length=64)],
    case_id: Annotated[str, Query(min_length=1, max_length=64)],
) -> dict[str, Any]:
    items = patient_svc.case_path(engine, actor, tree, source, case_id)
    return {"items": items, "total": len(items)}


@router.get("/{hospital_code}", summary="One hospital with its occupancy history (ETag)")
def get_hospital(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    hospital_code: str,
    response: Response,
    day: Day = None,
) -> dict[str, Any]:
    found = svc.get_hospital(engine, actor, tree, hospital_code, day or date.today())
    versioned(response, found["etag"])  # the capacity's version (PATCH …/beds)
    return found


@router.patch(
    "/{hospital_code}/beds",
    summary="Change the bed capacity (If-Match: the hospital's ETag)",
    responses={412: {"description": "Changed since read"}, 428: {"description": "No If-Match"}},
)
def set_capacity(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    hospital_code: str,
    body: Annotated[CapacityIn, Body()],
    response: Response,
    if_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> dict[str, Any]:
    beds = {k: v for k, v in body.model_dump().items() if v is not None}
    found = svc.set_capacity(engine, actor, tree, hospital_code, beds, if_match=if_match)
    response.headers["ETag"] = found["etag"]
    return found


@router.put(
    "/{hospital_code}/occupancy",
    summary="Report (or correct) a day's occupancy (If-Match to correct)",
    responses={412: {"description": "Changed since read"}, 428: {"description": "No If-Match"}},
)
def report_occupancy(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    hospital_code: str,
    body: Annotated[OccupancyIn, Body()],
    response: Response,
    if_match: Annotated[str | None, Header(max_length=1024)] = None,
    if_none_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> dict[str, Any]:
    """A day not reported yet is created; correcting a stored day needs ``If-Match``
    with that day's ETag (``etag`` of the day in ``occupancy_history``)."""
    found = svc.report_occupancy(
        engine,
        actor,
        tree,
        hospital_code,
        report_date=body.report_date,
        occupied=body.occupied.model_dump(),
        if_match=if_match,
        if_none_match=if_none_match,
    )
    response.headers["ETag"] = found["etag"]
    return found


@router.get("/{hospital_code}/patients", summary="The hospital's patient stays")
def list_patients(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    hospital_code: str,
    open: bool = False,
    day: date | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    items = patient_svc.list_stays(
        engine, actor, tree, hospital_code, day=day, open_only=open, limit=limit
    )
    return {"items": items, "total": len(items)}


@router.post("/{hospital_code}/patients", status_code=201, summary="Admit a case")
def admit(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    hospital_code: str,
    body: Annotated[AdmitIn, Body()],
) -> dict[str, Any]:
    return patient_svc.admit(engine, actor, tree, hospital_code, **body.model_dump())


@router.post(
    "/{hospital_code}/patients/{stay_id}/transfer",
    status_code=201,
    summary="Transfer a patient (another hospital or bed type); answers the new stay",
)
def transfer(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    hospital_code: str,
    stay_id: int,
    body: Annotated[TransferIn, Body()],
) -> dict[str, Any]:
    return patient_svc.transfer(
        engine,
        actor,
        tree,
        hospital_code,
        stay_id,
        to_hospital_code=body.hospital_code,
        bed_type=body.bed_type,
        severity=body.severity,
        transfer_date=body.transfer_date,
        note=body.note,
    )


@router.post("/{hospital_code}/patients/{stay_id}/discharge", summary="Discharge (or death)")
def discharge(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    hospital_code: str,
    stay_id: int,
    body: Annotated[DischargeIn, Body()],
) -> dict[str, Any]:
    return patient_svc.discharge(
        engine,
        actor,
        tree,
        hospital_code,
        stay_id,
        end_date=body.end_date,
        outcome=body.outcome,
        note=body.note,
    )


@router.get("/{hospital_code}/census", summary="Patients in bed on a day, from the stays")
def census(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    hospital_code: str,
    day: date | None = None,
) -> dict[str, Any]:
    return patient_svc.census(engine, actor, tree, hospital_code, day or date.today())


@router.post(
    "/{hospital_code}/occupancy/from-census",
    summary="File the day's occupancy report from the census of the stays",
)
def report_from_census(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    hospital_code: str,
    body: Annotated[CensusReportIn, Body()],
) -> dict[str, Any]:
    return patient_svc.report_from_census(
        engine, actor, tree, hospital_code, report_date=body.report_date
    )


# --- medical teams and pairing (/api/v1/medical-teams) -------------------------------------

teams_router = ApiRouter(prefix="/api/v1/medical-teams", tags=["medical teams"])


class MemberIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    specialty: str = Field(default="", max_length=64)


class TeamIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    origin_code: str = Field(pattern=CODE)
    leader: str = Field(min_length=1, max_length=128)
    members: list[MemberIn] = Field(default_factory=list, max_length=team_svc.MAX_MEMBERS)
    size: int | None = Field(default=None, ge=1, le=100_000)
    region_code: str | None = Field(default=None, pattern=CODE)
    hospital_code: str | None = Field(default=None, pattern=HOSPITAL)
    departure_date: date
    arrival_date: date | None = None
    rotation_due_date: date | None = None


class TeamDatesIn(BaseModel):
    arrival_date: date | None = None
    rotation_due_date: date | None = None
    return_date: date | None = None


class PairingIn(BaseModel):
    province_code: str = Field(pattern=CODE)
    city_code: str = Field(pattern=CODE)
    start_date: date


class PairingEndIn(BaseModel):
    end_date: date


@teams_router.get("", summary="Medical teams to or from the caller's jurisdiction")
def list_teams(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    region: Annotated[str | None, Query(pattern=CODE)] = None,
    status: Annotated[
        str | None, Query(pattern=r"^(dispatched|on_site|rotation_due|returned)$")
    ] = None,
    day: Day = None,
) -> dict[str, Any]:
    items = team_svc.list_teams(
        engine, actor, tree, day=day or date.today(), region_code=region, status=status
    )
    return {"items": items, "total": len(items)}


@teams_router.post("", status_code=201, summary="Dispatch a medical team")
def dispatch_team(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    body: Annotated[TeamIn, Body()],
) -> dict[str, Any]:
    return team_svc.dispatch_team(
        engine,
        actor,
        tree,
        name=body.name,
        origin_code=body.origin_code,
        leader=body.leader,
        members=[(x.name, x.specialty) for x in body.members],
        size=body.size,
        region_code=body.region_code,
        hospital_code=body.hospital_code,
        departure_date=body.departure_date,
        arrival_date=body.arrival_date,
        rotation_due_date=body.rotation_due_date,
    )


@teams_router.get("/pairings", summary="Province-to-city pairing assignments")
def pairings(
    engine: Annotated[Engine, Depends(get_engine)],
    actor: Annotated[Actor, Depends(current_actor)],
    active: bool = False,
) -> dict[str, Any]:
    items = team_svc.list_pairings(engine, active_only=active)
    return {"items": items, "total": len(items)}


@teams_router.post("/pairings", status_code=201, summary="Pair a province with a city")
def pair(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    body: Annotated[PairingIn, Body()],
) -> dict[str, Any]:
    return team_svc.pair(
        engine,
        actor,
        tree,
        province_code=body.province_code,
        city_code=body.city_code,
        start_date=body.start_date,
    )


@teams_router.post("/pairings/{pairing_id}/end", summary="End a pairing")
def end_pairing(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    pairing_id: Id,
    body: Annotated[PairingEndIn, Body()],
) -> dict[str, Any]:
    return team_svc.end_pairing(engine, actor, tree, pairing_id, body.end_date)


@teams_router.post("/{team_id}/dates", summary="Record arrival, rotation due date or return")
def team_dates(
    engine: Annotated[Engine, Depends(get_engine)],
    tree: Annotated[RegionTree, Depends(get_region_tree)],
    actor: Annotated[Actor, Depends(current_actor)],
    team_id: Id,
    body: Annotated[TeamDatesIn, Body()],
) -> dict[str, Any]:
    return team_svc.record_dates(
        engine,
        actor,
        tree,
        team_id,
        arrival_date=body.arrival_date,
        rotation_due_date=body.rotation_due_date,
        return_date=body.return_date,
    )
