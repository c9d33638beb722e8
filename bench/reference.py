"""The minimal Django view the API is measured against (issue 11's reference).

50 product rows by raw SQL, as JSON, with no middleware, authentication or
serializer: what Django and PostgreSQL cost on this machine before any of the
store's work. Served by gunicorn with ``DJANGO_SETTINGS_MODULE=bench.settings``
(``bench.reference:application``), under the store's gunicorn configuration.
"""

import os

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import JsonResponse
from django.urls import path

SQL = """
    SELECT p.id, p.sku, p.name, p.description, p.unit_price, p.stock,
           p.reorder_level, p.stock <= p.reorder_level AS is_low_stock,
           p.category_id AS category, c.name AS category_name, p.is_active,
           p.created_at, p.updated_at
    FROM catalog_product p JOIN catalog_category c ON c.id = p.category_id
    ORDER BY p.name, p.id
    LIMIT 50
"""


def products(request):
    with connection.cursor() as cursor:
        cursor.execute(SQL)
        columns = [column.name for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return JsonResponse({"results": rows}, encoder=DjangoJSONEncoder)


urlpatterns = [path("reference/products/", products)]


def _application():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def __getattr__(name):
    # Built on first use, so importing the view module (the URLconf) does not
    # configure Django with the bench settings.
    if name == "application":
        globals()["application"] = app = _application()
        return app
    raise AttributeError(name)
