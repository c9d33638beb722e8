from django.db import migrations


def sync(apps, schema_editor):
    from staff.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0002_roles"),
        ("catalog", "0005_standard_tax_class"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
