"""The filter backend skips django-filter only when no filter is named."""

import pytest
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from catalog.models import Product
from inventory.views import ProductViewSet
from store_project.api.filters import FilterBackend

pytestmark = pytest.mark.django_db


def _filter(query: str):
    request = Request(APIRequestFactory().get(f"/api/v1/products/{query}"))
    view = ProductViewSet(request=request, action="list", format_kwarg=None)
    queryset = Product.objects.all()
    return queryset, FilterBackend().filter_queryset(request, queryset, view)


@pytest.mark.parametrize("query", ["", "?page=2&page_size=10", "?search=x&foo=1"])
def test_no_filter_parameter_skips_the_filterset(query, monkeypatch):
    monkeypatch.setattr(
        DjangoFilterBackend, "filter_queryset", lambda *a: pytest.fail("ran")
    )
    queryset, filtered = _filter(query)

    assert filtered is queryset


@pytest.mark.parametrize("query", ["?is_active=true", "?min_price=1", "?low_stock="])
def test_a_filter_parameter_takes_django_filters_path(query):
    queryset, filtered = _filter(query)

    assert filtered is not queryset


def test_an_invalid_filter_value_is_still_refused(manager_api):
    response = manager_api.get("/api/v1/products/?min_price=abc")

    assert response.status_code == 400
