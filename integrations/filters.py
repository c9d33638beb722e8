import django_filters

from store_project.api.filters import StrictBooleanFilter

from .models import Webhook


class WebhookFilter(django_filters.FilterSet):
    is_active = StrictBooleanFilter()

    class Meta:
        model = Webhook
        fields = ["is_active"]
