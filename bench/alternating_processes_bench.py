"""What an order costs when two server processes take turns on one pair, next to one process alone.

Two `python wsgi.py` servers share one database (SQLite file, and with --database-url a scratch PostgreSQL
database as well) and one JWT secret, with the cheapest password hashing, balances to spare and every rate
limit raised out of the way. wrk first fills EUR/USD with N resting orders through the first server (BUY
and SELL in turn, a few hundred ticks either side of the mid, so none of them trades). Then one client
places M orders one after the other: a BUY at the mid that rests, then a SELL at the mid that fills it,
and so on, so the book stays N deep. First all M go to the first server (one process), then they go to
the two servers in turn (alternating). Each process caches the pair's book; when the other process wrote
last it catches up from the pair's change log (orders_app/services/books.py) instead of rebuilding the book
from the open orders, and what that costs is what alternating pays.

Prints p50 and p99 of both phases and the ratio of the p50s; the bar is alternating within 1.5x of one
process.

Usage: .venv/bin/python bench/alternating_processes_bench.py [--resting N] [--orders M] [--database-url URL]
                                                            [--skip-postgres]
Prints figures and asserts nothing.
"""

import argparse
import itertools
import secrets
import tempfile
import time
from pathlib import Path

import requests

from http_bench import HTTP_TIMEOUT, MID, TICK, init_db
from wrk_orders import (
    ServerProcess,
    add_postgresql_options,
    base_environment,
    ensure_wrk,
    load_average,
    one_process_command,
    order_body,
    percentile,
    postgresql_server,
    print_machine,
    run_wrk,
    scratch_database,
    user_tokens,
)

SEED_CLIENTS = 16
RESTING_DISTANCE = 200  # ticks from the mid to the nearest resting order
RESTING_LEVELS = 100  # price levels per side the resting orders spread over
WARM_UP_ORDERS = 4  # per phase, untimed: each process's first order builds its cache anyway


def resting_bodies(count):
    bodies = []
    for index in range(count):
        ticks = (RESTING_DISTANCE + index // 2 % RESTING_LEVELS) * TICK
        side = ("BUY", "SELL")[index % 2]
        bodies.append(order_body(side, MID - ticks if side == "BUY" else MID + ticks, 1 + index % 1000))
    return bodies


class Trader:
    """One user's keep-alive session per server."""

    def __init__(self, token, servers):
        self.sessions = {}
        for server in servers:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            self.sessions[server.url] = session

    def place(self, server, side):
        body = {"pair": "EUR/USD", "side": side, "type": "LIMIT", "price": str(MID), "amount": "1"}
        began = time.perf_counter()
        response = self.sessions[server.url].post(f"{server.url}/orders", json=body, timeout=HTTP_TIMEOUT)
        return time.perf_counter() - began, response.status_code


def phase(targets, buyer, seller, count):
    """`count` orders, BUY then SELL at the mid, sent one at a time to the servers of `targets` in turn.
    Returns the sorted latencies of the timed ones and the non-201 statuses."""
    latencies, failures = [], []
    servers = itertools.cycle(targets)
    for index in range(WARM_UP_ORDERS + count):
        trader, side = (buyer, "BUY") if index % 2 == 0 else (seller, "SELL")
        latency, status = trader.place(next(servers), side)
        if status != 201:
            failures.append(status)
        if index >= WARM_UP_ORDERS:
            latencies.append(latency)
    return sorted(latencies), failures


def describe(latencies, failures):
    return (f"p50 {percentile(latencies, 0.50) * 1000:8.2f} ms   p99 {percentile(latencies, 0.99) * 1000:8.2f} ms"
            + (f"   {len(failures)} not 201: {sorted(set(failures))}" if failures else ""))  # fmt: skip


def bench(title, key, options, scratch, database_url):
    print(f"\n{title}")
    shared = {"DATABASE_URL": database_url, "JWT_SECRET_KEY": secrets.token_urlsafe(48)}
    environments = [{**base_environment(scratch, f"{key}-{name}"), **shared} for name in ("a", "b")]
    init_db(environments[0])
    servers = []
    try:
        for name, environment in zip("ab", environments):
            servers.append(ServerProcess(one_process_command(), environment, scratch / f"{key}-{name}.log"))
        first = servers[0]
        tokens = user_tokens(first.url, SEED_CLIENTS)
        seeded = run_wrk(first, tokens, resting_bodies(options.resting), scratch, name=f"{key}-resting")
        print(f"  resting orders placed through one server: {seeded.describe('orders')}")
        buyer, seller = (Trader(token, servers) for token in tokens[:2])
        alone = phase([first], buyer, seller, options.orders)
        alternating = phase(servers, buyer, seller, options.orders)
    finally:
        for server in servers:
            server.stop()
    print(f"  one process           {describe(*alone)}")
    print(f"  two processes in turn {describe(*alternating)}")
    ratio = percentile(alternating[0], 0.5) / percentile(alone[0], 0.5)
    print(f"  alternating p50 / one-process p50 = {ratio:.1f}x (bar: within 1.5x)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resting", type=int, default=5000, help="orders resting on the pair before timing")
    parser.add_argument("--orders", type=int, default=100, help="timed orders per phase")
    add_postgresql_options(parser)
    options = parser.parse_args()
    ensure_wrk()

    print_machine(f"{options.resting} resting orders on EUR/USD; {options.orders} timed orders per phase, one at a time")
    with tempfile.TemporaryDirectory(prefix="orders-alternating-") as scratch:
        scratch = Path(scratch)
        bench("SQLite, two `python wsgi.py` on one file", "sqlite", options, scratch,
              f"sqlite:///{scratch / 'alternating.db'}")  # fmt: skip
        if postgresql_server(options):
            with scratch_database(options.database_url, "orders_bench_alternating") as url:
                bench("PostgreSQL, two `python wsgi.py` on one database", "pg", options, scratch, url)
    print(f"\nload average {load_average()} at the end")


if __name__ == "__main__":
    main()
