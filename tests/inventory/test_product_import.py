"""POST /api/v1/products/import/: a CSV file of products, all or nothing."""

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from catalog.models import Category, Product, TaxClass
from inventory.models import StockLevel, StockMovement
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    ensure_default_location,
)
from tests.helpers import assert_error, assert_ledger_exact, stock_of

pytestmark = pytest.mark.django_db
URL = "/api/v1/products/import/"
HEADER = "sku,name,description,unit_price,category,reorder_level,is_active,stock\n"


def post(api, text: str | bytes, *, dry_run: bool | None = None, **extra):
    body = text.encode() if isinstance(text, str) else text
    url = URL if dry_run is None else f"{URL}?dry_run={str(dry_run).lower()}"
    return api.post(url, body, content_type="text/csv", **extra)


def snapshot() -> dict:
    """Everything an import could write."""
    return {
        "products": list(Product.objects.order_by("pk").values()),
        "categories": list(Category.objects.order_by("pk").values()),
        "levels": list(StockLevel.objects.order_by("pk").values()),
        "movements": StockMovement.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture(autouse=True)
def default_location(db):
    return ensure_default_location()


def test_an_import_creates_products_with_exact_prices_and_opening_stock(
    manager_api, default_location
):
    CategoryFactory(name="Tools")
    response = post(
        manager_api,
        HEADER + "HAM-1,Claw hammer,16 oz,19.90,tools,3,true,12\n"
        "SAW-1,Hand saw,,7.5,Garden,,,\n",
    )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "dry_run": False,
    }
    hammer = manager_api.get("/api/v1/products/", {"search": "HAM-1"}).json()
    (hammer,) = hammer["results"]
    assert hammer["unit_price"] == "19.90"
    assert hammer["stock"] == 12
    assert hammer["reorder_level"] == 3
    assert hammer["category_name"] == "Tools"  # the existing one, ignoring case
    saw = Product.objects.get(sku="SAW-1")
    # Empty cells take the API's defaults on a create.
    assert (saw.description, saw.reorder_level, saw.is_active) == ("", 0, True)
    assert saw.unit_price == Decimal("7.50")
    assert saw.category.name == "Garden"  # created
    assert stock_of(saw) == 0
    # The opening stock is the ledger's initial movement at the default location.
    movement = StockMovement.objects.get()
    assert (movement.product.sku, movement.quantity, movement.reason) == (
        "HAM-1",
        12,
        "initial",
    )
    assert movement.location == default_location
    assert_ledger_exact()


def test_an_import_updates_by_sku_ignoring_case_and_counts_unchanged_rows(
    manager_api,
):
    tools = CategoryFactory(name="Tools")
    hammer = ProductFactory(sku="HAM-1", name="Hammer", category=tools, stock=4)
    ProductFactory(sku="SAW-1", name="Saw", category=tools, unit_price="5.00")

    response = post(
        manager_api,
        # An empty cell leaves the field; stock of an existing one is ignored.
        "sku,name,unit_price,stock\nham-1,Claw hammer,,99\nSAW-1,Saw,5.0,7\n",
    )

    assert response.json() == {
        "created": 0,
        "updated": 1,
        "unchanged": 1,
        "dry_run": False,
    }
    hammer.refresh_from_db()
    assert (hammer.sku, hammer.name, hammer.unit_price) == (
        "HAM-1",
        "Claw hammer",
        Decimal("10.00"),
    )
    assert stock_of(hammer) == 4
    assert StockMovement.objects.filter(reason="initial").count() == 2  # factories'


def test_a_row_that_differs_only_by_stock_is_unchanged(manager_api):
    product = ProductFactory(sku="HAM-1", name="Hammer", stock=4)
    before = snapshot()

    response = post(manager_api, "sku,name,stock\nHAM-1,Hammer,50\n")

    assert response.json()["unchanged"] == 1
    assert snapshot() == before
    assert stock_of(product) == 4


def test_the_stock_of_an_existing_product_is_not_even_checked(manager_api):
    ProductFactory(sku="HAM-1", name="Hammer", stock=4)

    response = post(manager_api, "sku,stock\nHAM-1,-5\n")

    assert response.json()["unchanged"] == 1


def test_dry_run_checks_and_counts_but_writes_nothing(manager_api):
    ProductFactory(sku="HAM-1", name="Hammer")
    before = snapshot()

    response = post(
        manager_api,
        HEADER + "HAM-1,Claw hammer,,19.99,New category,,,\nNEW-1,New,,1.00,X,,,5\n",
        dry_run=True,
    )

    assert response.json() == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "dry_run": True,
    }
    assert snapshot() == before


def test_one_bad_row_refuses_the_file_with_every_problem_and_writes_nothing(
    manager_api,
):
    ProductFactory(sku="OLD-1")
    before = snapshot()

    response = post(
        manager_api,
        HEADER + "OK-1,Fine,,1.00,Tools,,,3\n"
        "BAD-1,,,0,Tools,-1,maybe,-2\n"
        "OLD-1,,,abc,,,,\n",
    )

    body = assert_error(response, 400)
    problems = {(e["attr"], e["code"]) for e in body["errors"]}
    assert problems == {
        ("row 2: name", "required"),
        ("row 2: unit_price", "min_value"),
        ("row 2: reorder_level", "min_value"),
        ("row 2: is_active", "invalid"),
        ("row 2: stock", "min_value"),
        ("row 3: unit_price", "invalid"),
    }
    assert snapshot() == before


def test_a_new_product_needs_name_price_and_category(manager_api):
    response = post(manager_api, "sku,description\nNEW-1,Only a description\n")

    body = assert_error(response, 400)
    assert {e["attr"] for e in body["errors"]} == {
        "row 1: name",
        "row 1: unit_price",
        "row 1: category",
    }
    assert not Product.objects.exists()


def test_a_row_without_a_sku_is_refused(manager_api):
    response = post(manager_api, "sku,name,unit_price,category\n,Nameless,1.00,X\n")

    assert_error(response, 400, code="required", attr="row 1: sku")
    assert not Product.objects.exists()


def test_a_sku_twice_in_the_file_names_both_rows(manager_api):
    response = post(
        manager_api,
        "sku,name,unit_price,category\nA-1,One,1.00,X\nB-1,Two,1.00,X\na-1,Three,1,X\n",
    )

    body = assert_error(response, 400, code="duplicate_key", attr="row 3: sku")
    (error,) = body["errors"]
    assert "rows 1 and 3" in error["detail"]
    assert not Product.objects.exists()


def test_an_unknown_column_is_refused(manager_api):
    response = post(manager_api, "sku,name,colour\nA-1,One,red\n")

    body = assert_error(response, 400, code="unknown_column", attr="file")
    assert "'colour'" in body["errors"][0]["detail"]


def test_the_sku_column_is_required(manager_api):
    response = post(manager_api, "name,unit_price,category\nOne,1.00,X\n")

    assert_error(response, 400, code="missing_key_column", attr="file")


def test_an_unknown_tax_class_is_refused_and_a_known_one_is_set(manager_api):
    reduced = TaxClass.objects.create(name="Reduced")
    text = "sku,name,unit_price,category,tax_class\n"

    refused = post(manager_api, text + "A-1,One,1.00,X,Luxury\n")
    assert_error(refused, 400, code="does_not_exist", attr="row 1: tax_class")
    assert not Category.objects.filter(name="X").exists()

    assert post(manager_api, text + "A-1,One,1.00,X,reduced\n").status_code == 200
    assert Product.objects.get(sku="A-1").tax_class == reduced


def test_a_supplier_is_named_and_must_exist(manager_api):
    from tests.factories import SupplierFactory

    acme = SupplierFactory(name="Acme Tools")
    text = "sku,name,unit_price,category,supplier\n"

    refused = post(manager_api, text + "A-1,One,1.00,X,Nobody\n")
    assert_error(refused, 400, code="does_not_exist", attr="row 1: supplier")
    assert not Product.objects.exists()

    assert post(manager_api, text + "A-1,One,1.00,X,acme tools\n").status_code == 200
    product = manager_api.get(f"/api/v1/products/{Product.objects.get().pk}/").json()
    assert product["supplier"] == acme.pk
    # An empty cell leaves it as it is on an update.
    answer = post(manager_api, text + "A-1,One,2.00,X,\n").json()
    assert answer["updated"] == 1
    assert Product.objects.get().supplier == acme


def test_a_leading_bom_is_ignored(manager_api):
    response = post(manager_api, b"\xef\xbb\xbfsku,name,unit_price,category\nA,B,1,C\n")

    assert response.status_code == 200
    assert Product.objects.get().sku == "A"


def test_quoted_newlines_and_commas_are_kept(manager_api):
    response = post(
        manager_api,
        'sku,name,description,unit_price,category\r\nA-1,"Saw, hand","Line one\r\n'
        'line ""two""",1.00,X\r\n',
    )

    assert response.status_code == 200, response.content
    product = Product.objects.get()
    assert product.name == "Saw, hand"
    assert product.description == 'Line one\r\nline "two"'


def test_formula_looking_text_is_stored_as_text(manager_api):
    response = post(
        manager_api,
        "sku,name,description,unit_price,category\n"
        '"=1+2","@SUM(A1)","+cmd|\' /C calc\'!A0",1.00,-Tools\n',
    )

    assert response.status_code == 200, response.content
    product = Product.objects.get()
    assert (product.sku, product.name, product.description) == (
        "=1+2",
        "@SUM(A1)",
        "+cmd|' /C calc'!A0",
    )
    assert product.category.name == "-Tools"


def test_a_file_that_is_not_utf8_is_refused(manager_api):
    response = post(manager_api, "sku,name\nA-1,Café\n".encode("latin-1"))

    assert_error(response, 400, code="not_utf8", attr="file")


@pytest.mark.parametrize(
    "body",
    [
        b"PK\x03\x04\x14\x00\x06\x00",  # a spreadsheet (.xlsx), not its CSV
        b'sku,name\nA-1,"unterminated\n',
        b'sku,name\nA-1,"quoted"junk\n',
    ],
    ids=["xlsx", "unterminated-quote", "text-after-quote"],
)
def test_a_file_that_is_not_csv_is_refused(manager_api, body):
    assert_error(post(manager_api, body), 400, code="not_csv", attr="file")
    assert not Product.objects.exists()


def test_a_body_that_is_not_csv_or_multipart_is_refused(manager_api):
    response = manager_api.post(URL, {"sku": "A-1"}, format="json")

    assert_error(response, 400, code="not_csv", attr="file")


def test_an_empty_file_is_refused(manager_api):
    assert_error(post(manager_api, ""), 400, code="empty", attr="file")


def test_more_than_ten_thousand_rows_are_refused(manager_api):
    rows = "".join(f"S-{n},P,1.00,C\n" for n in range(10_001))
    response = post(manager_api, "sku,name,unit_price,category\n" + rows)

    assert_error(response, 400, code="too_many_rows", attr="file")
    assert not Product.objects.exists()


def test_a_row_with_more_cells_than_columns_is_refused(manager_api):
    response = post(manager_api, "sku,name,unit_price,category\nA,B,1,C,extra\n")

    assert_error(response, 400, code="too_many_cells", attr="row 1")


def test_a_multipart_file_is_imported(manager_api):
    upload = SimpleUploadedFile(
        "products.csv",
        b"sku,name,unit_price,category\nA-1,One,2.50,X\n",
        content_type="application/vnd.ms-excel",  # what some browsers send
    )

    response = manager_api.post(URL, {"file": upload}, format="multipart")

    assert response.status_code == 200, response.content
    assert Product.objects.get().unit_price == Decimal("2.50")


def test_a_multipart_request_without_the_file_is_refused(manager_api):
    response = manager_api.post(URL, {"other": "x"}, format="multipart")

    assert_error(response, 400, attr="file")


def test_a_bad_dry_run_value_is_refused(manager_api):
    response = manager_api.post(
        f"{URL}?dry_run=perhaps", b"sku\n", content_type="text/csv"
    )

    assert_error(response, 400, attr="dry_run")


@pytest.mark.parametrize("role", ["clerk", "warehouse"])
def test_only_managers_import_products(as_role, role):
    response = post(as_role(role), "sku,name,unit_price,category\nA,B,1,C\n")

    assert_error(response, 403)
    assert not Product.objects.exists()


def test_anonymous_import_is_refused(api_client):
    assert_error(post(api_client, "sku\nA\n"), 401)


def test_imported_creates_and_updates_are_in_the_audit_log(manager_api):
    old = ProductFactory(sku="OLD-1", unit_price="5.00")
    before = set(AuditEntry.objects.values_list("pk", flat=True))

    response = post(
        manager_api,
        "sku,name,unit_price,category,stock\nOLD-1,,6.25,,\nNEW-1,New,1.00,Fresh,4\n",
    )

    assert response.status_code == 200
    entries = AuditEntry.objects.exclude(pk__in=before).order_by("pk")
    new = Product.objects.get(sku="NEW-1")
    fresh = Category.objects.get(name="Fresh")
    actor = manager_api.user.username
    assert [(e.action, e.object_type, e.object_id, e.actor) for e in entries] == [
        ("create", "category", fresh.pk, actor),
        ("create", "product", new.pk, actor),
        ("update", "product", old.pk, actor),
    ]
    create, update = entries[1], entries[2]
    assert create.changes["unit_price"] == [None, "1.00"]
    assert create.changes["stock"] == [None, 4]
    assert create.changes["category"] == [None, fresh.pk]
    assert update.changes == {"unit_price": ["5.00", "6.25"]}


def test_row_counts_stay_exact_after_a_bulk_import(manager_api):
    ProductFactory()
    rows = "".join(f"S-{n},P {n},1.00,C,{n % 3}\n" for n in range(300))

    response = post(manager_api, "sku,name,unit_price,category,stock\n" + rows)

    assert response.status_code == 200
    # count() of the whole table reads the trigger-kept counter.
    assert Product.objects.count() == Product.objects.filter(pk__gt=0).count() == 301
    assert AuditEntry.objects.count() == AuditEntry.objects.filter(pk__gt=0).count()
    assert (
        StockMovement.objects.count()
        == StockMovement.objects.filter(pk__gt=0).count()
        == 1 + 200
    )
    assert_ledger_exact()


def test_a_price_changed_by_an_import_is_a_webhook_event(manager_api):
    from integrations.models import Event, Webhook

    Webhook.objects.create(
        url="https://hooks.example.com/in",
        events=["product.price_changed"],
        secret="s" * 32,
    )
    product = ProductFactory(sku="A-1", unit_price="5.00")

    post(manager_api, "sku,unit_price\nA-1,6.00\n")

    event = Event.objects.get()
    assert (event.type, event.object_id) == ("product.price_changed", product.pk)
    data = json.loads(event.data) if isinstance(event.data, str) else event.data
    assert data["unit_price"] == "6.00"


def test_the_same_idempotency_key_answers_the_first_import_again(manager_api):
    text = "sku,name,unit_price,category\nA-1,One,1.00,X\n"
    first = post(manager_api, text, HTTP_IDEMPOTENCY_KEY="import-1")
    again = post(manager_api, text, HTTP_IDEMPOTENCY_KEY="import-1")
    other = post(
        manager_api, text.replace("One", "Uno"), HTTP_IDEMPOTENCY_KEY="import-1"
    )

    assert (
        first.json()
        == again.json()
        == {
            "created": 1,
            "updated": 0,
            "unchanged": 0,
            "dry_run": False,
        }
    )
    assert other.status_code == 422
    assert Product.objects.get().name == "One"
