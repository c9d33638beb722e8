from django.conf import settings
from django.db import models

from inventory.models import Location
from store_project.db.updates import LoadedValues


class Employee(LoadedValues, models.Model):
    name = models.CharField(max_length=100, db_index=True)
    position = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True, db_index=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employee",
        help_text="The login account of this employee, if any.",
    )
    locations = models.ManyToManyField(
        Location,
        blank=True,
        related_name="employees",
        help_text="Where the employee works. A non-manager with locations sees "
        "and acts at those locations only; none: every location.",
    )
    # One of ``locations``: a foreign key to the employee's own row of that
    # relation (added in the migration, which Django cannot express) keeps it
    # so in the database too.
    home_location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where the employee's new orders are, by default.",
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
