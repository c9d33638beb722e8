import re

from django.core.paginator import Page, Paginator
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.pagination import PageNumberPagination

_DIGITS = re.compile(r"[0-9]+")
# PostgreSQL's OFFSET is a bigint: a page beyond it has no rows anyway.
_MAX_OFFSET = 2**62


class _Page(Page):
    def __iter__(self):
        # A Sequence's iteration reads the page by index, one row at a time,
        # each checking whether the rows are a list yet.
        if not isinstance(self.object_list, list):
            self.object_list = list(self.object_list)
        return iter(self.object_list)


class _Paginator(Paginator):
    """Django's, reading the count with the page's rows when the rows can
    (``read_with_count``, as ``CompiledRows`` does): one statement, not two."""

    def page(self, number):
        read_with_count = getattr(self.object_list, "read_with_count", None)
        if read_with_count is not None and "count" not in self.__dict__:
            try:
                offset = (int(number) - 1) * self.per_page
            except (TypeError, ValueError):
                offset = -1  # refused by validate_number, as always
            if 0 <= offset < _MAX_OFFSET:
                self.count = read_with_count(offset, self.per_page)
        return super().page(number)

    def _get_page(self, *args, **kwargs):
        return _Page(*args, **kwargs)


class StandardPagination(PageNumberPagination):
    """``?page=N&page_size=M``: 50 by default, at most 200.

    A ``page_size`` that is not a whole number of at least 1 answers 400
    (DRF's own pagination silently used the default instead); one above the
    maximum is served as the maximum.
    """

    django_paginator_class = _Paginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        digits = raw.lstrip("0")
        if not _DIGITS.fullmatch(raw) or not digits:
            message = "A whole number of at least 1 is required."
            raise ValidationError(
                {self.page_size_query_param: [ErrorDetail(message, code="invalid")]}
            )
        if len(digits) > 4:  # far above the maximum; int() of it may be refused
            return self.max_page_size
        return min(int(digits), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page: {self.page_size} by default; larger "
                    f"values than {self.max_page_size} are served as "
                    f"{self.max_page_size}."
                )
        return parameters
