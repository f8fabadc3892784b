"""Orders per second over HTTP, driven by wrk, next to the server stack's own ceiling.

1. SQLite, one process: the server `make run` starts (`flask --app orders_app init-db` on a fresh database in
   a temporary instance folder, then `python wsgi.py`), with the cheapest password hashing, balances large
   enough that no order is refused, and every rate limit config.py documents raised out of the way.
   K users (one wrk thread and keep-alive connection each) place N LIMIT GTC orders on EUR/USD in all,
   BUY and SELL in turn, priced around a mid so that about half of them trade on arrival. A 201 means the
   order and its trades are committed. Target on 2 cores: >= 1,000 orders/s with p99 <= 100 ms.
   The same run again with WRITER_BATCH_MAX=1 shows what the books' writer gains by committing the orders
   that queue behind it together (group commit) rather than each alone, and with BENCH_WITHOUT_EVENT_LOG=true
   what the per-account event log costs (every private event numbered and stored in the order's
   transaction; the bar is at most 15% of throughput).
2. Echo: bench/echo_server.py, a bare Flask app on the same stack (Flask-SocketIO on eventlet, one
   process), answering POST /echo with the same bodies and Authorization headers. orders/s ÷ echo req/s is
   what the order pipeline leaves of the stack's ceiling; the goal is 0.5.
3. PostgreSQL (with --database-url or TEST_DATABASE_URL, unless --skip-postgres): the same load on one
   `python wsgi.py` (target >= 700 orders/s), then on `gunicorn -k eventlet -w 2 wsgi:app` (two processes
   on one port), each on a scratch database created on that server and dropped afterwards. With
   --redis-url (default $REDIS_URL) the two processes publish their events through Redis, as a
   multi-process deployment must.

For each run: orders/s (answers over the span from the first request sent to the last answer), p50 and p99
latency, the share of orders that took liquidity, every non-2xx answer by status, and how busy the server's
processes and wrk were (user + system CPU from /proc, as a share of one core).

Usage: .venv/bin/python bench/throughput_bench.py [--orders N] [--clients K] [--database-url URL]
                                                  [--skip-postgres] [--skip-echo] [--skip-unbatched]
                                                  [--skip-without-log]
                                                  [--redis-url URL]
Prints figures and asserts nothing.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from http_bench import init_db
from wrk_orders import (
    ServerProcess,
    add_postgresql_options,
    base_environment,
    crossing_bodies,
    ensure_wrk,
    load_average,
    gunicorn_command,
    one_process_command,
    order_body,
    postgresql_server,
    print_machine,
    run_wrk,
    scratch_database,
    server_errors,
    unthrottled_rate_limits,
    user_tokens,
)

SEED = 11
WARM_UP_ORDERS = 3  # per client, priced far from the mid so they rest out of the way of the timed stream
ECHO_COMMAND = [sys.executable, "bench/echo_server.py"]


def orders_run(title, key, command, bodies, options, scratch, **environment):
    """Start `command` on a fresh database, register the users, warm up, then time the orders through wrk."""
    print(f"\n{title}")
    environment = {**base_environment(scratch, key), **environment}
    init_db(environment)
    server = ServerProcess(command, environment, scratch / f"{key}.log")
    try:
        tokens = user_tokens(server.url, options.clients)
        far = order_body("BUY", "1.00000", 1)
        run_wrk(server, tokens, [far] * WARM_UP_ORDERS * len(tokens), scratch, name=f"{key}-warm-up")
        run = run_wrk(server, tokens, bodies, scratch, name=key)
    finally:
        server.stop()
    print(f"  POST /orders  {run.describe('orders')}")
    print(f"                {run.took_liquidity():.0%} of the orders traded on arrival")
    for line in server_errors(server.log_path):
        print(f"                server log: {line}")
    return run, tokens


def echo_run(bodies, tokens, options, scratch):
    print("\nEcho: bare Flask + Flask-SocketIO on eventlet, one process (the stack's ceiling)")
    server = ServerProcess(ECHO_COMMAND, {}, scratch / "echo.log")
    try:
        run_wrk(server, tokens, bodies[: WARM_UP_ORDERS * len(tokens)], scratch, path="/echo", name="echo-warm-up")
        run = run_wrk(server, tokens, bodies, scratch, path="/echo", name="echo")
    finally:
        server.stop()
    print(f"  POST /echo    {run.describe('req')}")
    return run


def postgresql_runs(bodies, options, scratch):
    results = []
    runs = [
        ("PostgreSQL, one process (python wsgi.py)", "pg-1", one_process_command(), {}),
        ("PostgreSQL, two processes (gunicorn -k eventlet -w 2 wsgi:app)", "pg-2", gunicorn_command(2),
         {"REDIS_URL": options.redis_url} if options.redis_url else {}),
    ]  # fmt: skip
    for title, key, command, environment in runs:
        with scratch_database(options.database_url, f"orders_bench_{key.replace('-', '_')}") as url:
            heading = title
            if key == "pg-2":
                heading += f"; message queue: {f'Redis at {options.redis_url}' if options.redis_url else 'none'}"
            heading += f"\n  database: {make_url(url).render_as_string()}"
            run, _ = orders_run(heading, key, command, bodies, options, scratch, DATABASE_URL=url, **environment)
            results.append((title, run))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=5000, help="orders per run (and echo requests)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (wrk connections), one user each")
    add_postgresql_options(parser)
    parser.add_argument("--skip-echo", action="store_true", help="no echo run (no ratio)")
    parser.add_argument("--skip-unbatched", action="store_true", help="no SQLite run with group commit turned off")
    parser.add_argument("--skip-without-log", action="store_true", help="no SQLite run without the event log")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"), help="message queue for two processes")
    options = parser.parse_args()
    ensure_wrk()

    print_machine(f"{options.orders} orders per run, {options.clients} clients (wrk: one thread and connection per user)")
    raised = unthrottled_rate_limits()
    print(f"rate limits raised: {raised or 'none (orders_app has no rate-limit setting)'}")

    bodies = crossing_bodies(options.orders, SEED)
    summary = []
    with tempfile.TemporaryDirectory(prefix="orders-throughput-") as scratch:
        scratch = Path(scratch)
        sqlite, tokens = orders_run("SQLite, one process (as `make run`)", "sqlite", one_process_command(), bodies,
                                    options, scratch)  # fmt: skip
        summary.append(("SQLite, one process", sqlite))
        if not options.skip_unbatched:
            unbatched, _ = orders_run("SQLite, one process, every order committed alone (WRITER_BATCH_MAX=1)",
                                      "sqlite-unbatched", one_process_command(), bodies, options, scratch,
                                      WRITER_BATCH_MAX="1")  # fmt: skip
            summary.append(("SQLite, one process, no group commit", unbatched))
        if not options.skip_without_log:
            unlogged, _ = orders_run("SQLite, one process, without the event log (BENCH_WITHOUT_EVENT_LOG=true)",
                                     "sqlite-without-log", one_process_command(), bodies, options, scratch,
                                     BENCH_WITHOUT_EVENT_LOG="true")  # fmt: skip
            summary.append(("SQLite, one process, without the event log", unlogged))
            if unlogged.requests and sqlite.requests:
                log_cost = f"{1 - sqlite.rate / unlogged.rate:.0%} of throughput"
            else:
                log_cost = "not measured"
        echo = None if options.skip_echo else echo_run(bodies, tokens, options, scratch)
        if postgresql_server(options):
            summary += postgresql_runs(bodies, options, scratch)

    print(f"\nSummary (load average {load_average()} at the end)")
    if echo:
        print(f"  {'echo (the stack)':64} {echo.rate:7.0f} req/s")
    for title, run in summary:
        ratio = f"   orders/s ÷ echo req/s = {run.rate / echo.rate:.2f} (goal 0.5)" if echo and run.requests else ""
        figures = f"{run.rate:7.0f} orders/s   p99 {run.percentile(0.99) * 1000:7.1f} ms" if run.requests else "none"
        print(f"  {title:64} {figures}{ratio}")
    if not options.skip_without_log:
        print(f"  the event log costs {log_cost} (bar: at most 15%)")
    print("  targets on 2 cores: SQLite >= 1,000 orders/s with p99 <= 100 ms; PostgreSQL one process >= 700 orders/s")


if __name__ == "__main__":
    main()
