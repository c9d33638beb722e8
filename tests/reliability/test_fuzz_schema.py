"""Schema-driven fuzzing of the whole API on a live server and PostgreSQL.

schemathesis reads the served OpenAPI document (``/api/schema/``) and, for
every operation, sends schema-valid (positive) and schema-violating (negative)
requests as a manager, against seeded rows and random ids alike. Every
response must: not be a 5xx, have a documented status code, content type and
body, reject negative data, accept positive data unless the database state
refuses it (see ``STATE_REFUSALS``), and every error must be the contract's
shape.

A second test sends schemathesis' deterministic coverage cases (boundary
values, each required field missing, wrong types, nulls, undocumented
methods) with the same checks, and a third one follows the schema's links
(create → read, update, delete, actions) statefully.

Budget: ``MAX_EXAMPLES`` cases per operation and mode (about 1,100 requests),
then ``STATEFUL_EXAMPLES`` scenarios of at most ``STATEFUL_STEPS`` calls (a
session cut short by the server's changed state is followed by another, at
most ``STATEFUL_SESSIONS``). Derandomized (the same cases on every run), no
deadline. About 30 to 70 s for each of the three tests on 2 cores when green;
a failure adds Hypothesis' shrinking. For a deeper run locally, set
``FUZZ_MAX_EXAMPLES`` (e.g. 100) and ``FUZZ_STATEFUL_EXAMPLES`` (e.g. 300).
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import FlakyStrategyDefinition
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.specs.openapi.checks import positive_data_acceptance

from audit import services as audit
from catalog.models import TaxClass
from integrations.models import Webhook
from inventory.services import TransferLineSpec, location_default, transfer_create
from sales.returns import ReturnLineSpec, return_create
from sales.services import order_transition
from tests.conftest import ensure_roles
from tests.factories import (
    ClientFactory,
    EmployeeFactory,
    LocationFactory,
    OrderFactory,
    ProductFactory,
    PurchaseOrderFactory,
    SupplierFactory,
    UserFactory,
)

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "12"))
STATEFUL_EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "50"))
STATEFUL_STEPS = 6
STATEFUL_SESSIONS = 3
ERROR_TYPES = {"validation_error", "client_error", "server_error"}
# Refusals of schema-valid input that a schema cannot express, because they
# depend on what is in the database (a duplicate name, an id that does not
# exist, a login that matches no account, an inactive product) or relate two
# values (the same product on two lines of an order), or on an earlier request
# (an Idempotency-Key the fuzzer already sent with another request), or the
# default location (which stays active and the default until another is),
# or need more than JSON Schema's ``format: uri`` says (a webhook URL: http
# or https, a host name DNS could hold; one resolving to a private address).
# An imported file's content is judged by ``_on_a_file`` below.
STATE_REFUSALS = {
    400: {
        "unique",
        "does_not_exist",
        "authorization",
        "inactive_product",
        "duplicate_product",
        "default_inactive",
        "default_required",
        "inactive_location",
        "out_of_scope",
        "not_in_locations",
        # A supplier deactivated, a product not on the purchase order, a
        # receipt of nothing: what the database holds decides.
        "inactive_supplier",
        "not_on_purchase_order",
        "empty_receipt",
        # An amount discount above the lines' subtotal, a percent above 100
        # (the range depends on the kind); two rates of a class with one
        # name; unsetting the default class (move it instead).
        "discount_above_subtotal",
        "out_of_range",
        "duplicate_rate_name",
        # A webhook URL: http or https, a host name DNS could hold, none
        # that resolves to a private address.
        "invalid_url",
        "private_url",
        # A report's dates: date_from after date_to (today when not
        # given), or more than a year apart.
        "reversed_dates",
        "range_too_long",
    },
    422: {"idempotency_key_reused"},
}


def error_body(response) -> dict:
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(
            f"{response.status_code} with a body that is not JSON "
            f"({response.headers.get('content-type')}): {response.content[:300]!r}"
        ) from None
    return body


@schemathesis.check
def contract_error_shape(ctx, response, case):
    """Every 4xx and 5xx is the contract's JSON error shape."""
    if response.status_code < 400:
        return None
    body = error_body(response)
    assert isinstance(body, dict), body
    assert body.get("type") in ERROR_TYPES, body
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, body
    for error in errors:
        assert set(error) == {"code", "detail", "attr"}, error
        assert isinstance(error["code"], str) and error["code"], error
        assert isinstance(error["detail"], str) and error["detail"], error
    return True


def _on_a_file(error: dict) -> bool:
    """A problem of an imported file's content (not UTF-8, not CSV, its
    columns, a row), which a schema (``format: binary``) cannot describe."""
    attr = error.get("attr") or ""
    return attr == "file" or attr.startswith("row ")


@schemathesis.check
def accepts_valid_data_unless_state_refuses(ctx, response, case):
    """schemathesis' positive_data_acceptance, knowing ``STATE_REFUSALS``."""
    if response.status_code == 400 and all(
        _on_a_file(error) for error in error_body(response).get("errors") or [{}]
    ):
        return None
    codes = STATE_REFUSALS.get(response.status_code)
    if codes:
        errors = error_body(response).get("errors") or [{}]
        if all(error.get("code") in codes for error in errors):
            return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = {
    "excluded_checks": [positive_data_acceptance],
    "additional_checks": [
        contract_error_shape,
        accepts_valid_data_unless_state_refuses,
    ],
}
SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def fuzz(operation, mode, headers, path_parameters=None):
    @given(
        case=operation.as_strategy(
            generation_mode=mode, path_parameters=path_parameters
        )
    )
    @settings(SETTINGS, max_examples=MAX_EXAMPLES)
    def run(case):
        case.call_and_validate(headers=headers, **CHECKS)

    run()


@pytest.fixture
def manager_headers(live_server):
    ensure_roles()
    manager = UserFactory(roles=["manager"])
    token, _ = Token.objects.get_or_create(user=manager)
    return {"Authorization": f"Token {token.key}"}


@pytest.fixture
def seeded():
    """A few rows of every kind, so that ids exist; returns an id per path."""
    products = [ProductFactory(stock=1000) for _ in range(3)]
    employee = EmployeeFactory()
    orders = [
        OrderFactory(client=ClientFactory(), lines=[(product, 1)])
        for product in products
    ]
    tax_class = TaxClass.objects.create(name="Fuzzed")
    shipped = OrderFactory(client=orders[0].client, lines=[(products[0], 5)])
    for action in ("confirm", "ship"):
        order_transition(order_id=shipped.pk, action=action)
    returned = return_create(
        order_id=shipped.pk,
        lines=[ReturnLineSpec(products[0].pk, 1, restock=True, reason="unwanted")],
    )
    return {
        "tax-classes": tax_class.pk,
        "categories": products[0].category_id,
        "products": products[1].pk,
        "clients": orders[0].client_id,
        "employees": employee.pk,
        "orders": orders[1].pk,
        "stock-movements": products[2].movements.first().pk,
        "locations": LocationFactory().pk,
        "stock-levels": products[0].stock_levels.first().pk,
        "transfers": transfer_create(
            from_location=location_default(),
            to_location=LocationFactory(),
            lines=[TransferLineSpec(products[0], 1)],
        ).pk,
        "suppliers": SupplierFactory().pk,
        "purchase-orders": PurchaseOrderFactory(lines=[(products[0], 5, "1.2500")]).pk,
        "returns": returned.pk,
        "audit-log": audit.record_create(employee, ["name"]).pk,
        "webhooks": Webhook.objects.create(
            url="http://127.0.0.1:9/hook",
            events=["order.confirmed"],
            secret="fuzz-secret-0123456789",
        ).pk,
    }


def test_every_operation_answers_as_its_schema_says(
    live_server, manager_headers, seeded
):
    schema = load_schema(live_server)
    failures = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        runs = [(GenerationMode.POSITIVE, None), (GenerationMode.NEGATIVE, None)]
        if "{id}" in operation.path:
            resource = operation.path.split("/")[3]
            runs.append((GenerationMode.POSITIVE, {"id": seeded[resource]}))
        for mode, path_parameters in runs:
            try:
                fuzz(operation, mode, manager_headers, path_parameters)
            except (Exception, BaseExceptionGroup) as exc:
                label = f"{operation.label} {mode} {path_parameters or ''}"
                failures[label] = exc
    report = "\n\n".join(f"== {label}\n{exc}" for label, exc in failures.items())
    assert not failures, report


def test_every_operation_passes_the_coverage_cases(
    live_server, manager_headers, seeded
):
    schema = load_schema(live_server)
    schema.config.phases.update(phases=["examples", "coverage"])
    failures = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        def call(case):
            headers = manager_headers
            case.call_and_validate(headers=headers, **CHECKS)

        # The builder behind schemathesis' pytest integration (whose lazy
        # loader does not run on pytest 9): examples and coverage cases.
        test = build_operation_test(
            config=schema.config,
            operation=operation,
            test_func=call,
            given_kwargs={},
            feedback=FeedbackSources(),
            explicit_settings=SETTINGS,
        )
        try:
            test()
        except (Exception, BaseExceptionGroup) as exc:
            failures[operation.label] = exc
    report = "\n\n".join(f"== {label}\n{exc}" for label, exc in failures.items())
    assert not failures, report


def test_links_from_create_lead_to_working_operations(
    live_server, manager_headers, seeded
):
    schema = load_schema(live_server)
    assert schema.statistic.transitions.total > 0, "the schema has no links"

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": manager_headers}

        def validate_response(self, response, case, **kwargs):
            case.validate_response(response, **CHECKS, transport_kwargs=kwargs)

    for _session in range(STATEFUL_SESSIONS):
        try:
            Workflow.run(
                settings=settings(
                    SETTINGS,
                    max_examples=STATEFUL_EXAMPLES,
                    stateful_step_count=STATEFUL_STEPS,
                )
            )
        except FlakyStrategyDefinition:
            # What a scenario can draw depends on earlier live responses, so a
            # replayed prefix may draw differently once the database changed.
            # schemathesis' own runner starts a fresh session then; so do we.
            # A failed check is another exception and fails the test.
            continue
        break


def load_schema(live_server):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    # The API refuses NUL in any JSON string or query value with 400
    # (PostgreSQL cannot store it; tests/foundation covers that); a schema
    # cannot say so for every string, so valid data is generated without it.
    config = schema.config
    for generation in (config.generation, config.phases.fuzzing.generation):
        generation.update(allow_x00=False)
    return schema
