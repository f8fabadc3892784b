"""Real servers for end-to-end tests: `python wsgi.py` (the server `make run` starts) on a free port,
talked to over real HTTP and a real python-socketio client.
"""

import json
import os
import queue
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
import requests
import socketio

from app_settings import SUITE_HEARTBEAT, SUITE_RATE_LIMITS
from orders_app.limits import LIMIT_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "/orders"
STARTUP_TIMEOUT = 30
HTTP_TIMEOUT = 15
EVENT_TIMEOUT = 10
PASSWORD = "e2e password 1234"

# Every variable orders_app or wsgi.py reads; a server gets only the values its test chooses.
APP_ENVIRONMENT = (
    "DATABASE_URL", "JWT_SECRET_KEY", "JWT_ACCESS_TOKEN_MINUTES", "JWT_ACCESS_TOKEN_SECONDS",
    "SOCKET_TOKEN_EXPIRY_WARNING_SECONDS", "JWT_REFRESH_TOKEN_DAYS", "REDIS_URL",
    "SOCKETIO_CORS_ORIGINS", "INSTRUMENTS", "PASSWORD_HASH_PROFILE", "DB_POOL_SIZE", "ORDERS_APP_ENV",
    "INSTANCE_PATH", "HOST", "PORT", "RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI", "RATELIMIT_NAMESPACE",
    "RATELIMIT_TRUSTED_PROXIES", "EVENT_LOG_RETENTION_DAYS", "TEST_CRASH_AFTER_COMMIT", "BENCH_WITHOUT_EVENT_LOG",
    "HEARTBEAT_SECONDS",
    *LIMIT_SETTINGS,
)  # fmt: skip
# Each test's servers share one rate-limit namespace, so counts in a shared Redis stay per test; a test of a
# limit passes its own limits.

SERVERS = pytest.StashKey[list]()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    log_path: Path
    process: subprocess.Popen = field(repr=False)
    environment: dict = field(default_factory=dict, repr=False)  # what it was started with, to restart it

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else "(no log)"

    def wait_until_healthy(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"server {self.name} exited with {self.process.returncode}; its log:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        pytest.fail(f"server {self.name} did not answer GET /health within {STARTUP_TIMEOUT}s; its log:\n{self.log()}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def restart(self):
        """Stop the process and start `python wsgi.py` again with the same settings, port and database."""
        self.stop()
        self.process = launch(self.environment, self.log_path, mode="ab")
        self.wait_until_healthy()


def launch(environment, log_path, mode="wb"):
    """`python wsgi.py` with exactly `environment`, its output going to `log_path`."""
    with log_path.open(mode) as log:
        return subprocess.Popen(
            [sys.executable, "wsgi.py"], cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach every server's log to the report of a test that failed."""
    report = yield
    if report.failed:
        for server in item.stash.get(SERVERS, []):
            report.sections.append((f"server {server.name} log", server.log()))
    return report


@pytest.fixture
def start_server(request, database_url, tmp_path):
    """start_server(name, **environment) -> a running Server on the test's fresh database."""
    jwt_secret = secrets.token_urlsafe(48)  # shared by all of the test's servers, as in a deployment
    rate_limit_namespace = f"e2e-{uuid.uuid4().hex}"
    started = request.node.stash.setdefault(SERVERS, [])

    def start(name="server", **environment):
        instance = tmp_path / f"instance-{name}"
        env = {key: value for key, value in os.environ.items() if key not in APP_ENVIRONMENT}
        env.update(
            HOST="127.0.0.1",
            PORT=str(free_port()),
            DATABASE_URL=database_url,
            INSTANCE_PATH=str(instance),
            JWT_SECRET_KEY=jwt_secret,
            PASSWORD_HASH_PROFILE="CHEAPEST",
            PYTHONUNBUFFERED="1",
            RATELIMIT_NAMESPACE=rate_limit_namespace,
            **SUITE_RATE_LIMITS,
            **SUITE_HEARTBEAT,
        )
        env.update(environment)
        log_path = tmp_path / f"{name}.log"
        process = launch(env, log_path)
        server = Server(name=name, port=int(env["PORT"]), log_path=log_path, process=process, environment=env)
        started.append(server)
        server.wait_until_healthy()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(start_server):
    return start_server()


class Http:
    """The HTTP API of one server, as a logged-in user calls it; every call returns the raw response."""

    def __init__(self, url, token=None):
        self.url = url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def post(self, path, body):
        return self.session.post(self.url + path, json=body, timeout=HTTP_TIMEOUT)

    def get(self, path):
        return self.session.get(self.url + path, timeout=HTTP_TIMEOUT)

    def place(self, **fields):
        body = {"pair": "EUR/USD", "side": "BUY", "type": "LIMIT", "amount": "1000", "price": "1.10000", **fields}
        return self.post("/orders", body)

    def fill(self, order_id, amount, price="1.10000"):
        return self.post(f"/orders/{order_id}/trades", {"executedAmount": amount, "executedPrice": price})

    def order(self, order_id):
        return self.get(f"/orders/{order_id}")

    def every_page(self, path, page_size=100):
        """Every item of a paginated list such as "/orders?pair=EUR/USD", page by page, asserting 200."""
        items, page = [], 1
        separator = "&" if "?" in path else "?"
        while True:
            response = self.get(f"{path}{separator}page={page}&page_size={page_size}")
            assert response.status_code == 200, response.text
            items += response.json()
            if page >= json.loads(response.headers["X-Pagination"]).get("total_pages", 0):
                return items
            page += 1


@pytest.fixture
def http_as():
    """http_as(server_url, token=None) -> the server's HTTP API as that user."""
    return Http


def register_and_log_in(url):
    """A new user on the server at `url`; returns its access token."""
    anonymous = Http(url)
    username = f"user_{uuid.uuid4().hex[:10]}"
    credentials = {"username": username, "password": PASSWORD}
    registered = anonymous.post("/auth/register", credentials)
    assert registered.status_code == 201, registered.text
    logged_in = anonymous.post("/auth/login", credentials)
    assert logged_in.status_code == 200, logged_in.text
    return logged_in.json()["accessToken"]


@pytest.fixture
def new_user_token():
    return register_and_log_in


PRIVATE_EVENTS = {"ORDER_CREATED", "TRADE_ADDED", "ORDER_STATUS_CHANGED", "ORDER_UPDATED", "BALANCE_UPDATED"}


class EventStream:
    """A python-socketio client on /orders that queues every (event name, payload) it receives.

    Without `after_seq` it connects as a new client does and must get a SNAPSHOT first (kept in
    `snapshot`); with it, the server replays what followed that eventSeq. Every private event must
    carry the account's next eventSeq (one more than the event before it, or than the SNAPSHOT); once
    checked, it is left out of the payloads `next` returns unless `keep_seq`, so tests compare the rest whole.
    """

    def __init__(self, url, token, after_seq=None, keep_seq=False):
        self.url = url
        self.events = queue.Queue()
        self.keep_seq = keep_seq
        self.last_seq = after_seq
        self.snapshot = None
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._received, namespace=NAMESPACE)
        auth = {"token": token} if after_seq is None else {"token": token, "afterSeq": after_seq}
        self.client.connect(url, namespaces=[NAMESPACE], auth=auth, wait_timeout=EVENT_TIMEOUT)
        if after_seq is None:
            name, self.snapshot = self.next()
            assert name == "SNAPSHOT", (name, self.snapshot)
            self.last_seq = self.snapshot["eventSeq"]

    def _received(self, name, payload):
        self.events.put((name, payload))

    def poll(self, timeout):
        """The next (name, payload), or None if nothing arrives within `timeout` seconds."""
        try:
            name, payload = self.events.get(timeout=timeout)
        except queue.Empty:
            return None
        if name in PRIVATE_EVENTS:
            seq = payload["eventSeq"]
            assert self.last_seq is None or seq == self.last_seq + 1, (name, seq, self.last_seq)
            self.last_seq = seq
            if not self.keep_seq:
                payload = {key: value for key, value in payload.items() if key != "eventSeq"}
        return name, payload

    def next(self, timeout=EVENT_TIMEOUT):
        received = self.poll(timeout)
        if received is None:
            pytest.fail(f"no event from {self.url} within {timeout}s")
        return received

    def assert_quiet(self, timeout=1):
        """No further event arrives within `timeout` seconds."""
        unexpected = self.poll(timeout)
        assert unexpected is None, f"unexpected event {unexpected}"

    def close(self):
        self.client.disconnect()


@pytest.fixture
def listen():
    """listen(server_url, token) -> a connected EventStream, disconnected at teardown."""
    streams = []

    def connect(url, token, **options):
        stream = EventStream(url, token, **options)
        streams.append(stream)
        return stream

    yield connect
    for stream in streams:
        stream.close()


@pytest.fixture
def redis_url():
    """REDIS_URL from the environment; skip when unset, fail when set and Redis does not answer."""
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL is not set: the multi-process message-queue test needs Redis")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        pytest.fail(f"REDIS_URL={url} is set but Redis does not answer: {error}")
    return url


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of this test's own on a free port, to take down (an outage): returns (url, kill)."""
    port = free_port()
    log = (tmp_path / "redis.log").open("wb")
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.poll() is not None:
                pytest.fail(f"redis-server exited with {process.returncode}")
            time.sleep(0.05)
    else:
        pytest.fail("redis-server did not answer")

    def kill():
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    yield url, kill
    if process.poll() is None:
        kill()
    log.close()
