"""Resources (issue 6): supplies catalogue, hospitals with bed capacity and daily
occupancy, warehouses, lots, stock balances and the append-only movement ledger,
donations, hospital requests with their lines, allocation plans with explanations,
shipments with their lines and proof of receipt.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "allocation_plans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_date", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("min_fill", sa.Float(), nullable=False),
        sa.Column("greedy_min_fill", sa.Float(), nullable=False),
        sa.Column("unmet_units", sa.Integer(), nullable=False),
        sa.Column("greedy_unmet_units", sa.Integer(), nullable=False),
        sa.Column("cost_km", sa.Float(), nullable=False),
        sa.Column("solve_seconds", sa.Float(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_plans")),
    )
    op.create_table(
        "supply_items",
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("pack_size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("item_code", name=op.f("pk_supply_items")),
    )
    op.create_table(
        "hospitals",
        sa.Column("hospital_code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("beds_general", sa.Integer(), nullable=False),
        sa.Column("beds_isolation", sa.Integer(), nullable=False),
        sa.Column("beds_icu", sa.Integer(), nullable=False),
        sa.Column("beds_ventilator", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.region_code"], name=op.f("fk_hospitals_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("hospital_code", name=op.f("pk_hospitals")),
    )
    with op.batch_alter_table("hospitals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hospitals_region_code"), ["region_code"], unique=False)

    op.create_table(
        "supply_lots",
        sa.Column("lot_code", sa.String(length=64), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("damaged", sa.Boolean(), nullable=False),
        sa.Column("manufacturer", sa.String(length=128), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_code"],
            ["supply_items.item_code"],
            name=op.f("fk_supply_lots_item_code_supply_items"),
        ),
        sa.PrimaryKeyConstraint("lot_code", name=op.f("pk_supply_lots")),
    )
    with op.batch_alter_table("supply_lots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supply_lots_item_code"), ["item_code"], unique=False)

    op.create_table(
        "allocation_explanations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("hospital_code", sa.String(length=32), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hospital_code"],
            ["hospitals.hospital_code"],
            name=op.f("fk_allocation_explanations_hospital_code_hospitals"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["allocation_plans.id"],
            name=op.f("fk_allocation_explanations_plan_id_allocation_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_explanations")),
    )
    with op.batch_alter_table("allocation_explanations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_allocation_explanations_plan_id"), ["plan_id"], unique=False
        )

    op.create_table(
        "hospital_occupancy",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hospital_code", sa.String(length=32), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("occupied_general", sa.Integer(), nullable=False),
        sa.Column("occupied_isolation", sa.Integer(), nullable=False),
        sa.Column("occupied_icu", sa.Integer(), nullable=False),
        sa.Column("occupied_ventilator", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hospital_code"],
            ["hospitals.hospital_code"],
            name=op.f("fk_hospital_occupancy_hospital_code_hospitals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospital_occupancy")),
        sa.UniqueConstraint(
            "hospital_code",
            "report_date",
            name=op.f("uq_hospital_occupancy_hospital_code_report_date"),
        ),
    )
    op.create_table(
        "supply_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hospital_code", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["hospital_code"],
            ["hospitals.hospital_code"],
            name=op.f("fk_supply_requests_hospital_code_hospitals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_requests")),
    )
    with op.batch_alter_table("supply_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supply_requests_hospital_code"), ["hospital_code"], unique=False
        )

    op.create_table(
        "warehouses",
        sa.Column("warehouse_code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("hospital_code", sa.String(length=32), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hospital_code"],
            ["hospitals.hospital_code"],
            name=op.f("fk_warehouses_hospital_code_hospitals"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.region_code"], name=op.f("fk_warehouses_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("warehouse_code", name=op.f("pk_warehouses")),
        sa.UniqueConstraint("hospital_code", name=op.f("uq_warehouses_hospital_code")),
    )
    with op.batch_alter_table("warehouses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_warehouses_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "donations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("donor", sa.String(length=256), nullable=False),
        sa.Column("donor_kind", sa.String(length=24), nullable=False),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("received_date", sa.Date(), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("lot_code", sa.String(length=64), nullable=False),
        sa.Column("warehouse_code", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_code"],
            ["supply_items.item_code"],
            name=op.f("fk_donations_item_code_supply_items"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_code"], ["supply_lots.lot_code"], name=op.f("fk_donations_lot_code_supply_lots")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_code"],
            ["warehouses.warehouse_code"],
            name=op.f("fk_donations_warehouse_code_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donations")),
    )
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("from_warehouse", sa.String(length=32), nullable=False),
        sa.Column("to_warehouse", sa.String(length=32), nullable=False),
        sa.Column("hospital_code", sa.String(length=32), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=128), nullable=True),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.String(length=64), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatched_by", sa.String(length=64), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_by", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("proof_signed_by", sa.String(length=128), nullable=True),
        sa.Column("proof_reference", sa.String(length=128), nullable=True),
        sa.Column("proof_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["from_warehouse"],
            ["warehouses.warehouse_code"],
            name=op.f("fk_shipments_from_warehouse_warehouses"),
        ),
        sa.ForeignKeyConstraint(
            ["hospital_code"],
            ["hospitals.hospital_code"],
            name=op.f("fk_shipments_hospital_code_hospitals"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["allocation_plans.id"], name=op.f("fk_shipments_plan_id_allocation_plans")
        ),
        sa.ForeignKeyConstraint(
            ["to_warehouse"],
            ["warehouses.warehouse_code"],
            name=op.f("fk_shipments_to_warehouse_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipments_hospital_code"), ["hospital_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_shipments_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "stock_balances",
        sa.Column("warehouse_code", sa.String(length=32), nullable=False),
        sa.Column("lot_code", sa.String(length=64), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_code"],
            ["supply_items.item_code"],
            name=op.f("fk_stock_balances_item_code_supply_items"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_code"],
            ["supply_lots.lot_code"],
            name=op.f("fk_stock_balances_lot_code_supply_lots"),
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_code"],
            ["warehouses.warehouse_code"],
            name=op.f("fk_stock_balances_warehouse_code_warehouses"),
        ),
        sa.PrimaryKeyConstraint("warehouse_code", "lot_code", name=op.f("pk_stock_balances")),
    )
    with op.batch_alter_table("stock_balances", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stock_balances_item_code"), ["item_code"], unique=False
        )

    op.create_table(
        "supply_request_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("requested", sa.Integer(), nullable=False),
        sa.Column("submitted", sa.Integer(), nullable=True),
        sa.Column("approved", sa.Integer(), nullable=True),
        sa.Column("committed", sa.Integer(), nullable=False),
        sa.Column("shipped", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_code"],
            ["supply_items.item_code"],
            name=op.f("fk_supply_request_lines_item_code_supply_items"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["supply_requests.id"],
            name=op.f("fk_supply_request_lines_request_id_supply_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_request_lines")),
        sa.UniqueConstraint(
            "request_id", "item_code", name=op.f("uq_supply_request_lines_request_id_item_code")
        ),
    )
    with op.batch_alter_table("supply_request_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supply_request_lines_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "shipment_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("request_line_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("packs", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("received_quantity", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_code"],
            ["supply_items.item_code"],
            name=op.f("fk_shipment_lines_item_code_supply_items"),
        ),
        sa.ForeignKeyConstraint(
            ["request_line_id"],
            ["supply_request_lines.id"],
            name=op.f("fk_shipment_lines_request_line_id_supply_request_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name=op.f("fk_shipment_lines_shipment_id_shipments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_lines")),
    )
    with op.batch_alter_table("shipment_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipment_lines_shipment_id"), ["shipment_id"], unique=False
        )

    op.create_table(
        "stock_movements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("lot_code", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("movement_date", sa.Date(), nullable=False),
        sa.Column("from_warehouse", sa.String(length=32), nullable=True),
        sa.Column("to_warehouse", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("shipment_line_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_warehouse"],
            ["warehouses.warehouse_code"],
            name=op.f("fk_stock_movements_from_warehouse_warehouses"),
        ),
        sa.ForeignKeyConstraint(
            ["item_code"],
            ["supply_items.item_code"],
            name=op.f("fk_stock_movements_item_code_supply_items"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_code"],
            ["supply_lots.lot_code"],
            name=op.f("fk_stock_movements_lot_code_supply_lots"),
        ),
        sa.ForeignKeyConstraint(
            ["shipment_line_id"],
            ["shipment_lines.id"],
            name=op.f("fk_stock_movements_shipment_line_id_shipment_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["to_warehouse"],
            ["warehouses.warehouse_code"],
            name=op.f("fk_stock_movements_to_warehouse_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
    )
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stock_movements_item_code"), ["item_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_stock_movements_lot_code"), ["lot_code"], unique=False)

    op.create_table(
        "medical_teams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("origin_code", sa.String(length=16), nullable=False),
        sa.Column("leader", sa.String(length=128), nullable=False),
        sa.Column("members", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("hospital_code", sa.String(length=32), nullable=True),
        sa.Column("departure_date", sa.Date(), nullable=False),
        sa.Column("arrival_date", sa.Date(), nullable=True),
        sa.Column("rotation_due_date", sa.Date(), nullable=True),
        sa.Column("return_date", sa.Date(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hospital_code"],
            ["hospitals.hospital_code"],
            name=op.f("fk_medical_teams_hospital_code_hospitals"),
        ),
        sa.ForeignKeyConstraint(
            ["origin_code"],
            ["regions.region_code"],
            name=op.f("fk_medical_teams_origin_code_regions"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.region_code"],
            name=op.f("fk_medical_teams_region_code_regions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medical_teams")),
    )
    with op.batch_alter_table("medical_teams", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_medical_teams_region_code"), ["region_code"], unique=False
        )
    op.create_table(
        "pairing_assignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("province_code", sa.String(length=16), nullable=False),
        sa.Column("city_code", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_code"],
            ["regions.region_code"],
            name=op.f("fk_pairing_assignments_city_code_regions"),
        ),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["regions.region_code"],
            name=op.f("fk_pairing_assignments_province_code_regions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_assignments")),
    )


def downgrade() -> None:
    op.drop_table("pairing_assignments")
    with op.batch_alter_table("medical_teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_medical_teams_region_code"))
    op.drop_table("medical_teams")
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_movements_lot_code"))
        batch_op.drop_index(batch_op.f("ix_stock_movements_item_code"))

    op.drop_table("stock_movements")
    with op.batch_alter_table("shipment_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_lines_shipment_id"))

    op.drop_table("shipment_lines")
    with op.batch_alter_table("supply_request_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supply_request_lines_request_id"))

    op.drop_table("supply_request_lines")
    with op.batch_alter_table("stock_balances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_balances_item_code"))

    op.drop_table("stock_balances")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_plan_id"))
        batch_op.drop_index(batch_op.f("ix_shipments_hospital_code"))

    op.drop_table("shipments")
    op.drop_table("donations")
    with op.batch_alter_table("warehouses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warehouses_region_code"))

    op.drop_table("warehouses")
    with op.batch_alter_table("supply_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supply_requests_hospital_code"))

    op.drop_table("supply_requests")
    op.drop_table("hospital_occupancy")
    with op.batch_alter_table("allocation_explanations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocation_explanations_plan_id"))

    op.drop_table("allocation_explanations")
    with op.batch_alter_table("supply_lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supply_lots_item_code"))

    op.drop_table("supply_lots")
    with op.batch_alter_table("hospitals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hospitals_region_code"))

    op.drop_table("hospitals")
    op.drop_table("supply_items")
    op.drop_table("allocation_plans")
