"""Rate limits: failed logins per username, login attempts and registrations per client address, order entry
per user. Past a limit the answer is a 429 in the common error shape with Retry-After; every limited
response carries RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset.

Each test builds its app with the limit it tests (the suite's own apps raise every limit, tests/conftest.py)
and a key prefix of its own, so no other request of the test counts towards it.
"""

import time
import uuid

import pytest

from api_checks import assert_error
from orders_app import create_app
from orders_app.config import DefaultSettings
from orders_app.extensions import db
from orders_app.limits import LIMIT_SETTINGS

PASSWORD = "correct horse battery"
WRONG_PASSWORD = "not the password"
ORDER = {"pair": "EUR/USD", "side": "BUY", "type": "LIMIT", "amount": "1000", "price": "1.10000"}
# What an app from the environment shares with the suite's app: its database, token key and test modes.
SUITE_SETTINGS = (
    "TESTING", "SQLALCHEMY_DATABASE_URI", "JWT_SECRET_KEY", "PASSWORD_HASH_PROFILE", "SOCKETIO_ASYNC_MODE",
    "SOCKETIO_MESSAGE_QUEUE",
)  # fmt: skip


@pytest.fixture
def limited_client(make_app):
    """limited_client(**settings) -> a test client of an app with these settings and counts of its own."""

    def build(**settings):
        return make_app(RATELIMIT_NAMESPACE=f"test-{uuid.uuid4().hex}", **settings).test_client()

    return build


def log_in(client, username, password=PASSWORD, **request):
    return client.post("/auth/login", json={"username": username, "password": password}, **request)


def register(client, username, **request):
    return client.post("/auth/register", json={"username": username, "password": PASSWORD}, **request)


def new_username():
    return f"user_{uuid.uuid4().hex[:10]}"


def assert_limit_headers(response, limit, remaining):
    assert response.headers["RateLimit-Limit"] == str(limit)
    assert response.headers["RateLimit-Remaining"] == str(remaining)
    assert int(response.headers["RateLimit-Reset"]) >= 0


def assert_rate_limited(response, limit, window_seconds):
    """A 429 in the common shape, saying when to retry: within the window, and as RateLimit-Reset says."""
    body = assert_error(response, 429)
    assert set(body) == {"code", "status", "message"}
    assert_limit_headers(response, limit, remaining=0)
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= window_seconds
    assert response.headers["RateLimit-Reset"] == response.headers["Retry-After"]
    return body


def test_failed_logins_for_one_username_are_refused_with_429_past_the_limit(limited_client, make_user):
    limit = DefaultSettings.RATELIMIT_LOGIN_FAILURES_PER_USERNAME
    assert limit == "10 per 15 minutes"
    client = limited_client(RATELIMIT_LOGIN_FAILURES_PER_USERNAME=limit)
    alice = make_user("alice")

    for attempt in range(10):
        failed = log_in(client, "alice", WRONG_PASSWORD)
        assert failed.status_code == 401, failed.get_json()
        assert_limit_headers(failed, 10, remaining=9 - attempt)
        assert "Retry-After" not in failed.headers

    refused = log_in(client, "alice", WRONG_PASSWORD)
    body = assert_rate_limited(refused, 10, window_seconds=15 * 60)
    assert "username" in body["message"]
    # The right password is refused too while the limit holds: otherwise guessing could go on.
    assert log_in(client, "alice", alice.password).status_code == 429


def test_the_username_count_ignores_case(limited_client):
    client = limited_client(RATELIMIT_LOGIN_FAILURES_PER_USERNAME="3 per minute")

    for spelling in ("alice", "Alice", "ALICE"):
        assert log_in(client, spelling, WRONG_PASSWORD).status_code == 401

    assert_rate_limited(log_in(client, "aLiCe", WRONG_PASSWORD), 3, window_seconds=60)
    assert log_in(client, "bob", WRONG_PASSWORD).status_code == 401


def test_successful_logins_do_not_count_towards_the_failure_limit(limited_client, make_user):
    client = limited_client(RATELIMIT_LOGIN_FAILURES_PER_USERNAME="3 per minute")
    alice = make_user("alice")

    for _ in range(5):
        logged_in = log_in(client, "alice", alice.password)
        assert logged_in.status_code == 200, logged_in.get_json()
        assert_limit_headers(logged_in, 3, remaining=3)
    for _ in range(3):
        assert log_in(client, "alice", WRONG_PASSWORD).status_code == 401

    assert_rate_limited(log_in(client, "alice", WRONG_PASSWORD), 3, window_seconds=60)


def test_the_right_password_works_again_once_the_window_has_passed(limited_client, make_user):
    client = limited_client(RATELIMIT_LOGIN_FAILURES_PER_USERNAME="3 per 2 seconds")
    alice = make_user("alice")
    for _ in range(3):
        assert log_in(client, "alice", WRONG_PASSWORD).status_code == 401
    refused = log_in(client, "alice", alice.password)
    assert_rate_limited(refused, 3, window_seconds=2)

    time.sleep(int(refused.headers["Retry-After"]))

    logged_in = log_in(client, "alice", alice.password)
    assert logged_in.status_code == 200, logged_in.get_json()
    assert "accessToken" in logged_in.get_json()


def test_login_attempts_from_one_address_are_limited_whatever_the_username(limited_client, make_user):
    limit = DefaultSettings.RATELIMIT_LOGIN_PER_ADDRESS
    assert limit == "20 per minute"
    client = limited_client(RATELIMIT_LOGIN_PER_ADDRESS=limit)
    alice = make_user("alice")

    # Every attempt counts, a success as well as a failure: each one costs the server a password hash.
    assert log_in(client, "alice", alice.password).status_code == 200
    for _ in range(19):
        assert log_in(client, new_username(), WRONG_PASSWORD).status_code == 401

    body = assert_rate_limited(log_in(client, new_username(), WRONG_PASSWORD), 20, window_seconds=60)
    assert "address" in body["message"]
    assert log_in(client, "alice", alice.password).status_code == 429
    another_address = {"environ_base": {"REMOTE_ADDR": "192.0.2.7"}}
    assert log_in(client, "alice", alice.password, **another_address).status_code == 200


def test_registrations_from_one_address_are_limited(limited_client):
    limit = DefaultSettings.RATELIMIT_REGISTER_PER_ADDRESS
    assert limit == "10 per hour"
    client = limited_client(RATELIMIT_REGISTER_PER_ADDRESS=limit)

    for attempt in range(10):
        registered = register(client, new_username())
        assert registered.status_code == 201, registered.get_json()
        assert_limit_headers(registered, 10, remaining=9 - attempt)

    refused = register(client, new_username())
    body = assert_rate_limited(refused, 10, window_seconds=60 * 60)
    assert "registrations" in body["message"]
    assert register(client, new_username(), environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 201


def test_x_forwarded_for_is_ignored_unless_a_trusted_proxy_is_configured(limited_client):
    direct = limited_client(RATELIMIT_REGISTER_PER_ADDRESS="2 per hour")
    for spoofed in ("203.0.113.1", "203.0.113.2"):
        assert register(direct, new_username(), headers={"X-Forwarded-For": spoofed}).status_code == 201
    assert register(direct, new_username(), headers={"X-Forwarded-For": "203.0.113.3"}).status_code == 429

    behind_proxy = limited_client(RATELIMIT_REGISTER_PER_ADDRESS="2 per hour", RATELIMIT_TRUSTED_PROXIES=1)
    # The proxy appends the address it saw; whatever the client put before it is not believed.
    via_proxy = {"headers": {"X-Forwarded-For": "10.9.9.9, 198.51.100.1"}}
    assert register(behind_proxy, new_username(), **via_proxy).status_code == 201
    assert register(behind_proxy, new_username(), **via_proxy).status_code == 201
    assert register(behind_proxy, new_username(), **via_proxy).status_code == 429
    other_client = {"headers": {"X-Forwarded-For": "10.9.9.9, 198.51.100.2"}}
    assert register(behind_proxy, new_username(), **other_client).status_code == 201


def test_order_entry_is_limited_per_user_over_every_order_changing_endpoint(limited_client, make_user):
    client = limited_client(RATELIMIT_ORDERS_PER_USER="5 per minute")
    alice, bob = make_user("alice"), make_user("bob")

    placed = client.post("/orders", json=ORDER, headers=alice.headers)
    assert placed.status_code == 201, placed.get_json()
    assert_limit_headers(placed, 5, remaining=4)
    order_id = placed.get_json()["orderId"]
    amended = client.put(f"/orders/{order_id}", json={"amount": "500"}, headers=alice.headers)
    assert amended.status_code == 200, amended.get_json()
    traded = client.post(
        f"/orders/{order_id}/trades", json={"executedAmount": "100", "executedPrice": "1.10000"}, headers=alice.headers
    )
    assert traded.status_code == 201, traded.get_json()
    cancelled = client.patch(f"/orders/{order_id}/status", json={"status": "CANCELLED"}, headers=alice.headers)
    assert cancelled.status_code == 200, cancelled.get_json()
    # A refused request counts too: it cost the server as much to refuse.
    assert client.delete(f"/orders/{order_id}", headers=alice.headers).status_code == 409

    body = assert_rate_limited(client.post("/orders", json=ORDER, headers=alice.headers), 5, window_seconds=60)
    assert "order" in body["message"]
    assert client.delete(f"/orders/{order_id}", headers=alice.headers).status_code == 429
    # Reading is not order entry, and another user has a count of their own.
    assert client.get("/orders", headers=alice.headers).status_code == 200
    assert client.post("/orders", json=ORDER, headers=bob.headers).status_code == 201


def test_the_order_limit_has_a_generous_default(limited_client, make_user):
    client = limited_client(RATELIMIT_ORDERS_PER_USER=DefaultSettings.RATELIMIT_ORDERS_PER_USER)
    alice = make_user("alice")

    placed = client.post("/orders", json=ORDER, headers=alice.headers)

    assert placed.status_code == 201, placed.get_json()
    assert_limit_headers(placed, 300, remaining=299)
    assert int(placed.headers["RateLimit-Reset"]) <= 10


@pytest.fixture
def app_from_environment(app, tmp_path, monkeypatch):
    """app_from_environment(**variables) -> an app whose rate limit settings come from those variables only."""
    built = []

    def build(**variables):
        config = {name: app.config[name] for name in SUITE_SETTINGS}
        config.update(INSTANCE_PATH=str(tmp_path / f"instance-{len(built)}"), RATELIMIT_NAMESPACE=uuid.uuid4().hex)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        from_environment = create_app(config)
        built.append(from_environment)
        return from_environment

    yield build
    for from_environment in built:
        with from_environment.app_context():
            db.engine.dispose()


def test_limits_are_settings_read_from_the_environment(app_from_environment, make_user):
    variables = {
        "RATELIMIT_LOGIN_FAILURES_PER_USERNAME": "4 per hour",
        "RATELIMIT_LOGIN_PER_ADDRESS": "40 per hour",
        "RATELIMIT_REGISTER_PER_ADDRESS": "6 per day",
        "RATELIMIT_ORDERS_PER_USER": "2 per minute",
    }
    alice = make_user("alice")
    app = app_from_environment(**variables)
    assert {name: app.config[name] for name in LIMIT_SETTINGS} == variables
    client = app.test_client()

    assert client.post("/orders", json=ORDER, headers=alice.headers).status_code == 201
    assert client.post("/orders", json=ORDER, headers=alice.headers).status_code == 201
    assert_rate_limited(client.post("/orders", json=ORDER, headers=alice.headers), 2, window_seconds=60)


def test_rate_limits_can_be_switched_off(app_from_environment, make_user):
    alice = make_user("alice")
    limited = app_from_environment(RATELIMIT_ORDERS_PER_USER="1 per minute").test_client()
    assert limited.post("/orders", json=ORDER, headers=alice.headers).status_code == 201
    assert limited.post("/orders", json=ORDER, headers=alice.headers).status_code == 429

    client = app_from_environment(RATELIMIT_ENABLED="false", RATELIMIT_ORDERS_PER_USER="1 per minute").test_client()
    for _ in range(3):
        placed = client.post("/orders", json=ORDER, headers=alice.headers)
        assert placed.status_code == 201, placed.get_json()
        assert "RateLimit-Limit" not in placed.headers


def test_a_malformed_limit_stops_start_up_naming_the_setting(app_from_environment):
    with pytest.raises(ValueError, match="RATELIMIT_ORDERS_PER_USER"):
        app_from_environment(RATELIMIT_ORDERS_PER_USER="lots")
