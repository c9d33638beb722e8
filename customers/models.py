from django.db import models
from django.db.models.functions import Lower

from store_project.db.updates import LoadedValues


class Client(LoadedValues, models.Model):
    name = models.CharField(max_length=100, db_index=True)
    # Stored lower-cased (see customers.services.normalize_email).
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=30, blank=True)
    address = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="customers_client_email_ci_unique"
            ),
        ]
        permissions = [("anonymize_client", "Can anonymize a client")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"
