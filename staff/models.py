from django.conf import settings
from django.db import models

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

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
