"""Two server processes, one database, Redis: a python-socketio client on one of them keeps an exact local
book from BOOK_DELTA while users trade through both, getting every delta exactly once.

Redis pub/sub ignores the database number, so concurrent runs share the channel; this test trades a pair of
its own (made for the run), so no other run's deltas can reach its room.
"""

import json
import queue
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests
import socketio

from app_settings import app_config
from orders_app import create_app
from orders_app.extensions import db

MARKET = "/market"
THREADS = 6
ORDERS_PER_THREAD = 25
WAIT_SECONDS = 60
PROBES = 20
PROBE_WAIT = 0.5


@pytest.fixture
def own_pair(database_url, tmp_path):
    """A pair only this run trades, created the way `flask init-db` creates instruments; returns the
    settings a server needs to trade it."""
    base = f"Q{uuid.uuid4().hex[:6].upper()}"
    pair = f"{base}/USD"
    instruments = [{"symbol": pair, "base": base, "quote": "USD", "tickSize": "0.01", "lotSize": "1", "minAmount": "1"}]
    balances = {"USD": "1000000", base: "1000000"}
    app = create_app(app_config(database_url, tmp_path / "init", INSTRUMENTS=instruments, STARTING_BALANCES=balances))
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()
    return pair, {"INSTRUMENTS": json.dumps(instruments), "STARTING_BALANCES": json.dumps(balances)}


def log_in(url):
    username = f"user_{uuid.uuid4().hex[:10]}"
    credentials = {"username": username, "password": "e2e password 1234"}
    assert requests.post(f"{url}/auth/register", json=credentials, timeout=15).status_code == 201
    token = requests.post(f"{url}/auth/login", json=credentials, timeout=15).json()["accessToken"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def full_book(url, pair):
    response = requests.get(f"{url}/orderbook", params={"pair": pair, "depth": 100}, timeout=15)
    assert response.status_code == 200, response.text
    return response.json()


def as_levels(book):
    return {side: {Decimal(level["price"]): Decimal(level["amount"]) for level in book[side]} for side in ("bids", "asks")}


def relayed_from(url, session, pair, deltas):
    """Place far-off orders on `url` until one's delta is relayed (a server subscribes to Redis in the
    background once its first socket connects); returns the last sequence relayed, with the queue drained."""
    for _ in range(PROBES):
        response = session.post(f"{url}/orders", json={"pair": pair, "side": "BUY", "type": "LIMIT", "amount": "1", "price": "50.00"}, timeout=15)
        assert response.status_code == 201, response.text
        try:
            delta = deltas.get(timeout=PROBE_WAIT)
        except queue.Empty:
            continue
        time.sleep(PROBE_WAIT)  # the probes before it, if any, are relayed by now too
        while not deltas.empty():
            delta = deltas.get()
        return delta["lastSequence"]
    pytest.fail(f"no delta relayed after {PROBES} probes")


def test_a_client_on_one_process_keeps_the_exact_book_while_both_processes_trade(start_server, redis_url, own_pair):
    pair, settings = own_pair
    servers = [start_server("A", REDIS_URL=redis_url, **settings), start_server("B", REDIS_URL=redis_url, **settings)]
    deltas = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("BOOK_DELTA", deltas.put, namespace=MARKET)
    client.connect(servers[0].url, namespaces=[MARKET], wait_timeout=10)
    ack = client.call("subscribe", {"pair": pair, "channels": ["book"]}, namespace=MARKET, timeout=10)
    assert ack["ok"] is True, ack
    seed = random.randrange(1 << 32)
    users = [(log_in(server.url), server.url) for server in servers for _ in range(2)]
    relayed = relayed_from(servers[1].url, users[-1][0], pair, deltas)

    def trade(thread):
        rng = random.Random(f"{seed}-{thread}")
        session, url = users[thread % len(users)]
        resting = []
        for _ in range(ORDERS_PER_THREAD):
            if resting and rng.random() < 0.2:
                response = session.delete(f"{url}/orders/{resting.pop(rng.randrange(len(resting)))}", timeout=15)
                assert response.status_code in (200, 409), response.text
                continue
            side = rng.choice(("BUY", "SELL"))
            price = Decimal("100.00") + rng.randint(-4, 4) * Decimal("0.01")
            body = {"pair": pair, "side": side, "type": "LIMIT", "amount": str(rng.randint(1, 20)), "price": str(price)}
            response = session.post(f"{url}/orders", json=body, timeout=15)
            assert response.status_code == 201, response.text
            if response.json()["status"] in ("PENDING", "PARTIALLY_FILLED"):
                resting.append(response.json()["orderId"])

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(trade, thread) for thread in range(THREADS)]
        time.sleep(0.5)
        snapshot = full_book(servers[1].url, pair)  # the recipe's snapshot, taken while both trade
        for future in futures:
            future.result(timeout=WAIT_SECONDS * 2)

    final = full_book(servers[1].url, pair)
    received, deadline = [], time.monotonic() + WAIT_SECONDS
    while (not received or max(d["lastSequence"] for d in received) < final["sequence"]) and time.monotonic() < deadline:
        try:
            received.append(deltas.get(timeout=1))
        except queue.Empty:
            pass
    time.sleep(1)  # anything sent twice would arrive by now
    while not deltas.empty():
        received.append(deltas.get())
    client.disconnect()

    spans = [(d["firstSequence"], d["lastSequence"]) for d in received]
    assert len(spans) == len(set(spans)), f"seed {seed}: a delta arrived twice"
    # Deltas from two processes may overtake each other: a client puts them in order before the checks.
    ordered = sorted(received, key=lambda d: d["firstSequence"])
    assert ordered[0]["firstSequence"] == relayed + 1, f"seed {seed}: the subscription missed a change"
    for before, after in zip(ordered, ordered[1:]):
        assert after["firstSequence"] == before["lastSequence"] + 1, f"seed {seed}: gap {before} -> {after}"
    local, sequence, applied = as_levels(snapshot), snapshot["sequence"], 0
    for delta in ordered:
        if delta["lastSequence"] <= sequence:
            continue
        assert delta["firstSequence"] <= sequence + 1 <= delta["lastSequence"], f"seed {seed}"
        for side in ("bids", "asks"):
            for price, amount in delta[side]:
                if Decimal(amount) == 0:
                    local[side].pop(Decimal(price), None)
                else:
                    local[side][Decimal(price)] = Decimal(amount)
        sequence, applied = delta["lastSequence"], applied + 1
    assert sequence == final["sequence"] and local == as_levels(final), f"seed {seed}"
    assert 0 < snapshot["sequence"] < final["sequence"] and applied, f"seed {seed}: the snapshot missed the trading"
