from store_project.exceptions import ApplicationError


class IllegalTransition(ApplicationError):
    default_code = "invalid_transition"


class OrderNotEditable(ApplicationError):
    default_code = "order_not_editable"


class EmptyOrder(ApplicationError):
    default_code = "order_empty"


class OrderNotReturnable(ApplicationError):
    default_code = "order_not_returnable"


class MoreThanReturnable(ApplicationError):
    default_code = "more_than_returnable"
