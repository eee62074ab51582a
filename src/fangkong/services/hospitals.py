"""Hospitals and treatment capacity: designated hospitals (定点医院), temporary shelter
hospitals (方舱医院) and fever clinics (发热门诊), with bed capacity by type and daily
occupancy reports.

* Registering a hospital or changing its capacity needs the ``command`` permission over
  its region; the hospital's own store (a warehouse of kind ``hospital``, code
  ``H-<hospital_code>``) is created with it, so that shipments have somewhere to land.
* A daily occupancy report needs ``write_reports`` over the hospital's region; one per
  hospital and ``report_date`` (a later report for the same date replaces it).
  Occupancy may exceed capacity (extra beds in a surge) and is then flagged.
* A hospital's latest report is **stale** when it is older than ``STALE_AFTER_DAYS``
  days before the reference day (reports are due daily, the day after at the latest).
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from fangkong.core.access import WORLD, Actor, Permission, Role
from fangkong.core.regions import RegionTree
from fangkong.services.auth import authorize
from fangkong.services.errors import Conflict, Invalid, NotFound, PreconditionFailed, ServiceError
from fangkong.services.supplies import (
    HOSPITAL_STORE,
    check_coordinates,
    check_region,
    iso,
    now,
    text_field,
    within,
)
from fangkong.services.versions import (
    UNCHECKED,
    IfMatch,
    check_preconditions,
    etag,
    locked_write,
)
from fangkong.store import models as m

H = m.HospitalRow
W = m.WarehouseRow
OCC = m.HospitalOccupancyRow
#: A report older than this many days before the reference day is stale.
STALE_AFTER_DAYS = 1
BED_TYPES = ("general", "isolation", "icu", "ventilator")
#: Largest bed count accepted for one type (the biggest shelter hospitals had ~2,000).
MAX_BEDS = 100_000


class HospitalKind(StrEnum):
    DESIGNATED = "designated"
    SHELTER = "shelter"
    FEVER_CLINIC = "fever_clinic"


KIND_NAMES = {
    HospitalKind.DESIGNATED: ("定点医院", "Designated hospital"),
    HospitalKind.SHELTER: ("方舱医院", "Temporary shelter hospital"),
    HospitalKind.FEVER_CLINIC: ("发热门诊", "Fever clinic"),
}


def store_code(hospital_code: str) -> str:
    """The warehouse code of a hospital's own store."""
    return f"H-{hospital_code}"


def kind_of(text: str) -> HospitalKind:
    cleaned = text.strip().lower().replace(" ", "_").replace("-", "_")
    for kind, (zh, en) in KIND_NAMES.items():
        if cleaned in (kind.value, zh, en.lower().replace(" ", "_")):
            return kind
    raise Invalid(
        "kind must be designated, shelter or fever_clinic (定点医院, 方舱医院, 发热门诊)",
        field="kind",
    )


def _beds(values: dict[str, int], prefix: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for bed in BED_TYPES:
        value = values.get(bed, 0)
        if value < 0 or value > MAX_BEDS:
            raise Invalid(f"{prefix}{bed} must lie in [0, {MAX_BEDS}]", field=f"{prefix}{bed}")
        out[f"{prefix}{bed}"] = value
    return out


def _get(conn: Connection, hospital_code: str) -> Any:
    row = conn.execute(select(H).where(H.hospital_code == hospital_code)).first()
    if row is None:
        raise NotFound(f"no hospital {hospital_code!r}", field="hospital_code")
    return row


def _get_for_update(conn: Connection, hospital_code: str) -> Any:
    """The hospital's row, locked until the transaction ends (PostgreSQL)."""
    query = select(H).where(H.hospital_code == hospital_code)
    query = query.with_for_update()  # SQLite: no clause (one writer at a time)
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no hospital {hospital_code!r}", field="hospital_code")
    return row


def hospital_row(conn: Connection, hospital_code: str) -> Any:
    """The hospital's row; :class:`NotFound` when unknown."""
    return _get(conn, hospital_code)


def _occupancy_dict(row: Any, hospital: Any) -> dict[str, Any]:
    occupied = {bed: getattr(row, f"occupied_{bed}") for bed in BED_TYPES}
    over = [bed for bed in BED_TYPES if occupied[bed] > getattr(hospital, f"beds_{bed}")]
    return {
        "report_date": row.report_date.isoformat(),
        **{f"occupied_{bed}": occupied[bed] for bed in BED_TYPES},
        "over_capacity": over,
        "actor": row.actor,
        "updated_at": iso(row.updated_at),
        "version": row.version,
        "etag": etag(row.version),
    }


def hospital_dict(row: Any, latest: Any | None, day: date) -> dict[str, Any]:
    kind = HospitalKind(row.kind)
    stale = latest is None or (day - latest.report_date).days > STALE_AFTER_DAYS
    icu_free = None
    if latest is not None:
        icu_free = row.beds_icu - latest.occupied_icu
    return {
        "hospital_code": row.hospital_code,
        "name": row.name,
        "kind": kind.value,
        "kind_zh": KIND_NAMES[kind][0],
        "kind_en": KIND_NAMES[kind][1],
        "region_code": row.region_code,
        "lat": row.lat,
        "lon": row.lon,
        "warehouse_code": store_code(row.hospital_code),
        "beds": {bed: getattr(row, f"beds_{bed}") for bed in BED_TYPES},
        "latest_occupancy": None if latest is None else _occupancy_dict(latest, row),
        "stale": stale,
        "icu_beds_free": icu_free,
        "updated_at": iso(row.updated_at),
        "version": row.version,
        "etag": etag(row.version),
    }


def _latest(conn: Connection, codes: list[str], day: date) -> dict[str, Any]:
    """Each hospital's latest report on or before ``day``."""
    if not codes:
        return {}
    newest = (
        select(OCC.hospital_code, func.max(OCC.report_date).label("d"))
        .where(OCC.hospital_code.in_(codes), OCC.report_date <= day)
        .group_by(OCC.hospital_code)
        .subquery()
    )
    rows = conn.execute(
        select(OCC).join(
            newest, (OCC.hospital_code == newest.c.hospital_code) & (OCC.report_date == newest.c.d)
        )
    ).all()
    return {r.hospital_code: r for r in rows}


def create_hospital(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    hospital_code: str,
    name: str,
    kind: str,
    region_code: str,
    lat: float,
    lon: float,
    beds: dict[str, int],
    day: date | None = None,
) -> dict[str, Any]:
    """Register a hospital (and its store) in ``region_code``."""
    code = text_field(hospital_code, "hospital_code", 24)
    label = text_field(name, "name", 128)
    what = kind_of(kind)
    check_coordinates(lat, lon)
    capacity = _beds(beds, "beds_")
    stamp = now()
    with engine.begin() as conn:
        check_region(conn, region_code)
        authorize(actor, Permission.COMMAND, region_code, tree)
        if conn.execute(select(H.hospital_code).where(H.hospital_code == code)).first():
            raise Conflict(f"hospital {code} already exists", field="hospital_code")
        if conn.execute(
            select(W.warehouse_code).where(W.warehouse_code == store_code(code))
        ).first():
            raise Conflict(
                f"warehouse code {store_code(code)} is taken by a depot", field="hospital_code"
            )
        conn.execute(
            insert(H).values(
                hospital_code=code,
                name=label,
                kind=what.value,
                region_code=region_code,
                lat=lat,
                lon=lon,
                **capacity,
                actor=actor.username,
                created_at=stamp,
                updated_at=stamp,
            )
        )
        conn.execute(
            insert(W).values(
                warehouse_code=store_code(code),
                name=f"{label}库房",  # the hospital's store (库房)
                kind=HOSPITAL_STORE,
                region_code=region_code,
                lat=lat,
                lon=lon,
                hospital_code=code,
                actor=actor.username,
                created_at=stamp,
            )
        )
        row = _get(conn, code)
    return hospital_dict(row, None, day or stamp.date())


def set_capacity(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    hospital_code: str,
    beds: dict[str, int],
    day: date | None = None,
    *,
    if_match: IfMatch = UNCHECKED,
) -> dict[str, Any]:
    """Change the bed capacity (types not given keep their value), only if the
    hospital is still at the version ``if_match`` names (services/versions.py)."""
    unknown = set(beds) - set(BED_TYPES)
    if unknown:
        raise Invalid(f"unknown bed type {sorted(unknown)[0]!r}", field="beds")
    with locked_write(engine) as conn:
        row = _get_for_update(conn, hospital_code)
        authorize(actor, Permission.COMMAND, row.region_code, tree)
        check_preconditions(
            row.version,
            if_match=if_match,
            what=f"the capacity of hospital {hospital_code}",
            last_change=f", last changed at {iso(row.updated_at)}",
        )
        current = {bed: getattr(row, f"beds_{bed}") for bed in BED_TYPES}
        conn.execute(
            update(H)
            .where(H.hospital_code == hospital_code)
            .values(**_beds({**current, **beds}, "beds_"), updated_at=now(), version=H.version + 1)
        )
        row = _get(conn, hospital_code)
        today = day or now().date()
        latest = _latest(conn, [hospital_code], today).get(hospital_code)
    return hospital_dict(row, latest, today)


def list_hospitals(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    day: date,
    region_code: str | None = None,
    kind: str | None = None,
    stale_only: bool = False,
) -> list[dict[str, Any]]:
    """Hospitals in the actor's jurisdiction (and under ``region_code``), each with its
    latest occupancy on or before ``day`` and the stale flag."""
    query = select(H).order_by(H.region_code, H.hospital_code)
    if kind:
        query = query.where(H.kind == kind_of(kind).value)
    with engine.connect() as conn:
        rows = [
            r
            for r in conn.execute(query)
            if within(actor, r.region_code, tree)
            and (region_code is None or tree.is_within(r.region_code, region_code))
        ]
        latest = _latest(conn, [r.hospital_code for r in rows], day)
    out = [hospital_dict(r, latest.get(r.hospital_code), day) for r in rows]
    return [h for h in out if h["stale"]] if stale_only else out


def get_hospital(
    engine: Engine, actor: Actor, tree: RegionTree, hospital_code: str, day: date
) -> dict[str, Any]:
    with engine.connect() as conn:
        row = _get(conn, hospital_code)
        if not within(actor, row.region_code, tree):
            raise NotFound(f"no hospital {hospital_code!r}", field="hospital_code")
        latest = _latest(conn, [hospital_code], day).get(hospital_code)
        history = conn.execute(
            select(OCC)
            .where(OCC.hospital_code == hospital_code, OCC.report_date <= day)
            .order_by(OCC.report_date.desc())
            .limit(30)
        ).all()
    out = hospital_dict(row, latest, day)
    out["occupancy_history"] = [_occupancy_dict(r, row) for r in history]
    return out


def report_occupancy(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    hospital_code: str,
    *,
    report_date: date,
    occupied: dict[str, int],
    today: date | None = None,
    if_match: IfMatch = UNCHECKED,
    if_none_match: str | None = None,
) -> dict[str, Any]:
    """Record the hospital's occupancy on ``report_date``, or correct the one stored —
    only if it is still at the version ``if_match`` names (services/versions.py)."""
    day = today or now().date()
    if report_date > day:
        raise Invalid(f"report_date {report_date} is in the future", field="report_date")
    unknown = set(occupied) - set(BED_TYPES)
    if unknown:
        raise Invalid(f"unknown bed type {sorted(unknown)[0]!r}", field="occupied")
    values = _beds(occupied, "occupied_")
    what = f"the occupancy report of hospital {hospital_code} for {report_date.isoformat()}"
    try:
        with locked_write(engine) as conn:
            saved, row = _store_occupancy(
                conn, actor, tree, hospital_code, report_date, values, what, if_match, if_none_match
            )
    except IntegrityError as exc:  # PostgreSQL: created by another request meanwhile
        raise PreconditionFailed(
            f"{what} was created meanwhile; reload it", "If-None-Match"
        ) from exc
    return _occupancy_dict(saved, row)


def _store_occupancy(
    conn: Connection,
    actor: Actor,
    tree: RegionTree,
    hospital_code: str,
    report_date: date,
    values: dict[str, int],
    what: str,
    if_match: IfMatch,
    if_none_match: str | None,
) -> tuple[Any, Any]:
    row = _get(conn, hospital_code)
    authorize(actor, Permission.WRITE_REPORTS, row.region_code, tree)
    query = select(OCC).where(OCC.hospital_code == hospital_code, OCC.report_date == report_date)
    query = query.with_for_update()  # SQLite: no clause (one writer at a time)
    known = conn.execute(query).first()
    check_preconditions(
        None if known is None else known.version,
        if_match=if_match,
        if_none_match=if_none_match,
        what=what,
        last_change=(
            "" if known is None else f", last changed by {known.actor} at {iso(known.updated_at)}"
        ),
    )
    if known is None:
        conn.execute(
            insert(OCC).values(
                hospital_code=hospital_code,
                report_date=report_date,
                **values,
                actor=actor.username,
                updated_at=now(),
            )
        )
    else:
        conn.execute(
            update(OCC)
            .where(OCC.id == known.id)
            .values(**values, actor=actor.username, updated_at=now(), version=OCC.version + 1)
        )
    saved = conn.execute(
        select(OCC).where(OCC.hospital_code == hospital_code, OCC.report_date == report_date)
    ).one()
    return saved, row


def capacity_summary(
    engine: Engine, actor: Actor, tree: RegionTree, region_code: str, day: date
) -> dict[str, Any]:
    """Beds and latest occupancy summed over the hospitals under ``region_code``;
    ``stale_hospitals`` lists the ones whose figures are not current."""
    hospitals = list_hospitals(engine, actor, tree, day=day, region_code=region_code)
    beds = {bed: sum(h["beds"][bed] for h in hospitals) for bed in BED_TYPES}
    occupied = {
        bed: sum((h["latest_occupancy"] or {}).get(f"occupied_{bed}", 0) for h in hospitals)
        for bed in BED_TYPES
    }
    return {
        "region_code": region_code,
        "day": day.isoformat(),
        "hospitals": len(hospitals),
        "beds": beds,
        "occupied": occupied,
        "free": {bed: beds[bed] - occupied[bed] for bed in BED_TYPES},
        "stale_hospitals": [h["hospital_code"] for h in hospitals if h["stale"]],
    }


#: Share of confirmed cases needing intensive care: 5% critical among 44,672 confirmed
#: cases in China to 11 Feb 2020 (China CDC Weekly 2020;2(8):113-122).
ICU_FRACTION = 0.05
#: Days of forecast of the ICU runway by default.
RUNWAY_HORIZON = 21
#: ICU length of stay (days, gamma mean and SD): the scenario default
#: (core/epi/scenario.py, HospitalParameters.icu_stay).
ICU_STAY = (10.0, 5.0)


def icu_runway(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    region_code: str,
    *,
    day: date,
    horizon: int = RUNWAY_HORIZON,
    icu_fraction: float = ICU_FRACTION,
    icu_stay_mean: float = ICU_STAY[0],
    icu_stay_sd: float = ICU_STAY[1],
    priority: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Days until the ICU beds of the hospitals under ``region_code`` run out.

    Method: the region's daily new confirmed cases (the last 4 weeks observed, then
    the renewal-model forecast of services/forecast.py, mean and 97.5% quantile) are
    turned into ICU bed demand by the convolution of
    :func:`fangkong.core.epi.scenario.bed_demand` (every confirmed case admitted on
    confirmation, a share ``icu_fraction`` needing an ICU bed for a gamma-distributed
    stay). The projection is anchored on the reported occupancy: projected occupied
    ICU beds on day t = occupied now + (modelled demand on t - modelled demand now).
    The answer is the first forecast day on which that exceeds the ICU beds (0 when
    already full; None when not within the horizon). Stale hospital reports are
    listed, since the anchor is only as good as they are.
    """
    import numpy as np

    from fangkong.core.epi.scenario import GammaDelay, HospitalParameters, bed_demand
    from fangkong.services.forecast import region_forecast

    if not 0 < icu_fraction <= 1:
        raise Invalid("icu_fraction must lie in (0, 1]", field="icu_fraction")
    if not 0 < icu_stay_mean <= 120 or not 0 <= icu_stay_sd <= 120:
        raise Invalid("ICU stay mean must lie in (0, 120] days, SD in [0, 120]", "icu_stay")
    if not 1 <= horizon <= 60:
        raise Invalid("horizon must lie in [1, 60] days", field="horizon")
    capacity = capacity_summary(engine, actor, tree, region_code, day)
    beds, occupied = capacity["beds"]["icu"], capacity["occupied"]["icu"]
    forecast = region_forecast(
        engine, region_code, horizon=horizon, forecast_from=day + timedelta(days=1),
        priority=priority,
    )  # fmt: skip
    history = np.array([float(h["new_confirmed"]) for h in forecast["history"]])
    params = HospitalParameters(
        hospitalised_fraction=1.0,
        icu_fraction=icu_fraction,
        admission_delay=GammaDelay(0.0, 0.0),
        icu_stay=GammaDelay(icu_stay_mean, icu_stay_sd),
    )
    out: dict[str, Any] = {
        "region_code": region_code,
        "day": day.isoformat(),
        "icu_beds": beds,
        "icu_occupied": occupied,
        "hospitals": capacity["hospitals"],
        "stale_hospitals": capacity["stale_hospitals"],
        "parameters": {
            "icu_fraction": icu_fraction,
            "icu_stay_mean": icu_stay_mean,
            "icu_stay_sd": icu_stay_sd,
            "horizon": horizon,
        },
        "forecast_source": forecast["source"],
        "notes": forecast["notes"],
    }
    for name, key in (("mean", "mean"), ("upper", "q0.975")):
        cases = np.concatenate([history, [float(i[key]) for i in forecast["items"]]])
        demand = bed_demand(cases, params).icu_beds
        now_index = history.size - 1
        projected = occupied + demand[now_index + 1 :] - demand[now_index]
        runs_out: int | None = 0 if occupied >= beds else None
        if runs_out is None:
            over = np.flatnonzero(projected > beds)
            runs_out = int(over[0]) + 1 if over.size else None
        out[f"days_until_full_{name}"] = runs_out
        out[f"projected_{name}"] = [
            {"date": i["date"], "icu_occupied": round(float(p), 1)}
            for i, p in zip(forecast["items"], projected, strict=True)
        ]
    return out


#: The reader of the public aggregates: read-only, every region.
PUBLIC_READER = Actor("public", Role.VIEWER, WORLD)
#: The country of the public page (its provinces are listed below it).
COUNTRY = "CN"


def public_runways(
    engine: Engine,
    tree: RegionTree,
    *,
    day: date,
    priority: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Days until the ICU beds run out, for China and each province with a hospital,
    as the public dashboard shows them: region totals only (no hospital is named), each
    with the number of hospitals whose report is stale. A region whose forecast cannot
    be made (no case figures) keeps its beds and occupancy, with the reason."""
    from fangkong.services.regions import get_region

    with engine.connect() as conn:
        codes = sorted({r[0] for r in conn.execute(select(H.region_code).distinct())})
    provinces: set[str] = set()
    for code in codes:
        path = [code, *tree.ancestors(code)]
        if COUNTRY in path and path.index(COUNTRY) > 0:
            provinces.add(path[path.index(COUNTRY) - 1])
    items: list[dict[str, Any]] = []
    for code in [COUNTRY, *sorted(provinces)] if codes else []:
        region = get_region(engine, code)
        entry: dict[str, Any] = {
            "region_code": code,
            "name_zh": region.name_zh,
            "name_en": region.name_en,
        }
        try:
            found = icu_runway(engine, PUBLIC_READER, tree, code, day=day, priority=priority)
        except ServiceError as exc:
            summary = capacity_summary(engine, PUBLIC_READER, tree, code, day)
            entry.update(
                hospitals=summary["hospitals"],
                icu_beds=summary["beds"]["icu"],
                icu_occupied=summary["occupied"]["icu"],
                stale_hospitals=len(summary["stale_hospitals"]),
                days_until_full_mean=None,
                days_until_full_upper=None,
                forecast_source=None,
                error=exc.message,
            )
        else:
            entry.update(
                hospitals=found["hospitals"],
                icu_beds=found["icu_beds"],
                icu_occupied=found["icu_occupied"],
                stale_hospitals=len(found["stale_hospitals"]),
                days_until_full_mean=found["days_until_full_mean"],
                days_until_full_upper=found["days_until_full_upper"],
                forecast_source=found["forecast_source"],
                error=None,
            )
        items.append(entry)
    return {
        "day": day.isoformat(),
        "parameters": {
            "icu_fraction": ICU_FRACTION,
            "icu_stay_mean": ICU_STAY[0],
            "icu_stay_sd": ICU_STAY[1],
            "horizon": RUNWAY_HORIZON,
        },
        "items": items,
    }


def resources_version(engine: Engine) -> tuple[Any, ...]:
    """What the public resources page depends on beyond the daily reports (hospitals,
    occupancy reports, donations), for its cache key."""
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count(), func.max(H.updated_at)).select_from(H)).one()[:],
            conn.execute(select(func.count(), func.max(OCC.updated_at)).select_from(OCC)).one()[:],
            conn.execute(
                select(func.count(), func.max(m.DonationRow.id)).select_from(m.DonationRow)
            ).one()[:],
        )
