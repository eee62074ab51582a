"""Resources (issue 6): ``fangkong supplies …`` and ``fangkong allocate …``."""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from fangkong.cli import app, choose, console, fail, iso_date, run_service

if TYPE_CHECKING:
    from datetime import date

    from sqlalchemy import Engine

    from fangkong.core.regions import RegionTree


# --- Resources (issue 6): fangkong supplies …, fangkong allocate … ---

supplies_app = typer.Typer(
    help="Medical supplies: catalogue, depots, stock ledger, hospitals, requests.",
    no_args_is_help=True,
)
app.add_typer(supplies_app, name="supplies")
allocate_app = typer.Typer(
    help="Optimal allocation of supplies and the shipments that carry it out.",
    no_args_is_help=True,
)
app.add_typer(allocate_app, name="allocate")


def _day(text: str | None, option: str) -> date:
    """The date given for ``option``, today when absent."""
    from datetime import date as date_cls

    return iso_date(text, option) or date_cls.today()


@supplies_app.command("catalogue")
def supplies_catalogue() -> None:
    """Load (or refresh) the shipped catalogue and list it."""

    from fangkong.services import supplies as svc

    def call(engine: Engine, _tree: RegionTree) -> list[dict[str, typing.Any]]:
        svc.load_catalogue(engine)
        return svc.list_items(engine)

    table = Table("item", "名称", "name", "category", "unit", "pack")
    for i in run_service(call):
        table.add_row(
            i["item_code"],
            i["name_zh"],
            i["name_en"],
            i["category"],
            i["unit"],
            str(i["pack_size"]),
        )
    console.print(table)


@supplies_app.command("depot")
def supplies_depot(
    warehouse_code: Annotated[str, typer.Argument(help="Depot code, e.g. D-WH.")],
    name: Annotated[str, typer.Argument(help="Display name.")],
    region: Annotated[str, typer.Option(help="Region code.")],
    lat: Annotated[float, typer.Option(help="Latitude (WGS 84).")],
    lon: Annotated[float, typer.Option(help="Longitude (WGS 84).")],
) -> None:
    """Register a depot."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import supplies as svc

    out = run_service(
        lambda e, t: svc.create_depot(
            e, CLI_ACTOR, t, warehouse_code=warehouse_code, name=name, region_code=region,
            lat=lat, lon=lon,
        )
    )  # fmt: skip
    console.print(f"depot {out['warehouse_code']} {out['name']} in {out['region_code']}")


@supplies_app.command("hospital")
def supplies_hospital(
    hospital_code: Annotated[str, typer.Argument(help="Hospital code.")],
    name: Annotated[str, typer.Argument(help="Display name.")],
    kind: Annotated[str, typer.Option(help="designated, shelter or fever_clinic.")],
    region: Annotated[str, typer.Option(help="Region code.")],
    lat: Annotated[float, typer.Option(help="Latitude (WGS 84).")],
    lon: Annotated[float, typer.Option(help="Longitude (WGS 84).")],
    general: Annotated[int, typer.Option(min=0, help="General beds.")] = 0,
    isolation: Annotated[int, typer.Option(min=0, help="Isolation beds.")] = 0,
    icu: Annotated[int, typer.Option(min=0, help="ICU beds.")] = 0,
    ventilator: Annotated[int, typer.Option(min=0, help="Beds with a ventilator.")] = 0,
) -> None:
    """Register a hospital (and its store)."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import hospitals as svc

    beds = {"general": general, "isolation": isolation, "icu": icu, "ventilator": ventilator}
    out = run_service(
        lambda e, t: svc.create_hospital(
            e, CLI_ACTOR, t, hospital_code=hospital_code, name=name, kind=kind,
            region_code=region, lat=lat, lon=lon, beds=beds,
        )
    )  # fmt: skip
    console.print(
        f"hospital {out['hospital_code']} {out['name']} ({out['kind_zh']}) in "
        f"{out['region_code']}, store {out['warehouse_code']}",
        highlight=False,
    )


@supplies_app.command("receive")
def supplies_receive(
    warehouse_code: Annotated[str, typer.Argument(help="Warehouse code.")],
    item_code: Annotated[str, typer.Argument(help="Catalogue item code.")],
    lot_code: Annotated[str, typer.Argument(help="Lot (batch) code.")],
    quantity: Annotated[int, typer.Argument(help="Base units.")],
    expiry: Annotated[str | None, typer.Option(help="Expiry date (ISO).")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Movement date; default today.")] = None,
    reason: Annotated[str, typer.Option(help="Note.")] = "",
) -> None:
    """Receive units of a lot into a warehouse."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import supplies as svc

    expiry_date = _day(expiry, "--expiry") if expiry else None
    day = _day(on, "--date")
    out = run_service(
        lambda e, t: svc.receive_stock(
            e, CLI_ACTOR, t, warehouse_code=warehouse_code, item_code=item_code,
            lot_code=lot_code, quantity=quantity, movement_date=day,
            expiry_date=expiry_date, reason=reason,
        )
    )  # fmt: skip
    console.print(f"movement {out['id']}: receipt {out['quantity']} of {out['lot_code']}")


@supplies_app.command("move")
def supplies_move(
    kind: Annotated[str, typer.Argument(help="issue, transfer, adjustment or expiry.")],
    lot_code: Annotated[str, typer.Argument(help="Lot code.")],
    quantity: Annotated[int, typer.Argument(help="Base units (signed for an adjustment).")],
    source: Annotated[str | None, typer.Option("--from", help="From warehouse.")] = None,
    target: Annotated[str | None, typer.Option("--to", help="To warehouse.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Movement date; default today.")] = None,
    reason: Annotated[str, typer.Option(help="Reason (required for adjustments).")] = "",
) -> None:
    """Issue, transfer, adjust or write off units of a lot."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import supplies as svc

    day = _day(on, "--date")
    out = run_service(
        lambda e, t: svc.record_movement(
            e, CLI_ACTOR, t, kind=kind, lot_code=lot_code, quantity=quantity,
            movement_date=day, from_warehouse=source, to_warehouse=target, reason=reason,
        )
    )  # fmt: skip
    console.print(f"movement {out['id']}: {out['kind']} {out['quantity']} of {out['lot_code']}")


@supplies_app.command("stock")
def supplies_stock(
    warehouse: Annotated[str | None, typer.Option(help="Only this warehouse.")] = None,
    item: Annotated[str | None, typer.Option(help="Only this item.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Usable on; default today.")] = None,
) -> None:
    """Stock on hand and usable per warehouse and item."""

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import supplies as svc

    day = _day(on, "--date")
    rows = run_service(
        lambda e, t: svc.stock(e, CLI_ACTOR, t, day=day, warehouse_code=warehouse, item_code=item)
    )
    table = Table("warehouse", "item", "on hand", "usable", "unusable", "packs", "state")
    for r in rows:
        table.add_row(
            r["warehouse_code"], r["item_code"], f"{r['on_hand']:,}", f"{r['usable']:,}",
            f"{r['unusable']:,}", f"{r['usable_packs']:,}", r["state"],
        )  # fmt: skip
    console.print(table)


@supplies_app.command("check")
def supplies_check() -> None:
    """Check that the ledger balances; exit code 1 when it does not."""
    from fangkong.services import supplies as svc

    out = run_service(lambda e, _t: svc.ledger_check(e))
    for i in out["items"]:
        console.print(
            f"{i['item_code']}: receipts {i['receipts']:,} - issues {i['issues']:,} - "
            f"expiries {i['expiries']:,} + adjustments {i['adjustments']:,} → on hand "
            f"{i['on_hand']:,} (gap {i['gap']})",
            highlight=False,
        )
    if not out["balanced"]:
        raise fail(f"ledger does not balance: {out['mismatched_balances']}")
    console.print("ledger balances")


@supplies_app.command("request")
def supplies_request(
    hospital_code: Annotated[str, typer.Argument(help="Hospital code.")],
    lines: Annotated[list[str], typer.Argument(help="ITEM=UNITS, e.g. n95_respirator=2000.")],
    priority: Annotated[str, typer.Option(help="routine, urgent or critical.")] = "routine",
    submit: Annotated[bool, typer.Option(help="Submit at once.")] = True,
) -> None:
    """Draft (and submit) a hospital's supply request."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import requests as svc

    parsed: list[tuple[str, int]] = []
    for text in lines:
        code, _, qty = text.partition("=")
        if not qty.strip().isdigit():
            raise fail(f"line {text!r}: expected ITEM=UNITS", 2)
        parsed.append((code.strip(), int(qty)))

    def call(engine: Engine, tree: RegionTree) -> dict[str, typing.Any]:
        made = svc.create_request(
            engine, CLI_ACTOR, tree, hospital_code=hospital_code, priority=priority, lines=parsed
        )
        return svc.submit_request(engine, CLI_ACTOR, tree, made["id"]) if submit else made

    out = run_service(call)
    console.print(f"request {out['id']} for {out['hospital_code']}: {out['status']}")


@supplies_app.command("approve")
def supplies_approve(
    request_id: Annotated[int, typer.Argument(help="Request id.")],
    line: Annotated[
        list[str] | None, typer.Option(help="ITEM=UNITS to approve less than asked.")
    ] = None,
    note: Annotated[str, typer.Option(help="Decision note.")] = "",
) -> None:
    """Approve a submitted request (in full unless --line says otherwise)."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import requests as svc

    approved: dict[str, int] = {}
    for text in line or []:
        code, _, qty = text.partition("=")
        if not qty.strip().isdigit():
            raise fail(f"--line {text!r}: expected ITEM=UNITS", 2)
        approved[code.strip()] = int(qty)
    out = run_service(
        lambda e, t: svc.decide_request(e, CLI_ACTOR, t, request_id, approved=approved, note=note)
    )
    console.print(f"request {out['id']}: {out['status']}")


@supplies_app.command("requests")
def supplies_requests(
    status: Annotated[str | None, typer.Option(help="Derived status to show.")] = None,
) -> None:
    """Supply requests with their derived status."""

    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import requests as svc

    rows = run_service(lambda e, t: svc.list_requests(e, CLI_ACTOR, t, status=status))
    table = Table("id", "hospital", "priority", "status", "lines (requested/approved/received)")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["hospital_code"],
            r["priority"],
            r["status"],
            "; ".join(
                f"{x['item_code']} {x['requested']}/"
                f"{'-' if x['approved'] is None else x['approved']}/{x['received']}"
                for x in r["lines"]
            ),
        )
    console.print(table)


def _print_plan(plan: dict[str, typing.Any], lang: str) -> None:
    console.print(
        f"plan {plan['id']} ({plan['plan_date']}): min fill {plan['min_fill']:.0%} "
        f"(nearest-depot baseline {plan['greedy_min_fill']:.0%}), unmet "
        f"{plan['unmet_units']:,} units (baseline {plan['greedy_unmet_units']:,}), "
        f"{plan['cost_km']:,.0f} pack-km, solved in {plan['solve_seconds']:.2f} s",
        highlight=False,
    )
    for e in plan["explanations"]:
        console.print(f"  {e[lang]}", highlight=False, soft_wrap=True, markup=False)
    for s in plan["shipments"]:
        lines = ", ".join(f"{x['item_code']} {x['packs']} packs" for x in s["lines"])
        console.print(
            f"  shipment {s['id']} ({s['status']}) {s['from_warehouse']} → "
            f"{s['hospital_code']} ({s['distance_km']} km): {lines}",
            highlight=False,
        )


@allocate_app.command("run")
def allocaterun_service(
    on: Annotated[str | None, typer.Option("--date", help="Plan date; default today.")] = None,
    region: Annotated[str | None, typer.Option(help="Only this region.")] = None,
    periods: Annotated[int, typer.Option(help="Periods of the plan (rolling horizon).")] = 1,
    period_days: Annotated[int, typer.Option(help="Days per period.")] = 7,
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
) -> None:
    """Allocate usable depot stock to approved needs and draft the shipments (of the
    first period; later periods are kept as a schedule)."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import allocation as svc

    choose(lang, "--lang", ("zh", "en"))
    day = _day(on, "--date")
    plan = run_service(
        lambda e, t: svc.run_allocation(
            e,
            CLI_ACTOR,
            t,
            plan_date=day,
            region_code=region,
            periods=periods,
            period_days=period_days,
        )
    )
    _print_plan(plan, lang)


@allocate_app.command("show")
def allocate_show(
    plan_id: Annotated[int, typer.Argument(help="Plan id.")],
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
) -> None:
    """A stored plan with its explanations and shipments."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import allocation as svc

    choose(lang, "--lang", ("zh", "en"))
    _print_plan(run_service(lambda e, t: svc.get_plan(e, CLI_ACTOR, t, plan_id)), lang)


@allocate_app.command("confirm")
def allocate_confirm(
    shipment_id: Annotated[int, typer.Argument(help="Shipment id.")],
    carrier: Annotated[str, typer.Option(help="Carrier.")] = "",
    tracking: Annotated[str, typer.Option(help="Tracking number.")] = "",
) -> None:
    """Confirm a draft shipment."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import shipments as svc

    out = run_service(
        lambda e, t: svc.confirm(
            e, CLI_ACTOR, t, shipment_id, carrier=carrier, tracking_number=tracking
        )
    )
    console.print(f"shipment {out['id']}: {out['status']}")


@allocate_app.command("dispatch")
def allocate_dispatch(
    shipment_id: Annotated[int, typer.Argument(help="Shipment id.")],
    on: Annotated[str | None, typer.Option("--date", help="Movement date; default today.")] = None,
) -> None:
    """Issue a confirmed shipment from its depot (earliest expiry first)."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import shipments as svc

    day = _day(on, "--date")
    out = run_service(lambda e, t: svc.dispatch(e, CLI_ACTOR, t, shipment_id, movement_date=day))
    console.print(f"shipment {out['id']}: {out['status']}")


@allocate_app.command("receive")
def allocate_receive(
    shipment_id: Annotated[int, typer.Argument(help="Shipment id.")],
    signed_by: Annotated[str, typer.Option(help="Who signed for it.")],
    proof: Annotated[str, typer.Option(help="Receipt document reference.")] = "",
    on: Annotated[str | None, typer.Option("--date", help="Movement date; default today.")] = None,
) -> None:
    """Record receipt of a dispatched shipment in full, with proof."""
    from fangkong.core.access import CLI_ACTOR
    from fangkong.services import shipments as svc

    day = _day(on, "--date")
    out = run_service(
        lambda e, t: svc.receive(
            e, CLI_ACTOR, t, shipment_id, signed_by=signed_by, movement_date=day,
            proof_reference=proof,
        )
    )  # fmt: skip
    console.print(f"shipment {out['id']}: {out['status']} (signed by {out['proof']['signed_by']})")
