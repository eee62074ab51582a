"""The audit log's use cases: personal reads and line-list exports recorded, imports
recorded with their file's hash, the administrator's listing, and the CLI."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from fangkong.cli import app
from fangkong.core.access import Actor, Role
from fangkong.core.cases import CASE_FIELDS
from fangkong.core.privacy.personal import PERSONAL_CASE_FIELDS
from fangkong.services import audit
from fangkong.services import cases as case_svc
from fangkong.services.case_import import import_case_file
from fangkong.services.errors import Forbidden, Invalid
from fangkong.services.export import export_line_list
from fangkong.services.reference import region_tree
from fangkong.settings import Settings
from fangkong.store import audit as hook

EPI = Actor("epi.hubei", Role.EPIDEMIOLOGIST, "420000")
COMMANDER = Actor("command.hubei", Role.COMMANDER, "420000")
REPORTER = Actor("rep.wuhan", Role.REPORTER, "420100")
ADMIN = Actor("admin", Role.ADMIN, "*")
VIEWER = Actor("viewer", Role.VIEWER, "*")
HOSTILE = '=HYPERLINK("http://evil.example","x")'


def entries(engine: Engine, action: str | None = None) -> list[dict[str, object]]:
    page = audit.list_entries(engine, ADMIN, action=action, limit=500)
    return list(reversed(page["items"]))


def write_cases(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CASE_FIELDS)
        writer.writeheader()
        for r in rows:
            writer.writerow({f: r.get(f, "") for f in CASE_FIELDS})
    return path


def case(i: int, region: str = "420106", **values: str) -> dict[str, str]:
    return {
        "source": "cdc",
        "case_id": f"c{i}",
        "region_code": region,
        "classification": "confirmed",
        "onset_date": "2020-01-20",
        "sex": "female",
        "age_years": "47",
        "origin": "华南海鲜市场",
        "cluster_id": "family-1",
        **values,
    }


@pytest.fixture
def line_list(engine: Engine, settings: Settings, tmp_path: Path) -> Path:
    """Four cases in Hubei (three in Wuhan, one hostile origin) and one in Beijing."""
    rows = [
        case(1),
        case(2, "420102"),
        case(3, "420106"),
        case(4, "420202"),
        case(5, "110101"),
    ]
    path = write_cases(tmp_path / "cases.csv", rows)
    result = import_case_file(engine, settings, path)
    assert result.rows_inserted == 5
    # The importers refuse a value that starts like a spreadsheet formula; one stored
    # before that rule (or by hand in the database) must still export as plain text.
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE case_records SET origin = :o WHERE case_id = 'c3'"), {"o": HOSTILE}
        )
    return path


def test_an_import_is_recorded_with_its_file_hash(engine: Engine, line_list: Path) -> None:
    (run,) = entries(engine, "import.run")
    details = run["details"]
    assert isinstance(details, dict)
    assert details["sha256"] == hashlib.sha256(line_list.read_bytes()).hexdigest()
    assert (details["rows_inserted"], details["status"]) == (5, "completed")
    writes = [e for e in entries(engine) if "case_records" in str(e["details"])]
    assert writes, "the rows written by the import workers are recorded"
    assert audit.verify(engine).ok


def test_personal_fields_go_only_to_roles_that_need_them(engine: Engine, line_list: Path) -> None:
    tree = region_tree(engine)
    before = len(entries(engine))
    masked, total = case_svc.list_cases(engine, COMMANDER, tree)
    assert total == 4
    assert all(c[f] is None for c in masked for f in PERSONAL_CASE_FIELDS)
    assert {c["age_band"] for c in masked} == {"40-49"}
    assert len(entries(engine)) == before, "a masked read discloses nothing to record"

    shown, _ = case_svc.list_cases(engine, EPI, tree, region_code="420100")
    assert {c["origin"] for c in shown} == {"华南海鲜市场", HOSTILE}
    assert all(c["masked"] == [] and c["age_years"] == 47 for c in shown)
    (read,) = entries(engine, "case.read_personal")
    assert (read["actor"], read["target_type"], read["target_id"]) == (
        "epi.hubei",
        "case_records",
        "420100",
    )
    details = read["details"]
    assert isinstance(details, dict)
    assert details["count"] == 3 and len(details["record_ids"]) == 3
    assert details["filters"]["region_code"] == "420100"

    quiet, _ = case_svc.list_cases(engine, EPI, tree, personal=False)
    assert all(c["origin"] is None for c in quiet)
    one = case_svc.get_case(engine, REPORTER, tree, "cdc", "c1")
    assert one["age_years"] == 47
    reads = entries(engine, "case.read_personal")
    assert len(reads) == 2 and reads[-1]["actor"] == "rep.wuhan"


def test_reporters_outside_the_jurisdiction_see_nothing(engine: Engine, line_list: Path) -> None:
    tree = region_tree(engine)
    items, total = case_svc.list_cases(engine, Actor("rep.bj", Role.REPORTER, "110000"), tree)
    assert total == 1 and items[0]["region_code"] == "110101"
    with pytest.raises(Forbidden):
        case_svc.list_cases(engine, VIEWER, tree)


@pytest.mark.parametrize("actor", [COMMANDER, REPORTER, VIEWER])
def test_exporting_the_line_list_needs_the_permission(
    engine: Engine, line_list: Path, actor: Actor
) -> None:
    with pytest.raises(Forbidden, match="export_line_list"):
        export_line_list(engine, actor, region_tree(engine), fmt="csv")
    assert entries(engine, "line_list.export") == []


def test_an_export_is_recorded_with_its_hash_and_is_formula_safe(
    engine: Engine, line_list: Path
) -> None:
    out = export_line_list(engine, EPI, region_tree(engine), fmt="csv", region_code="420100")
    assert out.rows == 3 and out.personal
    assert out.sha256 == hashlib.sha256(out.content).hexdigest()
    rows = list(csv.DictReader(io.StringIO(out.content.decode("utf-8"))))
    assert [r["case_id"] for r in rows] == ["c1", "c2", "c3"]
    assert rows[2]["origin"] == "'" + HOSTILE  # shown as text, never run
    assert all(r["origin"][:1] not in "=+-@" for r in rows)
    (entry,) = entries(engine, "line_list.export")
    assert entry["actor"] == "epi.hubei" and entry["target_id"] == "420100"
    assert entry["details"] == {
        "bytes": len(out.content),
        "filters": {"region_code": "420100"},
        "format": "csv",
        "personal": True,
        "rows": 3,
        "sha256": out.sha256,
    }
    document = export_line_list(engine, ADMIN, region_tree(engine), fmt="json")
    assert json.loads(document.content)["items"][4]["case_id"] == "c5"
    assert len(entries(engine, "line_list.export")) == 2
    with pytest.raises(Invalid):
        export_line_list(engine, EPI, region_tree(engine), fmt="xlsx")


def test_listing_filters_pages_and_needs_read_audit(engine: Engine) -> None:
    for who, action in (("a", "x.one"), ("b", "x.two"), ("a", "y.one"), ("a", "x.one")):
        with engine.begin() as conn:
            hook.note(conn, action, "t", None, {}, actor=who)
    page = audit.list_entries(engine, ADMIN, limit=2)
    assert page["total"] == 4 and [e["id"] for e in page["items"]] == [4, 3]
    assert audit.list_entries(engine, ADMIN, offset=3)["items"][0]["id"] == 1
    assert audit.list_entries(engine, ADMIN, who="a")["total"] == 3
    assert audit.list_entries(engine, ADMIN, action="x.one")["total"] == 2
    assert audit.list_entries(engine, ADMIN, action="x.")["total"] == 3
    assert audit.list_entries(engine, ADMIN, action="x*", who="b")["total"] == 1
    assert audit.list_entries(engine, ADMIN, action="x_")["total"] == 0  # "_" is literal
    today = datetime.now(UTC).date()
    assert audit.list_entries(engine, ADMIN, date_from=today, date_to=today)["total"] == 4
    tomorrow = today + timedelta(days=1)
    assert audit.list_entries(engine, ADMIN, date_from=tomorrow)["total"] == 0
    with pytest.raises(Invalid):
        audit.list_entries(engine, ADMIN, date_from=tomorrow, date_to=today)
    with pytest.raises(Invalid):
        audit.list_entries(engine, ADMIN, limit=0)
    for actor in (EPI, COMMANDER, VIEWER):
        with pytest.raises(Forbidden):
            audit.list_entries(engine, actor)
        with pytest.raises(Forbidden):
            audit.verify_for(engine, actor)


@pytest.mark.parametrize("bad", ["", "x", "1:abc", "a:" + "0" * 64, "1:" + "g" * 64])
def test_anchor_syntax_is_checked(bad: str) -> None:
    with pytest.raises(Invalid):
        audit.parse_anchor(bad)
    assert audit.parse_anchor("12:" + "A" * 64) == (12, "a" * 64)


# --- the command line ---------------------------------------------------------------------


def test_cli_writes_are_attributed_and_verify_reports_tampering(
    engine: Engine, settings: Settings
) -> None:
    runner = CliRunner()
    env = {"FANGKONG_DATABASE_URL": settings.database_url}
    made = runner.invoke(
        app,
        [
            "user",
            "create",
            "hubei.rep",
            "--role",
            "reporter",
            "--jurisdiction",
            "420000",
            "--password-stdin",
        ],
        input="correct horse battery\n",
        env=env,
    )
    assert made.exit_code == 0, made.output
    (entry,) = entries(engine)
    assert str(entry["actor"]).startswith("cli:") and entry["action"] == "cli.user.create"
    assert entry["details"]["context"] == {"command": "fangkong user create"}  # type: ignore[index]

    ok = runner.invoke(app, ["audit", "verify"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "OK: 1 entries" in ok.output and f"1:{entry['hash']}" in ok.output
    anchored = runner.invoke(app, ["audit", "verify", "--anchor", f"1:{entry['hash']}"], env=env)
    assert anchored.exit_code == 0, anchored.output
    listed = runner.invoke(app, ["audit", "list", "--format", "json"], env=env)
    assert json.loads(listed.stdout)["items"][0]["action"] == "cli.user.create"

    with engine.begin() as conn:  # an attacker drops the trigger and edits the entry
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE id = 1"))
    broken = runner.invoke(app, ["audit", "verify"], env=env)
    assert broken.exit_code == 1
    assert "BROKEN at entry 1 (edited)" in broken.output
    as_json = runner.invoke(app, ["audit", "verify", "--json"], env=env)
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["problem"]["kind"] == "edited"
    bad = runner.invoke(app, ["audit", "verify", "--anchor", "nonsense"], env=env)
    assert bad.exit_code == 2


def test_cli_imports_are_attributed_in_the_worker_threads_too(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = write_cases(tmp_path / "cases.csv", [case(i) for i in range(1, 30)])
    runner = CliRunner()
    env = {"FANGKONG_DATABASE_URL": settings.database_url, "FANGKONG_VAR_DIR": str(tmp_path)}
    done = runner.invoke(app, ["import", "cases", str(path)], env=env)
    assert done.exit_code == 0, done.output
    rows = entries(engine)
    assert rows and all(str(e["actor"]).startswith("cli:") for e in rows)
    assert {e["action"] for e in rows} == {"cli.import.cases", "import.run"}
    assert any("case_records" in str(e["details"]) for e in rows)
