"""Back-office for the catalog: categories (products, with their stock, are
registered by ``inventory.admin``, which knows both)."""

from django.contrib import admin
from django.db.models import Count

from store_project.admin import ServiceModelAdmin

from . import services
from .models import Category


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
