from django.db.models import Count
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors

from store_project.api.viewsets import ServiceModelViewSet

from . import services
from .models import Category
from .serializers import CategorySerializer


# Raised by the service from the database's unique index, so not introspectable.
@extend_validation_errors(
    ["unique"], field_name="name", actions=["create", "update", "partial_update"]
)
class CategoryViewSet(ServiceModelViewSet):
    serializer_class = CategorySerializer
    search_fields = ["name"]
    ordering_fields = ["name", "product_count"]
    filterset_fields: list[str] = []

    def get_queryset(self):
        return Category.objects.annotate(product_count=Count("products")).order_by(
            "name", "id"
        )

    def create_object(self, data):
        return services.category_create(**data)

    def update_object(self, instance, data):
        return services.category_update(category=instance, **data)

    def delete_object(self, instance):
        services.category_delete(category=instance)
