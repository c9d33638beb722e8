from store_project.exceptions import ApplicationError


class InsufficientStock(ApplicationError):
    """Stock would go below zero; names every short product at once."""

    default_code = "insufficient_stock"

    def __init__(self, shortages: list[dict], *, location: str | None = None):
        self.shortages = shortages
        where = f" at {location}" if location else ""
        super().__init__(
            errors=[
                (
                    self.default_code,
                    f"Insufficient stock for product {s['name']!r} "
                    f"(id {s['product']}){where}: {s['requested']} requested, "
                    f"{s['available']} available.",
                )
                for s in shortages
            ]
        )


class IllegalTransferTransition(ApplicationError):
    default_code = "invalid_transition"


class TransferNotEditable(ApplicationError):
    default_code = "transfer_not_editable"


class EmptyTransfer(ApplicationError):
    default_code = "transfer_empty"
