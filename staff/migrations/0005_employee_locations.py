"""Employees' locations and home location."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0001_initial"),
        ("staff", "0004_tax_class_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="employee",
            name="locations",
            field=models.ManyToManyField(
                blank=True,
                help_text="Where the employee works. A non-manager with locations "
                "sees and acts at those locations only; none: every location.",
                related_name="employees",
                to="inventory.location",
            ),
        ),
        migrations.AddField(
            model_name="employee",
            name="home_location",
            field=models.ForeignKey(
                blank=True,
                help_text="Where the employee's new orders are, by default.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="inventory.location",
            ),
        ),
    ]
