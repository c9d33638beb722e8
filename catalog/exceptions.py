from store_project.exceptions import ApplicationError


class InsufficientStock(ApplicationError):
    """Stock would go below zero; names every short product at once."""

    default_code = "insufficient_stock"

    def __init__(self, shortages: list[dict]):
        self.shortages = shortages
        super().__init__(
            errors=[
                (
                    self.default_code,
                    f"Insufficient stock for product {s['name']!r} "
                    f"(id {s['product']}): {s['requested']} requested, "
                    f"{s['available']} available.",
                )
                for s in shortages
            ]
        )
