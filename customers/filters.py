from rest_framework.filters import SearchFilter

from .selectors import client_search


class ClientSearchFilter(SearchFilter):
    """``?search=``: names and e-mails by part, a phone whole (see client_search)."""

    def filter_queryset(self, request, queryset, view):
        return client_search(queryset, self.get_search_terms(request))
