"""The admin site is reports' StoreAdminSite, and the imports point one way."""

import ast
from pathlib import Path

from django.contrib import admin
from django.contrib.auth import get_user_model

from catalog.models import Category, Product
from customers.models import Client
from inventory.models import StockMovement
from reports.sites import StoreAdminSite
from sales.models import Order
from staff.models import Employee

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_APPS = {"catalog", "customers", "staff", "sales"}


def imported_top_packages(path: Path) -> set[str]:
    """The top-level packages a module imports, lazy imports in functions too."""
    packages = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            packages.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            packages.add(node.module.split(".")[0])
    return packages


def test_every_apps_admin_registers_on_the_store_site():
    assert isinstance(admin.site, StoreAdminSite)
    for model in (
        Category,
        Product,
        StockMovement,
        Client,
        Order,
        Employee,
        get_user_model(),
    ):
        assert admin.site.is_registered(model), model


def test_no_app_imports_reports():
    for package in (*DOMAIN_APPS, "store_project"):
        for path in (ROOT / package).rglob("*.py"):
            assert "reports" not in imported_top_packages(path), path


def test_the_admin_base_every_app_imports_knows_no_domain_app():
    imported = imported_top_packages(ROOT / "store_project" / "admin.py")
    assert not imported & (DOMAIN_APPS | {"reports"})
