"""Back-office for orders.

Orders and their lines are written only by ``sales.services`` (prices are
snapshotted and totals computed there), and their status moves only through
``order_transition``, the same state machine the API uses: from the admin
actions on the order list, or the buttons on an order's page.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from catalog.models import MAX_INT
from inventory.models import Location
from inventory.selectors import location_scope, scoped
from store_project.admin import ServiceModelAdmin
from store_project.exceptions import ApplicationError

from . import money, services
from .models import (
    Order,
    OrderLine,
    OrderStatusChange,
    Return,
    ReturnLine,
    ReturnReason,
)
from .returns import RETURNABLE_STATUSES, ReturnLineSpec, return_create

DISCOUNT_FIELDS = ("discount_kind", "discount_value", "discount_reason")
MONEY_READ_ONLY = (
    "subtotal",
    "discount_total",
    "tax_total",
    "total_amount",
    "refunded_amount",
)
RETURN_PERMISSION = "sales.add_return"


class OrderForm(forms.ModelForm):
    """The order's header and its discount, checked as the API checks them."""

    discount_kind = forms.ChoiceField(
        choices=[("", "No discount"), *Order.DiscountKind.choices],
        required=False,
        label="Discount",
    )
    discount_value = forms.DecimalField(
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        label="Discount value",
        help_text="A percent (more than 0, at most 100) or an amount (at most "
        "the subtotal). Spread over the lines, before taxes.",
    )
    discount_reason = forms.CharField(
        required=False, max_length=200, label="Discount reason"
    )

    class Meta:
        model = Order
        fields = (*services.ORDER_EDITABLE_FIELDS, *DISCOUNT_FIELDS)

    def clean(self):
        cleaned = super().clean()
        kind, value = cleaned.get("discount_kind"), cleaned.get("discount_value")
        if kind and value is None and "discount_value" not in self.errors:
            self.add_error("discount_value", "Give the discount's value.")
        if not kind and value is not None:
            self.add_error("discount_kind", "Choose percent or amount.")
        return cleaned

    def discount(self) -> money.Discount | None:
        kind = self.cleaned_data.get("discount_kind")
        if not kind:
            return None
        return money.Discount(
            kind,
            self.cleaned_data["discount_value"],
            self.cleaned_data.get("discount_reason") or "",
        )


class OrderLineForm(forms.ModelForm):
    quantity = forms.IntegerField(min_value=1, max_value=MAX_INT)

    class Meta:
        model = OrderLine
        fields = ("product", "quantity")


class OrderLineInline(admin.TabularInline):
    """The lines: editable while the order is a draft, read-only after."""

    model = OrderLine
    form = OrderLineForm
    fields = (
        "product",
        "quantity",
        "unit_price",
        "line_total",
        "discount_amount",
        "net_amount",
        "taxes_text",
        "tax_amount",
        "returned_quantity",
    )
    readonly_fields = (
        "unit_price",
        "line_total",
        "discount_amount",
        "net_amount",
        "taxes_text",
        "tax_amount",
        "returned_quantity",
    )
    autocomplete_fields = ("product",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")

    def get_extra(self, request, obj=None, **kwargs):
        if obj is None:
            return 3
        return 1 if obj.is_draft else 0

    def _editable(self, obj) -> bool:
        return obj is None or obj.is_draft

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)

    @admin.display(description="line total")
    def line_total(self, line: OrderLine):
        if line.unit_price is None or line.quantity is None:
            return "-"
        return line.line_total

    @admin.display(description="taxes")
    def taxes_text(self, line: OrderLine) -> str:
        if line.pk is None:
            return "-"
        return ", ".join(f"{t['name']} {t['amount']}" for t in line.taxes) or "none"


class OrderStatusChangeInline(admin.TabularInline):
    """The status history, oldest first; written only by the state machine."""

    model = OrderStatusChange
    fields = ("from_status", "to_status", "changed_at", "changed_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "status change"
    verbose_name_plural = "status history"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderReturnInline(admin.TabularInline):
    """The order's returns, newest first; written only by ``return_create``."""

    model = Return
    fields = ("number", "created_at", "lines_text", "refund_amount", "created_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "return"
    verbose_name_plural = "returns"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("created_by")
            .prefetch_related("lines__product")
        )

    @admin.display(description="return")
    def number(self, ret: Return) -> str:
        url = reverse("admin:sales_return_change", args=[ret.pk])
        return format_html('<a href="{}">#{}</a>', url, ret.pk)

    @admin.display(description="lines")
    def lines_text(self, ret: Return) -> str:
        return returned_lines_text(ret)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def returned_lines_text(ret: Return) -> str:
    return "; ".join(
        f"{line.quantity} x {line.product.name} "
        f"({'restocked' if line.restock else 'written off'}, "
        f"{line.get_reason_display().lower()})"
        for line in ret.lines.all()
    )


class ReturnForm(forms.Form):
    """One row per order line: how many come back, whether they are restocked,
    and why; a row left at 0 is not returned."""

    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, lines: list[OrderLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for line in lines:
            prefix = f"line_{line.product_id}"
            self.fields[f"{prefix}_quantity"] = forms.IntegerField(
                label=str(line.product),
                min_value=0,
                max_value=line.returnable_quantity,
                initial=0,
                disabled=line.returnable_quantity == 0,
            )
            self.fields[f"{prefix}_restock"] = forms.BooleanField(
                required=False, initial=True, label="Restock"
            )
            self.fields[f"{prefix}_reason"] = forms.ChoiceField(
                choices=ReturnReason.choices, initial=ReturnReason.UNWANTED
            )
            self.rows.append(
                {
                    "line": line,
                    "quantity": self[f"{prefix}_quantity"],
                    "restock": self[f"{prefix}_restock"],
                    "reason": self[f"{prefix}_reason"],
                }
            )

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.lines():
            raise forms.ValidationError("Enter a quantity for at least one line.")
        return cleaned

    def lines(self) -> list[ReturnLineSpec]:
        specs = []
        for row in self.rows:
            prefix = f"line_{row['line'].product_id}"
            quantity = self.cleaned_data.get(f"{prefix}_quantity") or 0
            if quantity:
                specs.append(
                    ReturnLineSpec(
                        product_id=row["line"].product_id,
                        quantity=quantity,
                        restock=self.cleaned_data.get(f"{prefix}_restock", False),
                        reason=self.cleaned_data[f"{prefix}_reason"],
                    )
                )
        return specs


class OrderLocationFilter(admin.SimpleListFilter):
    """By location, offering only the locations the user may see."""

    title = "location"
    parameter_name = "location"

    def lookups(self, request, model_admin):
        locations = scoped(Location.objects.all(), request.user, "pk")
        return [(str(location.pk), location.code) for location in locations]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(location_id=int(value))
        return queryset


@admin.register(Order)
class OrderAdmin(ServiceModelAdmin):
    list_display = (
        "number",
        "created_at",
        "client",
        "employee",
        "location",
        "status",
        "tax_total",
        "total_amount",
        "confirmed_at",
    )
    list_display_links = ("number",)
    list_select_related = ("client", "employee", "location")
    list_filter = ("status", OrderLocationFilter, "employee")
    search_fields = ("client__name", "client__email", "notes")
    date_hierarchy = "created_at"
    autocomplete_fields = ("client", "employee")
    list_per_page = 50
    form = OrderForm
    inlines = (OrderLineInline, OrderStatusChangeInline, OrderReturnInline)
    actions = ("confirm_orders", "ship_orders", "deliver_orders", "cancel_orders")
    change_form_template = "admin/sales/order/change_form.html"
    readonly_fields = (
        "status",
        *MONEY_READ_ONLY,
        "created_at",
        "updated_at",
        "confirmed_at",
        "shipped_at",
        "delivered_at",
        "cancelled_at",
    )

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        if obj is None:  # a new order has no history yet
            inlines = [i for i in inlines if not isinstance(i, OrderStatusChangeInline)]
        if obj is None or obj.status not in RETURNABLE_STATUSES:
            inlines = [i for i in inlines if not isinstance(i, OrderReturnInline)]
        return inlines

    def get_fieldsets(self, request, obj=None):
        header = (None, {"fields": services.ORDER_EDITABLE_FIELDS})
        discount = ("Discount", {"fields": DISCOUNT_FIELDS})
        if obj is None:
            return (header, discount)
        return (
            header,
            discount,
            ("Status and money", {"fields": ("status", *MONEY_READ_ONLY)}),
            (
                "Timestamps",
                {
                    "fields": (
                        ("created_at", "updated_at"),
                        "confirmed_at",
                        "shipped_at",
                        "delivered_at",
                        "cancelled_at",
                    )
                },
            ),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_draft:
            return (
                *services.ORDER_EDITABLE_FIELDS,
                *DISCOUNT_FIELDS,
                *self.readonly_fields,
            )
        return self.readonly_fields

    @admin.display(description="order", ordering="id")
    def number(self, order: Order) -> str:
        return f"#{order.pk}"

    def get_search_results(self, request, queryset, search_term):
        matched, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        number = search_term.strip().lstrip("#")
        if number.isdigit() and len(number) < 19:
            # Both sides keep the list filters already applied to queryset.
            matched |= queryset.filter(pk=int(number))
        return matched, may_have_duplicates

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        employee = getattr(request.user, "employee", None)
        if employee is not None and "employee" not in initial:
            initial["employee"] = employee.pk
        home = services.order_default_location(user=request.user)
        if home is not None and "location" not in initial:
            initial["location"] = home.pk
        return initial

    def get_queryset(self, request):
        # A scoped user's orders of other locations are absent: from the
        # list, the pages (a 404 redirect) and the actions alike.
        return scoped(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "location":
            kwargs["queryset"] = scoped(
                Location.objects.filter(is_active=True), request.user, "pk"
            )
            kwargs["required"] = False
            kwargs["help_text"] = (
                "Where the order takes its stock from; empty: your home "
                "location, else the default location."
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- Permissions: only drafts are edited or deleted ------------------------

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.is_draft)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.is_draft)

    # Django's admin actions name these by ``permissions=["confirm"]``.
    def has_confirm_permission(self, request, obj=None) -> bool:
        return self._may(request, "confirm")

    def has_ship_permission(self, request, obj=None) -> bool:
        return self._may(request, "ship")

    def has_deliver_permission(self, request, obj=None) -> bool:
        return self._may(request, "deliver")

    def has_cancel_permission(self, request, obj=None) -> bool:
        return self._may(request, "cancel")

    def get_actions(self, request):
        # Bulk deletion would bypass the draft-only rule; delete from the page.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # --- Saving through the services ------------------------------------------

    def save_model(self, request, obj, form, change):
        """Nothing yet: the order and its lines are written together below."""

    def save_related(self, request, form, formsets, change):
        lines = self._line_specs(formsets, change)
        header = {
            name: form.cleaned_data[name]
            for name in services.ORDER_EDITABLE_FIELDS
            if name in form.cleaned_data
        }
        discount = services.UNCHANGED
        if not change or set(DISCOUNT_FIELDS) & set(form.changed_data):
            discount = form.discount()
        within = location_scope(request.user)
        if change:
            changed = {k: v for k, v in header.items() if k in form.changed_data}
            order = services.order_update(
                order=form.instance,
                lines=lines,
                discount=discount,
                within=within,
                **changed,
            )
        else:
            if header.get("location") is None:
                header["location"] = services.order_default_location(user=request.user)
            order = services.order_create(
                lines=lines or (), discount=discount, within=within, **header
            )
        self.adopt(form.instance, order)

    @staticmethod
    def _line_specs(formsets, change: bool) -> list[services.LineSpec] | None:
        """The lines the inline holds, or None to keep the old ones unchanged."""
        formset = next((fs for fs in formsets if fs.model is OrderLine), None)
        if formset is None or (change and not formset.has_changed()):
            return None
        return [
            services.LineSpec(
                product=line.cleaned_data["product"],
                quantity=line.cleaned_data["quantity"],
            )
            for line in formset.forms
            if line.cleaned_data and not line.cleaned_data.get("DELETE")
        ]

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, [], add)
        if not add and self._line_specs(formsets, change=True) is not None:
            message.append({"changed": {"fields": ["lines"]}})
        return message

    def refused_changeform_view(self, request, object_id, form_url, extra_context):
        if object_id is not None:
            order = self.get_object(request, unquote(object_id))
            if order is not None and not order.is_draft:
                # Confirmed (or cancelled) meanwhile: there is no form to show.
                self.message_refusal(request, request._service_refusal)
                return HttpResponseRedirect(self._change_url(order))
        return super().refused_changeform_view(
            request, object_id, form_url, extra_context
        )

    def delete_model(self, request, obj):
        services.order_delete(order=obj, within=location_scope(request.user))

    # --- Status transitions ---------------------------------------------------

    def _change_url(self, order: Order) -> str:
        return reverse(
            "admin:sales_order_change",
            args=[order.pk],
            current_app=self.admin_site.name,
        )

    def _may(self, request, action: str) -> bool:
        return request.user.has_perm(services.TRANSITIONS[action].permission)

    def _transition(self, request, order: Order, action: str) -> bool:
        """Apply one transition in its own transaction; report a refusal."""
        try:
            services.order_transition(
                order_id=order.pk,
                action=action,
                by=request.user,
                within=location_scope(request.user),
            )
        except ApplicationError as refusal:
            self.message_refusal(request, refusal, prefix=f"Order #{order.pk}: ")
            return False
        self.log_change(
            request, order, f"{services.TRANSITIONS[action].past_tense.capitalize()}."
        )
        return True

    def _transition_each(self, request, queryset, action: str) -> None:
        done = [
            order.pk
            for order in queryset.order_by("pk")
            if self._transition(request, order, action)
        ]
        if done:
            numbers = ", ".join(f"#{pk}" for pk in done)
            self.message_user(
                request,
                f"{len(done)} order{'s' if len(done) > 1 else ''} "
                f"{services.TRANSITIONS[action].past_tense}: {numbers}.",
                messages.SUCCESS,
            )

    @admin.action(
        description=f"{services.TRANSITIONS['confirm'].label} selected orders",
        permissions=["confirm"],
    )
    def confirm_orders(self, request, queryset):
        self._transition_each(request, queryset, "confirm")

    @admin.action(
        description=f"{services.TRANSITIONS['ship'].label} selected orders",
        permissions=["ship"],
    )
    def ship_orders(self, request, queryset):
        self._transition_each(request, queryset, "ship")

    @admin.action(
        description=f"{services.TRANSITIONS['deliver'].label} selected orders",
        permissions=["deliver"],
    )
    def deliver_orders(self, request, queryset):
        self._transition_each(request, queryset, "deliver")

    @admin.action(
        description=f"{services.TRANSITIONS['cancel'].label} selected orders",
        permissions=["cancel"],
    )
    def cancel_orders(self, request, queryset):
        self._transition_each(request, queryset, "cancel")

    def get_urls(self):
        return [
            path(
                "<path:object_id>/transition/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="sales_order_transition",
            ),
            path(
                "<path:object_id>/return/",
                self.admin_site.admin_view(self.return_view),
                name="sales_order_return",
            ),
            *super().get_urls(),
        ]

    def return_view(self, request, object_id):
        """Record a return: one row per line, with what can still come back."""
        if not request.user.has_perm(RETURN_PERMISSION):
            raise PermissionDenied
        order = self.get_object(request, unquote(object_id))
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if order.status not in RETURNABLE_STATUSES:
            self.message_user(
                request,
                f"Order #{order.pk} is {order.status}; only shipped or delivered "
                "orders can be returned.",
                messages.ERROR,
            )
            return HttpResponseRedirect(self._change_url(order))
        lines = list(order.lines.select_related("product"))
        form = ReturnForm(request.POST or None, lines=lines)
        if request.method == "POST" and form.is_valid():
            try:
                ret = return_create(
                    order_id=order.pk,
                    lines=form.lines(),
                    note=form.cleaned_data["note"],
                    by=request.user,
                    within=location_scope(request.user),
                )
            except Order.DoesNotExist:
                return self._get_obj_does_not_exist_redirect(
                    request, self.opts, object_id
                )
            except ApplicationError as refusal:
                for _code, message in refusal.errors:
                    form.add_error(None, message)
            else:
                self.message_user(
                    request,
                    f"Return #{ret.pk} of order #{order.pk} recorded: refund "
                    f"{money.amount_text(ret.refund_amount)}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(order))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Record a return of order #{order.pk}",
            "subtitle": None,
            "opts": self.opts,
            "original": order,
            "form": form,
            "change_url": self._change_url(order),
            "has_view_permission": self.has_view_permission(request, order),
        }
        return TemplateResponse(request, "admin/sales/order/return.html", context)

    def transition_view(self, request, object_id, action):
        """The buttons on an order's page: one transition of one order."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if action not in services.TRANSITIONS:
            raise Http404(f"No order action {action!r}.")
        if not self._may(request, action):
            raise PermissionDenied
        order = self.get_object(request, unquote(object_id))
        if order is None or not self.has_view_or_change_permission(request, order):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if self._transition(request, order, action):
            self.message_user(
                request,
                f"Order #{order.pk} {services.TRANSITIONS[action].past_tense}.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._change_url(order))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, unquote(object_id))
        available = []
        if order is not None:
            available = [
                {
                    "action": action,
                    "label": transition.label,
                    "url": reverse(
                        "admin:sales_order_transition",
                        args=[order.pk, action],
                        current_app=self.admin_site.name,
                    ),
                }
                for action, transition in services.TRANSITIONS.items()
                if order.status in transition.sources and self._may(request, action)
            ]
        may_return = (
            order is not None
            and order.status in RETURNABLE_STATUSES
            and request.user.has_perm(RETURN_PERMISSION)
        )
        context = {
            "order_transitions": available,
            "return_url": (
                reverse(
                    "admin:sales_order_return",
                    args=[order.pk],
                    current_app=self.admin_site.name,
                )
                if may_return
                else None
            ),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    fields = ("product", "quantity", "restock", "reason", "refund_amount")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Return)
class ReturnAdmin(admin.ModelAdmin):
    """Returns, read-only: they are recorded from their order's page."""

    list_display = (
        "number",
        "created_at",
        "order_link",
        "location",
        "refund_amount",
        "created_by",
    )
    list_display_links = ("number",)
    list_select_related = ("order", "location", "created_by")
    list_filter = (OrderLocationFilter,)
    search_fields = ("note", "order__client__name", "order__client__email")
    date_hierarchy = "created_at"
    list_per_page = 50
    fields = (
        "order_link",
        "location",
        "refund_amount",
        "note",
        "created_by",
        "created_at",
    )
    readonly_fields = fields
    inlines = (ReturnLineInline,)

    @admin.display(description="return", ordering="id")
    def number(self, ret: Return) -> str:
        return f"#{ret.pk}"

    @admin.display(description="order", ordering="order_id")
    def order_link(self, ret: Return) -> str:
        url = reverse("admin:sales_order_change", args=[ret.order_id])
        return format_html('<a href="{}">#{}</a>', url, ret.order_id)

    def get_queryset(self, request):
        # As for orders: a scoped user's returns of other locations are absent.
        return scoped(super().get_queryset(request), request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
