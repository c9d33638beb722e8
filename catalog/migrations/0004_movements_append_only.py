"""The stock ledger's rows are never changed once written (deleting a
product still deletes its movements). A user who made movements is kept:
setting their ``created_by`` to null would be such a change."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_count_product_rows"),
        ("audit", "0002_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="stockmovement",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunSQL(
            sql="CREATE TRIGGER append_only BEFORE UPDATE ON catalog_stockmovement "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_rewrite()",
            reverse_sql="DROP TRIGGER append_only ON catalog_stockmovement",
        ),
    ]
