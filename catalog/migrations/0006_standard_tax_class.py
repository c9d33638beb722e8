from django.db import migrations


def create_standard(apps, schema_editor):
    TaxClass = apps.get_model("catalog", "TaxClass")
    if not TaxClass.objects.filter(is_default=True).exists():
        TaxClass.objects.create(name="Standard", is_default=True)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_tax_classes")]

    operations = [migrations.RunPython(create_standard, migrations.RunPython.noop)]
