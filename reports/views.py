"""``/api/v1/reports/``: sales and stock value, for managers, in JSON or CSV."""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import serializers, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from inventory.models import Location
from store_project.api.exports import csv_response, wants_csv
from store_project.api.schema import AutoSchema
from store_project.db.replica import on_replica

from . import selectors
from .selectors import InventoryReport, SalesReport, SalesRow

REPORTS_PERMISSION = "sales.view_reports"
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class CanViewReports(BasePermission):
    """The contract's "manager only": the permission the manager role holds."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and user.has_perm(REPORTS_PERMISSION)
        )


class LocationField(serializers.IntegerField):
    """A location's id; one that does not exist is refused like a bad value."""

    default_error_messages = {"does_not_exist": "No location has this id."}

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=2**63 - 1, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not Location.objects.filter(pk=value).exists():
            self.fail("does_not_exist")
        return value


class DayField(serializers.DateField):
    """A date written ``YYYY-MM-DD`` exactly (``strptime`` also takes ``2026-1-5``)."""

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%Y-%m-%d"], **kwargs)

    def to_internal_value(self, value):
        if not (isinstance(value, str) and _DAY.fullmatch(value)):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class SalesQuerySerializer(serializers.Serializer):
    date_from = DayField(
        required=False,
        help_text="First day, inclusive (default: 29 days before date_to).",
    )
    date_to = DayField(
        required=False,
        help_text="Last day, inclusive (default: today in the store's time zone).",
    )
    group_by = serializers.ChoiceField(
        choices=selectors.GROUP_BYS, required=False, default="day"
    )
    location = LocationField(required=False, help_text="Only this location's orders.")
    limit = serializers.IntegerField(
        required=False,
        default=selectors.DEFAULT_LIMIT,
        min_value=1,
        max_value=selectors.MAX_LIMIT,
        help_text="At most this many groups (product, category, ...); periods "
        "are all listed.",
    )

    def validate(self, attrs):
        date_to = attrs.get("date_to")
        date_from = attrs.get("date_from")
        if date_to is None:
            date_to = selectors.store_today()
        if date_from is None:
            # The first of the 30 days, or the first day there is.
            days = min(selectors.DEFAULT_DAYS - 1, date_to.toordinal() - 1)
            date_from = date_to - datetime.timedelta(days=days)
        if date_from > date_to:
            raise serializers.ValidationError(
                {"date_from": "date_from must not be after date_to."},
                code="reversed_dates",
            )
        if (date_to - date_from).days > selectors.MAX_SPAN_DAYS:
            raise serializers.ValidationError(
                {"date_to": f"At most {selectors.MAX_SPAN_DAYS} days after date_from."},
                code="range_too_long",
            )
        return {**attrs, "date_from": date_from, "date_to": date_to}


class InventoryQuerySerializer(serializers.Serializer):
    location = LocationField(
        required=False, help_text="Stock at this location only (default: all)."
    )


def _money(value) -> str:
    return f"{value:.2f}"


SALES_FIELDS = [
    "key",
    "label",
    "orders",
    "units",
    "net_sales",
    "tax",
    "refunds",
    "total",
]


def _sales_row(row: SalesRow) -> dict:
    return {
        "key": row.key,
        "label": row.label,
        "orders": row.orders,
        "units": row.units,
        "net_sales": _money(row.net_sales),
        "tax": _money(row.tax),
        "refunds": _money(row.refunds),
        "total": _money(row.total),
    }


def sales_answer(report: SalesReport) -> dict:
    totals = _sales_row(report.totals)
    del totals["key"], totals["label"]
    return {
        "currency": settings.STORE_CURRENCY,
        "date_from": report.date_from.isoformat(),
        "date_to": report.date_to.isoformat(),
        "group_by": report.group_by,
        "rows": [_sales_row(row) for row in report.rows],
        "totals": totals,
    }


INVENTORY_FIELDS = [
    "product",
    "sku",
    "name",
    "on_hand",
    "average_cost",
    "value",
    "daily_sales",
    "days_of_cover",
]


def inventory_rows(report: InventoryReport) -> list[dict]:
    return [
        {
            "product": row.product,
            "sku": row.sku,
            "name": row.name,
            "on_hand": row.on_hand,
            "average_cost": f"{row.average_cost:.4f}",
            "value": _money(row.value),
            "daily_sales": _money(row.daily_sales),
            "days_of_cover": None
            if row.days_of_cover is None
            else f"{row.days_of_cover:.1f}",
        }
        for row in report.rows
    ]


def inventory_answer(report: InventoryReport) -> dict:
    return {
        "currency": settings.STORE_CURRENCY,
        "location": report.location_id,
        "rows": inventory_rows(report),
        "totals": {"units": report.units, "value": _money(report.value)},
    }


@extend_schema_field(
    {
        "oneOf": [{"type": "string"}, {"type": "integer"}],
        "nullable": True,
        "description": "A period's first day (YYYY-MM-DD; YYYY-MM for a month), "
        "or the group's id (null: orders sold by no employee).",
    }
)
class ReportKeyField(serializers.Field):
    pass


_MONEY = serializers.CharField(help_text="Money, 2 places, as a string.")
_SALES_ROW = {
    "orders": serializers.IntegerField(),
    "units": serializers.IntegerField(),
    "net_sales": _MONEY,
    "tax": _MONEY,
    "refunds": _MONEY,
    "total": _MONEY,
}
SalesAnswerSerializer = inline_serializer(
    "SalesReport",
    {
        "currency": serializers.CharField(),
        "date_from": serializers.DateField(),
        "date_to": serializers.DateField(),
        "group_by": serializers.ChoiceField(choices=selectors.GROUP_BYS),
        "rows": inline_serializer(
            "SalesReportRow",
            {
                "key": ReportKeyField(),
                "label": serializers.CharField(),
                **_SALES_ROW,
            },
            many=True,
        ),
        "totals": inline_serializer("SalesReportTotals", _SALES_ROW),
    },
)
InventoryAnswerSerializer = inline_serializer(
    "InventoryReport",
    {
        "currency": serializers.CharField(),
        "location": serializers.IntegerField(allow_null=True),
        "rows": inline_serializer(
            "InventoryReportRow",
            {
                "product": serializers.IntegerField(),
                "sku": serializers.CharField(allow_null=True),
                "name": serializers.CharField(),
                "on_hand": serializers.IntegerField(),
                "average_cost": serializers.CharField(),
                "value": _MONEY,
                "daily_sales": serializers.CharField(),
                "days_of_cover": serializers.CharField(allow_null=True),
            },
            many=True,
        ),
        "totals": inline_serializer(
            "InventoryReportTotals",
            {"units": serializers.IntegerField(), "value": _MONEY},
        ),
    },
)
_FORMAT = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "csv"],
    description="csv: every row as a CSV attachment (text/csv).",
)


class _ReportSchema(AutoSchema):
    """A report is one object, though its route is a viewset's list."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class _ReportViewSet(viewsets.ViewSet):
    """One report at ``/reports/<name>/``: a list action, no pagination."""

    schema = _ReportSchema()
    permission_classes = [CanViewReports]
    csv_actions = ("list",)
    query_serializer: type[serializers.Serializer]

    def query(self, request) -> dict:
        serializer = self.query_serializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# The query's refusals: the error schema is not inferred from a query
# serializer.
_INTEGER = ["invalid", "min_value", "max_value", "max_string_length"]
_LOCATION_ERRORS = extend_validation_errors(
    [*_INTEGER, "does_not_exist"], field_name="location", actions=["list"]
)
_FORMAT_ERRORS = extend_validation_errors(
    ["invalid"], field_name="format", actions=["list"]
)


@_LOCATION_ERRORS
@_FORMAT_ERRORS
@extend_validation_errors(
    ["invalid", "reversed_dates"], field_name="date_from", actions=["list"]
)
@extend_validation_errors(
    ["invalid", "range_too_long"], field_name="date_to", actions=["list"]
)
@extend_validation_errors(["invalid_choice"], field_name="group_by", actions=["list"])
@extend_validation_errors(_INTEGER, field_name="limit", actions=["list"])
class SalesReportViewSet(_ReportViewSet):
    """Sales (net of discounts), tax, refunds and totals of sold orders, by
    the local date they were confirmed in the store's time zone."""

    query_serializer = SalesQuerySerializer

    @extend_schema(
        parameters=[SalesQuerySerializer, _FORMAT],
        responses={
            (200, "application/json"): SalesAnswerSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
        },
        summary="Sales by period or by group, and their totals",
    )
    def list(self, request):
        query = self.query(request)
        report = on_replica(
            lambda: selectors.sales_report(
                date_from=query["date_from"],
                date_to=query["date_to"],
                group_by=query["group_by"],
                location_id=query.get("location"),
                limit=query["limit"],
            )
        )
        answer = sales_answer(report)
        if wants_csv(request):
            return csv_response(
                filename=f"sales-by-{report.group_by}-{answer['date_from']}"
                f"-{answer['date_to']}",
                header=SALES_FIELDS,
                rows=([row[k] for k in SALES_FIELDS] for row in answer["rows"]),
            )
        return Response(answer)


@_LOCATION_ERRORS
@_FORMAT_ERRORS
class InventoryReportViewSet(_ReportViewSet):
    """Each product's stock, its value at average cost, and how long it lasts
    at the last 30 days' sales."""

    query_serializer = InventoryQuerySerializer

    @extend_schema(
        parameters=[InventoryQuerySerializer, _FORMAT],
        responses={
            (200, "application/json"): InventoryAnswerSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
        },
        summary="Stock on hand at average cost, and days of cover",
    )
    def list(self, request):
        query = self.query(request)
        report = on_replica(
            lambda: selectors.inventory_report(location_id=query.get("location"))
        )
        if wants_csv(request):
            return csv_response(
                filename="inventory",
                header=INVENTORY_FIELDS,
                rows=(
                    [row[k] for k in INVENTORY_FIELDS] for row in inventory_rows(report)
                ),
            )
        return Response(inventory_answer(report))
