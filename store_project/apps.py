from django.apps import AppConfig


class StoreProjectConfig(AppConfig):
    name = "store_project"

    def ready(self):
        from . import timestamps

        timestamps.connect()
