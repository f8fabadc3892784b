"""Orders per second over HTTP against a real server, next to what the same server does for GET /health.

The server is started the way `make run` starts it: `flask --app orders_app init-db` on a fresh SQLite
database in a temporary instance folder, then `python wsgi.py` (eventlet, one process), with the cheapest
password hashing so that registering the clients costs nothing. K clients (threads, each with its own
keep-alive requests.Session and its own user) then place N LIMIT GTC orders in all, priced around a mid
so that about half of them trade on arrival; a 201 means the order and its trades are committed. The
same K clients then call GET /health (one `SELECT 1` on the database) N times in all.

With TEST_DATABASE_URL (or --database-url) set, the same runs again on PostgreSQL, in a scratch database
created for the run on that server and dropped afterwards; the database named in the URL is only used
to create and drop it.

Usage: .venv/bin/python bench/http_bench.py [--orders N] [--clients K] [--database-url URL]
                                            [--profile-orders FILE]
Prints figures and asserts nothing.
"""

import argparse
import os
import platform
import pstats
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orders_app.config import normalise_database_url  # noqa: E402
from orders_app.limits import LIMIT_SETTINGS  # noqa: E402

# Every variable orders_app or wsgi.py reads: the benchmark decides them, not the caller's shell.
APP_ENVIRONMENT = (
    "DATABASE_URL", "JWT_SECRET_KEY", "JWT_ACCESS_TOKEN_MINUTES", "JWT_REFRESH_TOKEN_DAYS", "REDIS_URL",
    "SOCKETIO_CORS_ORIGINS", "INSTRUMENTS", "PASSWORD_HASH_PROFILE", "DB_POOL_SIZE", "ORDERS_APP_ENV",
    "INSTANCE_PATH", "HOST", "PORT", "STARTING_BALANCES", "VALUATION_ASSET", "RATELIMIT_ENABLED",
    "WRITER_BATCH_MAX", "WRITER_BALANCE_RETRIES",
    "RATELIMIT_STORAGE_URI", "RATELIMIT_NAMESPACE", "RATELIMIT_TRUSTED_PROXIES", *LIMIT_SETTINGS,
)  # fmt: skip
# A benchmark's clients all come from one address and place orders as fast as the server takes them: the
# limits stay on (their cost is part of every figure) but far above what a run can reach.
BENCH_RATE_LIMITS = {name: "100000000 per minute" for name in LIMIT_SETTINGS}
# Enough that no client runs out of funds: every order is held for and settled, none refused.
BENCH_BALANCES = '{"USD": "1000000000", "EUR": "1000000000"}'

STARTUP_TIMEOUT = 30
HTTP_TIMEOUT = 30
PAIR = "EUR/USD"
TICK = Decimal("0.00001")
MID = Decimal("1.10000")
# Ticks past the mid towards the other side: with these about half of the orders trade on arrival,
# and the book stays a few levels deep on each side instead of growing.
PRICE_OFFSETS = range(-3, 5)
MAX_AMOUNT = 1000
WARM_UP_REQUESTS = 3  # per client and per endpoint, before timing: connections, caches, first queries
SEED = 7


@dataclass
class Run:
    """One timed phase: every request's latency in seconds, the wall time, and what the server's CPU did."""

    latencies: list
    wall: float
    errors: list
    server_cpu: float
    client_cpu: float

    @property
    def rate(self):
        return len(self.latencies) / self.wall

    def percentile(self, fraction):
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def describe(self, unit):
        return (
            f"{self.rate:8.0f} {unit}/s   p50 {self.percentile(0.50) * 1000:6.2f} ms   "
            f"p99 {self.percentile(0.99) * 1000:6.2f} ms   "
            f"server CPU {self.server_cpu:4.0%}   client CPU {self.client_cpu:4.0%} (of one core)"
            + (f"   {len(self.errors)} failed, e.g. {self.errors[0]}" if self.errors else "")
        )


class Server:
    """`python wsgi.py` on a free port, with `environment` on top of the caller's non-app variables."""

    def __init__(self, environment, log_path, profile_to=None):
        self.port = free_port()
        self.log_path = log_path
        env = {key: value for key, value in os.environ.items() if key not in APP_ENVIRONMENT}
        env.update(BENCH_RATE_LIMITS)
        env.update(environment, HOST="127.0.0.1", PORT=str(self.port))
        command = [sys.executable, "wsgi.py"]
        if profile_to:
            command[1:1] = ["-m", "cProfile", "-o", str(profile_to)]
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_healthy()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _wait_until_healthy(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"the server exited with {self.process.returncode}:\n{self.log_path.read_text()}")
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        sys.exit(f"the server did not answer GET /health in {STARTUP_TIMEOUT}s:\n{self.log_path.read_text()}")

    def cpu_seconds(self):
        """User + system CPU time the server process has used so far (NaN where /proc is not there)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        """SIGINT, so that a server running under cProfile writes its profile on the way out."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def init_db(environment):
    """`flask --app orders_app init-db`, as `make run` does before starting the server."""
    env = {key: value for key, value in os.environ.items() if key not in APP_ENVIRONMENT}
    env.update(environment)
    command = [sys.executable, "-m", "flask", "--app", "orders_app", "init-db"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"init-db failed with {done.returncode}:\n{done.stdout}{done.stderr}")


def log_in(url):
    """A new user's session: keep-alive, with its bearer token set."""
    session = requests.Session()
    credentials = {"username": f"bench_{uuid.uuid4().hex[:12]}", "password": "bench password 1234"}
    session.post(f"{url}/auth/register", json=credentials, timeout=HTTP_TIMEOUT).raise_for_status()
    response = session.post(f"{url}/auth/login", json=credentials, timeout=HTTP_TIMEOUT)
    response.raise_for_status()
    session.headers["Authorization"] = f"Bearer {response.json()['accessToken']}"
    return session


def order_stream(count, seed):
    rng = random.Random(seed)
    orders = []
    for _ in range(count):
        side = rng.choice(("BUY", "SELL"))
        offset = rng.choice(PRICE_OFFSETS) * TICK
        price = MID + offset if side == "BUY" else MID - offset
        amount = rng.randint(1, MAX_AMOUNT)
        orders.append({"pair": PAIR, "side": side, "type": "LIMIT", "price": str(price), "amount": str(amount)})
    return orders


def place(session, url, body):
    response = session.post(f"{url}/orders", json=body, timeout=HTTP_TIMEOUT)
    return response.status_code == 201, response


def check_health(session, url, _body):
    response = session.get(f"{url}/health", timeout=HTTP_TIMEOUT)
    return response.status_code == 200, response


def timed(server, sessions, call, work):
    """Each session makes `call` for its share of `work`, all at once; returns the Run and the responses."""
    shares = [work[index :: len(sessions)] for index in range(len(sessions))]
    latencies = [[] for _ in sessions]
    responses = [[] for _ in sessions]
    errors = []
    start = threading.Barrier(len(sessions) + 1)

    def client(index):
        session = sessions[index]
        start.wait()
        for body in shares[index]:
            began = time.perf_counter()
            ok, response = call(session, server.url, body)
            latencies[index].append(time.perf_counter() - began)
            responses[index].append(response)
            if not ok:
                errors.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=client, args=(index,)) for index in range(len(sessions))]
    for thread in threads:
        thread.start()
    server_cpu, client_cpu = server.cpu_seconds(), own_cpu_seconds()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    run = Run(
        latencies=[latency for per_client in latencies for latency in per_client],
        wall=wall,
        errors=errors,
        server_cpu=(server.cpu_seconds() - server_cpu) / wall,
        client_cpu=(own_cpu_seconds() - client_cpu) / wall,
    )
    return run, [response for per_client in responses for response in per_client]


def own_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def traded_on_arrival(responses):
    """The share of placed orders that took liquidity at once."""
    took = sum(
        any(trade["liquidity"] == "TAKER" for trade in response.json()["trades"])
        for response in responses
        if response.status_code == 201
    )
    return took / max(1, len(responses))


def bench(title, key, options, scratch, database_url=None):
    """Both phases against a fresh server on `database_url` (None: SQLite in the instance folder)."""
    print(f"\n{title}")
    environment = {
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        "STARTING_BALANCES": BENCH_BALANCES,
        "INSTANCE_PATH": str(scratch / f"instance-{key}"),
    }
    if database_url:
        environment["DATABASE_URL"] = database_url
    init_db(environment)
    probe_url = database_url or f"sqlite:///{scratch / 'commit-probe.db'}"
    print(f"  one small durable commit on this database and disk: {durable_commit_seconds(probe_url) * 1000:.2f} ms")
    profile_to = options.profile_orders and Path(f"{options.profile_orders}.{key}")
    server = Server(environment, scratch / f"{key}.log", profile_to=profile_to)
    try:
        sessions = [log_in(server.url) for _ in range(options.clients)]
        # Warm-up orders are priced far from the mid, so they rest out of the way of the timed stream.
        far = {"pair": PAIR, "side": "BUY", "type": "LIMIT", "price": "1.00000", "amount": "1"}
        timed(server, sessions, check_health, [None] * WARM_UP_REQUESTS * len(sessions))
        timed(server, sessions, place, [far] * WARM_UP_REQUESTS * len(sessions))

        orders, responses = timed(server, sessions, place, order_stream(options.orders, SEED))
        print(f"  POST /orders  {orders.describe('orders')}")
        print(f"                {traded_on_arrival(responses):.0%} of the orders traded on arrival")
        if not profile_to:  # a profile covers the orders alone
            health, _ = timed(server, sessions, check_health, [None] * options.orders)
            print(f"  GET /health   {health.describe('req')}")
            print(f"  orders/s / health req/s = {orders.rate / health.rate:.2f}")
    finally:
        server.stop()  # a profiled server writes its profile as it stops
    if profile_to:
        print(f"  server profile (cProfile slows it down several times), saved in {profile_to}:")
        pstats.Stats(str(profile_to), stream=sys.stdout).sort_stats("tottime").print_stats(30)


def durable_commit_seconds(url, count=100):
    """How long one one-row INSERT and its COMMIT take: every order pays at least this while its pair is locked,
    because the commit, flush to disk included, happens before the lock is released."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")  # as the server runs it
            connection.exec_driver_sql("CREATE TABLE bench_commit_probe (n INTEGER)")
        began = time.perf_counter()
        for n in range(count):
            with engine.begin() as connection:
                connection.exec_driver_sql(f"INSERT INTO bench_commit_probe VALUES ({n})")
        elapsed = (time.perf_counter() - began) / count
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE bench_commit_probe")
        return elapsed
    finally:
        engine.dispose()


def scratch_postgresql(url, database):
    """Create `database` next to the one `url` names; returns (its URL, a function that drops it)."""
    url = normalise_database_url(url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{database}"'))

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=database).render_as_string(hide_password=False), drop


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=2000, help="orders in all, and as many GET /health")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients, one user each")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"), help="PostgreSQL server")
    parser.add_argument(
        "--profile-orders", metavar="FILE", help="run the server under cProfile for the orders phase and print it"
    )
    options = parser.parse_args()

    print(f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.machine()}")
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; server: one eventlet process; clients: threads here")
    print(f"{options.orders} orders (LIMIT GTC around a mid), {options.orders} GET /health; {options.clients} clients")

    with tempfile.TemporaryDirectory(prefix="orders-bench-") as scratch:
        scratch = Path(scratch)
        bench("SQLite (as `make run`)", "sqlite", options, scratch)
        if not options.database_url:
            print("\nPostgreSQL: skipped (set TEST_DATABASE_URL or --database-url)")
            return
        url, drop = scratch_postgresql(options.database_url, f"orders_bench_{os.getpid()}")
        try:
            bench(f"PostgreSQL ({make_url(url).render_as_string()})", "postgresql", options, scratch, url)
        finally:
            drop()


if __name__ == "__main__":
    main()
