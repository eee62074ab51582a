"""Patients in hospital beds: admissions, transfers and discharges, linked to case
records, with severity — and the bed census that follows from them.

A **stay** is one patient (one case record) in one bed type of one hospital:

* **admit** — a case (found by its ``source`` and ``case_id``) is admitted to a bed
  type with a severity, the clinical types of China's Diagnosis and Treatment
  Protocol for COVID-19 (NHC): mild, moderate (普通型), severe, critical. A case has
  at most one open stay; a discarded (ruled-out) case is not admitted;
* **transfer** — to another hospital, or to another bed type of the same hospital
  (e.g. a patient who became critical moves into intensive care): the stay ends
  ("transferred") and the next one opens on the same day, pointing back to it, so the
  patient's path through the system can be followed;
* **discharge** — the stay ends with the patient discharged (recovered) or dead.

Writing needs ``write_cases`` over the (sending) hospital's region and the case's
region; reading needs ``read_cases`` over the hospital's region (stays are personal
data, like the case line list). The case record itself is not changed: the line list
belongs to its source, and a re-import would undo any change made here.

**Census.** A stay is open on day *D* when admitted on or before *D* and not ended on
or before *D* (a patient discharged on *D* no longer occupies a bed at the end of *D*,
the 24:00 count of the bulletins). The census per bed type is the occupancy of the
day; :func:`report_from_census` files it as the hospital's daily occupancy report, so
a hospital that records every patient does not count its beds twice. Hospitals that
do not keep stays here report occupancy directly (services/hospitals.py), which is why
the census never overwrites a report by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from fangkong.core.access import Actor, Permission, may_act_on
from fangkong.core.cases import Classification, Severity
from fangkong.core.regions import RegionTree
from fangkong.services.auth import authorize
from fangkong.services.errors import Conflict, Invalid, NotFound
from fangkong.services.hospitals import BED_TYPES, hospital_row, report_occupancy
from fangkong.services.supplies import iso, now, text_field, within
from fangkong.store import models as m

ST = m.PatientStayRow
C = m.CaseRecordRow
H = m.HospitalRow


class EndReason(StrEnum):
    DISCHARGED = "discharged"
    DIED = "died"
    TRANSFERRED = "transferred"


#: How a stay may be ended by :func:`discharge` (a transfer ends it by :func:`transfer`).
DISCHARGE_OUTCOMES = (EndReason.DISCHARGED.value, EndReason.DIED.value)
#: Severities, least to most severe (for the census by severity).
SEVERITIES = tuple(s.value for s in Severity)


def _bed_type(text: str) -> str:
    cleaned = text.strip().lower()
    if cleaned not in BED_TYPES:
        raise Invalid(f"bed_type must be one of {', '.join(BED_TYPES)}", field="bed_type")
    return cleaned


def _severity(text: str) -> str:
    cleaned = text.strip().lower()
    if cleaned not in SEVERITIES:
        raise Invalid(f"severity must be one of {', '.join(SEVERITIES)}", field="severity")
    return cleaned


def _check_day(day: date, field: str, today: date | None) -> None:
    if day > (today or now().date()):
        raise Invalid(f"{field} {day} is in the future", field=field)


def _stay_dict(row: Any, case: Any, hospital_name: str | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "hospital_code": row.hospital_code,
        "hospital_name": hospital_name,
        "source": case.source,
        "case_id": case.case_id,
        "case_region_code": case.region_code,
        "classification": case.classification,
        "bed_type": row.bed_type,
        "severity": row.severity,
        "admission_date": row.admission_date.isoformat(),
        "end_date": row.end_date.isoformat() if row.end_date else None,
        "end_reason": row.end_reason,
        "open": row.end_date is None,
        "transferred_from_id": row.transferred_from_id,
        "note": row.note,
        "created_by": row.actor,
        "created_at": iso(row.created_at),
        "ended_by": row.ended_by,
    }


def _case(conn: Connection, actor: Actor, tree: RegionTree, source: str, case_id: str) -> Any:
    """The case record, when the actor may write it (absent otherwise: a case outside
    the jurisdiction is confidential, as in services/cases.py)."""
    row = conn.execute(select(C).where(C.source == source, C.case_id == case_id)).first()
    if row is None or not may_act_on(
        actor.role, actor.jurisdiction, Permission.WRITE_CASES, row.region_code, tree
    ):
        raise NotFound(f"no case {case_id!r} from source {source!r}", field="case_id")
    return row


def _open_stay(conn: Connection, case_record_id: int) -> Any | None:
    return conn.execute(
        select(ST).where(ST.case_record_id == case_record_id, ST.end_date.is_(None))
    ).first()


def _load(conn: Connection, stay_id: int) -> tuple[Any, Any]:
    row = conn.execute(select(ST).where(ST.id == stay_id)).first()
    if row is None:
        raise NotFound(f"no patient stay {stay_id}", field="stay_id")
    case = conn.execute(select(C).where(C.id == row.case_record_id)).one()
    return row, case


def _insert(
    conn: Connection,
    actor: Actor,
    *,
    case_record_id: int,
    hospital_code: str,
    bed_type: str,
    severity: str,
    admission_date: date,
    note: str,
    transferred_from_id: int | None = None,
) -> int:
    return int(
        conn.execute(
            insert(ST)
            .values(
                case_record_id=case_record_id,
                hospital_code=hospital_code,
                bed_type=bed_type,
                severity=severity,
                admission_date=admission_date,
                end_date=None,
                end_reason=None,
                transferred_from_id=transferred_from_id,
                note=note,
                actor=actor.username,
                created_at=now(),
                ended_by=None,
            )
            .returning(ST.id)
        ).scalar_one()
    )


def _get(conn: Connection, stay_id: int) -> dict[str, Any]:
    row, case = _load(conn, stay_id)
    name = conn.execute(select(H.name).where(H.hospital_code == row.hospital_code)).scalar()
    return _stay_dict(row, case, name)


def admit(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    hospital_code: str,
    *,
    source: str,
    case_id: str,
    bed_type: str,
    severity: str,
    admission_date: date,
    note: str = "",
    today: date | None = None,
) -> dict[str, Any]:
    """Admit the case ``(source, case_id)`` to a bed type of the hospital."""
    bed = _bed_type(bed_type)
    level = _severity(severity)
    remark = text_field(note, "note", 2000, required=False)
    _check_day(admission_date, "admission_date", today)
    with engine.begin() as conn:
        hospital = hospital_row(conn, hospital_code)
        authorize(actor, Permission.WRITE_CASES, hospital.region_code, tree)
        case = _case(conn, actor, tree, source, case_id)
        if case.classification == Classification.DISCARDED.value:
            raise Invalid(f"case {case_id} was discarded (ruled out)", field="case_id")
        current = _open_stay(conn, case.id)
        if current is not None:
            raise Conflict(
                f"case {case_id} is already in {current.hospital_code} since "
                f"{current.admission_date} (stay {current.id}); transfer or discharge it",
                field="case_id",
            )
        stay_id = _insert(
            conn,
            actor,
            case_record_id=case.id,
            hospital_code=hospital_code,
            bed_type=bed,
            severity=level,
            admission_date=admission_date,
            note=remark,
        )
        return _get(conn, stay_id)


def _end(
    conn: Connection,
    actor: Actor,
    tree: RegionTree,
    hospital_code: str,
    stay_id: int,
    end_date: date,
    reason: EndReason,
) -> tuple[Any, Any]:
    """Lock, check and end an open stay; returns its row and case as before."""
    query = select(ST).where(ST.id == stay_id)
    query = query.with_for_update()  # SQLite: no clause (one writer at a time)
    row = conn.execute(query).first()
    if row is None or row.hospital_code != hospital_code:
        raise NotFound(f"no patient stay {stay_id} in {hospital_code}", field="stay_id")
    hospital = hospital_row(conn, hospital_code)
    authorize(actor, Permission.WRITE_CASES, hospital.region_code, tree)
    case = conn.execute(select(C).where(C.id == row.case_record_id)).one()
    if not may_act_on(
        actor.role, actor.jurisdiction, Permission.WRITE_CASES, case.region_code, tree
    ):
        raise NotFound(f"no patient stay {stay_id} in {hospital_code}", field="stay_id")
    if row.end_date is not None:
        raise Conflict(
            f"stay {stay_id} ended on {row.end_date} ({row.end_reason})", field="stay_id"
        )
    if end_date < row.admission_date:
        raise Invalid(
            f"the stay began on {row.admission_date}; it cannot end before", field="end_date"
        )
    conn.execute(
        update(ST)
        .where(ST.id == stay_id)
        .values(end_date=end_date, end_reason=reason.value, ended_by=actor.username)
    )
    return row, case


def transfer(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    hospital_code: str,
    stay_id: int,
    *,
    to_hospital_code: str,
    bed_type: str,
    transfer_date: date,
    severity: str | None = None,
    note: str = "",
    today: date | None = None,
) -> dict[str, Any]:
    """End the stay as transferred and open the next one at ``to_hospital_code`` (which
    may be the same hospital with another bed type); ``severity`` defaults to the
    current one. Recorded by the sending hospital. Returns the new stay."""
    bed = _bed_type(bed_type)
    level = _severity(severity) if severity else None
    remark = text_field(note, "note", 2000, required=False)
    _check_day(transfer_date, "end_date", today)
    with engine.begin() as conn:
        destination = hospital_row(conn, to_hospital_code)
        row, case = _end(
            conn, actor, tree, hospital_code, stay_id, transfer_date, EndReason.TRANSFERRED
        )
        if destination.hospital_code == row.hospital_code and bed == row.bed_type:
            raise Invalid(
                "a transfer goes to another hospital or another bed type", field="bed_type"
            )
        new_id = _insert(
            conn,
            actor,
            case_record_id=case.id,
            hospital_code=destination.hospital_code,
            bed_type=bed,
            severity=level or row.severity,
            admission_date=transfer_date,
            note=remark,
            transferred_from_id=row.id,
        )
        return _get(conn, new_id)


def discharge(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    hospital_code: str,
    stay_id: int,
    *,
    end_date: date,
    outcome: str = EndReason.DISCHARGED.value,
    note: str = "",
    today: date | None = None,
) -> dict[str, Any]:
    """End the stay: the patient was discharged (recovered) or died."""
    if outcome not in DISCHARGE_OUTCOMES:
        raise Invalid(
            f"outcome must be {' or '.join(DISCHARGE_OUTCOMES)} (use transfer otherwise)",
            field="outcome",
        )
    remark = text_field(note, "note", 2000, required=False)
    _check_day(end_date, "end_date", today)
    with engine.begin() as conn:
        _end(conn, actor, tree, hospital_code, stay_id, end_date, EndReason(outcome))
        if remark:
            conn.execute(update(ST).where(ST.id == stay_id).values(note=remark))
        return _get(conn, stay_id)


def list_stays(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    hospital_code: str,
    *,
    day: date | None = None,
    open_only: bool = False,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """The hospital's stays, newest admission first; ``open_only`` keeps those open on
    ``day`` (default today)."""
    with engine.connect() as conn:
        hospital = hospital_row(conn, hospital_code)
        authorize(actor, Permission.READ_CASES, hospital.region_code, tree)
        query = (
            select(ST, C.source, C.case_id, C.region_code, C.classification)
            .join(C, C.id == ST.case_record_id)
            .where(ST.hospital_code == hospital_code)
            .order_by(ST.admission_date.desc(), ST.id.desc())
        )
        if open_only:
            on = day or now().date()
            query = query.where(
                ST.admission_date <= on, (ST.end_date.is_(None)) | (ST.end_date > on)
            )
        rows = conn.execute(query.limit(limit)).all()
    return [_stay_dict(r, r, hospital.name) for r in rows]


def case_path(
    engine: Engine, actor: Actor, tree: RegionTree, source: str, case_id: str
) -> list[dict[str, Any]]:
    """Every stay of one case, in order (its path through admissions and transfers)."""
    authorize(actor, Permission.READ_CASES)
    with engine.connect() as conn:
        case = conn.execute(select(C).where(C.source == source, C.case_id == case_id)).first()
        if case is None or not within(actor, case.region_code, tree):
            raise NotFound(f"no case {case_id!r} from source {source!r}", field="case_id")
        rows = conn.execute(
            select(ST, H.name)
            .join(H, H.hospital_code == ST.hospital_code)
            .where(ST.case_record_id == case.id)
            .order_by(ST.admission_date, ST.id)
        ).all()
    return [_stay_dict(r, case, r.name) for r in rows]


def census_counts(
    conn: Connection, hospital_codes: Sequence[str], day: date
) -> dict[str, dict[str, Any]]:
    """Per hospital with stays: patients in bed at the end of ``day`` by bed type and
    by severity, and the day's admissions and discharges (deaths included)."""
    out: dict[str, dict[str, Any]] = {}
    if not hospital_codes:
        return out
    rows = conn.execute(
        select(ST.hospital_code, ST.bed_type, ST.severity, ST.admission_date, ST.end_date,
               ST.end_reason)
        .where(ST.hospital_code.in_(list(hospital_codes)), ST.admission_date <= day)
    ).all()  # fmt: skip
    for r in rows:
        entry = out.setdefault(
            r.hospital_code,
            {
                "occupied": dict.fromkeys(BED_TYPES, 0),
                "by_severity": dict.fromkeys(SEVERITIES, 0),
                "admitted": 0,
                "discharged": 0,
                "died": 0,
            },
        )
        if r.admission_date == day and not (
            r.end_date == day and r.end_reason == EndReason.TRANSFERRED.value
        ):
            entry["admitted"] += 1
        if r.end_date == day and r.end_reason in DISCHARGE_OUTCOMES:
            entry["discharged" if r.end_reason == EndReason.DISCHARGED.value else "died"] += 1
        if r.end_date is None or r.end_date > day:
            entry["occupied"][r.bed_type] += 1
            entry["by_severity"][r.severity] += 1
    return out


def census(
    engine: Engine, actor: Actor, tree: RegionTree, hospital_code: str, day: date
) -> dict[str, Any]:
    """The hospital's census on ``day`` from its stays (aggregate counts: readable with
    ``read_aggregate`` over its region), with its beds for comparison."""
    with engine.connect() as conn:
        hospital = hospital_row(conn, hospital_code)
        if not within(actor, hospital.region_code, tree):
            raise NotFound(f"no hospital {hospital_code!r}", field="hospital_code")
        counts = census_counts(conn, [hospital_code], day).get(hospital_code)
    beds = {bed: getattr(hospital, f"beds_{bed}") for bed in BED_TYPES}
    occupied = counts["occupied"] if counts else dict.fromkeys(BED_TYPES, 0)
    return {
        "hospital_code": hospital_code,
        "day": day.isoformat(),
        "beds": beds,
        "occupied": occupied,
        "free": {bed: beds[bed] - occupied[bed] for bed in BED_TYPES},
        "over_capacity": [bed for bed in BED_TYPES if occupied[bed] > beds[bed]],
        "by_severity": counts["by_severity"] if counts else dict.fromkeys(SEVERITIES, 0),
        "admitted": counts["admitted"] if counts else 0,
        "discharged": counts["discharged"] if counts else 0,
        "died": counts["died"] if counts else 0,
        "patients": sum(occupied.values()),
    }


def report_from_census(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    hospital_code: str,
    *,
    report_date: date,
    today: date | None = None,
) -> dict[str, Any]:
    """File (or replace) the day's occupancy report with the census of the stays."""
    with engine.connect() as conn:
        hospital = hospital_row(conn, hospital_code)
        authorize(actor, Permission.WRITE_REPORTS, hospital.region_code, tree)
        counts = census_counts(conn, [hospital_code], report_date).get(hospital_code)
    occupied = counts["occupied"] if counts else dict.fromkeys(BED_TYPES, 0)
    return report_occupancy(
        engine, actor, tree, hospital_code, report_date=report_date, occupied=occupied,
        today=today,
    )  # fmt: skip
