from store_project.exceptions import ApplicationError


class IllegalPurchaseOrderTransition(ApplicationError):
    default_code = "invalid_transition"


class PurchaseOrderNotEditable(ApplicationError):
    default_code = "purchase_order_not_editable"


class EmptyPurchaseOrder(ApplicationError):
    default_code = "purchase_order_empty"


class MoreThanAwaited(ApplicationError):
    """A receipt of more units than a line still awaits; names every line."""

    default_code = "more_than_awaited"
