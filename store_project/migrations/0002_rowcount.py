from django.db import migrations, models

from store_project.db import CreateRowCountFunction


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
        CreateRowCountFunction(),
    ]
