from django.apps import AppConfig


class SalesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sales"

    def ready(self):
        from customers import privacy

        from .privacy import ORDERS

        privacy.register(ORDERS)
