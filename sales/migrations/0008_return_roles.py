from django.db import migrations


def sync_roles(apps, schema_editor):
    from staff.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0007_returns"),
        ("staff", "0008_roles_client_export"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
