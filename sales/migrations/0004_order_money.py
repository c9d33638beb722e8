from decimal import Decimal

import django.db.models.expressions
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0003_status_changes_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="discount_kind",
            field=models.CharField(
                blank=True,
                choices=[("percent", "Percent of the subtotal"), ("amount", "Amount")],
                max_length=10,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="discount_reason",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="order",
            name="discount_total",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0.00"), max_digits=12
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="discount_value",
            field=models.DecimalField(
                blank=True, decimal_places=2, max_digits=12, null=True
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="subtotal",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0.00"), max_digits=12
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="tax_total",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0.00"), max_digits=12
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="discount_amount",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0.00"), max_digits=12
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="net_amount",
            field=models.DecimalField(decimal_places=2, default=0, max_digits=12),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="orderline",
            name="tax_amount",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0.00"), max_digits=12
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="taxes",
            field=models.JSONField(blank=True, default=list),
        ),
        # Orders before taxes and discounts: their total is their subtotal,
        # and every line's net is its whole total.
        migrations.RunSQL(
            [
                "UPDATE sales_order SET subtotal = total_amount",
                "UPDATE sales_orderline SET net_amount = quantity * unit_price",
            ],
            migrations.RunSQL.noop,
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("discount_total__gte", 0),
                    ("discount_total__lte", models.F("subtotal")),
                    ("subtotal__gte", 0),
                    ("tax_total__gte", 0),
                ),
                name="sales_order_amounts_in_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "total_amount",
                        django.db.models.expressions.CombinedExpression(
                            django.db.models.expressions.CombinedExpression(
                                models.F("subtotal"), "-", models.F("discount_total")
                            ),
                            "+",
                            models.F("tax_total"),
                        ),
                    )
                ),
                name="sales_order_total_adds_up",
            ),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("discount_kind__isnull", True),
                        ("discount_reason", ""),
                        ("discount_total", 0),
                        ("discount_value__isnull", True),
                    ),
                    models.Q(
                        ("discount_kind", "percent"),
                        ("discount_value__gt", 0),
                        ("discount_value__lte", 100),
                    ),
                    models.Q(
                        ("discount_kind", "amount"),
                        ("discount_total", models.F("discount_value")),
                        ("discount_value__gt", 0),
                    ),
                    _connector="OR",
                ),
                name="sales_order_discount_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="orderline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("discount_amount__gte", 0),
                    (
                        "net_amount",
                        django.db.models.expressions.CombinedExpression(
                            django.db.models.expressions.CombinedExpression(
                                models.F("quantity"), "*", models.F("unit_price")
                            ),
                            "-",
                            models.F("discount_amount"),
                        ),
                    ),
                    ("net_amount__gte", 0),
                    ("tax_amount__gte", 0),
                ),
                name="sales_orderline_net_adds_up",
            ),
        ),
    ]
