"""Back-office for the catalog: categories, suppliers and tax classes (products, with
their stock, are registered by ``inventory.admin``, which knows both)."""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.db.models import Count

from store_project.admin import ServiceModelAdmin

from . import services
from .models import MAX_TAX_RATES, Category, Supplier, TaxClass, TaxRate


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


@admin.register(Supplier)
class SupplierAdmin(ServiceModelAdmin):
    list_display = ("name", "email", "phone", "lead_time_days", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "email")
    ordering = ("name", "id")
    fields = services.SUPPLIER_EDITABLE_FIELDS

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in services.SUPPLIER_EDITABLE_FIELDS
            if name in form.cleaned_data
        }
        if change:
            changed = {k: v for k, v in data.items() if k in form.changed_data}
            services.supplier_update(supplier=obj, **changed)
        else:
            self.adopt(obj, services.supplier_create(**data))

    def delete_model(self, request, obj):
        services.supplier_delete(supplier=obj)
