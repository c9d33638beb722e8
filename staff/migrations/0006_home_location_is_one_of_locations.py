"""The home location is always one of the employee's locations."""

from django.db import migrations


class Migration(migrations.Migration):
    # Its own migration: the relation's unique index, which the key refers
    # to, is created only at the end of the migration that adds the relation.
    dependencies = [("staff", "0005_employee_locations")]

    operations = [
        # The home location is one of the employee's locations: a foreign key
        # to the employee's own row of the relation (whose unique index on
        # (employee_id, location_id) Django makes). A null home is not
        # checked. Deferred, so the locations and the home can change
        # together in one transaction.
        migrations.RunSQL(
            sql="""
                ALTER TABLE staff_employee
                ADD CONSTRAINT staff_employee_home_is_one_of_locations
                FOREIGN KEY (id, home_location_id)
                REFERENCES staff_employee_locations (employee_id, location_id)
                DEFERRABLE INITIALLY DEFERRED
            """,
            reverse_sql="""
                ALTER TABLE staff_employee
                DROP CONSTRAINT staff_employee_home_is_one_of_locations
            """,
        ),
    ]
