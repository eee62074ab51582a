"""Exporting a region's daily series as CSV, JSON or Apache Parquet.

The rows are those of ``GET /api/v1/regions/{code}/daily`` (one source; cumulative
columns derived by summation, see :func:`fangkong.services.regions.daily_series`), so an
export and the API always agree."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

from sqlalchemy import Engine

from fangkong.core.reports import COUNT_FIELDS
from fangkong.services.errors import Invalid
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
    writer = csv.DictWriter(
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
