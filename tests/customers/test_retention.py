"""manage.py enforce_retention: clients inactive for N days are anonymized."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

from customers.exceptions import ClientStillActive
from customers.models import Client
from customers.services import client_anonymize
from sales.models import Order
from sales.services import order_transition
from tests.factories import ClientFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def days_ago(days: int):
    return timezone.now() - timedelta(days=days)


def client_since(days: int, **fields) -> Client:
    client = ClientFactory(**fields)
    Client.objects.filter(pk=client.pk).update(created_at=days_ago(days))
    return client


def order_since(client, days: int, *actions: str) -> Order:
    order = OrderFactory(client=client, lines=[(ProductFactory(stock=5), 1)])
    for action in actions:
        order_transition(order_id=order.pk, action=action)
    Order.objects.filter(pk=order.pk).update(created_at=days_ago(days))
    return order


def retention(*args: str) -> str:
    out = StringIO()
    call_command("enforce_retention", *args, stdout=out)
    return out.getvalue()


def anonymized_ids() -> set[int]:
    return set(
        Client.objects.filter(anonymized_at__isnull=False).values_list("pk", flat=True)
    )


@pytest.fixture
def store():
    """Clients on either side of the 1,095-day default."""
    clients = {
        "old, no orders": client_since(1200),
        "new, no orders": client_since(1000),
        "old, old delivered order": client_since(1500),
        "old, recent order": client_since(1500),
        "old, old open order": client_since(1500),
        "old, old cancelled order": client_since(1500),
    }
    order_since(clients["old, old delivered order"], 1300, "confirm", "ship", "deliver")
    order_since(clients["old, recent order"], 1400, "confirm", "ship", "deliver")
    order_since(clients["old, recent order"], 20, "confirm", "ship", "deliver")
    order_since(clients["old, old open order"], 1300, "confirm", "ship")
    order_since(clients["old, old cancelled order"], 1200, "cancel")
    return clients


DUE = {"old, no orders", "old, old delivered order", "old, old cancelled order"}


def test_it_anonymizes_exactly_the_inactive_clients(store):
    amounts = dict(Order.objects.values_list("pk", "total_amount"))

    output = retention()

    assert output.strip() == ("Anonymized 3 clients inactive for more than 1095 days.")
    assert anonymized_ids() == {store[name].pk for name in DUE}
    assert dict(Order.objects.values_list("pk", "total_amount")) == amounts
    assert Client.objects.filter(
        pk=store["old, no orders"].pk, name="Anonymized client", phone=""
    ).exists()


def test_a_dry_run_counts_and_changes_nothing(store):
    before = list(Client.objects.values())

    output = retention("--dry-run")

    assert output.strip() == (
        "Dry run: 3 clients inactive for more than 1095 days would be anonymized."
    )
    assert list(Client.objects.values()) == before


def test_a_second_run_anonymizes_nobody(store):
    retention()
    before = list(Client.objects.values())

    output = retention()

    assert output.strip().startswith("Anonymized 0 clients")
    assert list(Client.objects.values()) == before


def test_the_limit_comes_from_the_option_or_the_setting(store):
    with override_settings(CLIENT_RETENTION_DAYS=1250):
        # Only the client whose last order is 1,300 days old.
        assert "Dry run: 1 client inactive" in retention("--dry-run")
    assert "4 clients" in retention("--dry-run", "--inactive-days", "900")

    retention("--inactive-days", "900")

    assert anonymized_ids() == {store[name].pk for name in {*DUE, "new, no orders"}}


def test_it_works_in_batches_of_any_size():
    clients = [client_since(2000) for _ in range(7)]

    output = retention("--batch-size", "2")

    assert "Anonymized 7 clients" in output
    assert anonymized_ids() == {c.pk for c in clients}


@pytest.mark.parametrize(
    "args",
    [["--inactive-days", "0"], ["--inactive-days", "-5"], ["--batch-size", "0"]],
)
def test_bad_options_are_refused_and_change_nothing(store, args):
    with pytest.raises(CommandError):
        retention(*args)

    assert anonymized_ids() == set()


def test_a_client_active_again_under_the_lock_is_not_anonymized(store):
    client = store["old, no orders"]
    order_since(client, 1, "cancel")  # an order placed meanwhile

    with pytest.raises(ClientStillActive):
        client_anonymize(client_id=client.pk, inactive_since=days_ago(1095))

    assert Client.objects.get(pk=client.pk).anonymized_at is None
