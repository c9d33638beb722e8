"""Back-office for stock: products with their stock per location, locations,
stock levels and the read-only ledger. Every list, form and action is
narrowed to the user's locations (``inventory.selectors.location_scope``)."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from catalog import services as catalog_services
from catalog.models import Product
from store_project.admin import CsvImportAdminMixin, ServiceModelAdmin
from store_project.exceptions import ApplicationError

from . import imports, services
from .models import (
    MAX_INT,
    Location,
    StockLevel,
    StockMovement,
    Transfer,
    TransferLine,
)
from .selectors import PRODUCT_IS_LOW_STOCK, PRODUCT_STOCK, location_scope, scoped

ADJUST_STOCK = "catalog.adjust_stock"
RECENT_MOVEMENTS = 20


class ScopedLocationFilter(admin.SimpleListFilter):
    """Filter by location, offering only the locations the user may see."""

    title = "location"
    parameter_name = "location"
    field = "location_id"

    def lookups(self, request, model_admin):
        return [(str(loc.pk), loc.code) for loc in visible_locations(request.user)]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(**{self.field: int(value)})
        return queryset


def visible_locations(user):
    return scoped(Location.objects.all(), user, "pk")


def usable_locations(user):
    """Locations where ``user`` may change stock: active and in scope."""
    return visible_locations(user).filter(is_active=True)


class LowStockFilter(admin.SimpleListFilter):
    title = "stock level"
    parameter_name = "low_stock"

    def lookups(self, request, model_admin):
        return [
            ("yes", "At or below reorder level"),
            ("no", "Above reorder level"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(is_low_stock=True)
        if self.value() == "no":
            return queryset.filter(is_low_stock=False)
        return queryset


class ProductForm(forms.ModelForm):
    """The model's database constraints, as form validation with plain words."""

    unit_price = forms.DecimalField(
        min_value=Decimal("0.01"), max_digits=10, decimal_places=2, label="Unit price"
    )
    stock = forms.IntegerField(
        min_value=0,
        max_value=MAX_INT,
        initial=0,
        label="Opening stock",
        help_text="At the default location, recorded in the stock ledger as the "
        "opening stock. Afterwards stock changes only through orders, stock "
        "adjustments and transfers.",
    )
    reorder_level = forms.IntegerField(min_value=0, max_value=MAX_INT, initial=0)

    class Meta:
        model = Product
        fields = catalog_services.PRODUCT_EDITABLE_FIELDS


class StockAdjustmentForm(forms.Form):
    # Zero is refused by stock_adjust, on this field, for the API as here.
    quantity = forms.IntegerField(
        min_value=-MAX_INT,
        max_value=MAX_INT,
        help_text="Units to add; a negative number takes units out.",
    )
    reason = forms.ChoiceField(
        choices=[(reason.value, reason.label) for reason in services.ADJUSTMENT_REASONS]
    )
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(),
        required=False,
        help_text="Where the stock changes; the default location when empty.",
    )
    note = forms.CharField(max_length=255, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        locations = usable_locations(user)
        self.fields["location"].queryset = locations
        default = locations.filter(is_default=True).first() or locations.first()
        self.fields["location"].initial = default


@admin.register(Product)
class ProductAdmin(CsvImportAdminMixin, ServiceModelAdmin):
    form = ProductForm
    import_service = staticmethod(imports.products_import)
    import_permissions = imports.PERMISSIONS
    import_columns = imports.COLUMNS
    list_display = (
        "name",
        "sku",
        "category",
        "unit_price",
        "stock",
        "reorder_level",
        "low_stock",
        "is_active",
    )
    list_select_related = ("category",)
    list_filter = (LowStockFilter, "is_active", "category", "tax_class")
    search_fields = ("name", "sku")
    autocomplete_fields = ("category",)
    date_hierarchy = "created_at"
    list_per_page = 50
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "sku",
                    "category",
                    "description",
                    "unit_price",
                    "tax_class",
                    "supplier",
                    "is_active",
                )
            },
        ),
        ("Stock", {"fields": ("stock", "reorder_level")}),
    )
    change_form_template = "admin/catalog/product/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(stock=PRODUCT_STOCK, is_low_stock=PRODUCT_IS_LOW_STOCK)
        )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets
        return (
            *self.fieldsets[:1],
            (
                "Stock",
                {
                    "fields": (
                        "stock",
                        "reorder_level",
                        "average_cost",
                        "stock_by_location",
                        "recent_movements",
                    )
                },
            ),
            ("Record", {"fields": ("created_at", "updated_at")}),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (
            "stock",
            "average_cost",
            "stock_by_location",
            "recent_movements",
            "created_at",
            "updated_at",
        )

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "autocomplete":
            # Picking a product in another form (an order line) offers only
            # products for sale; the services refuse the others anyway.
            queryset = queryset.filter(is_active=True)
        return queryset, may_have_duplicates

    @admin.display(description="stock", ordering="stock")
    def stock(self, product: Product) -> int:
        return product.stock

    @admin.display(boolean=True, description="low stock", ordering="is_low_stock")
    def low_stock(self, product: Product) -> bool:
        return product.is_low_stock

    @admin.display(description="stock by location")
    def stock_by_location(self, product: Product):
        levels = list(
            scoped(product.stock_levels.all(), product.viewer)
            .select_related("location")
            .order_by("location__code")
        )
        if not levels:
            return "None yet."
        url = reverse("admin:inventory_stocklevel_changelist")
        rows = format_html_join(
            "",
            '<tr data-location="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    level.location.code,
                    level.location.code,
                    level.on_hand,
                    level.reorder_level,
                    "low" if level.is_low_stock else "",
                )
                for level in levels
            ),
        )
        return format_html(
            '<table class="stock-levels"><thead><tr><th>location</th><th>on hand'
            "</th><th>reorder level</th><th></th></tr></thead><tbody>{}</tbody>"
            '</table><p><a href="{}?product__id__exact={}">Stock levels of this '
            "product</a></p>",
            rows,
            url,
            product.pk,
        )

    @admin.display(description="stock movements")
    def recent_movements(self, product: Product):
        movements = list(
            scoped(product.movements.all(), product.viewer).select_related(
                "created_by", "location"
            )[:RECENT_MOVEMENTS]
        )
        if not movements:
            return "None yet."
        url = reverse("admin:inventory_stockmovement_changelist")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td></tr>",
            (
                (
                    localtime(m.created_at).strftime("%Y-%m-%d %H:%M"),
                    m.location.code,
                    f"{m.quantity:+d}",
                    m.get_reason_display(),
                    f"#{m.order_id}" if m.order_id else "",
                    m.note,
                    m.created_by or "",
                )
                for m in movements
            ),
        )
        return format_html(
            '<table class="stock-movements"><thead><tr><th>when</th><th>location'
            "</th><th>quantity</th><th>reason</th><th>order</th><th>note</th>"
            "<th>by</th></tr></thead>"
            '<tbody>{}</tbody></table><p><a href="{}?product__id__exact={}">'
            "All stock movements of this product</a></p>",
            rows,
            url,
            product.pk,
        )

    def get_object(self, request, object_id, from_field=None):
        product = super().get_object(request, object_id, from_field)
        if product is not None:
            # The page's read-only displays show the user's locations only.
            product.viewer = request.user
        return product

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in catalog_services.PRODUCT_EDITABLE_FIELDS
            if name in form.cleaned_data
        }
        if change:
            changed = {k: v for k, v in data.items() if k in form.changed_data}
            catalog_services.product_update(product=obj, **changed)
        else:
            product = services.product_create(
                **data, stock=form.cleaned_data.get("stock") or 0, by=request.user
            )
            self.adopt(obj, product)

    def delete_model(self, request, obj):
        catalog_services.product_delete(product=obj)

    def get_deleted_objects(self, objs, request):
        # A product on no order goes with its stock levels and ledger (the API
        # does the same); the ledger itself stays undeletable on its own.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        perms_needed.discard(StockMovement._meta.verbose_name)
        perms_needed.discard(StockLevel._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    # --- Adjust stock --------------------------------------------------------

    def has_adjust_stock_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(ADJUST_STOCK)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/adjust-stock/",
                self.admin_site.admin_view(self.adjust_stock_view),
                name="catalog_product_adjust_stock",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = {
            "can_adjust_stock": self.has_adjust_stock_permission(request),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def adjust_stock_view(self, request, object_id):
        """A stock change with a reason at one location, through
        ``inventory.services.stock_adjust``."""
        if not self.has_adjust_stock_permission(request):
            raise PermissionDenied
        product = self.get_object(request, unquote(object_id))
        if product is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = reverse(
            "admin:catalog_product_change",
            args=[product.pk],
            current_app=self.admin_site.name,
        )
        form = StockAdjustmentForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            location = form.cleaned_data["location"] or services.location_default()
            form.cleaned_data["location"] = location
            try:
                services.stock_adjust(
                    product=product,
                    by=request.user,
                    within=location_scope(request.user),
                    **form.cleaned_data,
                )
            except ApplicationError as refusal:
                field = refusal.field if refusal.field in form.fields else None
                for _code, message in refusal.errors:
                    form.add_error(field, message)
            else:
                on_hand = StockLevel.objects.get(
                    product=product, location=location
                ).on_hand
                self.message_user(
                    request,
                    f"Stock of {product} at {location.code} adjusted by "
                    f"{form.cleaned_data['quantity']:+d}; now {on_hand} there.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjust stock: {product}",
            "subtitle": None,
            "opts": self.opts,
            "original": product,
            "levels": scoped(product.stock_levels.all(), request.user)
            .select_related("location")
            .order_by("location__code"),
            "form": form,
            "change_url": change_url,
            "has_view_permission": self.has_view_permission(request, product),
        }
        return TemplateResponse(
            request, "admin/catalog/product/adjust_stock.html", context
        )


class LocationForm(forms.ModelForm):
    code = forms.RegexField(
        regex=r"^[A-Za-z0-9-]{1,20}$",
        max_length=20,
        help_text="1-20 characters of A-Z, 0-9 and '-'; stored upper-cased.",
    )

    class Meta:
        model = Location
        fields = ("code", "name", "kind", "address", "is_active", "is_default")

    def clean_code(self) -> str:
        return self.cleaned_data["code"].upper()

    def _get_validation_exclusions(self):
        # The service judges the default flag: it moves it from the old
        # default, which the one-default constraint would count twice here.
        return {*super()._get_validation_exclusions(), "is_default"}

    def validate_unique(self):
        """A duplicate code comes back from the database as the form's error."""


@admin.register(Location)
class LocationAdmin(ServiceModelAdmin):
    form = LocationForm
    list_display = ("code", "name", "kind", "is_active", "is_default")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    ordering = ("code", "id")
    fields = ("code", "name", "kind", "address", "is_active", "is_default")

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in self.fields}
        if change:
            changed = {k: v for k, v in data.items() if k in form.changed_data}
            services.location_update(location=obj, **changed)
        else:
            self.adopt(obj, services.location_create(**data))

    def delete_model(self, request, obj):
        services.location_delete(location=obj)


class StockLevelForm(forms.ModelForm):
    reorder_level = forms.IntegerField(min_value=0, max_value=MAX_INT)

    class Meta:
        model = StockLevel
        fields = ("reorder_level",)


@admin.register(StockLevel)
class StockLevelAdmin(ServiceModelAdmin):
    """One row per product and location; only the reorder level is editable."""

    form = StockLevelForm
    list_display = ("product", "location", "on_hand", "reorder_level", "low_stock")
    list_select_related = ("product", "location")
    list_filter = (ScopedLocationFilter,)
    search_fields = ("product__name", "product__sku")
    list_per_page = 100
    fields = ("product", "location", "on_hand", "reorder_level")
    readonly_fields = ("product", "location", "on_hand")

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    @admin.display(boolean=True, description="low stock")
    def low_stock(self, level: StockLevel) -> bool:
        return level.is_low_stock

    def save_model(self, request, obj, form, change):
        services.stock_level_update(
            stock_level=obj, reorder_level=form.cleaned_data["reorder_level"]
        )

    def has_add_permission(self, request):
        return False  # a stock level appears with the location's first stock

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    """The ledger: read-only everywhere, written only by the stock service."""

    list_display = (
        "created_at",
        "product",
        "location",
        "quantity",
        "reason",
        "order",
        "note",
        "created_by",
    )
    list_select_related = ("product", "location", "created_by")
    list_filter = ("reason", ScopedLocationFilter)
    search_fields = ("product__name", "product__sku", "note")
    autocomplete_fields = ("product",)
    date_hierarchy = "created_at"
    list_per_page = 100
    fields = (
        "product",
        "location",
        "quantity",
        "reason",
        "order",
        "transfer",
        "note",
        "created_by",
        "created_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    @admin.display(description="order", ordering="order_id")
    def order(self, movement: StockMovement):
        if movement.order_id is None:
            return ""
        try:
            # By URL name only: inventory does not import the sales app.
            url = reverse("admin:sales_order_change", args=[movement.order_id])
        except NoReverseMatch:
            return f"#{movement.order_id}"
        return format_html('<a href="{}">#{}</a>', url, movement.order_id)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TransferLineForm(forms.ModelForm):
    quantity = forms.IntegerField(min_value=1, max_value=MAX_INT)

    class Meta:
        model = TransferLine
        fields = ("product", "quantity")


class TransferLineInline(admin.TabularInline):
    """The lines: editable while the transfer is a draft, read-only after."""

    model = TransferLine
    form = TransferLineForm
    fields = ("product", "quantity", "received_quantity")
    readonly_fields = ("received_quantity",)
    autocomplete_fields = ("product",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")

    def get_extra(self, request, obj=None, **kwargs):
        return 3 if obj is None else (1 if obj.status == "draft" else 0)

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == "draft"

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class TransferReceiptForm(forms.Form):
    """One field per line: what arrived, at most what was shipped."""

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        for line in lines:
            self.fields[f"line_{line.product_id}"] = forms.IntegerField(
                label=str(line.product),
                min_value=0,
                max_value=line.quantity,
                initial=line.quantity,
                help_text=f"{line.quantity} shipped.",
            )

    def received(self) -> dict[int, int]:
        return {
            int(name.removeprefix("line_")): value
            for name, value in self.cleaned_data.items()
        }


@admin.register(Transfer)
class TransferAdmin(ServiceModelAdmin):
    """Transfers: lines while draft; Ship, Receive and Cancel on the page and
    as list actions, through ``inventory.services.transfer_transition``."""

    list_display = (
        "number",
        "created_at",
        "from_location",
        "to_location",
        "status",
        "shipped_at",
        "received_at",
    )
    list_display_links = ("number",)
    list_select_related = ("from_location", "to_location")
    list_filter = ("status",)
    search_fields = ("notes",)
    date_hierarchy = "created_at"
    list_per_page = 50
    inlines = (TransferLineInline,)
    actions = ("ship_transfers", "cancel_transfers")
    change_form_template = "admin/inventory/transfer/change_form.html"
    readonly_fields = (
        "status",
        "created_by",
        "created_at",
        "shipped_at",
        "received_at",
        "cancelled_at",
    )

    def get_queryset(self, request):
        return scoped(
            super().get_queryset(request),
            request.user,
            "from_location",
            "to_location",
        )

    def get_fields(self, request, obj=None):
        fields = services.TRANSFER_EDITABLE_FIELDS
        return fields if obj is None else (*fields, *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != "draft":
            return (*services.TRANSFER_EDITABLE_FIELDS, *self.readonly_fields)
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "from_location":
            kwargs["queryset"] = usable_locations(request.user)
        elif db_field.name == "to_location":
            kwargs["queryset"] = Location.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="transfer", ordering="id")
    def number(self, transfer: Transfer) -> str:
        return f"#{transfer.pk}"

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status == "draft")

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.status == "draft")

    def has_ship_permission(self, request, obj=None) -> bool:
        return self._may(request, "ship")

    def has_cancel_permission(self, request, obj=None) -> bool:
        return self._may(request, "cancel")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # drafts are deleted from the page
        return actions

    # --- Saving through the services ------------------------------------------

    def save_model(self, request, obj, form, change):
        """Nothing yet: the transfer and its lines are written together below."""

    def save_related(self, request, form, formsets, change):
        formset = next((fs for fs in formsets if fs.model is TransferLine), None)
        lines = None
        if formset is not None and (not change or formset.has_changed()):
            lines = [
                services.TransferLineSpec(
                    product=line.cleaned_data["product"],
                    quantity=line.cleaned_data["quantity"],
                )
                for line in formset.forms
                if line.cleaned_data and not line.cleaned_data.get("DELETE")
            ]
        header = {
            name: form.cleaned_data[name]
            for name in services.TRANSFER_EDITABLE_FIELDS
            if name in form.cleaned_data
        }
        within = location_scope(request.user)
        if change:
            changed = {k: v for k, v in header.items() if k in form.changed_data}
            transfer = services.transfer_update(
                transfer=form.instance, lines=lines, within=within, **changed
            )
        else:
            transfer = services.transfer_create(
                **header, lines=lines or (), by=request.user, within=within
            )
        self.adopt(form.instance, transfer)

    def construct_change_message(self, request, form, formsets, add=False):
        # The lines were written by the service, not saved by the formsets.
        message = super().construct_change_message(request, form, [], add)
        if not add and any(fs.has_changed() for fs in formsets):
            message.append({"changed": {"fields": ["lines"]}})
        return message

    def delete_model(self, request, obj):
        services.transfer_delete(transfer=obj, within=location_scope(request.user))

    # --- Transitions ------------------------------------------------------------

    def _may(self, request, action: str) -> bool:
        return request.user.has_perm(services.TRANSFER_TRANSITIONS[action].permission)

    def _change_url(self, transfer) -> str:
        return reverse(
            "admin:inventory_transfer_change",
            args=[transfer.pk],
            current_app=self.admin_site.name,
        )

    def _transition(self, request, transfer, action, received=None) -> bool:
        try:
            services.transfer_transition(
                transfer_id=transfer.pk,
                action=action,
                by=request.user,
                within=location_scope(request.user),
                received=received,
            )
        except ApplicationError as refusal:
            self.message_refusal(request, refusal, prefix=f"Transfer #{transfer.pk}: ")
            return False
        past = services.TRANSFER_TRANSITIONS[action].past_tense
        self.log_change(request, transfer, f"{past.capitalize()}.")
        self.message_user(request, f"Transfer #{transfer.pk} {past}.", messages.SUCCESS)
        return True

    @admin.action(description="Ship selected transfers", permissions=["ship"])
    def ship_transfers(self, request, queryset):
        for transfer in queryset.order_by("pk"):
            self._transition(request, transfer, "ship")

    @admin.action(description="Cancel selected transfers", permissions=["cancel"])
    def cancel_transfers(self, request, queryset):
        for transfer in queryset.order_by("pk"):
            self._transition(request, transfer, "cancel")

    def get_urls(self):
        return [
            path(
                "<path:object_id>/transition/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="inventory_transfer_transition",
            ),
            path(
                "<path:object_id>/receive/",
                self.admin_site.admin_view(self.receive_view),
                name="inventory_transfer_receive",
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request, object_id, action):
        """The Ship and Cancel buttons: one transition of one transfer."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if action not in ("ship", "cancel"):
            raise Http404(f"No transfer action {action!r} here.")
        if not self._may(request, action):
            raise PermissionDenied
        transfer = self.get_object(request, unquote(object_id))
        if transfer is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        self._transition(request, transfer, action)
        return HttpResponseRedirect(self._change_url(transfer))

    def receive_view(self, request, object_id):
        """What arrived, line by line (all that was shipped, unless changed)."""
        if not self._may(request, "receive"):
            raise PermissionDenied
        transfer = self.get_object(request, unquote(object_id))
        if transfer is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        lines = list(transfer.lines.select_related("product"))
        form = TransferReceiptForm(request.POST or None, lines=lines)
        if (
            request.method == "POST"
            and form.is_valid()
            and self._transition(request, transfer, "receive", form.received())
        ):
            return HttpResponseRedirect(self._change_url(transfer))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Receive transfer #{transfer.pk}",
            "subtitle": None,
            "opts": self.opts,
            "original": transfer,
            "form": form,
            "change_url": self._change_url(transfer),
            "has_view_permission": self.has_view_permission(request, transfer),
        }
        return TemplateResponse(
            request, "admin/inventory/transfer/receive.html", context
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        transfer = self.get_object(request, unquote(object_id))
        buttons = []
        if transfer is not None:
            for action, transition in services.TRANSFER_TRANSITIONS.items():
                if transfer.status in transition.sources and self._may(request, action):
                    name = "receive" if action == "receive" else "transition"
                    args = (
                        [transfer.pk] if action == "receive" else [transfer.pk, action]
                    )
                    buttons.append(
                        {
                            "action": action,
                            "label": transition.label,
                            "url": reverse(
                                f"admin:inventory_transfer_{name}",
                                args=args,
                                current_app=self.admin_site.name,
                            ),
                            "is_link": action == "receive",
                        }
                    )
        context = {"transfer_transitions": buttons, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)
