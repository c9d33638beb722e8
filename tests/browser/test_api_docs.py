"""The API docs (/docs, /redoc) in a real browser, with every other host refused.

Swagger UI and ReDoc must come from the store itself: on a shop network with no
internet a CDN script is a blank page, and a third-party script (or font) in a
page beside the staff session is a risk and a leak. Each page opens in a
browser that aborts, and records, any request not to the live server.
"""

import json
import os
from urllib.parse import urlsplit

import pytest

try:
    from playwright.sync_api import Page, Route, expect
except ImportError:  # pragma: no cover - depends on the machine
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise
    pytest.skip(
        "playwright is not installed (pip install -r requirements-dev.txt)",
        allow_module_level=True,
    )

from rest_framework.authtoken.models import Token

from tests.browser.conftest import screenshot
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


# ReDoc draws this logo in its sidebar whatever its settings; the docs' Content
# Security Policy stops the request in the browser. Nothing else may be stopped.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"

# Both UIs fetch and parse the whole schema, then render every operation at
# once: on a busy CI machine that alone can take longer than a click.
FIRST_RENDER_MS = 60_000

RECORD_POLICY_VIOLATIONS = """
window.policyViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.policyViolations.push(event.blockedURI || event.violatedDirective);
});
"""


class OfflinePage:
    """A page whose requests to any host but the live server's are refused.

    The refused requests are recorded, and so is what the page's Content
    Security Policy blocked before it became a request.
    """

    def __init__(self, page: Page, live_server_url: str):
        self.page = page
        self.host = urlsplit(live_server_url).netloc
        self.refused: list[str] = []
        page.context.route("**/*", self._only_the_store)
        page.add_init_script(RECORD_POLICY_VIOLATIONS)

    def _only_the_store(self, route: Route) -> None:
        if urlsplit(route.request.url).netloc == self.host:
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort("blockedbyclient")

    def assert_nothing_fetched_elsewhere(self) -> None:
        assert not self.refused, (
            "the page tried to load from other hosts: " + ", ".join(self.refused)
        )
        blocked = set(self.page.evaluate("window.policyViolations")) - {REDOC_LOGO}
        assert not blocked, f"the page's Content Security Policy blocked: {blocked}"


@pytest.fixture
def open_offline(new_page, live_server):
    def open_(path: str) -> OfflinePage:
        offline = OfflinePage(new_page(), live_server.url)
        offline.page.goto(path)  # waits for "load": every script and stylesheet
        offline.assert_nothing_fetched_elsewhere()
        return offline

    return open_


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema: dict) -> list[tuple[str, dict]]:
    return [
        (path, operation)
        for path, methods in schema["paths"].items()
        for operation in methods.values()
    ]


def test_swagger_ui_lists_the_operations_and_runs_an_authorized_request(
    open_offline, schema, as_role
):
    clerk = as_role("clerk").user  # a role that may list products
    token = Token.objects.get(user=clerk).key
    ProductFactory(name="Fountain pen", sku="PEN-1")

    docs = open_offline("/docs")
    page = docs.page
    listed = page.locator(".opblock-summary-path")
    expect(listed.first).to_be_visible(timeout=FIRST_RENDER_MS)
    assert {path for path, _ in operations(schema)} == set(
        listed.evaluate_all("nodes => nodes.map(node => node.dataset.path)")
    )
    expect(page.locator(".opblock")).to_have_count(len(operations(schema)))

    # Authorize with the clerk's token: anonymous, the request below is a 401.
    page.click("button.authorize")
    token_auth = page.locator(".auth-container", has_text="tokenAuth")
    token_auth.locator("input").fill(f"Token {token}")
    token_auth.locator("button.authorize").click()
    expect(token_auth).to_contain_text("Authorized")
    page.click("button.btn-done")

    products_list = page.locator("#operations-products-products_list")
    products_list.locator(".opblock-summary").click()
    products_list.locator("button.try-out__btn").click()
    products_list.locator("button.execute").click()
    response = products_list.locator(".live-responses-table .response")
    expect(response.locator(".response-col_status")).to_have_text("200")
    body = json.loads(response.locator(".highlight-code pre").inner_text())
    assert [product["name"] for product in body["results"]] == ["Fountain pen"]
    screenshot(page, "docs-swagger-authorized-request")

    docs.assert_nothing_fetched_elsewhere()


def test_redoc_lists_the_operations(open_offline, schema):
    docs = open_offline("/redoc")
    page = docs.page
    expect(page.locator("[data-section-id]").first).to_be_attached(
        timeout=FIRST_RENDER_MS
    )
    menu = page.locator(".menu-content").text_content()
    for path, operation in operations(schema):
        # ReDoc names an operation by its summary, else by its operationId.
        assert (operation.get("summary") or operation["operationId"]) in menu, path
    products_list = page.locator(
        "[data-section-id='tag/products/operation/products_list']"
    )
    expect(products_list).to_contain_text("/api/v1/products/")
    # ReDoc renders every operation into one page tens of thousands of
    # pixels tall: a full-page capture of it outlasted the timeout on a
    # loaded machine, and the first screen shows what the artifact is for.
    screenshot(page, "docs-redoc", full_page=False)

    docs.assert_nothing_fetched_elsewhere()
