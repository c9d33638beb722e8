"""Every order has a location; those before it are at the default one (MAIN)."""

import django.db.models.deletion
from django.db import migrations, models


def orders_at_main(apps, schema_editor):
    Location = apps.get_model("inventory", "Location")
    main = Location.objects.get(is_default=True)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sales_order SET location_id = %s WHERE location_id IS NULL",
            [main.pk],
        )
        # The deferred foreign-key checks of the rows above run now, so that
        # the next operation may alter the table in the same transaction.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0002_main_location_holds_all_stock"),
        ("sales", "0004_order_money"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="location",
            field=models.ForeignKey(
                null=True,
                help_text="Where the order takes its stock from when confirmed.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="orders",
                to="inventory.location",
            ),
        ),
        migrations.RunPython(orders_at_main, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="order",
            name="location",
            field=models.ForeignKey(
                help_text="Where the order takes its stock from when confirmed.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="orders",
                to="inventory.location",
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["location", "-created_at"],
                name="sales_order_locatio_8cf56a_idx",
            ),
        ),
    ]
