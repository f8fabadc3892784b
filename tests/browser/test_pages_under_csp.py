"""The Socket.IO test page and Swagger UI work in a real browser under their Content-Security-Policy."""

import re
import uuid

import pytest
import requests

from playwright.sync_api import expect

PAGES = ["/", "/docs"]
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
PASSWORD = "browser password 1234"


def open_page(page, url):
    response = page.goto(url)
    assert response.status == 200
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy, policy
    return response


def test_swagger_ui_renders_every_operation_with_no_policy_violation(server, page, problems):
    open_page(page, f"{server.url}/docs")

    operations = page.locator(".opblock-summary-path")
    expect(operations.filter(has_text=re.compile(r"^/orders$")).first).to_be_visible()
    spec = requests.get(f"{server.url}/openapi.json", timeout=10).json()
    expect(operations).to_have_count(sum(len(HTTP_METHODS & set(item)) for item in spec["paths"].values()))
    expect(page.locator("button.authorize")).to_be_visible()
    problems.assert_none()


def test_test_page_registers_logs_in_connects_and_receives_events(server, page, problems):
    open_page(page, server.url)
    username = f"browser_{uuid.uuid4().hex[:8]}"

    page.fill("#auth-form input[name=username]", username)
    page.fill("#auth-form input[name=password]", PASSWORD)
    page.click("#register")

    expect(page.locator("#whoami")).to_contain_text(f"Logged in as {username}")
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "connected")
    # The upgrade from long-polling to a WebSocket is a connection the policy must allow too.
    expect(page.locator("#socket-detail")).to_contain_text("transport websocket")
    page.select_option("#order-form select[name=pair]", "EUR/USD")
    page.fill("#order-form input[name=amount]", "1000")
    page.fill("#order-form input[name=price]", "1.10000")
    page.click("#order-form button[type=submit]")
    expect(page.locator("#log")).to_contain_text("ORDER_CREATED")
    problems.assert_none()


@pytest.mark.parametrize("path", PAGES)
def test_an_injected_inline_script_does_not_run(server, page, problems, path):
    open_page(page, server.url + path)

    ran = page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__injectedRan = true";
          document.body.append(script);
          return window.__injectedRan === true;
        }"""
    )

    assert ran is False
    assert any(violation.startswith("script-src") for violation in problems.violations()), problems.violations()
