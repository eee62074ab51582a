"""``fangkong bulletin …``: compose, check and publish daily bulletins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from fangkong.cli import app, choose, console, fail, open_engine, settings

if TYPE_CHECKING:
    from datetime import date


# --- Bulletins (issue 4) ---

bulletin_app = typer.Typer(
    help="Daily bulletins (疫情通报): draft, publish, show.", no_args_is_help=True
)
app.add_typer(bulletin_app, name="bulletin")


def _bulletin_date(text: str) -> date:
    """An ISO date argument (exit code 2 when it is not one)."""
    from fangkong.services.errors import Invalid
    from fangkong.services.public import parse_day

    try:
        when = parse_day(text)
    except Invalid as exc:
        raise fail(f"DATE: {exc.message}", 2) from exc
    if when is None:
        raise fail("DATE is required (YYYY-MM-DD)", 2)
    return when


def _print_bulletin(out: dict[str, object], lang: str, as_json: bool) -> None:
    import json

    if as_json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    version = out.get("version")
    head = f"bulletin #{out['id']} {out['region_code']} {out['report_date']}: " + (
        f"version {version}, published by {out['approved_by']}" if version else "draft"
    )
    console.print(head, highlight=False)
    for key in ("text_zh", "text_en") if lang == "both" else (f"text_{lang}",):
        console.print("")
        console.print(str(out[key]), highlight=False, markup=False, soft_wrap=True)
    checks = out.get("checks")
    if isinstance(checks, list) and version is None:
        console.print("")
        for c in checks:
            mark = "ok  " if c["passed"] else ("FAIL" if c["blocking"] else "warn")
            console.print(f"[{mark}] {c['check']}: {c['message']}", highlight=False, markup=False)


@bulletin_app.command("draft")
def bulletin_draft(
    region: Annotated[str, typer.Argument(help="CN (the nation) or a province code.")],
    day: Annotated[str, typer.Argument(metavar="DATE", help="Report date, YYYY-MM-DD.")],
    source: Annotated[str | None, typer.Option(help="Source of the figures.")] = None,
    reason: Annotated[
        list[str] | None,
        typer.Option(
            help="Revision reason of a falling cumulative figure, "
            "REGION:FIELD:TEXT (e.g. 420000:cumulative_confirmed:duplicates removed)."
        ),
    ] = None,
    lang: Annotated[str, typer.Option(help="zh, en or both.")] = "both",
    as_json: Annotated[bool, typer.Option("--json", help="Print the draft as JSON.")] = False,
) -> None:
    """Compose a bulletin from the stored figures, run the checks, store it as a draft."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import bulletins as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    choose(lang, "--lang", ("zh", "en", "both"))
    items = []
    for r in reason or []:
        parts = r.split(":", 2)
        if len(parts) != 3:
            raise fail(f"--reason {r!r}: expected REGION:FIELD:TEXT", 2)
        items.append({"region_code": parts[0], "field": parts[1], "reason": parts[2]})
    when = _bulletin_date(day)
    engine = open_engine()
    try:
        out = svc.draft_bulletin(
            engine,
            settings(),
            CLI_ACTOR,
            region_tree(engine),
            region,
            when,
            source=source,
            reasons=svc.parse_reasons(items),
        )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    _print_bulletin(out, lang, as_json)
    if not out["publishable"]:
        raise typer.Exit(1)


@bulletin_app.command("publish")
def bulletin_publish(
    bulletin_id: Annotated[int, typer.Argument(help="Draft id (from `bulletin draft`).")],
    reason: Annotated[str | None, typer.Option(help="Reason of a correction.")] = None,
) -> None:
    """Approve a draft and publish it as the next numbered version."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import bulletins as svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.reference import region_tree

    engine = open_engine()
    try:
        out = svc.publish_bulletin(
            engine, CLI_ACTOR, region_tree(engine), bulletin_id, reason=reason
        )
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    console.print(
        f"published {out['region_code']} {out['report_date']} version {out['version']}",
        highlight=False,
    )
    for c in out["changes"] or []:
        console.print(f"  {c['field']}: {c['old_value']} → {c['new_value']}", highlight=False)


@bulletin_app.command("show")
def bulletin_show(
    region: Annotated[str, typer.Argument(help="CN or a province code.")],
    day: Annotated[str, typer.Argument(metavar="DATE", help="Report date, YYYY-MM-DD.")],
    version: Annotated[int | None, typer.Option(help="Version; default the latest.")] = None,
    lang: Annotated[str, typer.Option(help="zh, en or both.")] = "both",
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Print a published bulletin."""
    from fangkong.services import bulletins as svc
    from fangkong.services.errors import ServiceError

    choose(lang, "--lang", ("zh", "en", "both"))
    when = _bulletin_date(day)
    engine = open_engine()
    try:
        out = svc.published_bulletin(engine, region, when, version)
    except ServiceError as exc:
        raise fail(exc.message) from exc
    finally:
        engine.dispose()
    _print_bulletin(out, lang, as_json)
