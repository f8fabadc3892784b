"""GET /health latency while clients flood the server with logins: password hashing must not stall it.

The server is started the way `make run` starts it (`flask --app orders_app init-db` on a fresh SQLite
database in a temporary instance folder, then `python wsgi.py`: eventlet, one process), with the DEFAULT
password hashing profile, so every login costs a real argon2 verify, and rate limits far above the flood
(http_bench.Server sets them). One prober calls GET /health at a
steady pace, first on the idle server, then while K clients (threads, one user and keep-alive session each)
log in over and over, at about R logins/s in all (--rate 0: as fast as they go). It prints both p50s and
their ratio; the bar is a flood p50 within 2x of the idle one.

Usage: .venv/bin/python bench/login_flood_bench.py [--clients K] [--rate R] [--seconds S] [--probe-interval MS]
Prints figures and asserts nothing.
"""

import argparse
import os
import platform
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from http_bench import HTTP_TIMEOUT, Run, Server, cpu_model, init_db, own_cpu_seconds

PASSWORD = "bench password 1234"


def registered_session(url):
    """A keep-alive session and the credentials of a user just registered on the server."""
    session = requests.Session()
    credentials = {"username": f"flood_{uuid.uuid4().hex[:12]}", "password": PASSWORD}
    session.post(f"{url}/auth/register", json=credentials, timeout=HTTP_TIMEOUT).raise_for_status()
    return session, credentials


def paced(interval, stop, call):
    """call() every `interval` seconds (at once when behind; interval 0: back to back) until `stop` is set."""
    next_at = time.perf_counter()
    while not stop.is_set():
        call()
        next_at += interval
        time.sleep(max(0.0, next_at - time.perf_counter()))


def timed_call(latencies, errors, request, expected):
    began = time.perf_counter()
    response = request()
    latencies.append(time.perf_counter() - began)
    if response.status_code != expected:
        errors.append(f"{response.status_code} {response.text[:200]}")


def phase(server, seconds, probe_interval, clients=(), login_interval=0.0):
    """Probe GET /health for `seconds` while each of `clients` logs in every `login_interval`.
    Returns (health Run, logins Run or None)."""
    stop = threading.Event()
    health_latencies, health_errors, login_latencies, login_errors = [], [], [], []
    probe = requests.Session()

    def check_health():
        get = lambda: probe.get(f"{server.url}/health", timeout=HTTP_TIMEOUT)  # noqa: E731
        timed_call(health_latencies, health_errors, get, 200)

    def log_in(session, credentials):
        post = lambda: session.post(f"{server.url}/auth/login", json=credentials, timeout=HTTP_TIMEOUT)  # noqa: E731
        timed_call(login_latencies, login_errors, post, 200)

    threads = [threading.Thread(target=paced, args=(probe_interval, stop, check_health))]
    threads += [
        threading.Thread(target=paced, args=(login_interval, stop, lambda s=session, c=credentials: log_in(s, c)))
        for session, credentials in clients
    ]
    server_cpu, client_cpu = server.cpu_seconds(), own_cpu_seconds()
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    server_share = (server.cpu_seconds() - server_cpu) / wall
    client_share = (own_cpu_seconds() - client_cpu) / wall

    def run(latencies, errors):
        return Run(latencies=latencies, wall=wall, errors=errors, server_cpu=server_share, client_cpu=client_share)

    return run(health_latencies, health_errors), (run(login_latencies, login_errors) if clients else None)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients logging in, one user each")
    parser.add_argument("--rate", type=float, default=8, help="logins per second in all; 0: as fast as they go")
    parser.add_argument("--seconds", type=float, default=15, help="length of each phase")
    parser.add_argument("--probe-interval", type=float, default=20, help="milliseconds between GET /health probes")
    options = parser.parse_args()
    login_interval = options.clients / options.rate if options.rate else 0.0
    probe_interval = options.probe_interval / 1000

    print(f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.machine()}")
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; server: one eventlet process, default password hashing")
    rate = f"about {options.rate:g} logins/s in all" if options.rate else "as fast as they go"
    print(f"GET /health every {options.probe_interval:g} ms for {options.seconds:g} s idle, then for "
          f"{options.seconds:g} s while {options.clients} clients log in ({rate})")

    with tempfile.TemporaryDirectory(prefix="orders-login-bench-") as scratch:
        scratch = Path(scratch)
        environment = {"INSTANCE_PATH": str(scratch / "instance")}
        init_db(environment)
        server = Server(environment, scratch / "server.log")
        try:
            clients = [registered_session(server.url) for _ in range(options.clients)]
            phase(server, 1, probe_interval, clients, login_interval)  # warm-up: connections, the hasher

            idle, _ = phase(server, options.seconds, probe_interval)
            flood, logins = phase(server, options.seconds, probe_interval, clients, login_interval)
        finally:
            server.stop()

    print(f"  idle    GET /health  {idle.describe('req')}")
    print(f"  flood   POST /login  {logins.describe('logins')}")
    print(f"  flood   GET /health  {flood.describe('req')}")
    ratio = flood.percentile(0.5) / idle.percentile(0.5)
    print(f"  GET /health p50: idle {idle.percentile(0.5) * 1000:.2f} ms, during the flood "
          f"{flood.percentile(0.5) * 1000:.2f} ms: {ratio:.2f}x (bar: within 2x)")


if __name__ == "__main__":
    main()
