from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from store_project.db.encryption import EncryptedTextField
from store_project.db.updates import LoadedValues

ANONYMIZED_NAME = "Anonymized client"
ANONYMIZED_EMAIL_DOMAIN = "anonymized.invalid"


class Client(LoadedValues, models.Model):
    name = models.CharField(max_length=100, db_index=True)
    # Stored lower-cased (see customers.services.normalize_email).
    email = models.EmailField(max_length=254)
    # Encrypted at rest: a dump of the table shows neither.
    phone = EncryptedTextField(max_length=30, blank=True)
    address = EncryptedTextField(blank=True)
    # A keyed digest of the phone's digits (customers.selectors.phone_digest):
    # what a search by phone compares, since the phone itself cannot be.
    phone_digest = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    anonymized_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(
                fields=["phone_digest"],
                condition=~Q(phone_digest=""),
                name="customers_client_phone_digest",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="customers_client_email_ci_unique"
            ),
            models.CheckConstraint(
                condition=~Q(phone="") | Q(phone_digest=""),
                name="customers_client_no_phone_no_digest",
            ),
            # What anonymization leaves: nothing that names the person.
            models.CheckConstraint(
                condition=Q(anonymized_at__isnull=True)
                | Q(
                    name=ANONYMIZED_NAME,
                    email__startswith="anonymized-",
                    email__endswith=f"@{ANONYMIZED_EMAIL_DOMAIN}",
                    phone="",
                    phone_digest="",
                    address="",
                ),
                name="customers_client_anonymized_holds_no_personal_data",
            ),
        ]
        permissions = [
            ("anonymize_client", "Can anonymize a client"),
            ("export_client", "Can export all the data held about a client"),
        ]

    def __str__(self) -> str:
        if self.anonymized_at is not None:
            return f"{ANONYMIZED_NAME} #{self.pk}"
        return f"{self.name} <{self.email}>"

    @property
    def is_anonymized(self) -> bool:
        return self.anonymized_at is not None
