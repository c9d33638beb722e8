"""Keep the exact row count of catalog_product in RowCount (PostgreSQL)."""

from django.db import migrations

from store_project.db import CountRows


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_count_stockmovement_rows"),
    ]

    operations = [CountRows("catalog_product")]
