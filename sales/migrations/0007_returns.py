"""Returns and their lines; orders and lines keep what was returned and refunded."""

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0008_product_stock_is_its_stock_levels"),
        ("inventory", "0002_main_location_holds_all_stock"),
        ("sales", "0006_sold_confirmed_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Return",
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
                (
                    "refund_amount",
                    models.DecimalField(
                        decimal_places=2, default=Decimal("0.00"), max_digits=12
                    ),
                ),
                ("note", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="ReturnLine",
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
                ("quantity", models.IntegerField()),
                ("restock", models.BooleanField()),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("unwanted", "Unwanted"),
                            ("defective", "Defective"),
                            ("damaged", "Damaged"),
                            ("wrong_item", "Wrong item"),
                            ("other", "Other"),
                        ],
                        max_length=20,
                    ),
                ),
                ("refund_amount", models.DecimalField(decimal_places=2, max_digits=12)),
            ],
            options={
                "ordering": ["id"],
            },
        ),
        migrations.AddField(
            model_name="order",
            name="refunded_amount",
            field=models.DecimalField(
                db_default=Decimal("0.00"),
                decimal_places=2,
                default=Decimal("0.00"),
                max_digits=12,
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="returned_quantity",
            field=models.IntegerField(db_default=0, default=0),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("refunded_amount__gte", 0),
                    ("refunded_amount__lte", models.F("total_amount")),
                ),
                name="sales_order_refunded_within_total",
            ),
        ),
        migrations.AddConstraint(
            model_name="orderline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("returned_quantity__gte", 0),
                    ("returned_quantity__lte", models.F("quantity")),
                ),
                name="sales_orderline_returned_within_ordered",
            ),
        ),
        migrations.AddField(
            model_name="return",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="return",
            name="location",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="returns",
                to="inventory.location",
            ),
        ),
        migrations.AddField(
            model_name="return",
            name="order",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="returns",
                to="sales.order",
            ),
        ),
        migrations.AddField(
            model_name="returnline",
            name="order_line",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="return_lines",
                to="sales.orderline",
            ),
        ),
        migrations.AddField(
            model_name="returnline",
            name="order_return",
            field=models.ForeignKey(
                db_column="return_id",
                on_delete=django.db.models.deletion.CASCADE,
                related_name="lines",
                to="sales.return",
            ),
        ),
        migrations.AddField(
            model_name="returnline",
            name="product",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="return_lines",
                to="catalog.product",
            ),
        ),
        migrations.AddIndex(
            model_name="return",
            index=models.Index(
                fields=["location", "-created_at"],
                name="sales_retur_locatio_13ff9b_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="return",
            constraint=models.CheckConstraint(
                condition=models.Q(("refund_amount__gte", 0)),
                name="sales_return_refund_not_negative",
            ),
        ),
        migrations.AddConstraint(
            model_name="returnline",
            constraint=models.UniqueConstraint(
                fields=("order_return", "product"), name="sales_returnline_product_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="returnline",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity__gte", 1)),
                name="sales_returnline_quantity_positive",
            ),
        ),
        migrations.AddConstraint(
            model_name="returnline",
            constraint=models.CheckConstraint(
                condition=models.Q(("refund_amount__gte", 0)),
                name="sales_returnline_refund_not_negative",
            ),
        ),
        migrations.AddConstraint(
            model_name="returnline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "reason__in",
                        ["unwanted", "defective", "damaged", "wrong_item", "other"],
                    )
                ),
                name="sales_returnline_reason_valid",
            ),
        ),
    ]
