from store_project.exceptions import ApplicationError, InvalidInput


class ClientAnonymized(ApplicationError):
    """The client was anonymized: there is nothing left to change or erase."""

    default_code = "anonymized"


class ClientHasOpenRecords(ApplicationError):
    """Records still open (orders being fulfilled) need the client's data."""

    default_code = "open_orders"


class ClientStillActive(ApplicationError):
    """The retention rule no longer applies: the client was active since."""

    default_code = "active"


class AnonymizedClientRefused(InvalidInput):
    """A new order (or any new record) cannot name an anonymized client."""

    default_code = "anonymized_client"
