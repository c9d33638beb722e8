"""Keep the exact row count of sales_order in RowCount (PostgreSQL)."""

from django.db import migrations

from store_project.db import CountRows


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0001_initial"),
        ("store_project", "0002_rowcount"),
    ]

    operations = [CountRows("sales_order")]
