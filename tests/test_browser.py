"""A real browser as the client (issue 9 item 2): headless Chromium driven by selenium.

A storefront page served by a second HTTP server (another origin, listed in GLUE_CORS_ORIGINS)
registers, logs in, adds an address, reads the profile with include=addresses, edits it and logs
out with fetch() against a real uvicorn process; the test asserts on what the page read. The same
page from an origin that is not listed is refused by the browser. /docs must render the contract.

Needs Debian's ``chromium`` and ``chromium-driver`` (.ci/run installs them; ``apt-get install -y
chromium chromium-driver``); skipped, saying so, where they are absent.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.helpers import JSON_API, document, registration
from tests.servers import PROJECT, free_port, uvicorn_server

PAGES = PROJECT / "tests" / "browser"
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="chromium and chromium-driver are not installed (apt-get install -y chromium chromium-driver)",
)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def _static_site() -> Iterator[str]:
    """A real HTTP server for the storefront pages, on its own port: its own origin."""
    port = free_port()
    handler = functools.partial(_QuietHandler, directory=str(PAGES))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="glue-chromium-")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def sites(database_url: str, key_path: str) -> Iterator[tuple[str, str, str]]:
    """(API base URL, a listed shop origin, an unlisted origin) — three real servers."""
    with _static_site() as shop, _static_site() as stranger:
        settings = {"GLUE_CORS_ORIGINS": shop, "GLUE_MAIL_WORKER_ENABLED": "false"}
        with uvicorn_server(database_url, key_path, settings=settings) as api:
            yield api, shop, stranger


def _run_page(browser: Any, origin: str, **query: str) -> dict[str, Any]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{origin}/storefront.html?{urlencode(query)}")
    result = WebDriverWait(browser, 20).until(
        lambda driver: driver.find_element(By.CSS_SELECTOR, "#result[data-done]")
    )
    outcome: dict[str, Any] = json.loads(result.text)
    return outcome


def test_a_storefront_on_a_listed_origin_runs_the_account_flow_with_fetch(browser, sites):
    api, shop, _ = sites
    email = f"browser-{uuid.uuid4().hex[:8]}@example.com"
    seen = _run_page(browser, shop, api=api, flow="account", email=email)
    assert "error" not in seen, seen
    outcome = seen["outcome"]
    reference = outcome["registered"]["reference"]
    assert outcome["registered"] == {
        "status": 201,
        "reference": reference,
        "location": f"{api}/customers/{reference}",
    }
    assert outcome["login"] == {"status": 201, "tokenType": "Bearer"}
    assert outcome["address"] == {"status": 201, "city": "Berlin"}
    profile = outcome["profile"]
    assert (profile["status"], profile["email"], profile["addresses"]) == (200, email, 1)
    assert profile["includedCities"] == ["Berlin"] and len(profile["requestId"]) == 32
    assert outcome["patched"] == {"status": 200, "lastName": "Mustermann"}
    assert outcome["logout"] == {"status": 204}
    assert outcome["afterLogout"] == {
        "status": 401,
        "code": "001",
        "wwwAuthenticate": 'Bearer realm="glue-customers", error="invalid_token"',
    }


def test_a_page_from_an_unlisted_origin_is_refused_by_the_browser(browser, sites):
    api, _, stranger = sites
    email = f"stranger-{uuid.uuid4().hex[:8]}@example.com"
    seen = _run_page(browser, stranger, api=api, flow="register-only", email=email)
    assert seen == {"error": "TypeError: Failed to fetch"}
    refusals = [entry["message"] for entry in browser.get_log("browser") if "CORS policy" in entry["message"]]
    assert any(stranger in message for message in refusals), refusals
    # The preflight failed, so the registration was never sent: the address is still free.
    created = httpx.post(
        f"{api}/customers",
        json=document("customers", registration(email=email)),
        headers={"Content-Type": JSON_API},
        timeout=10,
    )
    assert created.status_code == 201


def test_docs_render_the_contract_under_its_content_security_policy(browser, sites):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    api, _, _ = sites
    browser.get_log("browser")  # start from an empty console
    browser.get(f"{api}/docs")
    WebDriverWait(browser, 30).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")) >= 3
    )
    paths = {
        element.text.replace("\u200b", "")
        for element in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    }
    assert {"/customers", "/customers/{customerReference}", "/access-tokens", "/token"} <= paths
    assert "Unable to render this definition" not in browser.page_source
    console = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not [message for message in console if "Content Security Policy" in message], console
