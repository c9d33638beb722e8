"""The audit log: who changed what, one entry per change, never rewritten."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from store_project.db.counts import CountedQuerySet


class ObjectType(models.TextChoices):
    """What an entry is about: the model name of each audited resource."""

    CATEGORY = "category", "Category"
    PRODUCT = "product", "Product"
    CLIENT = "client", "Client"
    EMPLOYEE = "employee", "Employee"
    LOCATION = "location", "Location"
    TAX_CLASS = "taxclass", "Tax class"
    SUPPLIER = "supplier", "Supplier"
    PURCHASE_ORDER = "purchaseorder", "Purchase order"
    TRANSFER = "transfer", "Transfer"
    RETURN = "return", "Return"
    WEBHOOK = "webhook", "Webhook"
    USER = "user", "User (role assignments)"


class AuditEntry(models.Model):
    """One create, update, delete or action on one object, by one actor.

    ``actor`` is the username as it was, not a key: deleting or renaming an
    account never rewrites its history. ``changes`` is ``{field: [old,
    new]}``; personal fields name the field and never hold its values.
    """

    ObjectType = ObjectType

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # The contract's "username or null".
    actor = models.CharField(max_length=150, null=True, blank=True)  # noqa: DJ001
    action = models.CharField(max_length=30)
    object_type = models.CharField(max_length=20, choices=ObjectType.choices)
    object_id = models.BigIntegerField()
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    request_id = models.CharField(max_length=128, blank=True)

    # count() of the whole log reads a trigger-kept counter, not COUNT(*).
    objects = CountedQuerySet.as_manager()

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(
                fields=["object_type", "object_id", "-at"], name="audit_object_idx"
            ),
            models.Index(fields=["actor", "-at"], name="audit_actor_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(object_type__in=ObjectType.values),
                name="audit_auditentry_object_type_valid",
            ),
            models.CheckConstraint(
                condition=~Q(action=""), name="audit_auditentry_action_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} #{self.object_id}"
