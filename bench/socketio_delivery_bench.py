"""How long a committed change takes to reach a Socket.IO client, while orders arrive at a steady pace.

The server is the one `make run` starts (SQLite, `python wsgi.py`, one process; --database-url runs it on
a scratch PostgreSQL database instead), with the cheapest password hashing, balances to spare and every
rate limit raised out of the way. U users each connect a python-socketio client to /orders with their token
(README, "Real-time events"), all in this process. wrk then places orders for those same users, one
connection each, paced to R orders/s in all for S seconds, BUY and SELL in turn around a mid so that about
half of them trade, so both owners of a trade get their events.

Every event a client receives is timed against the `timestamp` it carries: the unit of work's clock
(orders_app/services/unit_of_work.py), read when the transaction starts, so each figure is the commit's
own duration plus commit-to-client delivery: an upper bound of the delivery. Receive times are taken with
the same machine clock (time.time()) as the first thing the client's handler does. Target: p99 <= 50 ms.

It also prints the order rate the server actually kept up with (wrk paces each connection; a connection
waiting for a slow answer falls behind and then sends at once) and how busy the server, wrk and the
clients' process were.

Usage: .venv/bin/python bench/socketio_delivery_bench.py [--users U] [--rate R] [--seconds S]
                                                         [--database-url URL]
Prints figures and asserts nothing.
"""

import argparse
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import socketio

from http_bench import init_db, own_cpu_seconds
from wrk_orders import (
    ServerProcess,
    base_environment,
    crossing_bodies,
    ensure_wrk,
    load_average,
    one_process_command,
    percentile,
    print_machine,
    run_wrk,
    scratch_database,
    user_tokens,
)

NAMESPACE = "/orders"
CONNECT_TIMEOUT = 10
QUIET_AFTER_RUN = 2.0  # seconds without a new event after the last order: every event has arrived
DRAIN_LIMIT = 60
SEED = 13


class Listeners:
    """One python-socketio client per token on /orders; every event is kept as (received at, name, payload)."""

    def __init__(self, url, tokens):
        self.received = []
        self._guard = threading.Lock()
        self.clients = []
        for token in tokens:
            client = socketio.Client(reconnection=False)
            client.on("*", self._on_event, namespace=NAMESPACE)
            client.connect(url, namespaces=[NAMESPACE], auth={"token": token}, transports=["websocket"],
                           wait_timeout=CONNECT_TIMEOUT)  # fmt: skip
            self.clients.append(client)

    def _on_event(self, name, payload):
        received_at = time.time()
        with self._guard:
            self.received.append((received_at, name, payload))

    def count(self):
        with self._guard:
            return len(self.received)

    def wait_until_quiet(self):
        deadline = time.monotonic() + DRAIN_LIMIT
        seen = self.count()
        while time.monotonic() < deadline:
            time.sleep(QUIET_AFTER_RUN)
            if self.count() == seen:
                return
            seen = self.count()

    def close(self):
        for client in self.clients:
            client.disconnect()


def delivery_latencies(received):
    """{event name: sorted seconds from the event's timestamp to its receipt}, and "all" of them: the
    private events of the orders (each carries eventSeq), not the SNAPSHOT a connection starts with nor
    the HEARTBEATs."""
    by_name = {"all": []}
    for received_at, name, payload in received:
        if "eventSeq" not in payload or name == "SNAPSHOT":
            continue
        delay = received_at - datetime.fromisoformat(payload["timestamp"]).timestamp()
        by_name.setdefault(name, []).append(delay)
        by_name["all"].append(delay)
    return {name: sorted(delays) for name, delays in by_name.items()}


def describe(delays):
    return (f"p50 {percentile(delays, 0.50) * 1000:8.2f} ms   p99 {percentile(delays, 0.99) * 1000:8.2f} ms   "
            f"max {delays[-1] * 1000:8.2f} ms   ({len(delays)} events)")  # fmt: skip


def bench(options, scratch, database_url=None):
    environment = base_environment(scratch, "delivery")
    if database_url:
        environment["DATABASE_URL"] = database_url
    init_db(environment)
    server = ServerProcess(one_process_command(), environment, scratch / "delivery.log")
    listeners = None
    try:
        tokens = user_tokens(server.url, options.users)
        listeners = Listeners(server.url, tokens)
        bodies = crossing_bodies(int(options.rate * options.seconds), SEED)
        own_cpu = own_cpu_seconds()
        began = time.monotonic()
        orders = run_wrk(server, tokens, bodies, scratch, rate=options.rate, name="delivery")
        listeners.wait_until_quiet()
        clients_cpu = (own_cpu_seconds() - own_cpu) / (time.monotonic() - began)
    finally:
        if listeners:
            listeners.close()
        server.stop()

    print(f"  orders placed: {orders.describe('orders')}")
    print(f"                 (paced to {options.rate:g}/s; {orders.took_liquidity():.0%} traded on arrival)")
    print(f"  Socket.IO clients' process CPU {clients_cpu:.0%} of one core (includes the drain after the last order)")
    delays = delivery_latencies(listeners.received)
    if not delays["all"]:
        print("  no event reached the clients")
        return
    print(f"  {len(delays['all']) / max(1, len(orders.requests)):.1f} events per order; "
          "event timestamp -> client receive:")
    for name in ["all", *sorted(name for name in delays if name != "all")]:
        print(f"    {name:22} {describe(delays[name])}")
    print("  target: p99 <= 50 ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50, help="users, each with a Socket.IO client and a wrk connection")
    parser.add_argument("--rate", type=float, default=400, help="orders per second in all (paced)")
    parser.add_argument("--seconds", type=float, default=10, help="how long the paced orders would take at --rate")
    parser.add_argument("--database-url", help="PostgreSQL server to run on instead of SQLite (a scratch database)")
    options = parser.parse_args()
    ensure_wrk()

    print_machine(f"{options.users} users with a Socket.IO client each on {NAMESPACE}; orders paced to {options.rate:g}/s "
          f"for {options.seconds:g} s; server: one process on {'PostgreSQL' if options.database_url else 'SQLite'}")
    with tempfile.TemporaryDirectory(prefix="orders-delivery-") as scratch:
        scratch = Path(scratch)
        if options.database_url:
            with scratch_database(options.database_url, "orders_bench_delivery") as url:
                bench(options, scratch, url)
        else:
            bench(options, scratch)
    print(f"  load average {load_average()} at the end")


if __name__ == "__main__":
    main()
