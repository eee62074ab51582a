"""Storing an official bulletin as daily reports (``services.bulletin_import``), and the
``fangkong import bulletin`` command; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner, Result

from fangkong.cli import app
from fangkong.core.access import CLI_ACTOR, Actor, Role
from fangkong.services.bulletin_import import decode, import_bulletin
from fangkong.services.errors import Forbidden, Invalid
from fangkong.settings import Settings
from fangkong.store import models as m

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bulletins"
Run = Callable[..., Result]


def text_of(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def stored(engine: Engine, region: str, day: date, source: str = "nhc") -> m.DailyReportRow:
    D = m.DailyReportRow
    with engine.connect() as conn:
        return conn.execute(
            select(D).where(D.region_code == region, D.report_date == day, D.source == source)
        ).one()


def test_dry_run_stores_nothing(engine: Engine, settings: Settings) -> None:
    out = import_bulletin(
        engine, settings, text_of("nhc_2020-02-13.txt"), actor=None, filename="nhc_2020-02-13.txt"
    )
    assert out["dry_run"] is True and out["stored"] is None and out["source"] == "nhc"
    assert out["new_confirmed"] == 5090
    with engine.connect() as conn:
        assert conn.execute(select(m.DailyReportRow)).first() is None


def test_store_national_bulletin_with_breakdowns(engine: Engine, settings: Settings) -> None:
    out = import_bulletin(
        engine,
        settings,
        text_of("nhc_2020-02-13.txt"),
        actor=CLI_ACTOR,
        filename="nhc_2020-02-13.txt",
        dry_run=False,
    )
    day = date(2020, 2, 13)
    assert out["stored"]["inserted"] == out["stored"]["reports"] >= 7
    cn = stored(engine, "CN", day)
    assert (cn.new_confirmed, cn.new_deaths, cn.new_suspected, cn.new_recovered) == (
        5090,
        121,
        2450,
        1081,
    )
    assert (cn.current_severe, cn.current_suspected, cn.close_contacts_under_observation) == (
        10204,
        10109,
        177984,
    )
    assert stored(engine, "420000", day).new_confirmed == 4823
    assert stored(engine, "420100", day).new_confirmed == 3910
    assert stored(engine, "500000", day).new_deaths == 1
    # cumulative figures are not stored but checked; nothing stored before: not checked
    assert any("cumulative_confirmed 63851: not checked" in n for n in out["notes"])
    with engine.connect() as conn:
        run = conn.execute(select(m.ImportRow)).one()
    assert run.kind == "bulletin" and run.status == "completed"


def test_reimport_is_unchanged_and_a_change_is_a_revision(
    engine: Engine, settings: Settings
) -> None:
    text = text_of("nhc_2020-02-13.txt")
    import_bulletin(
        engine,
        settings,
        text,
        actor=CLI_ACTOR,
        filename="a.txt",
        dry_run=False,
        as_of=date(2020, 2, 13),
    )
    again = import_bulletin(
        engine,
        settings,
        text,
        actor=CLI_ACTOR,
        filename="a.txt",
        dry_run=False,
        as_of=date(2020, 2, 13),
    )
    assert again["stored"]["inserted"] == 0 and again["stored"]["updated"] == 0
    fixed = text.replace("新增确诊病例5090例", "新增确诊病例5091例")
    out = import_bulletin(
        engine,
        settings,
        fixed,
        actor=CLI_ACTOR,
        filename="b.txt",
        dry_run=False,
        as_of=date(2020, 2, 13),
    )
    assert out["stored"]["updated"] == 1 and out["stored"]["revisions"] == 1
    with engine.connect() as conn:
        rev = conn.execute(select(m.RevisionRow)).one()
    assert (rev.field, rev.old_value, rev.new_value) == ("new_confirmed", "5090", "5091")
    assert rev.entity_key == "CN|2020-02-13|nhc"


def test_cumulative_mismatch_is_a_note(engine: Engine, settings: Settings) -> None:
    import_bulletin(
        engine,
        settings,
        text_of("nhc_2020-02-12.txt"),
        actor=CLI_ACTOR,
        filename="nhc_2020-02-12.txt",
        dry_run=False,
    )
    out = import_bulletin(
        engine,
        settings,
        text_of("nhc_2020-02-13.txt"),
        actor=CLI_ACTOR,
        filename="nhc_2020-02-13.txt",
        dry_run=False,
    )
    # two stored days sum to 15152 + 5090, not the 63851 of the bulletin
    note = next(n for n in out["notes"] if n.startswith("CN cumulative_confirmed"))
    assert "63851" in note and "20242" in note


def test_jurisdiction_and_permission(engine: Engine, settings: Settings) -> None:
    text = text_of("nhc_2020-02-13.txt")
    hubei = Actor("hubei.rep", Role.REPORTER, "420000")
    with pytest.raises(Forbidden):
        import_bulletin(
            engine,
            settings,
            text,
            actor=hubei,
            filename="x.txt",
            dry_run=False,
            as_of=date(2020, 2, 13),
        )
    viewer = Actor("v", Role.VIEWER, "*")
    with pytest.raises(Forbidden):
        import_bulletin(engine, settings, text, actor=viewer, filename="x.txt", dry_run=False)
    wuhan = import_bulletin(
        engine,
        settings,
        text_of("wuhan_2020-01-17.txt"),
        actor=hubei,
        filename="wuhan_2020-01-17.txt",
        dry_run=False,
    )
    assert wuhan["stored"]["inserted"] == 1 and wuhan["source"] == "bulletin"


def test_unknown_year_refuses_to_store(engine: Engine, settings: Settings) -> None:
    with pytest.raises(Invalid, match="date"):
        import_bulletin(
            engine,
            settings,
            text_of("nhc_2020-02-13.txt"),
            actor=CLI_ACTOR,
            filename="copy.txt",
            dry_run=False,
        )


def test_unread_sentences_are_kept_as_issues(engine: Engine, settings: Settings) -> None:
    out = import_bulletin(
        engine,
        settings,
        text_of("zhejiang_2020-02-12.txt"),
        actor=CLI_ACTOR,
        filename="zhejiang_2020-02-12.txt",
        dry_run=False,
        source="zjwjw",
    )
    with engine.connect() as conn:
        issues = conn.execute(select(m.ImportIssueRow)).all()
    assert len(issues) == len(out["unread"]) > 0


def test_decode_rejects_binary() -> None:
    assert decode("确诊".encode("gb18030")) == "确诊"
    with pytest.raises(Invalid):
        decode(b"\x00\x01binary")


# --- the command ------------------------------------------------------------------------


@pytest.fixture
def run(settings: Settings) -> Run:
    runner = CliRunner()
    env = {
        "FANGKONG_DATABASE_URL": settings.database_url,
        "FANGKONG_VAR_DIR": str(settings.var_dir),
    }
    return lambda *args: runner.invoke(app, list(args), env=env)


def test_cli_dry_run_prints_json(run: Run, engine: Engine) -> None:
    result = run("import", "bulletin", str(FIXTURES / "nhc_2020-02-13.txt"), "--dry-run")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["date"] == "2020-02-13" and out["region_code"] == "CN"
    assert out["cumulative_confirmed"] == 63851 and out["unread"] == []
    assert out["breakdowns"]["420100"]["new_confirmed"] == 3910


def test_cli_store_and_bad_date(run: Run, engine: Engine, tmp_path: Path) -> None:
    copy = tmp_path / "bulletin.txt"
    copy.write_text(text_of("nhc_2020-03-18.txt"), encoding="utf-8")
    assert run("import", "bulletin", str(copy)).exit_code == 2  # year unknown
    assert run("import", "bulletin", str(copy), "--date", "18.3.2020").exit_code == 2
    result = run("import", "bulletin", str(copy), "--date", "2020-03-18")
    assert result.exit_code == 0, result.output
    assert "inserted" in result.stdout
    assert stored(engine, "CN", date(2020, 3, 18)).new_confirmed_imported == 34
