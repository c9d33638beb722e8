from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """``?page=N&page_size=M``: 50 by default, at most 200."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
