"""Back-office for purchase orders and reorder suggestions.

Purchase orders and their lines are written only by ``purchasing.services``;
their status moves only through ``purchase_order_transition``, from the
buttons on a purchase order's page (Receive opens a form with what each line
still awaits) and the list's actions. The "Reorder" page lists a location's
suggestions and turns them into drafts, through the same service as the API.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from catalog.models import Supplier
from inventory.models import Location
from inventory.selectors import location_scope, scoped
from store_project.admin import ServiceModelAdmin
from store_project.exceptions import ApplicationError

from . import selectors, services
from .models import MAX_INT, PurchaseOrder, PurchaseOrderLine
from .serializers import MAX_COVER_DAYS


def _locations(user, *, active=True):
    locations = scoped(Location.objects.all(), user, "pk")
    return locations.filter(is_active=True) if active else locations


class PurchaseOrderLineForm(forms.ModelForm):
    quantity = forms.IntegerField(min_value=1, max_value=MAX_INT)
    unit_cost = forms.DecimalField(
        min_value=Decimal("0.0001"),
        max_digits=12,
        decimal_places=4,
        help_text="More than 0, at most 4 places.",
    )

    class Meta:
        model = PurchaseOrderLine
        fields = ("product", "quantity", "unit_cost")


class PurchaseOrderLineInline(admin.TabularInline):
    """The lines: editable while the purchase order is a draft, read-only after."""

    model = PurchaseOrderLine
    form = PurchaseOrderLineForm
    fields = ("product", "quantity", "unit_cost", "received_quantity")
    readonly_fields = ("received_quantity",)
    autocomplete_fields = ("product",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")

    def get_extra(self, request, obj=None, **kwargs):
        return 3 if obj is None else (1 if obj.is_draft else 0)

    def _editable(self, obj) -> bool:
        return obj is None or obj.is_draft

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class ReceiptForm(forms.Form):
    """One field per line still awaiting units: what arrived, at most that."""

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        for line in lines:
            if not line.outstanding:
                continue
            self.fields[f"line_{line.product_id}"] = forms.IntegerField(
                label=str(line.product),
                min_value=0,
                max_value=line.outstanding,
                initial=line.outstanding,
                help_text=f"{line.outstanding} awaited of {line.quantity} "
                f"ordered, at {line.unit_cost}.",
            )

    def received(self) -> dict[int, int]:
        return {
            int(name.removeprefix("line_")): value
            for name, value in self.cleaned_data.items()
            if value
        }


class ReorderForm(forms.Form):
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    cover_days = forms.IntegerField(
        min_value=0,
        max_value=MAX_COVER_DAYS,
        initial=selectors.DEFAULT_COVER_DAYS,
        help_text="Days of sales to cover beyond each supplier's lead time.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        locations = _locations(user, active=False)
        self.fields["location"].queryset = locations
        default = locations.filter(is_default=True).first() or locations.first()
        self.fields["location"].initial = default


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ServiceModelAdmin):
    list_display = (
        "number",
        "created_at",
        "supplier",
        "location",
        "status",
        "ordered_at",
        "received_at",
    )
    list_display_links = ("number",)
    list_select_related = ("supplier", "location")
    list_filter = ("status", "supplier")
    search_fields = ("notes", "supplier__name")
    date_hierarchy = "created_at"
    list_per_page = 50
    inlines = (PurchaseOrderLineInline,)
    actions = ("order_purchase_orders", "cancel_purchase_orders")
    change_form_template = "admin/purchasing/purchaseorder/change_form.html"
    change_list_template = "admin/purchasing/purchaseorder/change_list.html"
    readonly_fields = (
        "status",
        "total_cost",
        "created_by",
        "created_at",
        "ordered_at",
        "received_at",
        "closed_at",
        "cancelled_at",
    )

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def get_fields(self, request, obj=None):
        fields = services.PURCHASE_ORDER_EDITABLE_FIELDS
        return fields if obj is None else (*fields, *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_draft:
            return (*services.PURCHASE_ORDER_EDITABLE_FIELDS, *self.readonly_fields)
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "location":
            kwargs["queryset"] = _locations(request.user)
            kwargs["required"] = False
            kwargs["help_text"] = "Where the goods arrive; empty: the default location."
        elif db_field.name == "supplier":
            kwargs["queryset"] = db_field.related_model.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="purchase order", ordering="id")
    def number(self, purchase_order: PurchaseOrder) -> str:
        return f"#{purchase_order.pk}"

    @admin.display(description="total cost")
    def total_cost(self, purchase_order: PurchaseOrder):
        return services.total_cost(
            (line.quantity, line.unit_cost) for line in purchase_order.lines.all()
        )

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.is_draft)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.is_draft)

    def has_order_permission(self, request, obj=None) -> bool:
        return self._may(request, "order")

    def has_cancel_permission(self, request, obj=None) -> bool:
        return self._may(request, "cancel")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # drafts are deleted from the page
        return actions

    # --- Saving through the services ------------------------------------------

    def save_model(self, request, obj, form, change):
        """Nothing yet: the purchase order and its lines are written below."""

    def save_related(self, request, form, formsets, change):
        formset = next((fs for fs in formsets if fs.model is PurchaseOrderLine), None)
        lines = None
        if formset is not None and (not change or formset.has_changed()):
            lines = [
                services.PurchaseLineSpec(
                    product=line.cleaned_data["product"],
                    quantity=line.cleaned_data["quantity"],
                    unit_cost=line.cleaned_data["unit_cost"],
                )
                for line in formset.forms
                if line.cleaned_data and not line.cleaned_data.get("DELETE")
            ]
        header = {
            name: form.cleaned_data[name]
            for name in services.PURCHASE_ORDER_EDITABLE_FIELDS
            if name in form.cleaned_data
        }
        within = location_scope(request.user)
        if change:
            changed = {k: v for k, v in header.items() if k in form.changed_data}
            purchase_order = services.purchase_order_update(
                purchase_order=form.instance, lines=lines, within=within, **changed
            )
        else:
            purchase_order = services.purchase_order_create(
                **header, lines=lines or (), by=request.user, within=within
            )
        self.adopt(form.instance, purchase_order)

    def construct_change_message(self, request, form, formsets, add=False):
        # The lines were written by the service, not saved by the formsets.
        message = super().construct_change_message(request, form, [], add)
        if not add and any(fs.has_changed() for fs in formsets):
            message.append({"changed": {"fields": ["lines"]}})
        return message

    def delete_model(self, request, obj):
        services.purchase_order_delete(
            purchase_order=obj, within=location_scope(request.user)
        )

    # --- Transitions ------------------------------------------------------------

    def _may(self, request, action: str) -> bool:
        return request.user.has_perm(services.TRANSITIONS[action].permission)

    def _change_url(self, purchase_order) -> str:
        return reverse(
            "admin:purchasing_purchaseorder_change",
            args=[purchase_order.pk],
            current_app=self.admin_site.name,
        )

    def _transition(self, request, purchase_order, action, received=None) -> bool:
        try:
            moved = services.purchase_order_transition(
                purchase_order_id=purchase_order.pk,
                action=action,
                by=request.user,
                within=location_scope(request.user),
                received=received,
            )
        except ApplicationError as refusal:
            self.message_refusal(
                request, refusal, prefix=f"Purchase order #{purchase_order.pk}: "
            )
            return False
        past = services.TRANSITIONS[action].past_tense
        if moved.status == PurchaseOrder.Status.PARTIALLY_RECEIVED:
            past = "partially received"
        self.log_change(request, purchase_order, f"{past.capitalize()}.")
        self.message_user(
            request, f"Purchase order #{purchase_order.pk} {past}.", messages.SUCCESS
        )
        return True

    @admin.action(description="Order selected purchase orders", permissions=["order"])
    def order_purchase_orders(self, request, queryset):
        for purchase_order in queryset.order_by("pk"):
            self._transition(request, purchase_order, "order")

    @admin.action(description="Cancel selected purchase orders", permissions=["cancel"])
    def cancel_purchase_orders(self, request, queryset):
        for purchase_order in queryset.order_by("pk"):
            self._transition(request, purchase_order, "cancel")

    def get_urls(self):
        return [
            path(
                "reorder/",
                self.admin_site.admin_view(self.reorder_view),
                name="purchasing_purchaseorder_reorder",
            ),
            path(
                "<path:object_id>/transition/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="purchasing_purchaseorder_transition",
            ),
            path(
                "<path:object_id>/receive/",
                self.admin_site.admin_view(self.receive_view),
                name="purchasing_purchaseorder_receive",
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request, object_id, action):
        """The Order, Close and Cancel buttons: one transition of one order."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if action not in services.TRANSITIONS or action == "receive":
            raise Http404(f"No purchase order action {action!r} here.")
        if not self._may(request, action):
            raise PermissionDenied
        purchase_order = self.get_object(request, unquote(object_id))
        if purchase_order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        self._transition(request, purchase_order, action)
        return HttpResponseRedirect(self._change_url(purchase_order))

    def receive_view(self, request, object_id):
        """What arrived, line by line (all still awaited, unless changed)."""
        if not self._may(request, "receive"):
            raise PermissionDenied
        purchase_order = self.get_object(request, unquote(object_id))
        if purchase_order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        lines = list(purchase_order.lines.select_related("product"))
        form = ReceiptForm(request.POST or None, lines=lines)
        if request.method == "POST" and form.is_valid():
            received = form.received()
            if not received:
                form.add_error(None, "Enter what arrived of at least one line.")
            elif self._transition(request, purchase_order, "receive", received):
                return HttpResponseRedirect(self._change_url(purchase_order))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Receive purchase order #{purchase_order.pk}",
            "subtitle": None,
            "opts": self.opts,
            "original": purchase_order,
            "form": form,
            "change_url": self._change_url(purchase_order),
            "has_view_permission": self.has_view_permission(request, purchase_order),
        }
        return TemplateResponse(
            request, "admin/purchasing/purchaseorder/receive.html", context
        )

    def reorder_view(self, request):
        """A location's reorder suggestions, and the button that drafts them."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else request.GET
        form = ReorderForm(data or None, user=request.user)
        suggestions, location, cover_days = [], None, None
        if form.is_valid():
            location = form.cleaned_data["location"]
            cover_days = form.cleaned_data["cover_days"]
        elif not data:
            location = form.fields["location"].initial
            cover_days = selectors.DEFAULT_COVER_DAYS
        may_create = self.has_add_permission(request)
        if request.method == "POST" and location is not None:
            if not may_create:
                raise PermissionDenied
            try:
                created, skipped = services.purchase_orders_from_suggestions(
                    location=location,
                    cover_days=cover_days,
                    by=request.user,
                    within=location_scope(request.user),
                )
            except ApplicationError as refusal:
                self.message_refusal(request, refusal)
            else:
                numbers = ", ".join(f"#{po.pk}" for po in created)
                self.message_user(
                    request,
                    f"{len(created)} draft purchase order"
                    f"{'' if len(created) == 1 else 's'} created"
                    f"{': ' + numbers if created else ''}; "
                    f"{len(skipped)} product{'' if len(skipped) == 1 else 's'} "
                    "skipped (no active supplier, or never purchased).",
                    messages.SUCCESS if created else messages.INFO,
                )
            url = reverse("admin:purchasing_purchaseorder_reorder")
            return HttpResponseRedirect(
                f"{url}?location={location.pk}&cover_days={cover_days}"
            )
        if location is not None:
            found = selectors.reorder_suggestions(
                location=location, cover_days=cover_days
            )
            names = dict(
                Supplier.objects.filter(
                    pk__in={s.supplier for s in found if s.supplier}
                ).values_list("pk", "name")
            )
            suggestions = [
                {**vars(s), "supplier_name": names.get(s.supplier)} for s in found
            ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Reorder",
            "subtitle": location and f"{location} — {cover_days} days of cover",
            "opts": self.opts,
            "form": form,
            "location": location,
            "cover_days": cover_days,
            "suggestions": suggestions,
            "may_create": may_create,
            "has_view_permission": True,
        }
        return TemplateResponse(
            request, "admin/purchasing/purchaseorder/reorder.html", context
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        purchase_order = self.get_object(request, unquote(object_id))
        buttons = []
        if purchase_order is not None:
            for action, transition in services.TRANSITIONS.items():
                if purchase_order.status not in transition.sources or not self._may(
                    request, action
                ):
                    continue
                is_link = action == "receive"
                buttons.append(
                    {
                        "action": action,
                        "label": transition.label,
                        "url": reverse(
                            "admin:purchasing_purchaseorder_"
                            + ("receive" if is_link else "transition"),
                            args=[purchase_order.pk]
                            if is_link
                            else [purchase_order.pk, action],
                            current_app=self.admin_site.name,
                        ),
                        "is_link": is_link,
                    }
                )
        context = {"purchase_order_transitions": buttons, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)
