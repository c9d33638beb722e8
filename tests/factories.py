"""factory-boy factories for every model; writes with rules go through services."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from catalog import services as catalog_services
from catalog.models import Category, Product, Supplier
from customers import services as customers_services
from customers.models import Client
from inventory import services as inventory_services
from inventory.models import Location
from purchasing import services as purchasing_services
from purchasing.models import PurchaseOrder
from sales import services as sales_services
from sales.models import Order
from sales.services import LineSpec
from staff.models import Employee


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-9")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """``UserFactory(roles=["clerk"])`` puts the user in those groups."""
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))
            self.is_staff = True
        if create:
            self.save()


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    """Created through product_create, so opening stock is in the ledger."""

    class Meta:
        model = Product

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    unit_price = Decimal("10.00")
    stock = 10
    reorder_level = 0
    is_active = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        ensure_default_location()
        return inventory_services.product_create(**kwargs)


def ensure_default_location() -> Location:
    """Transactional tests flush the MAIN location the migration made; remake it."""
    location, _ = Location.objects.get_or_create(
        is_default=True, defaults={"code": "MAIN", "name": "Main store"}
    )
    return location


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    code = factory.Sequence(lambda n: f"LOC-{n}")
    name = factory.Sequence(lambda n: f"Store {n}")
    kind = Location.Kind.STORE


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n}")
    email = factory.Sequence(lambda n: f"client{n}@example.com")
    phone = "+1 514 555 0100"
    address = "1 Main Street, Montreal"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the service: it writes the phone's digest beside it.
        return customers_services.client_create(**kwargs)


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    name = factory.Sequence(lambda n: f"Employee {n}")
    position = "Sales"
    is_active = True


class OrderFactory(factory.django.DjangoModelFactory):
    """A draft through order_create; ``lines=[(product, quantity), ...]``."""

    class Meta:
        model = Order

    client = factory.SubFactory(ClientFactory)
    employee = None
    notes = ""
    lines = ()

    @classmethod
    def _create(cls, model_class, *args, lines=(), **kwargs):
        ensure_default_location()
        specs = [LineSpec(product, quantity) for product, quantity in lines]
        return sales_services.order_create(lines=specs, **kwargs)


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    name = factory.Sequence(lambda n: f"Supplier {n}")
    email = factory.Sequence(lambda n: f"supplier{n}@example.com")
    lead_time_days = 7

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return catalog_services.supplier_create(**kwargs)


class PurchaseOrderFactory(factory.django.DjangoModelFactory):
    """A draft through purchase_order_create;
    ``lines=[(product, quantity, "unit cost"), ...]``."""

    class Meta:
        model = PurchaseOrder

    supplier = factory.SubFactory(SupplierFactory)
    notes = ""
    lines = ()

    @classmethod
    def _create(cls, model_class, *args, lines=(), **kwargs):
        ensure_default_location()
        specs = [
            purchasing_services.PurchaseLineSpec(product, quantity, Decimal(cost))
            for product, quantity, cost in lines
        ]
        return purchasing_services.purchase_order_create(lines=specs, **kwargs)
