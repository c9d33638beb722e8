"""Back-office for stock: products with their stock per location, locations,
stock levels and the read-only ledger. Every list, form and action is
narrowed to the user's locations (``inventory.selectors.location_scope``)."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from catalog import services as catalog_services
from catalog.models import Product
from store_project.admin import ServiceModelAdmin
from store_project.exceptions import ApplicationError

from . import services
from .models import MAX_INT, Location, StockLevel, StockMovement
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
class ProductAdmin(ServiceModelAdmin):
    form = ProductForm
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
    list_filter = (LowStockFilter, "is_active", "category")
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
