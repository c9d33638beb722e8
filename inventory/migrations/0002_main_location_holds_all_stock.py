"""MAIN, the default location, and everything in stock before it, ledger and all.

Every movement so far happened at MAIN, and each product's stock becomes its
stock level there (on hand = the old stock = the sum of its movements), with
the product's reorder level. Plain SQL over whole tables: one statement each,
whatever the size of the store. The ledger's rows are append-only (a trigger
refuses their UPDATE), so their location comes as the new column's default,
which PostgreSQL records once for the table without writing any row.
"""

import django.db.models.deletion
from django.db import migrations, models

REASONS = [
    "initial",
    "restock",
    "correction",
    "damage",
    "return",
    "sale",
    "cancellation",
    "transfer_out",
    "transfer_in",
    "purchase",
]


def create_main(apps, schema_editor):
    Location = apps.get_model("inventory", "Location")
    if not Location.objects.filter(is_default=True).exists():
        Location.objects.create(
            code="MAIN", name="Main store", kind="store", is_default=True
        )


def _main_id(apps) -> int:
    return apps.get_model("inventory", "Location").objects.get(is_default=True).pk


def add_movement_locations(apps, schema_editor):
    main = int(_main_id(apps))
    for statement in (
        f"ALTER TABLE catalog_stockmovement ADD COLUMN location_id bigint NOT NULL "
        f"DEFAULT {main}",
        "ALTER TABLE catalog_stockmovement ALTER COLUMN location_id DROP DEFAULT",
        "ALTER TABLE catalog_stockmovement ADD CONSTRAINT "
        "catalog_stockmovement_location_id_fk_inventory_location_id "
        "FOREIGN KEY (location_id) REFERENCES inventory_location (id) "
        "DEFERRABLE INITIALLY DEFERRED",
    ):
        schema_editor.execute(statement)


def drop_movement_locations(apps, schema_editor):
    schema_editor.execute("ALTER TABLE catalog_stockmovement DROP COLUMN location_id")


def move_stock_to_main(apps, schema_editor):
    main = _main_id(apps)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO inventory_stocklevel
                (product_id, location_id, on_hand, reorder_level, updated_at)
            SELECT p.id, %s, p.stock, p.reorder_level, now()
            FROM catalog_product p
            WHERE p.stock <> 0 OR p.reorder_level <> 0 OR EXISTS (
                SELECT 1 FROM catalog_stockmovement m WHERE m.product_id = p.id
            )
            ON CONFLICT (product_id, location_id) DO NOTHING
            """,
            [main],
        )
    _rename_content_type(apps, "catalog", "inventory")


def move_stock_back(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        # v1 had one stock per product: only a store whose ledger is all at
        # the default location (no transfers) can go back without loss.
        cursor.execute(
            "SELECT count(*) FROM catalog_stockmovement m "
            "JOIN inventory_location l ON l.id = m.location_id "
            "WHERE NOT l.is_default OR m.transfer_id IS NOT NULL"
        )
        if cursor.fetchone()[0]:
            raise RuntimeError(
                "Stock has moved at locations other than the default one; "
                "going back to one stock per product would lose it."
            )
        cursor.execute(
            """
            UPDATE catalog_product p SET stock = COALESCE(
                (SELECT SUM(s.on_hand) FROM inventory_stocklevel s
                 WHERE s.product_id = p.id), 0)
            """
        )
        cursor.execute("DELETE FROM inventory_stocklevel")
    _rename_content_type(apps, "inventory", "catalog")


def _rename_content_type(apps, old: str, new: str) -> None:
    """The ledger's content type (and so its permissions) follows the model."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    moved = ContentType.objects.filter(app_label=old, model="stockmovement")
    if ContentType.objects.filter(app_label=new, model="stockmovement").exists():
        moved.delete()  # made by an earlier migrate; the roles sync again later
    else:
        moved.update(app_label=new)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0001_initial"),
        ("catalog", "0007_stockmovement_moves_to_inventory"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="stockmovement",
            name="transfer",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="movements",
                to="inventory.transfer",
            ),
        ),
        migrations.AddField(
            model_name="stockmovement",
            name="purchase_order_id",
            field=models.BigIntegerField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name="stockmovement",
            name="return_id",
            field=models.BigIntegerField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name="stockmovement",
            name="unit_cost",
            field=models.DecimalField(
                blank=True, decimal_places=4, max_digits=14, null=True
            ),
        ),
        migrations.AlterField(
            model_name="stockmovement",
            name="reason",
            field=models.CharField(
                choices=[
                    ("initial", "Opening stock"),
                    ("restock", "Restock"),
                    ("correction", "Correction"),
                    ("damage", "Damage"),
                    ("return", "Return"),
                    ("sale", "Sale (order confirmed)"),
                    ("cancellation", "Cancellation (confirmed order cancelled)"),
                    ("transfer_out", "Transfer out"),
                    ("transfer_in", "Transfer in"),
                    ("purchase", "Purchase"),
                ],
                db_index=True,
                max_length=20,
            ),
        ),
        migrations.RemoveConstraint(
            model_name="stockmovement", name="catalog_stockmovement_reason_valid"
        ),
        migrations.AddConstraint(
            model_name="stockmovement",
            constraint=models.CheckConstraint(
                condition=models.Q(("reason__in", REASONS)),
                name="catalog_stockmovement_reason_valid",
            ),
        ),
        migrations.RunPython(create_main, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="stockmovement",
                    name="location",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="movements",
                        to="inventory.location",
                    ),
                )
            ],
            database_operations=[
                migrations.RunPython(add_movement_locations, drop_movement_locations)
            ],
        ),
        migrations.RunPython(move_stock_to_main, move_stock_back),
        migrations.AddIndex(
            model_name="stockmovement",
            index=models.Index(
                fields=["location", "product"], name="catalog_sto_locatio_8d21c2_idx"
            ),
        ),
    ]
