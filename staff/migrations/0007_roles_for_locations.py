from django.db import migrations


def sync(apps, schema_editor):
    from staff.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0006_home_location_is_one_of_locations"),
        ("inventory", "0002_main_location_holds_all_stock"),
        ("sales", "0005_order_location"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
