"""The test page keeps its /orders socket with no help from its user: it renews the access token before
it expires and sends it on the socket (`reauth`), and after the server restarts it reconnects by itself.
Access tokens live TOKEN_SECONDS here, so several lifetimes pass within a test; every wait has a timeout
far beyond what it needs and none measures how long anything took."""

import uuid

import pytest
from playwright.sync_api import expect

TOKEN_SECONDS = "3"
LIFETIMES = 3
WAIT_MS = 60_000
PASSWORD = "browser password 1234"


@pytest.fixture
def short_token_server(start_server):
    return start_server(JWT_ACCESS_TOKEN_SECONDS=TOKEN_SECONDS)


def register_and_connect(page, url):
    page.goto(url)
    username = f"browser_{uuid.uuid4().hex[:8]}"
    page.fill("#auth-form input[name=username]", username)
    page.fill("#auth-form input[name=password]", PASSWORD)
    page.click("#register")
    expect(page.locator("#whoami")).to_contain_text(f"Logged in as {username}")
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "connected")
    return username


def place_order(page, price):
    page.select_option("#order-form select[name=pair]", "EUR/USD")
    page.fill("#order-form input[name=amount]", "1000")
    page.fill("#order-form input[name=price]", price)
    page.click("#order-form button[type=submit]")


def log_entries(page, name):
    return page.locator(f'#log .log-entry[data-name="{name}"]')


def test_the_page_stays_connected_across_token_lifetimes_and_still_gets_its_events(short_token_server, page, problems):
    register_and_connect(page, short_token_server.url)

    # Each lifetime the page renews its token and re-authenticates the socket it already has.
    expect(log_entries(page, "socket re-authenticated")).to_have_count(LIFETIMES, timeout=WAIT_MS)
    place_order(page, "1.10000")

    expect(log_entries(page, "ORDER_CREATED")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "connected")
    expect(log_entries(page, "socket connected")).to_have_count(1)  # the first connection, never dropped
    expect(log_entries(page, "TOKEN_EXPIRED")).to_have_count(0)
    expect(log_entries(page, "socket disconnected")).to_have_count(0)
    problems.assert_none()


def test_the_page_reconnects_by_itself_after_the_server_restarts(short_token_server, page, problems):
    register_and_connect(page, short_token_server.url)

    short_token_server.restart()  # longer than a token's life: the page comes back with a renewed one

    expect(log_entries(page, "socket connected")).to_have_count(2, timeout=WAIT_MS)
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "connected", timeout=WAIT_MS)
    place_order(page, "1.10001")
    expect(log_entries(page, "ORDER_CREATED")).to_have_count(1, timeout=WAIT_MS)
    # While the server was down the browser logged its failed requests; nothing else may have gone wrong.
    assert problems.violations() == [] and problems.exceptions == []


def test_the_page_reconnects_by_itself_after_a_network_drop_longer_than_its_token(short_token_server, page, problems):
    register_and_connect(page, short_token_server.url)

    page.context.set_offline(True)
    expect(log_entries(page, "socket disconnected")).to_have_count(1, timeout=WAIT_MS)
    # Offline past the token's expiry: its renewal fails meanwhile, so the page has to come back with a new one.
    page.wait_for_timeout(int(TOKEN_SECONDS) * 1000 * 2)
    page.context.set_offline(False)

    expect(log_entries(page, "socket connected")).to_have_count(2, timeout=WAIT_MS)
    expect(page.locator("#socket-state")).to_have_attribute("data-state", "connected", timeout=WAIT_MS)
    place_order(page, "1.10002")
    expect(log_entries(page, "ORDER_CREATED")).to_have_count(1, timeout=WAIT_MS)
    assert problems.violations() == [] and problems.exceptions == []
