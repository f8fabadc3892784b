"""What the wrk-driven benchmarks share: servers started as a command on a free port, users with tokens,
order bodies around a mid, one wrk run of bench/orders.lua and its figures, and CPU shares read from /proc.

wrk (Debian package `wrk`, built with LuaJIT) is the load generator: an event loop in C costs the client far
less CPU than Python threads, so on a 2-core machine the server, not the client, is what gets measured.
"""

import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from http_bench import (
    APP_ENVIRONMENT,
    BENCH_BALANCES,
    MAX_AMOUNT,
    MID,
    PAIR,
    PRICE_OFFSETS,
    ROOT,
    TICK,
    Server,
    cpu_model,
    free_port,
    log_in,
    scratch_postgresql,
)

from orders_app import config as settings  # noqa: E402  (http_bench puts the project on sys.path)

LUA_SCRIPT = Path(__file__).with_name("orders.lua")
WRK_TIMEOUT = "60s"  # per request; wrk's default of 2 s would count a slow order as a socket error
WRK_DEADLINE = 900  # seconds before a wrk run that has not finished is interrupted and reported as it is
# A rate limit as Flask-Limiter reads it: "20 per minute", "300 per 10 seconds", "30/second"
RATE_LIMIT = re.compile(r"^\s*\d+\s*(/|per)\s*((?:\d+\s*)?[a-z]+)")
UNTHROTTLED = "1000000"


def base_environment(scratch, key):
    """What every orders_app server of these benchmarks runs with: cheap hashing, funds to spare, no throttling."""
    return {
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        "STARTING_BALANCES": BENCH_BALANCES,
        "JWT_ACCESS_TOKEN_MINUTES": "120",
        "INSTANCE_PATH": str(scratch / f"instance-{key}"),
        **unthrottled_rate_limits(),
    }


def unthrottled_rate_limits():
    """Every rate limit orders_app has, raised far above any benchmark's load, as environment variables.

    Found in config.py's defaults rather than listed here, so limits added later are covered too: a setting
    whose name has LIMIT in it and whose default reads like "300 per 10 seconds" or "30/second", overridden
    by the environment variable of the same name (config.py's convention for them). The number is raised,
    the period kept, so the limiter still counts every request as it would in production. Where orders_app
    has no such setting yet, nothing is set.
    """
    raised = {}
    for name, default in vars(settings.DefaultSettings).items():
        limit = isinstance(default, str) and RATE_LIMIT.match(default)
        if "LIMIT" in name and limit:
            separator, period = limit.groups()
            raised[name] = f"{UNTHROTTLED}/{period}" if separator == "/" else f"{UNTHROTTLED} per {period}"
    return raised


class ServerProcess(Server):
    """`command` (with {port} filled in) run from the project root on a free port, healthy on GET /health."""

    def __init__(self, command, environment, log_path):
        self.port = free_port()
        self.log_path = log_path
        env = {key: value for key, value in os.environ.items() if key not in APP_ENVIRONMENT}
        env.update(environment, HOST="127.0.0.1", PORT=str(self.port))
        command = [part.format(port=self.port) for part in command]
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_healthy()

    def cpu_seconds(self):
        """CPU time of the process and of its children (gunicorn's workers) so far."""
        return sum(process_cpu_seconds(pid) for pid in [self.process.pid, *children(self.process.pid)])


def one_process_command():
    """What `make run` starts: `python wsgi.py`, one eventlet process."""
    return [sys.executable, "wsgi.py"]


def gunicorn_command(workers):
    return [sys.executable, "-m", "gunicorn", "-k", "eventlet", "-w", str(workers), "--bind", "127.0.0.1:{port}",
            "--log-level", "warning", "wsgi:app"]  # fmt: skip


def process_cpu_seconds(pid):
    """User + system CPU time of one process so far (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid):
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            pass
    return found


def user_tokens(url, count):
    """`count` new users on the server, each logged in: their access tokens."""
    return [log_in(url).headers["Authorization"].split(" ", 1)[1] for _ in range(count)]


def crossing_bodies(count, seed):
    """LIMIT GTC orders on one pair, BUY and SELL in turn, priced a few ticks either side of the mid so that
    about half of them trade on arrival and the book stays a few levels deep."""
    rng = random.Random(seed)
    bodies = []
    for index in range(count):
        side = ("BUY", "SELL")[index % 2]
        offset = rng.choice(PRICE_OFFSETS) * TICK
        price = MID + offset if side == "BUY" else MID - offset
        bodies.append(order_body(side, price, rng.randint(1, MAX_AMOUNT)))
    return bodies


def order_body(side, price, amount):
    return json.dumps({"pair": PAIR, "side": side, "type": "LIMIT", "price": str(price), "amount": str(amount)})


def percentile(ordered, fraction):
    """The value `fraction` of the way through the sorted list `ordered`."""
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def print_machine(what):
    """The header every benchmark prints: interpreter, CPU, load at the start, and what it runs."""
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.machine()}")
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; load average {load_average()} at the start")
    print(what)


def add_postgresql_options(parser):
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"), help="PostgreSQL server")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")


def postgresql_server(options):
    """The PostgreSQL server URL the options name, or None after saying why there is none."""
    if options.skip_postgres or not options.database_url:
        reason = "--skip-postgres" if options.skip_postgres else "set TEST_DATABASE_URL or --database-url"
        print(f"\nPostgreSQL: skipped ({reason})")
        return None
    return options.database_url


@contextmanager
def scratch_database(server_url, name):
    """A database created for the run on the PostgreSQL server at `server_url`, dropped afterwards: its URL."""
    url, drop = scratch_postgresql(server_url, f"{name}_{os.getpid()}")
    try:
        yield url
    finally:
        drop()


def load_average():
    """The machine's 1, 5 and 15 minute load averages, as `uptime` prints them."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def ensure_wrk():
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: `apt-get install -y wrk` (make bench installs it)")


@dataclass
class WrkRun:
    """One wrk run, from the lines orders.lua wrote: per request (sent, answered, status, took liquidity)."""

    requests: list
    expected: int
    server_cpu: float  # share of one core over the run
    client_cpu: float

    @property
    def wall(self):
        return max(answered for _, answered, _, _ in self.requests) - min(sent for sent, _, _, _ in self.requests)

    @property
    def rate(self):
        return len(self.requests) / self.wall

    def latencies(self):
        return sorted(answered - sent for sent, answered, _, _ in self.requests)

    def percentile(self, fraction):
        return percentile(self.latencies(), fraction)

    def statuses(self):
        counted = {}
        for _, _, status, _ in self.requests:
            counted[status] = counted.get(status, 0) + 1
        return counted

    def took_liquidity(self):
        return sum(took for _, _, _, took in self.requests) / max(1, len(self.requests))

    def describe(self, unit):
        if not self.requests:
            return f"no request was answered (of {self.expected})"
        failed = {status: n for status, n in sorted(self.statuses().items()) if not 200 <= status < 300}
        missing = self.expected - len(self.requests)
        return (
            f"{self.rate:7.0f} {unit}/s   p50 {self.percentile(0.50) * 1000:7.2f} ms   "
            f"p99 {self.percentile(0.99) * 1000:7.2f} ms   "
            f"server CPU {self.server_cpu:4.0%}   wrk CPU {self.client_cpu:4.0%} (of one core)   "
            f"non-2xx {sum(failed.values())}" + (f" {failed}" if failed else "")
            + (f"   {missing} never answered" if missing else "")
        )


def run_wrk(server, tokens, bodies, scratch, path="/orders", rate=None, name="wrk"):
    """POST every body in `bodies` to `server` through wrk: one connection and thread per token, all at once
    (or, with `rate`, paced to `rate` requests per second in all). Returns the WrkRun."""
    ensure_wrk()
    threads = min(len(tokens), len(bodies))
    results = scratch / f"{name}-results"
    data = scratch / f"{name}-data.lua"
    data.write_text(
        "return {\n"
        f"  path = {lua_string(path)}, threads = {threads}, results = {lua_string(str(results))},\n"
        f"  interval_us = {1e6 / rate if rate else 0},\n"
        f"  tokens = {{{', '.join(lua_string(token) for token in tokens[:threads])}}},\n"
        "  bodies = {\n" + "".join(f"    {lua_string(body)},\n" for body in bodies) + "  },\n}\n"
    )
    command = ["wrk", "-t", str(threads), "-c", str(threads), "-d", f"{WRK_DEADLINE}s", "--timeout", WRK_TIMEOUT,
               "-s", str(LUA_SCRIPT), server.url, "--", str(data)]  # fmt: skip
    server_cpu = server.cpu_seconds()
    began = time.monotonic()
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    finished, output = 0, []
    deadline = began + WRK_DEADLINE - 5
    for line in wrk.stdout:
        output.append(line)
        finished += line.strip() == "finished"
        if finished == threads or time.monotonic() > deadline:
            break
    wall = time.monotonic() - began
    server_share = (server.cpu_seconds() - server_cpu) / wall
    client_share = process_cpu_seconds(wrk.pid) / wall
    wrk.send_signal(signal.SIGINT)  # its main thread sleeps for the whole -d duration otherwise
    output += wrk.communicate(timeout=30)[0].splitlines(keepends=True)
    requests = []
    for index in range(threads):
        part = Path(f"{results}.{index}")
        if part.exists():
            for line in part.read_text().splitlines():
                sent, answered, status, took = line.split()
                requests.append((float(sent) / 1e6, float(answered) / 1e6, int(status), int(took)))
    if len(requests) < len(bodies):
        print(f"  wrk did not finish: {len(requests)} of {len(bodies)} answered; its output:\n{''.join(output)}")
    return WrkRun(requests, len(bodies), server_share, client_share)


def server_errors(log_path, most=3):
    """The distinct exception lines ("module.SomeError: message") in a server's log, the first `most` of them."""
    exception = re.compile(r"^[\w.]+(Error|Exception): ")
    found = []
    for line in log_path.read_text(errors="replace").splitlines():
        if exception.match(line) and line not in found:
            found.append(line)
    return found[:most]


def lua_string(value):
    """A Lua string literal for ASCII text: JSON's escapes for quotes, backslashes and newlines are Lua's too."""
    return json.dumps(value)
