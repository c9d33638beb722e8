"""Tax classes through the API: rates as exact strings, one default, refusals."""

from decimal import Decimal

import pytest

from catalog.models import Product, TaxClass, TaxRate
from tests.factories import ProductFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/tax-classes/"
QUEBEC = [{"name": "GST", "rate": "0.05"}, {"name": "QST", "rate": "0.09975"}]


def snapshot():
    return (
        sorted(TaxClass.objects.values_list("name", "is_default")),
        sorted(TaxRate.objects.values_list("tax_class__name", "name", "rate")),
    )


def test_after_migrate_standard_is_the_one_default_without_rates(manager_api):
    body = manager_api.get(URL).json()

    assert body["count"] == 1
    (standard,) = body["results"]
    assert standard == {
        "id": standard["id"],
        "name": "Standard",
        "rates": [],
        "is_default": True,
    }


def test_create_a_class_with_two_rates(manager_api):
    response = manager_api.post(URL, {"name": "Quebec", "rates": QUEBEC}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Quebec"
    assert body["is_default"] is False
    assert body["rates"] == [
        {"name": "GST", "rate": "0.05000"},
        {"name": "QST", "rate": "0.09975"},
    ]
    assert manager_api.get(f"{URL}{body['id']}/").json() == body
    assert TaxRate.objects.filter(tax_class_id=body["id"]).count() == 2


def test_making_a_class_the_default_moves_the_flag(manager_api):
    standard = TaxClass.objects.get(is_default=True)
    created = manager_api.post(
        URL, {"name": "Quebec", "rates": QUEBEC, "is_default": True}, format="json"
    ).json()

    assert created["is_default"] is True
    standard.refresh_from_db()
    assert not standard.is_default
    moved = manager_api.patch(
        f"{URL}{standard.pk}/", {"is_default": True}, format="json"
    )
    assert moved.json()["is_default"] is True
    assert list(TaxClass.objects.filter(is_default=True)) == [standard]


def test_the_default_cannot_be_unset_only_moved(manager_api):
    standard = TaxClass.objects.get(is_default=True)
    before = snapshot()

    response = manager_api.patch(
        f"{URL}{standard.pk}/", {"is_default": False}, format="json"
    )

    assert_error(response, 400, attr="is_default")
    assert snapshot() == before


def test_rates_given_replace_the_old_ones_and_left_out_are_kept(manager_api):
    created = manager_api.post(URL, {"name": "Q", "rates": QUEBEC}, format="json")
    url = f"{URL}{created.json()['id']}/"

    renamed = manager_api.patch(url, {"name": "Quebec"}, format="json").json()
    assert [r["name"] for r in renamed["rates"]] == ["GST", "QST"]
    replaced = manager_api.put(
        url,
        {"name": "Quebec", "rates": [{"name": "HST", "rate": "0.13"}]},
        format="json",
    ).json()
    assert replaced["rates"] == [{"name": "HST", "rate": "0.13000"}]
    emptied = manager_api.patch(url, {"rates": []}, format="json").json()
    assert emptied["rates"] == []


def test_a_class_used_by_a_product_cannot_be_deleted(manager_api):
    used = TaxClass.objects.create(name="Used")
    ProductFactory(tax_class=used)

    response = manager_api.delete(f"{URL}{used.pk}/")

    assert_error(response, 409)
    assert TaxClass.objects.filter(pk=used.pk).exists()


def test_the_default_class_cannot_be_deleted(manager_api):
    standard = TaxClass.objects.get(is_default=True)

    assert_error(manager_api.delete(f"{URL}{standard.pk}/"), 409)
    assert TaxClass.objects.filter(pk=standard.pk, is_default=True).exists()


def test_an_unused_class_is_deleted_with_its_rates(manager_api):
    created = manager_api.post(URL, {"name": "Gone", "rates": QUEBEC}, format="json")

    assert manager_api.delete(f"{URL}{created.json()['id']}/").status_code == 204
    assert not TaxRate.objects.filter(tax_class_id=created.json()["id"]).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Bad", "rates": [{"name": "GST", "rate": "1"}]},
        {"name": "Bad", "rates": [{"name": "GST", "rate": "1.00000"}]},
        {"name": "Bad", "rates": [{"name": "GST", "rate": "-0.05"}]},
        {"name": "Bad", "rates": [{"name": "GST", "rate": "0.099751"}]},
        {"name": "Bad", "rates": [{"name": "GST", "rate": 0.05}]},
        {"name": "Bad", "rates": [{"name": "GST", "rate": "5%"}]},
        {"name": "Bad", "rates": [{"name": "GST", "rate": "NaN"}]},
        {"name": "Bad", "rates": [{"name": "GST"}]},
        {"name": "Bad", "rates": [{"rate": "0.05"}]},
        {"name": "Bad", "rates": [{"name": "", "rate": "0.05"}]},
        {"name": "Bad", "rates": [{"name": "x" * 51, "rate": "0.05"}]},
        {
            "name": "Bad",
            "rates": [{"name": f"T{i}", "rate": "0.01"} for i in range(6)],
        },
        {"name": "Bad", "rates": [*QUEBEC, {"name": "gst", "rate": "0.01"}]},
        {"name": "Bad", "rates": "GST"},
        {"name": "", "rates": []},
        {"name": "x" * 51},
        {"name": "standard"},  # unique ignoring case
        {"name": "Bad", "is_default": "yes"},
        {"rates": QUEBEC},
    ],
)
def test_bad_input_is_400_and_writes_nothing(manager_api, body):
    before = snapshot()

    response = manager_api.post(URL, body, format="json")

    assert_error(response, 400)
    assert snapshot() == before


def test_bad_rates_on_update_change_nothing(manager_api):
    created = manager_api.post(URL, {"name": "Quebec", "rates": QUEBEC}, format="json")
    before = snapshot()
    url = f"{URL}{created.json()['id']}/"

    for rates in (
        [{"name": "GST", "rate": "0.05"}, {"name": "GST", "rate": "0.05"}],
        [{"name": "A", "rate": "0.999999"}],
        [{"name": f"T{i}", "rate": "0"} for i in range(6)],
    ):
        assert_error(manager_api.patch(url, {"rates": rates}, format="json"), 400)
    assert snapshot() == before


def test_products_take_a_tax_class_or_null_for_the_default(manager_api):
    quebec = TaxClass.objects.create(name="Quebec")
    product = ProductFactory()

    assert (
        manager_api.get(f"/api/v1/products/{product.pk}/").json()["tax_class"] is None
    )
    response = manager_api.patch(
        f"/api/v1/products/{product.pk}/", {"tax_class": quebec.pk}, format="json"
    )
    assert response.json()["tax_class"] == quebec.pk
    assert Product.objects.get(pk=product.pk).tax_class == quebec
    assert_error(
        manager_api.patch(
            f"/api/v1/products/{product.pk}/", {"tax_class": 999_999}, format="json"
        ),
        400,
        attr="tax_class",
    )
    cleared = manager_api.patch(
        f"/api/v1/products/{product.pk}/", {"tax_class": None}, format="json"
    )
    assert cleared.json()["tax_class"] is None


def test_the_list_costs_the_same_queries_for_many_classes(
    manager_api, django_assert_max_num_queries
):
    for n in range(30):
        TaxClass.objects.create(name=f"Class {n}").rates.create(
            position=1, name="GST", rate=Decimal("0.05")
        )

    with django_assert_max_num_queries(6):
        body = manager_api.get(f"{URL}?page_size=50").json()

    assert body["count"] == 31
    assert all(c["rates"] for c in body["results"] if c["name"] != "Standard")


def test_every_change_of_a_class_is_in_the_audit_log(manager_api):
    from audit.models import AuditEntry

    standard = TaxClass.objects.get(is_default=True)
    created = manager_api.post(
        URL, {"name": "Quebec", "rates": QUEBEC, "is_default": True}, format="json"
    ).json()
    url = f"{URL}{created['id']}/"
    manager_api.patch(url, {"rates": QUEBEC[:1]}, format="json")
    manager_api.patch(f"{URL}{standard.pk}/", {"is_default": True}, format="json")
    assert manager_api.delete(url).status_code == 204

    log = [
        (e.action, e.object_id, e.changes, e.actor)
        for e in AuditEntry.objects.filter(object_type="taxclass").order_by("id")
    ]
    user = manager_api.user.username
    gst = {"name": "GST", "rate": "0.05000"}
    qst = {"name": "QST", "rate": "0.09975"}
    assert log == [
        ("update", standard.pk, {"is_default": [True, False]}, user),
        (
            "create",
            created["id"],
            {
                "name": [None, "Quebec"],
                "is_default": [None, True],
                "rates": [None, [gst, qst]],
            },
            user,
        ),
        ("update", created["id"], {"rates": [[gst, qst], [gst]]}, user),
        ("update", created["id"], {"is_default": [True, False]}, user),
        ("update", standard.pk, {"is_default": [False, True]}, user),
        (
            "delete",
            created["id"],
            {
                "name": ["Quebec", None],
                "is_default": [False, None],
                "rates": [[gst], None],
            },
            user,
        ),
    ]


def test_a_refused_change_of_a_class_leaves_no_entry(manager_api):
    from audit.models import AuditEntry

    used = TaxClass.objects.create(name="Used")
    ProductFactory(tax_class=used)
    standard = TaxClass.objects.get(is_default=True)

    manager_api.delete(f"{URL}{used.pk}/")
    manager_api.patch(f"{URL}{standard.pk}/", {"is_default": False}, format="json")
    manager_api.post(URL, {"name": "standard"}, format="json")

    assert not AuditEntry.objects.filter(object_type="taxclass").exists()
