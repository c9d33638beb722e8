"""The orjson renderer writes exactly DRF's JSONRenderer bytes."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from sales.models import OrderStatus
from store_project.api.renderers import JSONRenderer

UTC = datetime.UTC
CASES = [
    None,
    {},
    [],
    {"count": 2, "next": None, "previous": "http://x/?page=1", "results": []},
    {"text": 'é ü 漢字 \U0001f600 \x00 \x01 \x1f \x7f \n \t \r \b \f " \\ /'},
    {"separators": "a\u2028b\u2029c"},
    {"big": 2**63 - 1, "small": -(2**63), "flag": True, "off": False},
    {"when": datetime.datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=UTC)},
    {"when": datetime.datetime(2026, 11, 26, 12, 0, tzinfo=UTC)},
    {"day": datetime.date(2026, 1, 2), "at": datetime.time(3, 4, 5, 600)},
    {"span": datetime.timedelta(hours=1, microseconds=5)},
    {"money": Decimal("19.90"), "id": uuid.UUID(int=7)},
    {"lazy": gettext_lazy("This field is required."), "status": OrderStatus.DRAFT},
    {"errors": [{"code": "required", "detail": ErrorDetail("x", code="required")}]},
    ReturnDict({"a": ReturnList([1, 2], serializer=None)}, serializer=None),
    {"tuple": (1, 2), "set": {3}},
    {1: "int key"},
    {"huge": 2**70},
]


@pytest.mark.parametrize("data", CASES)
def test_same_bytes_as_drf(data):
    assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data)


def test_indented_output_is_drfs():
    data = {"a": [1, {"b": "c"}]}
    media = "application/json; indent=4"

    assert JSONRenderer().render(data, media) == renderers.JSONRenderer().render(
        data, media
    )


def test_the_api_answers_through_it(manager_api):
    response = manager_api.get("/api/v1/products/")

    assert isinstance(response.accepted_renderer, JSONRenderer)
    assert response.json()["results"] == []
