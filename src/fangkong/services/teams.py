"""Medical teams (医疗队) and province-to-city pairing assignments (对口支援).

In February 2020 the national command paired 19 provinces with 16 cities of Hubei
outside Wuhan, one province supporting one city ("一省包一市"), and sent medical teams
from the provinces to designated and shelter hospitals. This module keeps:

* **teams** — origin province, leader, members with their specialties, size, the
  destination region and (optionally) hospital, and the dates of departure, arrival,
  rotation due and return. The team's status is derived from the dates (dispatched →
  on site → returned; ``rotation_due`` when on site past the due date), never typed;
* **pairings** — a province supports one city at a time and a city is supported by one
  province at a time (checked when a pairing starts; ending it frees both);
* for each team on site: the health-worker infections confirmed in its destination
  region since its arrival (case records with ``health_worker`` set), and the days
  of supply of personal protective equipment at its hospital's store
  (services/supplies.py, from consumption).

Dispatching, rotating, returning a team and pairing need the ``command`` permission
over the destination region (or city); reading needs a signed-in user whose
jurisdiction covers the destination or the origin.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from fangkong.core.access import Actor, Permission
from fangkong.core.regions import RegionLevel, RegionTree
from fangkong.services.auth import authorize
from fangkong.services.errors import Conflict, Invalid, NotFound
from fangkong.services.hospitals import hospital_row, store_code
from fangkong.services.supplies import iso, now, stock, text_field, within
from fangkong.store import models as m

T = m.MedicalTeamRow
PA = m.PairingRow
MAX_MEMBERS = 2000


def status_of(row: Any, day: date) -> str:
    """dispatched, on_site, rotation_due or returned, from the dates."""
    if row.return_date is not None and row.return_date <= day:
        return "returned"
    if row.arrival_date is None or row.arrival_date > day:
        return "dispatched"
    if row.rotation_due_date is not None and row.rotation_due_date <= day:
        return "rotation_due"
    return "on_site"


def _members(text: str) -> list[dict[str, str]]:
    value = json.loads(text)
    return [dict(x) for x in value] if isinstance(value, list) else []


def _team_dict(row: Any, day: date) -> dict[str, Any]:
    members = _members(row.members)
    specialties: dict[str, int] = {}
    for member in members:
        key = member.get("specialty") or "unspecified"
        specialties[key] = specialties.get(key, 0) + 1
    return {
        "id": row.id,
        "name": row.name,
        "origin_code": row.origin_code,
        "leader": row.leader,
        "size": row.size,
        "members": members,
        "specialties": specialties,
        "region_code": row.region_code,
        "hospital_code": row.hospital_code,
        "departure_date": row.departure_date.isoformat(),
        "arrival_date": row.arrival_date.isoformat() if row.arrival_date else None,
        "rotation_due_date": row.rotation_due_date.isoformat() if row.rotation_due_date else None,
        "return_date": row.return_date.isoformat() if row.return_date else None,
        "status": status_of(row, day),
        "created_by": row.actor,
        "created_at": iso(row.created_at),
    }


def _level(conn: Connection, code: str) -> str | None:
    return conn.execute(
        select(m.RegionRow.level).where(m.RegionRow.region_code == code)
    ).scalar_one_or_none()


def _check_level(conn: Connection, code: str, level: RegionLevel, field: str) -> None:
    if _level(conn, code) != level.value:
        raise Invalid(f"{code!r} is not a {level.value}", field=field)


def dispatch_team(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    name: str,
    origin_code: str,
    leader: str,
    members: Sequence[tuple[str, str]],
    size: int | None = None,
    region_code: str | None = None,
    hospital_code: str | None = None,
    departure_date: date,
    arrival_date: date | None = None,
    rotation_due_date: date | None = None,
) -> dict[str, Any]:
    """Send a team from ``origin_code`` (a province) to a hospital or a region.
    ``members`` are (name, specialty); ``size`` defaults to the member count and may
    exceed it when not every member is listed."""
    label = text_field(name, "name", 128)
    head = text_field(leader, "leader", 128)
    if len(members) > MAX_MEMBERS:
        raise Invalid(f"at most {MAX_MEMBERS} members", field="members")
    listed = [
        {
            "name": text_field(n, f"members/{i}/name", 128),
            "specialty": text_field(s, f"members/{i}/specialty", 64, required=False),
        }
        for i, (n, s) in enumerate(members)
    ]
    count = len(listed) if size is None else size
    if count < max(1, len(listed)):
        raise Invalid("size must be at least the number of members listed (and >= 1)", "size")
    if arrival_date is not None and arrival_date < departure_date:
        raise Invalid("arrival_date is before departure_date", field="arrival_date")
    if rotation_due_date is not None and rotation_due_date < departure_date:
        raise Invalid("rotation_due_date is before departure_date", field="rotation_due_date")
    with engine.begin() as conn:
        _check_level(conn, origin_code, RegionLevel.PROVINCE, "origin_code")
        if hospital_code:
            hospital = hospital_row(conn, hospital_code)
            if region_code and not tree.is_within(hospital.region_code, region_code):
                raise Invalid(
                    f"hospital {hospital_code} is not in region {region_code}", "hospital_code"
                )
            region_code = hospital.region_code
        if not region_code or region_code not in tree:
            raise Invalid("a team goes to a known region or hospital", field="region_code")
        authorize(actor, Permission.COMMAND, region_code, tree)
        team_id = int(
            conn.execute(
                insert(T)
                .values(
                    name=label,
                    origin_code=origin_code,
                    leader=head,
                    members=json.dumps(listed, ensure_ascii=False),
                    size=count,
                    region_code=region_code,
                    hospital_code=hospital_code or None,
                    departure_date=departure_date,
                    arrival_date=arrival_date,
                    rotation_due_date=rotation_due_date,
                    return_date=None,
                    actor=actor.username,
                    created_at=now(),
                )
                .returning(T.id)
            ).scalar_one()
        )
        return _team_dict(_get(conn, team_id), departure_date)


def _get(conn: Connection, team_id: int) -> Any:
    row = conn.execute(select(T).where(T.id == team_id)).first()
    if row is None:
        raise NotFound(f"no medical team {team_id}", field="team_id")
    return row


def record_dates(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    team_id: int,
    *,
    arrival_date: date | None = None,
    rotation_due_date: date | None = None,
    return_date: date | None = None,
) -> dict[str, Any]:
    """Record the team's arrival, its rotation due date or its return (dates given
    replace the stored ones; each must follow the departure, a return the arrival)."""
    with engine.begin() as conn:
        row = _get(conn, team_id)
        authorize(actor, Permission.COMMAND, row.region_code, tree)
        values: dict[str, date] = {}
        for field, value in (
            ("arrival_date", arrival_date),
            ("rotation_due_date", rotation_due_date),
            ("return_date", return_date),
        ):
            if value is None:
                continue
            if value < row.departure_date:
                raise Invalid(f"{field} is before the departure on {row.departure_date}", field)
            values[field] = value
        arrived = values.get("arrival_date", row.arrival_date)
        if "return_date" in values and (arrived is None or values["return_date"] < arrived):
            raise Invalid("a team returns after it arrived", field="return_date")
        if not values:
            raise Invalid("give at least one date", field="arrival_date")
        conn.execute(update(T).where(T.id == team_id).values(**values))
        return _team_dict(_get(conn, team_id), now().date())


def list_teams(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    day: date,
    region_code: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """Teams sent to or from the actor's jurisdiction, each with the health-worker
    infections in its destination since arrival and its hospital's PPE days of
    supply (on ``day``)."""
    with engine.connect() as conn:
        rows = [
            r
            for r in conn.execute(select(T).order_by(T.departure_date.desc(), T.id.desc()))
            if (within(actor, r.region_code, tree) or within(actor, r.origin_code, tree))
            and (region_code is None or tree.is_within(r.region_code, region_code))
        ]
        out = [_team_dict(r, day) for r in rows]
        for team, row in zip(out, rows, strict=True):
            team["health_worker_infections"] = _hw_infections(conn, row, day)
    if status is not None:
        out = [t for t in out if t["status"] == status]
    for team in out:
        team["ppe_days_of_supply"] = _ppe(engine, actor, tree, team["hospital_code"], day)
    return out


def subtree_codes(conn: Connection, root: str) -> list[str]:
    """``root`` and every region below it."""
    regions = m.RegionRow
    codes = [root]
    frontier = [root]
    while frontier:
        frontier = [
            r.region_code
            for r in conn.execute(
                select(regions.region_code).where(regions.parent_code.in_(frontier))
            )
        ]
        codes += frontier
    return codes


#: Case classifications that are infections (suspected and discarded ones are not).
INFECTED = ("confirmed", "clinically_diagnosed", "asymptomatic")


def _hw_infections(conn: Connection, row: Any, day: date) -> int | None:
    """Health workers confirmed infected (confirmed, clinically diagnosed or asymptomatic
    infection) in the destination region between arrival and ``day`` (or the return)."""
    if row.arrival_date is None or row.arrival_date > day:
        return None
    codes = subtree_codes(conn, row.region_code)
    c = m.CaseRecordRow
    total = conn.execute(
        select(func.count())
        .select_from(c)
        .where(
            c.region_code.in_(codes),
            c.health_worker.is_(True),
            c.classification.in_(INFECTED),
            c.confirmation_date >= row.arrival_date,
            c.confirmation_date <= (row.return_date or day),
        )
    ).scalar_one()
    return int(total)


def _ppe(
    engine: Engine, actor: Actor, tree: RegionTree, hospital_code: str | None, day: date
) -> list[dict[str, Any]]:
    if not hospital_code:
        return []
    try:
        rows = stock(engine, actor, tree, day=day, warehouse_code=store_code(hospital_code))
    except NotFound:
        return []
    with engine.connect() as conn:
        ppe = {
            r.item_code
            for r in conn.execute(
                select(m.SupplyItemRow.item_code).where(m.SupplyItemRow.category == "ppe")
            )
        }
    return [
        {"item_code": r["item_code"], "usable": r["usable"], "days_of_supply": r["days_of_supply"]}
        for r in rows
        if r["item_code"] in ppe
    ]


# --- pairing ------------------------------------------------------------------------------


def _pairing_dict(conn: Connection, row: Any) -> dict[str, Any]:
    def name(code: str) -> str:
        found = conn.execute(
            select(m.RegionRow.name_zh).where(m.RegionRow.region_code == code)
        ).scalar_one_or_none()
        return found or code

    return {
        "id": row.id,
        "province_code": row.province_code,
        "province_name_zh": name(row.province_code),
        "city_code": row.city_code,
        "city_name_zh": name(row.city_code),
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat() if row.end_date else None,
        "active": row.end_date is None,
        "created_by": row.actor,
    }


def pair(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    province_code: str,
    city_code: str,
    start_date: date,
) -> dict[str, Any]:
    """Assign a province to support a city; :class:`Conflict` when either is already
    in an active pairing."""
    with engine.begin() as conn:
        _check_level(conn, province_code, RegionLevel.PROVINCE, "province_code")
        _check_level(conn, city_code, RegionLevel.PREFECTURE, "city_code")
        if tree.is_within(city_code, province_code):
            raise Invalid("a province supports a city of another province", field="city_code")
        authorize(actor, Permission.COMMAND, city_code, tree)
        active = conn.execute(
            select(PA).where(
                PA.end_date.is_(None),
                (PA.province_code == province_code) | (PA.city_code == city_code),
            )
        ).first()
        if active is not None:
            raise Conflict(
                f"{active.province_code} already supports {active.city_code} "
                f"(since {active.start_date}); end that pairing first",
                field="city_code",
            )
        pid = int(
            conn.execute(
                insert(PA)
                .values(
                    province_code=province_code,
                    city_code=city_code,
                    start_date=start_date,
                    end_date=None,
                    actor=actor.username,
                    created_at=now(),
                )
                .returning(PA.id)
            ).scalar_one()
        )
        return _pairing_dict(conn, conn.execute(select(PA).where(PA.id == pid)).one())


def end_pairing(
    engine: Engine, actor: Actor, tree: RegionTree, pairing_id: int, end_date: date
) -> dict[str, Any]:
    with engine.begin() as conn:
        row = conn.execute(select(PA).where(PA.id == pairing_id)).first()
        if row is None:
            raise NotFound(f"no pairing {pairing_id}", field="pairing_id")
        authorize(actor, Permission.COMMAND, row.city_code, tree)
        if row.end_date is not None:
            raise Conflict(f"pairing {pairing_id} ended on {row.end_date}")
        if end_date < row.start_date:
            raise Invalid("end_date is before start_date", field="end_date")
        conn.execute(update(PA).where(PA.id == pairing_id).values(end_date=end_date))
        return _pairing_dict(conn, conn.execute(select(PA).where(PA.id == pairing_id)).one())


def list_pairings(engine: Engine, active_only: bool = False) -> list[dict[str, Any]]:
    query = select(PA).order_by(PA.start_date, PA.id)
    if active_only:
        query = query.where(PA.end_date.is_(None))
    with engine.connect() as conn:
        return [_pairing_dict(conn, r) for r in conn.execute(query).all()]
