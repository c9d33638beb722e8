"""An order's status history is never changed once written (deleting a
draft still deletes its rows). A user who changed a status is kept: setting
their ``changed_by`` to null would be such a change."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0002_count_order_rows"),
        ("audit", "0002_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="orderstatuschange",
            name="changed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunSQL(
            sql="CREATE TRIGGER append_only BEFORE UPDATE ON sales_orderstatuschange "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_rewrite()",
            reverse_sql="DROP TRIGGER append_only ON sales_orderstatuschange",
        ),
    ]
