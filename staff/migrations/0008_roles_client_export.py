from django.db import migrations


def sync(apps, schema_editor):
    from staff.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    """Managers may export a client's data (a permission new with privacy)."""

    dependencies = [
        ("staff", "0007_roles_for_locations"),
        ("customers", "0002_encrypt_phone_address_and_anonymize"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
