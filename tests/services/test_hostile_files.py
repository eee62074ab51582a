"""Hostile files through the command line: ``fangkong import daily|cases|bulletin``.

The corpus (``tests/fixtures/hostile``, see its README) holds small committed files:
truncated CSV (cut mid-row, cut inside a multi-byte character), wrong encodings
(Latin-1, UTF-16 with and without BOM, Shift-JIS), binary files (PNG, ZIP, NUL bytes),
CSV with spreadsheet formulas, JSON with duplicate keys / NaN / huge numbers, an empty
file, header-only files and a truncated bulletin. Big files are made at test time: a 10
MB cell, 100,000 nested JSON arrays, a 10 MB bulletin and a long but valid line list.

Every file gets a clear answer — a one-line error naming the file and what is wrong
(exit 2) or its rejected rows each named by file, line, column, value and reason
(exit 1), never a traceback — and nothing is lost: what was stored before stays as it
was, rejected rows are kept with their reasons (``import_issues`` and the reject file,
where no cell can run as a formula), and importing the file again duplicates nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner, Result

from fangkong.cli import app
from fangkong.core.cases import CASE_FIELDS
from fangkong.core.reports import COUNT_FIELDS
from fangkong.settings import Settings
from fangkong.store import models as m
from support import DEMO_DATA

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
CCDC = DEMO_DATA / "ccdc_dashboard_china_province_daily_2020-01-17_2020-03-04.csv"
Run = Callable[..., Result]

ENCODING = "neither UTF-8 nor GB18030"
BINARY = "NUL bytes"
#: Files refused as a whole by every importer: (file, words of the error).
UNREADABLE = [
    ("empty.csv", "empty"),
    ("image.png", BINARY),
    ("archive.zip", BINARY),
    ("nul_bytes.csv", BINARY),
    ("daily_utf16le.csv", BINARY),
    ("daily_utf16le_bom.csv", BINARY),
    ("daily_latin1.csv", ENCODING),
    ("cases_shift_jis.csv", ENCODING),
]
#: Files refused as a whole by one importer.
REFUSED = {
    "daily": [
        ("daily_header_only.csv", "header but no data rows"),
        ("daily_duplicate_keys.json", "names the member 'new_confirmed' twice"),
        ("daily_nan.json", "NaN is not a JSON number"),
        ("daily_huge_numbers.json", "more digits than any count"),
        ("deep.json", "nested too deeply"),
    ],
    "cases": [
        ("cases_header_only.csv", "header but no data rows"),
        ("cases_duplicate_keys.json", "names the member 'case_id' twice"),
        ("cases_nan.json", "NaN is not a JSON number"),
        ("cases_huge_numbers.json", "more digits than any count"),
        ("deep.json", "nested too deeply"),
    ],
    "bulletin": [("bulletin_10mb.txt", "at most")],
}
#: Files whose bad rows are rejected, the rest stored: (file, [(line, column), …]).
ROWS = {
    "daily": [
        ("daily_truncated_mid_row.csv", [(5, "*")]),
        ("daily_truncated_mid_char.csv", [(4, "*")]),
        (
            "daily_formulas.csv",
            [(3, "new_confirmed"), (4, "new_confirmed"), (5, "new_confirmed")],
        ),
        ("daily_huge_field.csv", [(3, "*")]),
    ],
    "cases": [
        ("cases_formulas.csv", [(3, "case_id"), (4, "origin"), (5, "origin"), (6, "origin")]),
        ("cases_huge_field.csv", [(3, "*")]),
    ],
}
BIG = 10 * 1024 * 1024


def make_big_files(folder: Path) -> None:
    """The corpus files too big to commit."""
    folder.mkdir(parents=True, exist_ok=True)
    header = "region_code,report_date,new_confirmed,new_deaths\n"
    (folder / "daily_huge_field.csv").write_text(
        f"{header}420100,2020-02-10,100,5\n420100,2020-02-11,{'9' * BIG},4\n"
        "420100,2020-02-12,13436,72\n",
        encoding="utf-8",
    )
    cases = "source,case_id,region_code,classification,origin\n"
    (folder / "cases_huge_field.csv").write_text(
        f"{cases}hubei-cdc,1,420100,confirmed,Wuhan\nhubei-cdc,2,420100,confirmed,{'x' * BIG}\n"
        "hubei-cdc,3,420100,confirmed,Xiaogan\n",
        encoding="utf-8",
    )
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    text = (HOSTILE / "nhc_2020-02-13_truncated.txt").read_text(encoding="utf-8", errors="replace")
    (folder / "bulletin_10mb.txt").write_text(text * (BIG // len(text.encode()) + 1), "utf-8")


def corpus_file(name: str, generated: Path) -> Path:
    path = HOSTILE / name
    return path if path.exists() else generated / name


@pytest.fixture
def run(settings: Settings) -> Run:
    runner = CliRunner()
    env = {
        "FANGKONG_DATABASE_URL": settings.database_url,
        "FANGKONG_VAR_DIR": str(settings.var_dir),
    }
    return lambda *args: runner.invoke(app, list(args), env=env)


def no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


def daily_rows(engine: Engine) -> dict[tuple[str, str, str], tuple[Any, ...]]:
    D = m.DailyReportRow
    with engine.connect() as conn:
        rows = conn.execute(
            select(D.region_code, D.report_date, D.source, *(getattr(D, f) for f in COUNT_FIELDS))
        ).all()
    return {(r[0], str(r[1]), r[2]): tuple(r[3:]) for r in rows}


def case_rows(engine: Engine) -> dict[tuple[str, str], tuple[Any, ...]]:
    C = m.CaseRecordRow
    with engine.connect() as conn:
        rows = conn.execute(select(*(getattr(C, f) for f in CASE_FIELDS))).all()
    return {(r[0], r[1]): tuple(str(v) for v in r) for r in rows}


def last_import(engine: Engine) -> m.ImportRow:
    with engine.connect() as conn:
        return conn.execute(select(m.ImportRow).order_by(m.ImportRow.id.desc())).first()


def issues_of(engine: Engine, import_id: int) -> list[Any]:
    issue = m.ImportIssueRow
    with engine.connect() as conn:
        return conn.execute(
            select(issue.line, issue.column, issue.value, issue.reason).where(
                issue.import_id == import_id
            )
        ).all()


def imports_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(m.ImportRow)).scalar_one())


def check_refused(run: Run, kind: str, path: Path, words: str) -> None:
    result = run("import", kind, str(path))
    no_traceback(result)
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert message.startswith("error: ") and path.name in message, message
    assert words in message, message


def check_rows(
    run: Run, engine: Engine, kind: str, path: Path, expected: list[tuple[int, str]]
) -> None:
    result = run("import", kind, str(path))
    no_traceback(result)
    assert result.exit_code == 1, result.output
    stderr = result.stderr
    for line, column in expected:
        assert f"{path.name}:{line}: column {column!r} value " in stderr, stderr[:2000]
    done = last_import(engine)
    assert done.status == "completed" and done.rows_rejected == len(expected)
    stored = issues_of(engine, done.id)
    assert sorted({(i.line, i.column) for i in stored}) == sorted(expected)
    assert all(i.reason.strip() for i in stored)
    assert done.reject_file and Path(done.reject_file).exists()
    with open(done.reject_file, encoding="utf-8", newline="") as fh:
        rejects = list(csv.reader(fh))
    assert [int(r[-4]) for r in rejects[1:]] == [line for line, _ in expected]
    for row in rejects:  # no cell of the reject file runs as a formula in a spreadsheet
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_daily_hostile_files(run: Run, engine: Engine, tmp_path: Path) -> None:
    make_big_files(tmp_path)
    assert run("import", "daily", str(CCDC)).exit_code == 0
    before = daily_rows(engine)
    assert len(before) == 1488
    for name, words in UNREADABLE + REFUSED["daily"]:
        count = imports_count(engine)
        check_refused(run, "daily", corpus_file(name, tmp_path), words)
        assert imports_count(engine) == count  # refused before anything is recorded
    for name, expected in ROWS["daily"]:
        path = corpus_file(name, tmp_path)
        check_rows(run, engine, "daily", path, expected)
        stored = daily_rows(engine)
        check_rows(run, engine, "daily", path, expected)  # again: nothing duplicated
        assert daily_rows(engine) == stored
    after = daily_rows(engine)
    assert {k: after[k] for k in before} == before  # what was stored before is intact
    # the valid rows of the hostile files were stored, each once
    assert after[("420100", "2020-02-12", "fangkong")][:1] == (13436,)
    assert after[("420000", "2020-01-21", "canghailan")][:1] == (375 - 270,)
    assert after[("420100", "2020-02-14", "fangkong")][:4] == (7, None, None, -2)


def test_case_hostile_files(run: Run, engine: Engine, tmp_path: Path) -> None:
    make_big_files(tmp_path)
    baseline = tmp_path / "baseline.csv"
    baseline.write_text(
        "source,case_id,region_code,classification,onset_date\n"
        + "".join(f"wuhan-cdc,{i},420106,confirmed,2020-01-{10 + i}\n" for i in range(1, 6)),
        encoding="utf-8",
    )
    assert run("import", "cases", str(baseline)).exit_code == 0
    before = case_rows(engine)
    assert len(before) == 5
    for name, words in UNREADABLE + REFUSED["cases"]:
        check_refused(run, "cases", corpus_file(name, tmp_path), words)
    for name, expected in ROWS["cases"]:
        path = corpus_file(name, tmp_path)
        check_rows(run, engine, "cases", path, expected)
        stored = case_rows(engine)
        check_rows(run, engine, "cases", path, expected)
        assert case_rows(engine) == stored
    after = case_rows(engine)
    assert {k: after[k] for k in before} == before
    assert {k for k in after if k[0] == "hubei-cdc"} == {
        ("hubei-cdc", i) for i in ("1", "3", "6")
    }  # the valid rows of the formula and huge-field files


def test_bulletin_hostile_files(run: Run, engine: Engine, tmp_path: Path) -> None:
    make_big_files(tmp_path)
    for name, words in [*UNREADABLE, ("empty.csv", "text is empty"), *REFUSED["bulletin"]]:
        check_refused(run, "bulletin", corpus_file(name, tmp_path), words)
    assert not daily_rows(engine)
    cut = HOSTILE / "nhc_2020-02-13_truncated.txt"
    for _ in range(2):  # a re-run stores the same figures, nothing twice
        result = run("import", "bulletin", str(cut))
        no_traceback(result)
        assert result.exit_code == 1, result.output
        assert "damaged: 截至2月13日24时" in result.stderr
        stored = daily_rows(engine)
        assert stored[("CN", "2020-02-13", "nhc")][:1] == (5090,)
        assert len(stored) == 6
        done = last_import(engine)
        kept = [i for i in issues_of(engine, done.id) if i.column == "text"]
        assert len(kept) == 1 and "\ufffd" in kept[0].value  # the damaged text is kept


@pytest.mark.slow
def test_a_long_valid_line_list(run: Run, engine: Engine, tmp_path: Path) -> None:
    """Within the limits, size is no problem: 100,000 cases, all stored, once."""
    rows = 100_000
    out = io.StringIO()
    out.write("source,case_id,region_code,classification,onset_date,age_years,sex\n")
    for i in range(rows):
        out.write(f"big-cdc,{i},420106,confirmed,2020-01-{1 + i % 28:02d},{i % 90},female\n")
    path = tmp_path / "long.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    for inserted, unchanged in ((rows, 0), (0, rows)):
        result = run("import", "cases", str(path))
        assert result.exit_code == 0, result.output
        assert f"{rows:,} rows read, {inserted:,} inserted" in result.stdout
        assert f"{unchanged:,} unchanged" in result.stdout
    assert len(case_rows(engine)) == rows
