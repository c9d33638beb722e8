"""Headless Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright.

The tests skip, naming what is missing, when Chromium or Playwright is not
installed, except in CI (``REQUIRE_BROWSER=1``), where that is a failure.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(settings.BASE_DIR) / "artifacts" / "browser"
TIMEOUT_MS = 15_000


def _unavailable(reason: str):
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; CI (REQUIRE_BROWSER=1) must run the browser tests.")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _unavailable(
            f"{CHROMIUM} is missing: install Debian's chromium "
            "(apt-get install chromium) to run the browser tests"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable(
            "playwright is not installed (pip install -r requirements-dev.txt)"
        )
    # Playwright's sync API keeps an event loop running in this thread; the
    # test's own ORM calls (fixtures, assertions) are still plain sync code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_page(request, browser, live_server):
    """``new_page()`` opens a page in a fresh browser context (its own login)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    contexts = []

    def make():
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    failed = getattr(request.node, "report_call", None)
    for number, context in enumerate(contexts):
        if failed is not None and failed.failed:
            for page in context.pages:
                page.screenshot(
                    path=ARTIFACTS / f"FAILED-{request.node.name}-{number}.png",
                    full_page=True,
                )
        context.close()


def screenshot(page, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=full_page)
