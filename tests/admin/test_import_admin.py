"""The admin's import pages: a dry run shows counts and problems, then imports."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from catalog.models import Product
from customers.models import Client
from tests.admin.conftest import messages_of
from tests.factories import ensure_default_location
from tests.helpers import stock_of

pytestmark = pytest.mark.django_db
PRODUCTS = "/admin/catalog/product/"
CLIENTS = "/admin/customers/client/"
GOOD = b"sku,name,unit_price,category,stock\nA-1,Hammer,19.90,Tools,3\n"


def upload(content: bytes, name: str = "file.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_the_changelists_link_to_their_import_page(manager):
    for changelist in (PRODUCTS, CLIENTS):
        page = manager.get(changelist).content.decode()
        assert f'href="{changelist}import/"' in page


def test_a_dry_run_shows_the_counts_then_the_confirmation_imports(manager):
    ensure_default_location()

    preview = manager.post(f"{PRODUCTS}import/", {"file": upload(GOOD), "_check": "1"})

    assert preview.status_code == 200
    assert preview.context["result"].created == 1
    assert 'id="import-created">1<' in preview.content.decode()
    assert not Product.objects.exists()  # a dry run writes nothing

    content = preview.context["form"].initial["content"]
    done = manager.post(f"{PRODUCTS}import/", {"content": content, "_import": "1"})

    assert done.status_code == 302 and done.url == PRODUCTS
    product = Product.objects.get()
    assert (product.sku, str(product.unit_price), stock_of(product)) == (
        "A-1",
        "19.90",
        3,
    )
    assert AuditEntry.objects.filter(object_type="product", action="create").exists()
    assert "1 created" in " ".join(messages_of(manager.get(PRODUCTS)))


def test_a_dry_run_lists_every_problem_and_offers_no_import(manager):
    response = manager.post(
        f"{PRODUCTS}import/",
        {"file": upload(b"sku,name,unit_price,category\nA,,0,X\nA,B,1,X\n")},
    )

    page = response.content.decode()
    attrs = [attr for attr, _code, _message in response.context["problems"]]
    assert attrs == ["row 1: name", "row 1: unit_price", "row 2: sku"]
    assert "row 1: unit_price" in page and 'name="_import"' not in page
    assert not Product.objects.exists()


def test_a_form_without_a_file_asks_for_one(manager):
    response = manager.post(f"{CLIENTS}import/", {"_check": "1"})

    assert response.status_code == 200
    assert "Choose a CSV file" in response.content.decode()


def test_clerks_import_clients_but_not_products(clerk):
    assert clerk.get(f"{PRODUCTS}import/").status_code == 403
    assert 'href="/admin/customers/client/import/"' in (
        clerk.get(CLIENTS).content.decode()
    )

    preview = clerk.post(
        f"{CLIENTS}import/",
        {"file": upload(b"email,name,phone\nann@example.com,Ann,514 555 0199\n")},
    )
    content = preview.context["form"].initial["content"]
    clerk.post(f"{CLIENTS}import/", {"content": content, "_import": "1"})

    assert Client.objects.get().phone == "514 555 0199"


def test_warehouse_staff_see_no_import(warehouse):
    assert warehouse.get(f"{CLIENTS}import/").status_code == 403
    assert "import/" not in warehouse.get(PRODUCTS).content.decode()
