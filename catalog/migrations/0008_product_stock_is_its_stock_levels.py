"""A product's stock is the sum of its stock levels (inventory 0002 moved it)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0007_stockmovement_moves_to_inventory"),
        ("inventory", "0002_main_location_holds_all_stock"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="product", name="catalog_product_stock_not_negative"
        ),
        migrations.RemoveIndex(model_name="product", name="catalog_product_low_stock"),
        migrations.RemoveField(model_name="product", name="stock"),
    ]
