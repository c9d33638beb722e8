"""Keep the exact row count of catalog_product in RowCount."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_count_stockmovement_rows"),
    ]

    # Counts the rows already there and installs the triggers under a lock
    # that lets readers through but no writer: no row is missed or counted
    # twice.
    operations = [
        migrations.RunSQL(
            sql=[
                "LOCK TABLE catalog_product IN SHARE ROW EXCLUSIVE MODE",
                "DELETE FROM store_project_rowcount WHERE table_name = 'catalog_product'",
                "INSERT INTO store_project_rowcount (table_name, rows) "
                "SELECT 'catalog_product', count(*) FROM catalog_product",
                "CREATE TRIGGER row_count_insert AFTER INSERT ON catalog_product "
                "REFERENCING NEW TABLE AS new_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION store_project_count_rows()",
                "CREATE TRIGGER row_count_delete AFTER DELETE ON catalog_product "
                "REFERENCING OLD TABLE AS old_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION store_project_count_rows()",
                "CREATE TRIGGER row_count_truncate AFTER TRUNCATE ON catalog_product "
                "FOR EACH STATEMENT EXECUTE FUNCTION store_project_count_rows()",
            ],
            reverse_sql=[
                "DROP TRIGGER row_count_insert ON catalog_product",
                "DROP TRIGGER row_count_delete ON catalog_product",
                "DROP TRIGGER row_count_truncate ON catalog_product",
                "DELETE FROM store_project_rowcount WHERE table_name = 'catalog_product'",
            ],
        )
    ]
