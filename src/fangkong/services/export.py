"""Exports: a region's daily series (CSV, JSON, Apache Parquet) and the line list.

The daily rows are those of ``GET /api/v1/regions/{code}/daily`` (one source; cumulative
columns derived by summation, see :func:`fangkong.services.regions.daily_series`), so an
export and the API always agree.

The line list (:func:`export_line_list`, CSV or JSON) needs the explicit permission
``EXPORT_LINE_LIST`` besides ``READ_CASES``, covers the exporter's jurisdiction only,
carries the personal fields only for holders of ``READ_PERSONAL`` (masked otherwise,
``core.privacy.personal``), and is recorded in the audit log before it is handed out:
``line_list.export`` with the filter, the row count, the format and the SHA-256 of the
exact bytes returned, so a file found later can be matched to its export.

Every CSV cell goes through ``core.privacy.csv_safety`` (formula injection).
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine

from fangkong.core.access import WORLD, Actor, Permission, has_permission
from fangkong.core.cases import CASE_FIELDS, Classification
from fangkong.core.privacy.csv_safety import SafeDictWriter
from fangkong.core.regions import RegionTree
from fangkong.core.reports import COUNT_FIELDS
from fangkong.services import audit
from fangkong.services import cases as case_svc
from fangkong.services.errors import Forbidden, Invalid
from fangkong.services.regions import daily_series
from fangkong.settings import Settings

EXPORT_FORMATS = ("csv", "json", "parquet")
#: Columns of an export, in order.
COLUMNS: tuple[str, ...] = (
    "region_code",
    "source",
    "report_date",
    *COUNT_FIELDS,
    "new_confirmed_local",
    "cumulative_confirmed",
    "cumulative_deaths",
    "cumulative_recovered",
    "current_confirmed",
    "flags",
)
_PAGE = 5000


def daily_rows(
    engine: Engine,
    settings: Settings,
    region_code: str,
    *,
    source: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> tuple[str | None, list[dict[str, Any]]]:
    """The chosen source and every row of the series (paged through the service)."""
    rows: list[dict[str, Any]] = []
    chosen: str | None = None
    offset = 0
    while True:
        page = daily_series(
            engine,
            region_code,
            date_from=date_from,
            date_to=date_to,
            source=source,
            priority=settings.source_priority,
            limit=_PAGE,
            offset=offset,
        )
        chosen = page["source"]
        for item in page["items"]:
            rows.append(
                {
                    "region_code": region_code,
                    "source": chosen,
                    **item,
                    "flags": ",".join(item["flags"]),
                }
            )
        offset += _PAGE
        if offset >= page["total"]:
            return chosen, rows


def _csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = SafeDictWriter(
        out, fieldnames=list(COLUMNS), lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _parquet(rows: list[dict[str, Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types: dict[str, Any] = {name: pa.int64() for name in COLUMNS}
    types.update(
        region_code=pa.string(), source=pa.string(), report_date=pa.date32(), flags=pa.string()
    )
    data = {
        name: [(date.fromisoformat(r[name]) if name == "report_date" else r[name]) for r in rows]
        for name in COLUMNS
    }
    table = pa.table({n: pa.array(data[n], type=types[n]) for n in COLUMNS})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def export_daily(
    engine: Engine,
    settings: Settings,
    region_code: str,
    *,
    fmt: str,
    source: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> bytes:
    """The series as bytes in ``fmt`` (``csv``, ``json`` or ``parquet``)."""
    if fmt not in EXPORT_FORMATS:
        raise Invalid(
            f"unknown export format {fmt!r}; one of {', '.join(EXPORT_FORMATS)}", field="format"
        )
    chosen, rows = daily_rows(
        engine, settings, region_code, source=source, date_from=date_from, date_to=date_to
    )
    if fmt == "csv":
        return _csv(rows)
    if fmt == "json":
        document = {
            "region_code": region_code,
            "source": chosen,
            "items": [
                {k: r[k] for k in COLUMNS if k not in ("region_code", "source")} for r in rows
            ],
        }
        return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    return _parquet(rows)


# --- the line list -------------------------------------------------------------------

LINE_LIST_FORMATS = ("csv", "json")
#: Columns of a line-list export: the case fields, then what was withheld.
LINE_LIST_COLUMNS: tuple[str, ...] = (*CASE_FIELDS, "masked")
_MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@dataclass(frozen=True, slots=True)
class LineListExport:
    """An exported line list: the bytes, and what the audit log recorded of them."""

    content: bytes
    media_type: str
    filename: str
    rows: int
    sha256: str
    personal: bool


def _line_list_csv(cases: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = SafeDictWriter(out, fieldnames=list(LINE_LIST_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for case in cases:
        writer.writerow({**case, "masked": ",".join(case["masked"])})
    return out.getvalue().encode("utf-8")


def export_line_list(
    engine: Engine,
    actor: Actor,
    tree: RegionTree,
    *,
    fmt: str,
    region_code: str | None = None,
    classification: Classification | None = None,
    onset_from: date | None = None,
    onset_to: date | None = None,
    source: str | None = None,
) -> LineListExport:
    """Every case ``actor`` may read that matches the filters, as ``fmt`` (``csv`` or
    ``json``), recorded in the audit log (see the module docstring)."""
    if not has_permission(actor.role, Permission.EXPORT_LINE_LIST):
        raise Forbidden(
            f"{actor.username} ({actor.role.value}) lacks the permission "
            f"{Permission.EXPORT_LINE_LIST.value}: exporting the line list needs it explicitly"
        )
    if fmt not in LINE_LIST_FORMATS:
        raise Invalid(
            f"unknown export format {fmt!r}; one of {', '.join(LINE_LIST_FORMATS)}",
            field="format",
        )
    where = case_svc.CaseFilter(region_code, classification, onset_from, onset_to, source)
    query, root = case_svc.case_query(engine, actor, tree, where)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    show = case_svc.shows_personal(actor)
    cases = case_svc.present(rows, show)
    scope = root or WORLD
    if fmt == "csv":
        content = _line_list_csv(cases)
    else:
        document = {"scope": scope, "filters": where.as_dict(), "items": cases}
        content = (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    digest = hashlib.sha256(content).hexdigest()
    audit.record(
        engine,
        actor,
        "line_list.export",
        "case_records",
        scope,
        {
            "filters": where.as_dict(),
            "format": fmt,
            "rows": len(cases),
            "bytes": len(content),
            "sha256": digest,
            "personal": show,
        },
    )
    name = f"line-list-{scope.replace('*', 'all')}.{fmt}"
    return LineListExport(content, _MEDIA[fmt], name, len(cases), digest, show)
