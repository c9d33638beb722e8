"""Keep the exact row count of sales_order in RowCount."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0001_initial"),
        ("store_project", "0002_rowcount"),
    ]

    # Counts the rows already there and installs the triggers under a lock
    # that lets readers through but no writer: no row is missed or counted
    # twice.
    operations = [
        migrations.RunSQL(
            sql=[
                "LOCK TABLE sales_order IN SHARE ROW EXCLUSIVE MODE",
                "DELETE FROM store_project_rowcount WHERE table_name = 'sales_order'",
                "INSERT INTO store_project_rowcount (table_name, rows) "
                "SELECT 'sales_order', count(*) FROM sales_order",
                "CREATE TRIGGER row_count_insert AFTER INSERT ON sales_order "
                "REFERENCING NEW TABLE AS new_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION store_project_count_rows()",
                "CREATE TRIGGER row_count_delete AFTER DELETE ON sales_order "
                "REFERENCING OLD TABLE AS old_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION store_project_count_rows()",
                "CREATE TRIGGER row_count_truncate AFTER TRUNCATE ON sales_order "
                "FOR EACH STATEMENT EXECUTE FUNCTION store_project_count_rows()",
            ],
            reverse_sql=[
                "DROP TRIGGER row_count_insert ON sales_order",
                "DROP TRIGGER row_count_delete ON sales_order",
                "DROP TRIGGER row_count_truncate ON sales_order",
                "DELETE FROM store_project_rowcount WHERE table_name = 'sales_order'",
            ],
        )
    ]
