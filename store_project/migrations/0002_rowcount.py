from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("store_project", "0001_idempotency_key"),
    ]

    operations = [
        migrations.CreateModel(
            name="RowCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("table_name", models.CharField(db_index=True, max_length=63)),
                ("rows", models.BigIntegerField()),
            ],
            options={
                "ordering": ["table_name", "id"],
            },
        ),
        migrations.RunSQL(
            # One small write per statement, whatever its number of rows (a
            # COPY of a million rows costs one), to a counter row no other
            # transaction holds (SKIP LOCKED), or a new one when all are held.
            sql="""
                CREATE FUNCTION store_project_count_rows() RETURNS trigger
                LANGUAGE plpgsql AS $$
                DECLARE
                    change bigint;
                BEGIN
                    IF TG_OP = 'TRUNCATE' THEN
                        DELETE FROM store_project_rowcount
                        WHERE table_name = TG_TABLE_NAME;
                        RETURN NULL;
                    ELSIF TG_OP = 'INSERT' THEN
                        SELECT count(*) INTO change FROM new_rows;
                    ELSE
                        SELECT -count(*) INTO change FROM old_rows;
                    END IF;
                    IF change <> 0 THEN
                        UPDATE store_project_rowcount SET rows = rows + change
                        WHERE id = (
                            SELECT id FROM store_project_rowcount
                            WHERE table_name = TG_TABLE_NAME
                            ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
                        );
                        IF NOT FOUND THEN  -- every row is held by another writer
                            INSERT INTO store_project_rowcount (table_name, rows)
                            VALUES (TG_TABLE_NAME, change);
                        END IF;
                    END IF;
                    RETURN NULL;
                END
                $$
            """,
            reverse_sql="DROP FUNCTION store_project_count_rows()",
        ),
    ]
