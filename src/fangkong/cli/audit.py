"""``fangkong audit …``: verify the audit log's hash chain and read its entries.

``verify`` exits 0 and prints the number of entries and the last entry's id and hash
(write that ``ID:HASH`` down somewhere the database's administrators cannot change; a
later ``verify --anchor ID:HASH`` proves the log was not rewritten since), or exits 1
naming the first broken entry and what is wrong with it. It always walks the whole
chain (the console checks only the entries since the last verification, from its
checkpoint), checks the checkpoint like an anchor, and moves the checkpoint on when the
chain is intact: run it regularly.
"""

from __future__ import annotations

from typing import Annotated

import typer

from fangkong.cli import (
    app,
    choose,
    console,
    err_console,
    fail,
    iso_date,
    open_engine,
    run_service,
)

audit_app = typer.Typer(
    help="Audit log: verify the hash chain, list entries.", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    anchor: Annotated[
        list[str] | None,
        typer.Option(help="ID:SHA256 of an entry recorded earlier (repeatable)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Recompute the hash chain; exit 1 at the first broken entry."""
    import json

    from fangkong.services import audit as svc
    from fangkong.services.errors import ServiceError

    try:
        anchors = dict(svc.parse_anchor(a) for a in anchor or [])
    except ServiceError as exc:
        raise fail(f"--anchor: {exc.message}", 2) from exc
    engine = open_engine()
    try:
        report = svc.verify(engine, anchors=anchors)
    finally:
        engine.dispose()
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    elif report.ok:
        console.print(
            f"OK: {report.entries:,} entries, chain intact; last entry "
            f"{report.last_id}:{report.last_hash}",
            highlight=False,
            soft_wrap=True,
        )
    else:
        assert report.problem is not None
        err_console.print(
            f"BROKEN at entry {report.problem.entry_id} ({report.problem.kind}): "
            f"{report.problem.detail}; {report.entries:,} entries before it are intact",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("list")
def audit_list(
    actor: Annotated[str | None, typer.Option(help="Exact actor (user name, cli:…).")] = None,
    action: Annotated[
        str | None, typer.Option(help="Exact action, or a prefix ending in '.' or '*'.")
    ] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First UTC day.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last UTC day.")] = None,
    limit: Annotated[int, typer.Option(help="Entries to show (newest first).")] = 50,
    offset: Annotated[int, typer.Option(help="Entries to skip.")] = 0,
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List entries, newest first."""
    import json

    from rich.table import Table

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import audit as svc

    choose(output_format, "--format", ("table", "json"))
    first, last = iso_date(date_from, "--from"), iso_date(date_to, "--to")
    page = run_service(
        lambda engine, _tree: svc.list_entries(
            engine,
            CLI_ACTOR,
            who=actor,
            action=action,
            date_from=first,
            date_to=last,
            limit=limit,
            offset=offset,
        )
    )
    if output_format == "json":
        print(json.dumps(page, ensure_ascii=False, indent=2))
        return
    table = Table("id", "occurred (UTC)", "actor", "action", "target", "details")
    for item in page["items"]:
        details = json.dumps(item["details"], ensure_ascii=False, sort_keys=True)
        target = item["target_type"] + (f" {item['target_id']}" if item["target_id"] else "")
        table.add_row(
            str(item["id"]),
            item["occurred_at"][:19].replace("T", " "),
            item["actor"],
            item["action"],
            target,
            details if len(details) <= 120 else details[:119] + "…",
        )
    console.print(table)
    console.print(f"{len(page['items'])} of {page['total']:,} entries", highlight=False)
