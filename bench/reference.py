"""The minimal Django view the API is measured against, and v1's heavier one.

``products``: 50 product rows by the reference's SQL, six columns by id, as
``JsonResponse``, with no middleware, authentication or serializer: what
Django and PostgreSQL cost on this machine before any of the store's work.
``QuerySet.values()`` would send the same SQL and give the same rows; the
cursor leaves out the ORM's per-request query compilation, which is the
store's cost to measure, not the reference's.

``v1_products``: the reference v1 measured against (13 columns, a join, sorted
by name, Django's pure-Python JSON encoder), kept for comparison only.

Served by gunicorn with ``DJANGO_SETTINGS_MODULE=bench.settings``
(``bench.reference:application``), under the store's gunicorn configuration.
"""

import os

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import JsonResponse
from django.urls import path

# A product's stock is the sum of its stock levels (one per location).
_STOCK = (
    "(SELECT COALESCE(SUM(s.on_hand), 0) FROM inventory_stocklevel s "
    "WHERE s.product_id = p.id)"
)

SQL = f"""
    SELECT p.id, p.name, p.description, p.unit_price, {_STOCK} AS stock,
           p.category_id
    FROM catalog_product p ORDER BY p.id LIMIT 50
"""

V1_SQL = f"""
    SELECT p.id, p.sku, p.name, p.description, p.unit_price, {_STOCK} AS stock,
           p.reorder_level, {_STOCK} <= p.reorder_level AS is_low_stock,
           p.category_id AS category, c.name AS category_name, p.is_active,
           p.created_at, p.updated_at
    FROM catalog_product p JOIN catalog_category c ON c.id = p.category_id
    ORDER BY p.name, p.id
    LIMIT 50
"""


def _rows(sql: str) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def products(request):
    # JsonResponse's default encoder, DjangoJSONEncoder, writes the Decimals.
    return JsonResponse({"results": _rows(SQL)})


def v1_products(request):
    return JsonResponse({"results": _rows(V1_SQL)}, encoder=DjangoJSONEncoder)


urlpatterns = [
    path("reference/products/", products),
    path("reference/v1-products/", v1_products),
]


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
