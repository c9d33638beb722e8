"""Keep the exact row count of catalog_stockmovement in RowCount."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("store_project", "0002_rowcount"),
    ]

    # Counts the rows already there and installs the triggers under a lock
    # that lets readers through but no writer: no row is missed or counted
    # twice.
    operations = [
        migrations.RunSQL(
            sql=[
                "LOCK TABLE catalog_stockmovement IN SHARE ROW EXCLUSIVE MODE",
                "DELETE FROM store_project_rowcount WHERE table_name = 'catalog_stockmovement'",
                "INSERT INTO store_project_rowcount (table_name, rows) "
                "SELECT 'catalog_stockmovement', count(*) FROM catalog_stockmovement",
                "CREATE TRIGGER row_count_insert AFTER INSERT ON catalog_stockmovement "
                "REFERENCING NEW TABLE AS new_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION store_project_count_rows()",
                "CREATE TRIGGER row_count_delete AFTER DELETE ON catalog_stockmovement "
                "REFERENCING OLD TABLE AS old_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION store_project_count_rows()",
                "CREATE TRIGGER row_count_truncate AFTER TRUNCATE ON catalog_stockmovement "
                "FOR EACH STATEMENT EXECUTE FUNCTION store_project_count_rows()",
            ],
            reverse_sql=[
                "DROP TRIGGER row_count_insert ON catalog_stockmovement",
                "DROP TRIGGER row_count_delete ON catalog_stockmovement",
                "DROP TRIGGER row_count_truncate ON catalog_stockmovement",
                "DELETE FROM store_project_rowcount WHERE table_name = 'catalog_stockmovement'",
            ],
        )
    ]
