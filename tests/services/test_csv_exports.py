"""Every CSV the product writes is safe against formula injection: hostile values come
out behind a quote, numbers (negative corrections too) stay numbers; and no CSV writer
bypasses ``core.privacy.csv_safety``."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from sqlalchemy import Engine

from fangkong.core.access import CLI_ACTOR
from fangkong.services import bulletins, forecast, nowcast, opendata, rt
from fangkong.services.daily_import import import_daily_file
from fangkong.services.export import COLUMNS as DAILY_COLUMNS
from fangkong.services.export import _csv as daily_csv
from fangkong.settings import Settings

SRC = Path(__file__).resolve().parents[2] / "src" / "fangkong"
HOSTILE = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=x", "\r=x"]


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def assert_safe(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            if cell and cell[0] in "=+-@\t\r":
                assert re.fullmatch(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?", cell), cell


def test_corrections_log() -> None:
    entries = [
        {
            "region_code": "420000",
            "report_date": "2020-02-13",
            "version": 2,
            "previous_version": 1,
            "published_at": "2020-02-14T01:00:00Z",
            "approved_by": "@admin",
            "reason": value,
            "changes": [{"field": "new_confirmed", "old_value": 14840, "new_value": -1}],
        }
        for value in HOSTILE
    ]
    rows = cells(bulletins.corrections_csv(entries))
    assert_safe(rows)
    assert [r[6] for r in rows[1:]] == ["'" + v for v in HOSTILE]
    assert rows[1][5] == "'@admin" and rows[1][9] == "-1"


def test_open_data_and_daily_exports() -> None:
    rows = [{"Country": v, "New_cases": -3, "Cumulative_cases": 5} for v in HOSTILE]
    out = cells(opendata.to_csv(["Country", "New_cases", "Cumulative_cases"], rows).decode())
    assert_safe(out)
    assert out[1] == ["'=1+1", "-3", "5"]
    daily = [{**dict.fromkeys(DAILY_COLUMNS), "region_code": "420000", "flags": v,
              "new_confirmed": -2} for v in HOSTILE]  # fmt: skip
    out = cells(daily_csv(daily).decode())
    assert_safe(out)
    assert out[1][DAILY_COLUMNS.index("flags")] == "'=1+1"
    assert out[1][DAILY_COLUMNS.index("new_confirmed")] == "-2"


def test_analytics_tables() -> None:
    items = [{"label": v, "mean": -0.5, "lower": float("-inf")} for v in HOSTILE]
    for text in (forecast.items_to_csv(items), nowcast.items_to_csv(items)):
        out = cells(text)
        assert_safe(out)
        assert out[1][:2] == ["'=1+1", "-0.5"]
    row = dict.fromkeys(rt.CSV_COLUMNS, -1.25)
    out = cells(rt.rows_to_csv([row], with_dates=False))
    assert_safe(out)
    assert out[1][0] == "-1.25"


def test_reject_files(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    data = tmp_path / "daily.csv"
    data.write_text(
        "region_code,report_date,new_confirmed\n"
        "420100,2020-02-12,13\n"
        '=HYPERLINK("http://evil.example"),2020-02-12,5\n'
        "420100,@2020-02-13,-x\n",
        encoding="utf-8",
    )
    result = import_daily_file(engine, settings, data, actor=CLI_ACTOR)
    assert result.rows_rejected == 2 and result.reject_file
    rows = cells(Path(result.reject_file).read_text(encoding="utf-8"))
    assert_safe(rows)
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example")'


def test_no_csv_writer_bypasses_the_safe_one() -> None:
    """A new ``csv.writer``/``csv.DictWriter`` in the product must go through
    ``core.privacy.csv_safety`` (the one exception rebuilds a stored copy of an input
    line, which is evidence, never a file handed out)."""
    allowed = {"core/privacy/csv_safety.py": 2, "services/case_import.py": 1}
    found: dict[str, int] = {}
    for path in SRC.rglob("*.py"):
        n = len(re.findall(r"\bcsv\.(?:writer|DictWriter)\(", path.read_text(encoding="utf-8")))
        n += len(re.findall(r"\(csv\.DictWriter\)", path.read_text(encoding="utf-8")))
        if n:
            found[str(path.relative_to(SRC))] = n
    assert found == allowed
