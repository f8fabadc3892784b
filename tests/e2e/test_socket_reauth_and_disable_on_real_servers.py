"""Real servers: a socket outlives its token by sending `reauth`, is closed when its token expires without
one, and is closed at once when an operator disables its user, whichever process serves it."""

import queue
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import socketio

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "/orders"
EVENT_TIMEOUT = 10
TOKEN_SECONDS = "3"
CLI_TIMEOUT = 60
PASSWORD = "e2e password 1234"
OPERATOR = ("operator", "operator password 1234")


class WatchedStream:
    """A python-socketio client on /orders that queues every (event name, payload) and notes when the
    server disconnects it."""

    def __init__(self, url, token):
        self.url = url
        self.events = queue.Queue()
        self.disconnected = threading.Event()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", lambda name, payload: self.events.put((name, payload)), namespace=NAMESPACE)
        self.client.on("disconnect", lambda *_reason: self.disconnected.set(), namespace=NAMESPACE)
        self.client.connect(url, namespaces=[NAMESPACE], auth={"token": token}, wait_timeout=EVENT_TIMEOUT)

    def poll(self, timeout):
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self):
        self.client.disconnect()

    def next_named(self, name, timeout=EVENT_TIMEOUT * 2):
        """The payload of the next `name`, skipping other events (the user's own order events, say)."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            received = self.poll(remaining)
            if received is not None and received[0] == name:
                return received[1]
        pytest.fail(f"no {name} from {self.url} within {timeout}s")

    def wait_disconnected(self, timeout=EVENT_TIMEOUT * 2):
        assert self.disconnected.wait(timeout), f"{self.url} did not disconnect the socket within {timeout}s"

    def reauth(self, token):
        return self.client.call("reauth", {"token": token}, namespace=NAMESPACE, timeout=EVENT_TIMEOUT)


@pytest.fixture
def watch():
    streams = []

    def connect(url, token):
        stream = WatchedStream(url, token)
        streams.append(stream)
        return stream

    yield connect
    for stream in streams:
        if stream.client.connected:
            stream.close()


def register(http_as, url):
    """A new user on the server at `url`: (username, access token, refresh token)."""
    username = f"user_{uuid.uuid4().hex[:10]}"
    credentials = {"username": username, "password": PASSWORD}
    assert http_as(url).post("/auth/register", credentials).status_code == 201
    login = http_as(url).post("/auth/login", credentials)
    assert login.status_code == 200, login.text
    return username, login.json()["accessToken"], login.json()["refreshToken"]


def refreshed(http_as, url, refresh_token):
    response = http_as(url, refresh_token).post("/auth/refresh", None)
    assert response.status_code == 200, response.text
    return response.json()["accessToken"]


def operator_token(server, http_as):
    created = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "orders_app", "create-operator", OPERATOR[0], "--password", OPERATOR[1]],
        cwd=ROOT, env=server.environment, capture_output=True, text=True, timeout=CLI_TIMEOUT,
    )  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr
    login = http_as(server.url).post("/auth/login", {"username": OPERATOR[0], "password": OPERATOR[1]})
    assert login.status_code == 200, login.text
    return login.json()["accessToken"]


def test_a_socket_on_a_real_server_outlives_several_tokens_by_reauth_and_one_without_is_closed(
    start_server, http_as, watch
):
    server = start_server(JWT_ACCESS_TOKEN_SECONDS=TOKEN_SECONDS)
    _username, access, refresh = register(http_as, server.url)
    renewing, lapsing = watch(server.url, access), watch(server.url, access)

    for _lifetime in range(3):
        renewing.next_named("TOKEN_EXPIRING")
        access = refreshed(http_as, server.url, refresh)
        assert renewing.reauth(access)["ok"] is True

    assert lapsing.next_named("TOKEN_EXPIRING")["expiresAt"] == lapsing.next_named("TOKEN_EXPIRED")["expiresAt"]
    lapsing.wait_disconnected()
    placed = http_as(server.url, access).place()
    assert placed.status_code == 201, placed.text
    assert renewing.next_named("ORDER_CREATED")["orderId"] == placed.json()["orderId"]
    assert renewing.client.connected and not renewing.disconnected.is_set()


def test_disabling_a_user_through_one_process_closes_their_socket_on_another(start_server, redis_url, http_as, watch):
    acting, serving = start_server("A", REDIS_URL=redis_url), start_server("B", REDIS_URL=redis_url)
    operator = operator_token(acting, http_as)
    username, access, _refresh = register(http_as, acting.url)
    _bystander_name, bystander_access, _ = register(http_as, acting.url)
    disabled, bystander = watch(serving.url, access), watch(serving.url, bystander_access)

    response = http_as(acting.url, operator).post(f"/admin/users/{username}/disable", None)

    assert response.status_code == 200, response.text
    assert disabled.next_named("ACCOUNT_DISABLED")["event"] == "ACCOUNT_DISABLED"
    disabled.wait_disconnected()
    placed = http_as(acting.url, bystander_access).place()
    assert placed.status_code == 201, placed.text
    assert bystander.next_named("ORDER_CREATED")["orderId"] == placed.json()["orderId"]
    assert bystander.client.connected and not bystander.disconnected.is_set()
    refused = http_as(serving.url).post("/auth/login", {"username": username, "password": PASSWORD})
    assert refused.status_code == 401, refused.text
