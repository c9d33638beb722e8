import functools
import operator
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from catalog.models import Product
from customers.models import Client
from inventory.models import Location
from staff.models import Employee
from store_project.db.counts import CountedQuerySet


class OrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    CONFIRMED = "confirmed", "Confirmed"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


# Orders that count as sold: confirmed, whatever happened to them since,
# except a cancellation (which gives the stock, and the sale, back).
SOLD_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED)

# The largest amount a Decimal(12, 2) column holds.
MAX_TOTAL = Decimal("9999999999.99")


def _stamped_when(field: str, *statuses: str) -> Q:
    """``field`` is set exactly when the status is one of ``statuses``."""
    return Q(status__in=statuses, **{f"{field}__isnull": False}) | (
        ~Q(status__in=statuses) & Q(**{f"{field}__isnull": True})
    )


class DiscountKind(models.TextChoices):
    PERCENT = "percent", "Percent of the subtotal"
    AMOUNT = "amount", "Amount"


_MONEY = {"max_digits": 12, "decimal_places": 2, "default": Decimal("0.00")}


class Order(models.Model):
    Status = OrderStatus
    DiscountKind = DiscountKind

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="orders")
    employee = models.ForeignKey(
        Employee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        help_text="The employee who sold the order.",
    )
    # Indexed by (location, -created_at) below, which serves a location alone.
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,
        help_text="Where the order takes its stock from when confirmed.",
    )
    # Moved only by sales.services.order_transition.
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT
    )
    # The discount as given (none: all three empty); its money is spread over
    # the lines. Every amount below is sales.money's, stored by the services
    # whenever a draft's lines or discount change.
    # NULL, not "", for none: a check constraint ties it to the value's NULL.
    discount_kind = models.CharField(  # noqa: DJ001
        max_length=10, choices=DiscountKind.choices, null=True, blank=True
    )
    discount_value = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    discount_reason = models.CharField(max_length=200, blank=True)
    subtotal = models.DecimalField(**_MONEY)
    discount_total = models.DecimalField(**_MONEY)
    tax_total = models.DecimalField(**_MONEY)
    total_amount = models.DecimalField(**_MONEY)
    # The sum of the refunds of its returns; written only by return_create.
    # Its default is the database's too, for the demo's COPY writer.
    refunded_amount = models.DecimalField(**_MONEY, db_default=Decimal("0.00"))
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    # count() of all orders reads a trigger-kept counter, not COUNT(*).
    objects = CountedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["location", "-created_at"]),
            models.Index(fields=["total_amount"]),
            # The sales reports: sold orders by the instant of confirmation,
            # with what they group by, read from the index alone. Written
            # as ORs, not IN: PostgreSQL prints an IN back in a form that
            # parses to another text, and the bulk seeder recreates indexes
            # from that text; a query's status IN (...) still implies it.
            models.Index(
                fields=["confirmed_at"],
                include=["id", "location", "employee", "client"],
                condition=functools.reduce(
                    operator.or_, (Q(status=status) for status in SOLD_STATUSES)
                ),
                name="sales_order_sold_confirmed",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values),
                name="sales_order_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(total_amount__gte=0), name="sales_order_total_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(
                    subtotal__gte=0,
                    tax_total__gte=0,
                    discount_total__gte=0,
                    discount_total__lte=F("subtotal"),
                ),
                name="sales_order_amounts_in_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    total_amount=F("subtotal") - F("discount_total") + F("tax_total")
                ),
                name="sales_order_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(
                    refunded_amount__gte=0, refunded_amount__lte=F("total_amount")
                ),
                name="sales_order_refunded_within_total",
            ),
            models.CheckConstraint(
                condition=Q(
                    discount_kind__isnull=True,
                    discount_value__isnull=True,
                    discount_reason="",
                    discount_total=0,
                )
                | Q(
                    discount_kind=DiscountKind.PERCENT,
                    discount_value__gt=0,
                    discount_value__lte=100,
                )
                | Q(
                    discount_kind=DiscountKind.AMOUNT,
                    discount_value__gt=0,
                    discount_total=F("discount_value"),
                ),
                name="sales_order_discount_valid",
            ),
            models.CheckConstraint(
                condition=_stamped_when("shipped_at", "shipped", "delivered"),
                name="sales_order_shipped_at_matches_status",
            ),
            models.CheckConstraint(
                condition=_stamped_when("delivered_at", "delivered"),
                name="sales_order_delivered_at_matches_status",
            ),
            models.CheckConstraint(
                condition=_stamped_when("cancelled_at", "cancelled"),
                name="sales_order_cancelled_at_matches_status",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["confirmed", "shipped", "delivered"])
                | Q(confirmed_at__isnull=False),
                name="sales_order_confirmed_at_matches_status",
            ),
        ]
        permissions = [
            ("confirm_order", "Can confirm an order"),
            ("cancel_order", "Can cancel an order"),
            ("ship_order", "Can mark an order shipped"),
            ("deliver_order", "Can mark an order delivered"),
            ("view_reports", "Can view sales reports"),
        ]

    def __str__(self) -> str:
        return f"Order #{self.pk} ({self.get_status_display()})"

    @property
    def is_draft(self) -> bool:
        return self.status == OrderStatus.DRAFT

    @property
    def discount(self) -> dict | None:
        """The discount as the API writes it, or None."""
        if self.discount_kind is None:
            return None
        return {
            "kind": self.discount_kind,
            "value": f"{self.discount_value:.2f}",
            "reason": self.discount_reason,
        }


class OrderLine(models.Model):
    # Indexed by the unique (order, product) below, which serves an order alone.
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="order_lines"
    )
    quantity = models.IntegerField()
    # The product's price when the line was written; never follows later changes.
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    # The line's share of the order's discount, and what is taxed.
    discount_amount = models.DecimalField(**_MONEY)
    net_amount = models.DecimalField(max_digits=12, decimal_places=2)
    # [{"name", "rate", "amount"}] as the API writes them: the rates of the
    # product's tax class when the line was written (never following later
    # changes of the class), each with its amount on net_amount.
    taxes = models.JSONField(default=list, blank=True)
    tax_amount = models.DecimalField(**_MONEY)
    # Units of this line given back by returns; written only by return_create.
    returned_quantity = models.IntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "product"], name="sales_orderline_product_once"
            ),
            models.CheckConstraint(
                condition=Q(
                    returned_quantity__gte=0, returned_quantity__lte=F("quantity")
                ),
                name="sales_orderline_returned_within_ordered",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="sales_orderline_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gt=0), name="sales_orderline_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(
                    discount_amount__gte=0,
                    net_amount=F("quantity") * F("unit_price") - F("discount_amount"),
                    net_amount__gte=0,
                    tax_amount__gte=0,
                ),
                name="sales_orderline_net_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product}"

    @property
    def line_total(self) -> Decimal:
        return self.quantity * self.unit_price

    @property
    def paid_amount(self) -> Decimal:
        """What the client paid for the line: its net amount and its taxes."""
        return self.net_amount + self.tax_amount

    @property
    def returnable_quantity(self) -> int:
        return self.quantity - self.returned_quantity


class OrderStatusChange(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, choices=OrderStatus.choices)
    to_status = models.CharField(max_length=20, choices=OrderStatus.choices)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # Kept while their history is: a null here would rewrite it.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["changed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_status=models.F("to_status")),
                name="sales_orderstatuschange_changes_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}: {self.from_status} → {self.to_status}"


class ReturnReason(models.TextChoices):
    UNWANTED = "unwanted", "Unwanted"
    DEFECTIVE = "defective", "Defective"
    DAMAGED = "damaged", "Damaged"
    WRONG_ITEM = "wrong_item", "Wrong item"
    OTHER = "other", "Other"


class Return(models.Model):
    """Goods a client brought back from a shipped or delivered order, and the
    money owed back for them. Written only by ``sales.returns.return_create``."""

    Reason = ReturnReason

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    # The order's location, where restocked units go back; kept on the return
    # for the list's filter and the scoping of who sees it. Indexed by
    # (location, -created_at) below, which serves a location alone.
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="returns", db_index=False
    )
    refund_amount = models.DecimalField(**_MONEY)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # Kept while their history is: a null here would rewrite it.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["location", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_amount__gte=0),
                name="sales_return_refund_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Return #{self.pk} of order #{self.order_id}"


class ReturnLine(models.Model):
    # Not "return", a Python keyword; its column is return_id all the same.
    # Indexed by the unique (return, product) below, which serves it alone.
    order_return = models.ForeignKey(
        Return,
        on_delete=models.CASCADE,
        related_name="lines",
        db_column="return_id",
        db_index=False,
    )
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="return_lines"
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="return_lines"
    )
    quantity = models.IntegerField()
    # True: the units went back into stock at the order's location; false:
    # written off, no stock change.
    restock = models.BooleanField()
    reason = models.CharField(max_length=20, choices=ReturnReason.choices)
    refund_amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_return", "product"], name="sales_returnline_product_once"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="sales_returnline_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(refund_amount__gte=0),
                name="sales_returnline_refund_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(reason__in=ReturnReason.values),
                name="sales_returnline_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product} returned"
