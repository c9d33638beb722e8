from django.db import migrations


def sync(apps, schema_editor):
    from staff.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0003_audit_log_role"),
        ("catalog", "0006_standard_tax_class"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
