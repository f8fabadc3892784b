"""The books' writer alone: what placing an order costs without HTTP, Flask's request handling or the limiter.

One process, as `python wsgi.py` runs it (eventlet, monkey-patched), on a fresh SQLite database made the
way `make run` makes it (init-db). K users, each a green thread, place N LIMIT GTC orders in all through
the order service (services/orders.place_order), priced around a mid as in http_bench.py, so that about
half trade on arrival. The writer batches them exactly as it batches the requests of a server: its
commands, the hold rules, the ledger, the event log and the commit are all there; only HTTP is not.

It prints orders/s, the process's CPU time per order, p50 and p99 from call to return, and the writer's
batches (count and mean size).

With --instructions it runs itself under valgrind's callgrind twice, with N and with 5N orders, and prints
the instructions per order: the difference of the two totals over the difference of their orders, so
start-up and warm-up cancel out. A count of instructions does not move with the machine's load or speed,
so it tells a change of a few percent that the times of a shared VM cannot (about 5 minutes at the
defaults, on one core). valgrind is a Debian package (`apt-get install valgrind`).

Usage: .venv/bin/python bench/writer_bench.py [--orders N] [--clients K] [--warm-up W] [--instructions]
Prints figures and asserts nothing.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

import eventlet

eventlet.monkey_patch()  # first, as wsgi.py does: everything imported after it gets green threads and sockets

from http_bench import BENCH_BALANCES, SEED, order_stream  # noqa: E402  (it puts the project on sys.path)


def _placements(bodies):
    from orders_app.domain.enums import OrderType, Side

    return [
        {
            "pair": body["pair"],
            "side": Side(body["side"]),
            "type": OrderType(body["type"]),
            "amount": Decimal(body["amount"]),
            "price": Decimal(body["price"]),
        }
        for body in bodies
    ]


def measure(orders, clients, warm_up):
    """Place warm_up orders per client untimed, then `orders` timed; print the figures."""
    import json
    import logging

    from orders_app import create_app
    from orders_app.extensions import db
    from orders_app.services import accounts, book_writer
    from orders_app.services.orders import place_order

    app = create_app(
        {
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="orders-writer-bench-"),
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
            "STARTING_BALANCES": json.loads(BENCH_BALANCES),
            "LOG_LEVEL": "WARNING",
        }
    )
    logging.getLogger().setLevel(logging.WARNING)
    result = app.test_cli_runner().invoke(args=["init-db"])
    if result.exit_code != 0:
        raise SystemExit(f"init-db failed: {result.output}")
    with app.app_context():
        users = [accounts.register_user(username=f"writer{k}", password="writer-bench-password").id for k in range(clients)]
    placements = _placements(order_stream(orders + warm_up * clients, SEED))

    def client(user_id, share, latencies):
        with app.app_context():
            for placement in share:
                started = time.perf_counter()
                place_order(user_id=user_id, **placement)
                latencies.append(time.perf_counter() - started)
                db.session.remove()  # as the end of a request does

    def run(shares):
        pool, latencies = eventlet.GreenPool(clients), []
        for user_id, share in zip(users, shares):
            pool.spawn(client, user_id, share, latencies)
        pool.waitall()
        return latencies

    run([placements[k * warm_up : (k + 1) * warm_up] for k in range(clients)])
    timed = placements[warm_up * clients :]
    stats = app.extensions[book_writer.WRITERS_KEY].stats
    batches_before, commands_before = stats.batches, stats.commands
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    latencies = sorted(run([timed[k::clients] for k in range(clients)]))
    cpu, wall = time.process_time() - cpu_started, time.perf_counter() - wall_started
    if len(latencies) != orders:
        raise SystemExit(f"{orders - len(latencies)} of {orders} placements failed (see above)")
    batches = stats.batches - batches_before
    print(
        f"{orders} orders, {clients} clients: {orders / wall:.0f} orders/s, CPU {cpu / orders * 1000:.3f} ms per order, "
        f"p50 {latencies[orders // 2] * 1000:.1f} ms, p99 {latencies[int(orders * 0.99)] * 1000:.1f} ms, "
        f"{batches} batches of {(stats.commands - commands_before) / batches:.1f} orders on average"
    )


def instructions(orders, clients, warm_up):
    """Instructions per order under callgrind, from two runs of different sizes."""
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    totals = {}
    for count in (orders, 5 * orders):
        command = [
            "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
            sys.executable, __file__, "--orders", str(count), "--clients", str(clients), "--warm-up", str(warm_up),
        ]  # fmt: skip
        finished = subprocess.run(command, capture_output=True, text=True, check=False)
        collected = re.search(r"Collected : (\d+)", finished.stderr)
        if finished.returncode != 0 or not collected:
            raise SystemExit(f"callgrind run failed:\n{finished.stdout}{finished.stderr[-2000:]}")
        totals[count] = int(collected.group(1))
        print(f"  under callgrind: {finished.stdout.strip().splitlines()[-1]}; {totals[count]:,} instructions in all")
    per_order = (totals[5 * orders] - totals[orders]) / (4 * orders)
    print(f"instructions per order: {per_order:,.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, help="orders timed (default 6000; with --instructions 100 and 500)")
    parser.add_argument("--clients", type=int, default=32, help="green threads placing orders, one user each")
    parser.add_argument("--warm-up", type=int, default=20, help="untimed orders per client first (default 20)")
    parser.add_argument("--instructions", action="store_true", help="count instructions per order under callgrind")
    options = parser.parse_args()
    print(f"Python {sys.version.split()[0]}; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if options.instructions:
        instructions(options.orders or 100, options.clients, min(options.warm_up, 2))
    else:
        measure(options.orders or 6000, options.clients, options.warm_up)


if __name__ == "__main__":
    main()
