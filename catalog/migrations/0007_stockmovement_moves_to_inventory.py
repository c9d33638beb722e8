"""The stock ledger is inventory's now (inventory 0001): only the state moves."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_standard_tax_class"),
        ("inventory", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="StockMovement")],
            database_operations=[],
        )
    ]
