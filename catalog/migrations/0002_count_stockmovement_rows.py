"""Keep the exact row count of catalog_stockmovement in RowCount (PostgreSQL)."""

from django.db import migrations

from store_project.db import CountRows


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("store_project", "0002_rowcount"),
    ]

    operations = [CountRows("catalog_stockmovement")]
