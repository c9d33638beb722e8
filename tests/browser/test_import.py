"""The admin's product import in a real browser: the dry run, then the import."""

import os

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - depends on the machine
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise
    pytest.skip(
        "playwright is not installed (pip install -r requirements-dev.txt)",
        allow_module_level=True,
    )

from catalog.models import Product
from tests.browser.conftest import screenshot
from tests.browser.test_back_office import log_in
from tests.conftest import ensure_roles
from tests.factories import ProductFactory, UserFactory, ensure_default_location
from tests.helpers import stock_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_checks_a_file_then_imports_it(new_page, tmp_path):
    ensure_roles()
    ensure_default_location()
    UserFactory(username="manager1", roles=["manager"])
    ProductFactory(sku="OLD-1", name="Old name", unit_price="5.00")
    good = tmp_path / "products.csv"
    good.write_bytes(
        "\ufeffsku,name,unit_price,category,stock\n"
        'OLD-1,New name,,,\nNEW-1,"Saw, hand",7.50,Tools,4\n'.encode()
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name,unit_price,category\nNEW-2,,0,Tools\n")
    page = new_page()
    log_in(page, "manager1")

    page.goto("/admin/catalog/product/")
    page.click("a.csv-import-link")
    page.set_input_files("#id_file", str(bad))
    page.click("input[name=_check]")
    problems = page.locator("#import-problems")
    expect(problems).to_contain_text("row 1: name")
    expect(problems).to_contain_text("row 1: unit_price")
    expect(page.locator("input[name=_import]")).to_have_count(0)

    page.set_input_files("#id_file", str(good))
    page.click("input[name=_check]")
    expect(page.locator("#import-created")).to_have_text("1")
    expect(page.locator("#import-updated")).to_have_text("1")
    screenshot(page, "import-dry-run")
    assert Product.objects.count() == 1  # the dry run wrote nothing

    page.click("input[name=_import]")
    expect(page.locator(".messagelist")).to_contain_text(
        "1 created, 1 updated, 0 unchanged"
    )
    saw = Product.objects.get(sku="NEW-1")
    assert (saw.name, str(saw.unit_price), stock_of(saw)) == ("Saw, hand", "7.50", 4)
    assert Product.objects.get(sku="OLD-1").name == "New name"
