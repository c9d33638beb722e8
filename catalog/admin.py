"""Back-office for the catalog: categories, products, and the read-only ledger."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from store_project.admin import ServiceModelAdmin
from store_project.exceptions import ApplicationError

from . import services
from .models import (
    MAX_INT,
    MAX_TAX_RATES,
    Category,
    Product,
    StockMovement,
    TaxClass,
    TaxRate,
)

ADJUST_STOCK = "catalog.adjust_stock"
RECENT_MOVEMENTS = 20


@admin.register(Category)
class CategoryAdmin(ServiceModelAdmin):
    list_display = ("name", "product_count")
    search_fields = ("name",)
    ordering = ("name", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(product_count=Count("products"))

    @admin.display(description="products", ordering="product_count")
    def product_count(self, category: Category) -> int:
        return category.product_count

    def save_model(self, request, obj, form, change):
        if change:
            services.category_update(category=obj, name=form.cleaned_data["name"])
        else:
            self.adopt(obj, services.category_create(name=form.cleaned_data["name"]))

    def delete_model(self, request, obj):
        services.category_delete(category=obj)


class TaxRateForm(forms.ModelForm):
    rate = forms.DecimalField(
        min_value=Decimal("0"),
        max_value=Decimal("0.99999"),
        max_digits=6,
        decimal_places=5,
        help_text="A fraction: 0.05 for 5 %, 0.09975 for 9.975 %.",
    )

    class Meta:
        model = TaxRate
        fields = ("name", "rate")


class TaxRateInline(admin.TabularInline):
    model = TaxRate
    form = TaxRateForm
    fields = ("name", "rate")
    extra = 1
    max_num = MAX_TAX_RATES
    ordering = ("position",)


@admin.register(TaxClass)
class TaxClassAdmin(ServiceModelAdmin):
    """Tax classes and their rates, written together by the tax class services."""

    list_display = ("name", "rates_text", "is_default")
    search_fields = ("name",)
    ordering = ("name", "id")
    fields = ("name", "is_default")
    inlines = (TaxRateInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("rates")

    @admin.display(description="rates")
    def rates_text(self, tax_class: TaxClass) -> str:
        rates = sorted(tax_class.rates.all(), key=lambda rate: rate.position)
        return ", ".join(f"{r.name} {r.rate * 100:g} %" for r in rates) or "none"

    def save_model(self, request, obj, form, change):
        """Nothing yet: the class and its rates are written together below."""

    def save_related(self, request, form, formsets, change):
        rates = self._rate_specs(formsets, change)
        data = {
            "name": form.cleaned_data["name"],
            "is_default": form.cleaned_data.get("is_default", False),
        }
        if change:
            changed = {k: v for k, v in data.items() if k in form.changed_data}
            tax_class = services.tax_class_update(
                tax_class=form.instance, rates=rates, **changed
            )
        else:
            tax_class = services.tax_class_create(rates=rates or (), **data)
        self.adopt(form.instance, tax_class)

    @staticmethod
    def _rate_specs(formsets, change: bool) -> list[services.RateSpec] | None:
        formset = next((fs for fs in formsets if fs.model is TaxRate), None)
        if formset is None or (change and not formset.has_changed()):
            return None
        return [
            services.RateSpec(name=f.cleaned_data["name"], rate=f.cleaned_data["rate"])
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, [], add)
        if not add and self._rate_specs(formsets, change=True) is not None:
            message.append({"changed": {"fields": ["rates"]}})
        return message

    def delete_model(self, request, obj):
        services.tax_class_delete(tax_class=obj)


class LowStockFilter(admin.SimpleListFilter):
    title = "stock level"
    parameter_name = "low_stock"

    def lookups(self, request, model_admin):
        return [
            ("yes", "At or below reorder level"),
            ("no", "Above reorder level"),
        ]

    def queryset(self, request, queryset):
        low = {"stock__lte": F("reorder_level")}
        if self.value() == "yes":
            return queryset.filter(**low)
        if self.value() == "no":
            return queryset.exclude(**low)
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
        help_text="Recorded in the stock ledger as the opening stock. Afterwards "
        "stock changes only through orders and stock adjustments.",
    )
    reorder_level = forms.IntegerField(min_value=0, max_value=MAX_INT, initial=0)

    class Meta:
        model = Product
        fields = (*services.PRODUCT_EDITABLE_FIELDS, "stock")


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
    note = forms.CharField(max_length=255, required=False)


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
                    "is_active",
                )
            },
        ),
        ("Stock", {"fields": ("stock", "reorder_level")}),
    )
    change_form_template = "admin/catalog/product/change_form.html"

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets
        return (
            *self.fieldsets[:1],
            ("Stock", {"fields": ("stock", "reorder_level", "recent_movements")}),
            ("Record", {"fields": ("created_at", "updated_at")}),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("stock", "recent_movements", "created_at", "updated_at")

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

    @admin.display(boolean=True, description="low stock")
    def low_stock(self, product: Product) -> bool:
        return product.is_low_stock

    @admin.display(description="stock movements")
    def recent_movements(self, product: Product):
        movements = list(
            product.movements.select_related("created_by")[:RECENT_MOVEMENTS]
        )
        if not movements:
            return "None yet."
        url = reverse("admin:catalog_stockmovement_changelist")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td></tr>",
            (
                (
                    localtime(m.created_at).strftime("%Y-%m-%d %H:%M"),
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
            '<table class="stock-movements"><thead><tr><th>when</th><th>quantity</th>'
            "<th>reason</th><th>order</th><th>note</th><th>by</th></tr></thead>"
            '<tbody>{}</tbody></table><p><a href="{}?product__id__exact={}">'
            "All stock movements of this product</a></p>",
            rows,
            url,
            product.pk,
        )

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in services.PRODUCT_EDITABLE_FIELDS
            if name in form.cleaned_data
        }
        if change:
            changed = {k: v for k, v in data.items() if k in form.changed_data}
            services.product_update(product=obj, **changed)
        else:
            product = services.product_create(
                **data, stock=form.cleaned_data.get("stock") or 0, by=request.user
            )
            self.adopt(obj, product)

    def delete_model(self, request, obj):
        services.product_delete(product=obj)

    def get_deleted_objects(self, objs, request):
        # A product on no order goes with its ledger (the API does the same);
        # the ledger itself stays undeletable on its own.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        perms_needed.discard(StockMovement._meta.verbose_name)
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
        """A stock change with a reason, through ``catalog.services.stock_adjust``."""
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
        form = StockAdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                product = services.stock_adjust(
                    product=product, by=request.user, **form.cleaned_data
                )
            except ApplicationError as refusal:
                field = refusal.field if refusal.field in form.fields else None
                for _code, message in refusal.errors:
                    form.add_error(field, message)
            else:
                self.message_user(
                    request,
                    f"Stock of {product} adjusted by "
                    f"{form.cleaned_data['quantity']:+d}; now {product.stock}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjust stock: {product}",
            "subtitle": None,
            "opts": self.opts,
            "original": product,
            "form": form,
            "change_url": change_url,
            "has_view_permission": self.has_view_permission(request, product),
        }
        return TemplateResponse(
            request, "admin/catalog/product/adjust_stock.html", context
        )


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    """The ledger: read-only everywhere, written only by the stock service."""

    list_display = (
        "created_at",
        "product",
        "quantity",
        "reason",
        "order",
        "note",
        "created_by",
    )
    list_select_related = ("product", "created_by")
    list_filter = ("reason",)
    search_fields = ("product__name", "product__sku", "note")
    autocomplete_fields = ("product",)
    date_hierarchy = "created_at"
    list_per_page = 100
    fields = (
        "product",
        "quantity",
        "reason",
        "order",
        "note",
        "created_by",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description="order", ordering="order_id")
    def order(self, movement: StockMovement):
        if movement.order_id is None:
            return ""
        try:
            # By URL name only: the catalog does not import the sales app.
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
