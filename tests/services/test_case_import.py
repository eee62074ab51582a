"""Importing case line lists into both databases: real beoutbreakprepared files, a
malformed file, idempotence, revisions and strict mode."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from fangkong.core.access import Actor, Role
from fangkong.core.cases import CASE_FIELDS
from fangkong.core.validation import ImportFormatError
from fangkong.services.case_import import import_case_file
from fangkong.services.errors import Forbidden
from fangkong.settings import Settings
from fangkong.store import models as m
from support import DEMO_DATA

LINELISTS = DEMO_DATA
DEMO = Path(__file__).resolve().parents[2] / "src" / "fangkong" / "data" / "demo"


def linelist(name: str) -> Path:
    path = LINELISTS / name
    return path if path.exists() else DEMO / name


HUBEI = linelist("beoutbreakprepared_ncov_hubei_20200221.csv")
OUTSIDE = linelist("beoutbreakprepared_ncov_outside_hubei_20200221.csv")


def head(source: Path, tmp_path: Path, lines: int) -> Path:
    out = tmp_path / source.name
    with source.open("rb") as fh:
        out.write_bytes(b"".join(fh.readline() for _ in range(lines)))
    return out


def count(engine: Engine, table: str = "case_records") -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def write_cases(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CASE_FIELDS)
        writer.writeheader()
        for r in rows:
            writer.writerow({f: r.get(f, "") for f in CASE_FIELDS})
    return path


def case(i: int, **values: str) -> dict[str, str]:
    return {
        "source": "cdc",
        "case_id": f"c{i}",
        "region_code": "420106",
        "classification": "confirmed",
        "onset_date": "2020-01-20",
        "confirmation_date": "2020-01-25",
        "sex": "female",
        "age_years": "40",
        "origin": "武汉",
        **values,
    }


def test_beoutbreak_slice_imports_with_repairs_and_is_idempotent(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = head(OUTSIDE, tmp_path, 3000)
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        records = sum(1 for _ in csv.reader(fh)) - 1
    first = import_case_file(engine, settings, path)
    assert first.format == "beoutbreakprepared" and first.status == "completed"
    assert first.rows_read == records
    assert first.rows_inserted + first.rows_rejected == records
    assert first.rows_repaired > 0
    assert count(engine) == first.rows_inserted
    with engine.connect() as conn:
        row = conn.execute(
            select(m.CaseRecordRow.__table__).where(m.CaseRecordRow.case_id == "outside_hubei-1")
        ).one()
    assert (row.source, row.region_code, row.classification) == (
        "beoutbreakprepared",
        "340181",
        "confirmed",
    )  # Chaohu City, Hefei City, Anhui
    assert row.onset_date.isoformat() == "2020-01-18" and row.age_years == 30
    assert row.imported is True
    second = import_case_file(engine, settings, path)
    assert (second.rows_inserted, second.rows_updated) == (0, 0)
    assert second.rows_unchanged == first.rows_inserted
    assert count(engine) == first.rows_inserted and count(engine, "revisions") == 0


def test_beoutbreak_hubei_pre_dates(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    result = import_case_file(engine, settings, head(HUBEI, tmp_path, 200))
    assert result.rows_rejected == 0 and result.rows_inserted == 199
    pre = [i for i in result.issues if i["column"] == "date_onset_symptoms"]
    assert pre and all(i["severity"] == "repair" for i in pre)
    assert pre[0]["line"] == 2 and pre[0]["value"] == "pre 18.01.2020"
    with engine.connect() as conn:
        wuhan = conn.execute(
            select(func.count()).where(m.CaseRecordRow.region_code == "420100")
        ).scalar_one()
    assert wuhan == 199


@pytest.mark.slow
def test_full_beoutbreak_files(engine: Engine, settings: Settings) -> None:
    hubei = import_case_file(engine, settings, HUBEI)
    outside = import_case_file(engine, settings, OUTSIDE)
    assert hubei.rows_inserted == 14729 and hubei.rows_rejected == 0
    assert outside.rows_read == 11254
    assert outside.rows_inserted + outside.rows_rejected == 11254
    assert outside.rows_rejected <= 5
    assert count(engine) == hubei.rows_inserted + outside.rows_inserted


def test_malformed_gbk_file_keeps_good_rows_and_reports_each_bad_one(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = [
        case(1),
        case(2, onset_date="2020-13-01"),
        case(3, region_code="990000"),
        case(4, age_years="-2"),
        case(5),
        case(6, classification="maybe"),
    ]
    path = write_cases(tmp_path / "bad.csv", rows, encoding="gb18030")
    with path.open("a", encoding="gb18030") as fh:
        fh.write("cdc,c7,420106,confir")  # truncated last line
    result = import_case_file(engine, settings, path)
    assert result.encoding == "gb18030"
    assert (result.rows_read, result.rows_inserted, result.rows_rejected) == (7, 2, 5)
    errors = {(i["line"], i["column"]): i for i in result.issues if i["severity"] == "error"}
    assert set(errors) == {
        (3, "onset_date"),
        (4, "region_code"),
        (5, "age_years"),
        (7, "classification"),
        (8, "*"),
    }
    assert errors[(3, "onset_date")]["value"] == "2020-13-01"
    assert errors[(3, "onset_date")]["file"] == "bad.csv"
    with Path(result.reject_file or "").open(encoding="utf-8") as fh:
        rejected = list(csv.reader(fh))
    assert len(rejected) == 1 + 5  # header + every rejected row, nothing lost
    with engine.connect() as conn:
        stored = conn.execute(select(m.ImportIssueRow.line)).scalars().all()
        origin = conn.execute(select(m.CaseRecordRow.origin)).scalars().first()
    assert sorted(stored) == [3, 4, 5, 7, 8] and origin == "武汉"
    again = import_case_file(engine, settings, path)
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 2)
    assert count(engine) == 2


def test_changed_value_becomes_a_revision(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    import_case_file(engine, settings, write_cases(tmp_path / "a.csv", [case(1), case(2)]))
    changed = write_cases(
        tmp_path / "b.csv", [case(1, onset_date="2020-01-19", imported="true"), case(2)]
    )
    result = import_case_file(engine, settings, changed)
    assert (result.rows_inserted, result.rows_updated, result.rows_unchanged) == (0, 1, 1)
    with engine.connect() as conn:
        revisions = conn.execute(select(m.RevisionRow).order_by(m.RevisionRow.field)).all()
        onset = conn.execute(
            select(m.CaseRecordRow.onset_date).where(m.CaseRecordRow.case_id == "c1")
        ).scalar_one()
    assert [(r.entity, r.entity_key, r.field, r.old_value, r.new_value) for r in revisions] == [
        ("case_record", "cdc|c1", "imported", None, "true"),
        ("case_record", "cdc|c1", "onset_date", "2020-01-20", "2020-01-19"),
    ]
    assert revisions[0].actor == "cli" and "b.csv" in revisions[0].reason
    assert onset.isoformat() == "2020-01-19"


def test_strict_writes_nothing_when_a_row_is_bad(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    settings.import_batch_rows = 2
    path = write_cases(tmp_path / "s.csv", [case(1), case(2), case(3), case(4, sex="x")])
    result = import_case_file(engine, settings, path, strict=True)
    assert result.status == "rejected" and result.rows_rejected == 1
    assert count(engine) == 0
    good = write_cases(tmp_path / "g.csv", [case(1), case(2), case(3)])
    assert import_case_file(engine, settings, good, strict=True).rows_inserted == 3


def test_json_file_and_source_option(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_text(
        '{"items": [{"case_id": "j1", "region_code": "CN", '
        '"classification": "suspected", "imported": false}]}',
        encoding="utf-8",
    )
    result = import_case_file(engine, settings, path, source="api-test")
    assert result.rows_inserted == 1
    with engine.connect() as conn:
        assert conn.execute(select(m.CaseRecordRow.source)).scalar_one() == "api-test"


def test_whole_file_errors(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    unknown = tmp_path / "x.csv"
    unknown.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="known formats"):
        import_case_file(engine, settings, unknown)
    with pytest.raises(ImportFormatError, match="cannot read"):
        import_case_file(engine, settings, tmp_path / "missing.csv")


def test_jurisdiction_and_role(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    path = write_cases(tmp_path / "j.csv", [case(1), case(2, region_code="110101")])
    hubei = Actor("hb", Role.REPORTER, "420000")
    result = import_case_file(engine, settings, path, actor=hubei)
    assert result.rows_inserted == 1
    assert result.issues[0]["reason"] == "region outside your jurisdiction"
    with pytest.raises(Forbidden):
        import_case_file(engine, settings, path, actor=Actor("v", Role.VIEWER, "*"))


@pytest.mark.parametrize("strict", [False, True])
def test_parsing_in_a_forked_process_gives_the_same_result(
    engine: Engine, settings: Settings, tmp_path: Path, strict: bool
) -> None:
    settings.import_batch_rows = 2
    rows = [case(1), case(2, sex="x"), case(3), case(4, origin="a\\b"), case(5)]
    path = write_cases(tmp_path / "fork.csv", rows)
    result = import_case_file(engine, settings, path, parallel=True, strict=strict)
    assert (result.rows_read, result.rows_rejected) == (5, 1)
    assert result.issues[0]["line"] == 3
    assert count(engine) == (0 if strict else 4)
    if not strict:
        with engine.connect() as conn:
            origin = conn.execute(
                select(m.CaseRecordRow.origin).where(m.CaseRecordRow.case_id == "c4")
            ).scalar_one()
        assert origin == "a\\b"
