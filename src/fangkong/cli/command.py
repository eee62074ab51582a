"""Command (issue 5): response levels, risk zoning, early warning, directives, timeliness."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fangkong.cli import app, choose, console, fail, open_engine, settings

# --- Command (issue 5): response levels, risk zoning, early warning ---

response_app = typer.Typer(help="Emergency response levels (I–IV).", no_args_is_help=True)
app.add_typer(response_app, name="response")
risk_app = typer.Typer(help="Risk zoning (分区分级).", no_args_is_help=True)
app.add_typer(risk_app, name="risk")
warnings_app = typer.Typer(help="Early warning signals.", no_args_is_help=True)
app.add_typer(warnings_app, name="warnings")


@response_app.command("declare")
def response_declare(
    region_code: Annotated[str, typer.Argument(help="Region code, e.g. 420000.")],
    level: Annotated[str, typer.Argument(help="none, IV, III, II or I.")],
    reason: Annotated[str, typer.Option(help="Why (required).")],
    authority: Annotated[str | None, typer.Option(help="Declaring authority.")] = None,
    effective_at: Annotated[
        str | None, typer.Option(help="ISO 8601 date-time; default now.")
    ] = None,
) -> None:
    """Declare, raise, lower or lift a region's response level (as the CLI operator)."""
    from datetime import datetime

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import response as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    try:
        when = datetime.fromisoformat(effective_at) if effective_at else None
    except ValueError as exc:
        raise fail(f"--effective-at: not an ISO 8601 date-time: {effective_at!r}", 2) from exc
    engine = open_engine()
    try:
        out = svc.declare(
            engine,
            CLI_ACTOR,
            region_tree(engine),
            region_code=region_code,
            level=level,
            reason=reason,
            authority=authority,
            effective_at=when,
        )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    console.print(
        f"{out['region_code']} {out['region_name_zh']}: {out['action']} "
        f"{out['previous_level']} → {out['level']} ({out['level_en']}) "
        f"effective {out['effective_at']} by {out['authority']}",
        highlight=False,
    )


@response_app.command("history")
def response_history(
    region_code: Annotated[str | None, typer.Argument(help="Region code (all if omitted).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 100,
) -> None:
    """Every recorded change of response levels, newest first."""

    from fangkong.services import response as svc
    from fangkong.services.errors import ServiceError

    engine = open_engine()
    try:
        out = svc.history(engine, region_code=region_code, limit=limit)
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    table = Table("effective", "region", "action", "level", "authority", "reason", "by")
    for i in out["items"]:
        table.add_row(
            i["effective_at"][:16],
            i["region_code"],
            i["action"],
            i["level"],
            i["authority"],
            i["reason"],
            i["actor"],
        )
    console.print(table)
    console.print(f"{out['total']} change(s)")


@risk_app.command("classify")
def risk_classify(
    on: Annotated[str, typer.Option("--date", help="The day to classify (YYYY-MM-DD).")],
    ruleset: Annotated[str | None, typer.Option(help="name or name@version.")] = None,
    unit: Annotated[
        str | None, typer.Option(help="country, province, prefecture or county.")
    ] = None,
    parent: Annotated[str | None, typer.Option(help="Only units below this region.")] = None,
    lang: Annotated[str, typer.Option(help="zh or en explanations.")] = "en",
) -> None:
    """Classify every unit on a day, with the rule set's explanation and strategy."""
    from datetime import date

    from fangkong.services import risk as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    try:
        day = date.fromisoformat(on)
    except ValueError as exc:
        raise fail(f"--date: not a date (YYYY-MM-DD): {on!r}", 2) from exc
    choose(lang, "--lang", ("zh", "en"))
    engine = open_engine()
    try:
        out = svc.risk_table(
            engine,
            settings(),
            region_tree(engine),
            on=day,
            ruleset=ruleset,
            unit=unit,
            parent=parent,
        )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    rs = out["ruleset"]
    table = Table("region", "name", "level", "since", "explanation", "source")
    for i in out["items"]:
        table.add_row(
            i["region_code"],
            i[f"name_{lang}"],
            i[f"level_{lang}"],
            i["since"],
            i[f"explanation_{lang}"],
            i["source"],
        )
    console.print(table)
    counts = ", ".join(f"{k} {v}" for k, v in out["counts"].items())
    console.print(
        f"{out['date']}: {out['total']} {out['unit']} units by {rs['key']} ({counts})",
        highlight=False,
    )


@warnings_app.command("scan")
def warnings_scan(
    date_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    date_to: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD).")],
    level: Annotated[str, typer.Option(help="Administrative level of the series.")] = "province",
    region: Annotated[list[str] | None, typer.Option(help="Only these regions.")] = None,
    method: Annotated[list[str] | None, typer.Option(help="Only these methods.")] = None,
    series: Annotated[str, typer.Option(help="Daily field to scan.")] = "new_confirmed",
    store: Annotated[bool, typer.Option(help="Store the signals.")] = False,
    lang: Annotated[str, typer.Option(help="zh or en explanations.")] = "en",
) -> None:
    """Scan daily series for aberrations and data-quality problems."""
    from datetime import date

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import warnings as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    try:
        first, last = date.fromisoformat(date_from), date.fromisoformat(date_to)
    except ValueError as exc:
        raise fail("--from/--to: dates as YYYY-MM-DD", 2) from exc
    engine = open_engine()
    try:
        signals = svc.scan(
            engine,
            settings(),
            region_tree(engine),
            date_from=first,
            date_to=last,
            level=None if region else level,
            region_codes=region or None,
            methods=method or None,
            field=series,
        )
        stored = svc.store_signals(engine, CLI_ACTOR, signals) if store else None
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    table = Table("date", "region", "method", "observed", "explanation")
    for s in signals:
        table.add_row(
            s["signal_date"],
            f"{s['region_code']} {s[f'name_{lang}']}",
            s["method"],
            "" if s["observed"] is None else f"{s['observed']:g}",
            s[f"explanation_{lang}"],
        )
    console.print(table)
    note = f"; stored {stored['inserted']} new" if stored else ""
    console.print(f"{len(signals)} signal(s){note}", highlight=False)


# --- Command (issue 5): directives and reporting accountability ---

directive_app = typer.Typer(help="Directives of the command (指令).", no_args_is_help=True)
app.add_typer(directive_app, name="directive")
timeliness_app = typer.Typer(help="Reporting accountability (报告时效).", no_args_is_help=True)
app.add_typer(timeliness_app, name="timeliness")


def _directive_line(d: dict[str, object]) -> str:
    return (
        f"#{d['id']} [{d['priority']}] {d['title']} — {d['status']}, due {d['due_at']}, "
        f"{d['recipients_total']} recipient(s)"
    )


@directive_app.command("issue")
def directive_issue(
    title: Annotated[str, typer.Option(help="Title.")],
    body: Annotated[str, typer.Option(help="Text of the directive.")],
    due: Annotated[str, typer.Option(help="Due date-time, ISO 8601 (2020-02-01T18:00+08:00).")],
    region: Annotated[list[str] | None, typer.Option(help="Recipient region (repeatable).")] = None,
    team: Annotated[list[int] | None, typer.Option(help="Recipient guidance team id.")] = None,
    priority: Annotated[str, typer.Option(help="extra_urgent (特急), urgent (加急), normal.")] = (
        "normal"
    ),
    attach: Annotated[list[str] | None, typer.Option(help="File to attach (repeatable).")] = None,
) -> None:
    """Issue a directive to regions and/or guidance teams (as the CLI operator)."""
    from datetime import datetime
    from pathlib import Path

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import directives as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    try:
        due_at = datetime.fromisoformat(due)
    except ValueError as exc:
        raise fail(f"--due: not an ISO 8601 date-time: {due!r}", 2) from exc
    files = [Path(p) for p in attach or []]
    for f in files:
        if not f.is_file():
            raise fail(f"--attach: no such file {f}", 2)
    engine = open_engine()
    s = settings()
    try:
        tree = region_tree(engine)
        out = svc.issue(
            engine,
            CLI_ACTOR,
            tree,
            title=title,
            body=body,
            priority=priority,
            due_at=due_at,
            regions=region or [],
            team_ids=team or [],
        )
        for f in files:
            with f.open("rb") as fh:
                att = svc.add_attachment(
                    engine, s, CLI_ACTOR, tree, out["id"], filename=f.name, stream=fh
                )
            console.print(
                f"attached {att['filename']} ({att['size_bytes']:,} bytes, sha256 {att['sha256']})",
                highlight=False,
            )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    console.print(f"issued {_directive_line(out)}", highlight=False)


def _respond(directive_id: int, region: str | None, note: str, percent: int | None = None) -> None:
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import directives as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    engine = open_engine()
    try:
        tree = region_tree(engine)
        if percent is None:
            out = svc.acknowledge(
                engine, CLI_ACTOR, tree, directive_id, region_code=region, note=note
            )
        else:
            out = svc.report_progress(
                engine,
                CLI_ACTOR,
                tree,
                directive_id,
                region_code=region,
                percent=percent,
                note=note,
            )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    for r in out["recipients"]:
        console.print(
            f"  {r['name']} ({r['region_code']}): {r['status']} {r['progress_percent']} %",
            highlight=False,
        )
    console.print(_directive_line(out), highlight=False)


@directive_app.command("ack")
def directive_ack(
    directive_id: int,
    region: Annotated[str | None, typer.Option(help="Recipient region (if several).")] = None,
    note: Annotated[str, typer.Option(help="Note.")] = "",
) -> None:
    """Acknowledge receipt of a directive for a recipient region."""
    _respond(directive_id, region, note)


@directive_app.command("progress")
def directive_progress(
    directive_id: int,
    percent: Annotated[int, typer.Argument(min=0, max=100, help="Percent done (100 completes).")],
    region: Annotated[str | None, typer.Option(help="Recipient region (if several).")] = None,
    note: Annotated[str, typer.Option(help="What was done.")] = "",
) -> None:
    """Report progress on a directive for a recipient region."""
    _respond(directive_id, region, note, percent)


@directive_app.command("list")
def directive_list(
    status: Annotated[str | None, typer.Option(help="open, completed or cancelled.")] = None,
    region: Annotated[str | None, typer.Option(help="Only directives to this region.")] = None,
    escalated: Annotated[
        bool, typer.Option(help="Only the dashboard: overdue or unacknowledged.")
    ] = False,
    lang: Annotated[str, typer.Option(help="zh or en explanations.")] = "en",
) -> None:
    """List directives (or the escalation dashboard) with their recipients' progress."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import directives as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    choose(lang, "--lang", ("zh", "en"))
    engine = open_engine()
    try:
        tree = region_tree(engine)
        if escalated:
            out = svc.dashboard(engine, CLI_ACTOR, tree)
        else:
            out = svc.list_directives(
                engine, CLI_ACTOR, tree, status=status, region=region, limit=10_000
            )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    for d in out["items"]:
        counts = ", ".join(f"{k} {v}" for k, v in d["recipients_by_status"].items() if v)
        console.print(f"{_directive_line(d)} ({counts})", highlight=False)
        for e in d["escalations"]:
            console.print(f"  ! {e[f'explanation_{lang}']}", highlight=False)
    console.print(f"{out['total']} directive(s)", highlight=False)


@timeliness_app.command("scorecard")
def timeliness_scorecard(
    date_from: Annotated[str, typer.Option("--from", help="First report date (YYYY-MM-DD).")],
    date_to: Annotated[str, typer.Option("--to", help="Last report date (YYYY-MM-DD).")],
    region: Annotated[
        str | None, typer.Option(help="Scope region (default China); units one level below.")
    ] = None,
    level: Annotated[str | None, typer.Option(help="Level of the scored units.")] = None,
    source: Annotated[str | None, typer.Option(help="Only submissions of this source.")] = None,
    lang: Annotated[str, typer.Option(help="zh or en names.")] = "en",
) -> None:
    """On-time, late, missing and later-corrected daily reports per region."""
    from datetime import date

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import timeliness as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    try:
        first, last = date.fromisoformat(date_from), date.fromisoformat(date_to)
    except ValueError as exc:
        raise fail("--from/--to: dates as YYYY-MM-DD", 2) from exc
    choose(lang, "--lang", ("zh", "en"))
    engine = open_engine()
    try:
        out = svc.scorecard(
            engine,
            CLI_ACTOR,
            region_tree(engine),
            date_from=first,
            date_to=last,
            region=region,
            level=level,
            source=source,
        )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    table = Table(
        "region",
        "name",
        "expected",
        "on time",
        "late",
        "missing",
        "pending",
        "corrected",
        "on-time %",
        "deadline",
    )
    for i in out["items"]:
        rate = "" if i["on_time_rate"] is None else f"{100 * i['on_time_rate']:.1f}"
        rule = i["rule"]
        table.add_row(
            i["region_code"],
            i[f"name_{lang}"],
            str(i["expected"]),
            str(i["on_time"]),
            str(i["late"]),
            str(i["missing"]),
            str(i["pending"]),
            str(i["corrected"]),
            rate,
            f"D+{rule['day_offset']} {rule['due_time']} ({rule['key']})",
        )
    console.print(table)
    t = out["totals"]
    console.print(
        f"{out['from']}…{out['to']}, {len(out['items'])} {out['level']} unit(s) in "
        f"{out['region']}: {t['on_time']} on time, {t['late']} late, {t['missing']} missing, "
        f"{t['pending']} pending, {t['corrected']} later corrected; "
        f"{out['alerts_total']} alert(s)",
        highlight=False,
    )
