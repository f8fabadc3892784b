"""Randomised trading load shared by the in-process and the two-server reconcile tests.

The load is a random mix of requests for several users (LIMIT orders around the mid that often cross,
IOC, FOK, MARKET, cancels, amends and execution reports on the user's own open orders, operator deposits,
and orders or amends needing more than the whole system holds), then checks on what came back and on
what the API and the ledger show afterwards. How a request reaches the service is the caller's: see
trade_concurrently.
"""

import os
import random
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

from orders_app.domain.funds import is_system_account

USERS = 6
THREADS = 8
OPERATIONS_PER_THREAD = 40
WAIT_SECONDS = 120
PAGE_SIZE = 100
OPEN_STATUSES = {"PENDING", "PARTIALLY_FILLED"}


@dataclass(frozen=True)
class Market:
    pair: str
    base: str
    quote: str
    mid: Decimal
    price_step: Decimal  # a multiple of the tick
    lot: Decimal
    max_lots: int  # large enough that a user's concurrent orders sometimes compete for the same funds
    unaffordable: Decimal  # more of the base than the whole system could ever own


MARKETS = (
    Market("EUR/USD", "EUR", "USD", Decimal("1.10000"), Decimal("0.00001"), Decimal("1"), 20000, Decimal("10000000")),
    Market("BTC/USD", "BTC", "USD", Decimal("65000.00"), Decimal("5.00"), Decimal("0.0001"), 8000, Decimal("1000")),
)
MARKET_BY_PAIR = {market.pair: market for market in MARKETS}

# How often each kind of request is sent, and the statuses the API documents for it in this scenario.
OPERATIONS = {
    "limit": (30, {201, 422}),  # 422: not enough available
    "ioc": (8, {201, 422}),
    "fok": (6, {201, 422}),
    "market": (8, {201, 422}),
    "unaffordable order": (5, {422}),
    "unaffordable amend": (3, {409, 422}),  # 409: the order closed meanwhile
    "cancel": (12, {200, 409}),
    "amend": (14, {200, 409, 422}),  # 409: closed, or amount below what is filled
    "execution": (12, {201, 400, 409, 422}),  # 400: overfill; 422: price past an amended limit
    "deposit": (3, {201}),
}
# What a 422 must say: anything else (a validation error) would mean the test sent a bad request.
REFUSAL_REASONS = {"execution": "Executed price"}
DEFAULT_REFUSAL_REASON = "Insufficient"


def replayable_seed():
    """TRADING_SEED from the environment, else a fresh one; printed so that a failure shows it."""
    value = int(os.environ.get("TRADING_SEED") or random.SystemRandom().randrange(1 << 32))
    print(f"TRADING_SEED={value}")
    return value


# --- the load -------------------------------------------------------------------------------------------


@dataclass
class Known:
    """What the clients last heard of one of a user's open LIMIT orders."""

    pair: str
    side: str
    price: Decimal
    amount: Decimal
    filled: Decimal


@dataclass
class Sent:
    kind: str
    user: int
    target: object  # where it was sent, as trade_concurrently's targets name it; None without targets
    method: str
    path: str
    body: dict
    status: int
    reply: object


@dataclass
class Memory:
    """The clients' shared memory: each user's open orders as last seen, and what was deposited."""

    open_orders: dict = field(default_factory=lambda: defaultdict(dict))  # user -> order id -> Known
    owners: dict = field(default_factory=dict)  # order id -> user
    trades_seen: set = field(default_factory=set)
    deposited: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, user, order):
        with self.lock:
            self.owners[order["orderId"]] = user
            self._fill_makers(order["trades"])
            if order["status"] in OPEN_STATUSES and order["type"] == "LIMIT":
                self.open_orders[user][order["orderId"]] = Known(
                    order["pair"], order["side"], Decimal(order["price"]), Decimal(order["amount"]),
                    Decimal(order["filledAmount"]),
                )  # fmt: skip
            else:
                self.open_orders[user].pop(order["orderId"], None)

    def _fill_makers(self, trades):
        """A taker's trades filled resting orders too: count them, so that the clients rarely pick an
        order that is already filled."""
        for trade in trades:
            if trade["liquidity"] != "TAKER" or trade["tradeId"] in self.trades_seen:
                continue
            self.trades_seen.add(trade["tradeId"])
            maker_id = trade["counterOrderId"]
            maker = self.open_orders[self.owners.get(maker_id)].get(maker_id)
            if maker is not None:
                maker.filled += Decimal(trade["executedAmount"])
                if maker.filled >= maker.amount:
                    del self.open_orders[self.owners[maker_id]][maker_id]

    def forget(self, user, order_id):
        with self.lock:
            self.open_orders[user].pop(order_id, None)

    def pick(self, rng, user):
        with self.lock:
            candidates = sorted(self.open_orders[user].items())
        return rng.choice(candidates) if candidates else None


def lots(rng, market, most=None):
    return market.lot * rng.randint(1, most or market.max_lots)


def price_towards_other_side(rng, market, side, offsets):
    move = rng.choice(offsets) * market.price_step
    return market.mid + move if side == "BUY" else market.mid - move


def limit_body(market, side, amount, price, **extra):
    return {"pair": market.pair, "side": side, "type": "LIMIT", "amount": str(amount), "price": str(price), **extra}


def next_request(rng, kind, user, memory, usernames):
    """(kind, method, path, body) for one request of `kind` by `user`; a request about an open order
    falls back to a LIMIT order when the user has none."""
    market = rng.choice(MARKETS)
    side = rng.choice(("BUY", "SELL"))
    if kind in ("cancel", "amend", "execution", "unaffordable amend"):
        picked = memory.pick(rng, user)
        if picked is None:
            kind = "limit"
        else:
            order_id, known = picked
            market = MARKET_BY_PAIR[known.pair]
            path = f"/orders/{order_id}"
            if kind == "cancel":
                return kind, "PATCH", f"{path}/status", {"status": "CANCELLED"}
            if kind == "unaffordable amend":
                return kind, "PUT", path, {"amount": str(market.unaffordable)}
            if kind == "amend":
                change = rng.choice(("price", "amount", "both"))
                body = {}
                if change in ("price", "both"):
                    body["price"] = str(price_towards_other_side(rng, market, known.side, range(-4, 5)))
                if change in ("amount", "both"):
                    body["amount"] = str(lots(rng, market))
                return kind, "PUT", path, body
            remaining_lots = int((known.amount - known.filled) / market.lot)
            better = rng.randint(0, 3) * market.price_step
            price = known.price - better if known.side == "BUY" else known.price + better
            body = {"executedAmount": str(lots(rng, market, max(1, remaining_lots))), "executedPrice": str(price)}
            return kind, "POST", f"{path}/trades", body
    if kind == "deposit":
        asset = rng.choice((market.base, market.quote))
        amount = lots(rng, market) if asset == market.base else Decimal(rng.randint(1, 5000))
        return kind, "POST", "/admin/deposits", {"username": usernames[user], "asset": asset, "amount": str(amount)}
    if kind == "unaffordable order":
        if rng.random() < 0.25:
            body = {"pair": market.pair, "side": "SELL", "type": "MARKET", "amount": str(market.unaffordable)}
        else:
            body = limit_body(market, side, market.unaffordable, market.mid)
        return kind, "POST", "/orders", body
    if kind == "market":
        amount = lots(rng, market, market.max_lots // 2)
        return kind, "POST", "/orders", {"pair": market.pair, "side": side, "type": "MARKET", "amount": str(amount)}
    if kind in ("ioc", "fok"):
        price = price_towards_other_side(rng, market, side, range(0, 5))
        return kind, "POST", "/orders", limit_body(market, side, lots(rng, market), price, timeInForce=kind.upper())
    price = price_towards_other_side(rng, market, side, range(-4, 5))
    return kind, "POST", "/orders", limit_body(market, side, lots(rng, market), price)


def learn(memory, sent):
    """Keep the shared memory of open orders and deposits up to date with a reply."""
    if sent.kind == "deposit":
        if sent.status == 201:
            with memory.lock:
                memory.deposited[sent.body["asset"]] += Decimal(sent.body["amount"])
    elif sent.status in (200, 201):
        memory.remember(sent.user, sent.reply["order"] if sent.kind == "execution" else sent.reply)
    elif sent.status == 409 and sent.reply["message"].startswith("Order is "):  # it has closed since
        memory.forget(sent.user, sent.path.split("/")[2])


def senders_through_the_test_client(app, users, operator):
    """send_for_thread for trade_concurrently through Flask's test client: each thread its own client;
    `users` are the traders (an index picks one), None stands for the operator."""

    def send_for_thread():
        own_client = app.test_client()

        def send(_target, user, method, path, body):
            headers = (operator if user is None else users[user]).headers
            response = own_client.open(path, method=method, json=body, headers=headers)
            return response.status_code, response.get_json()

        return send

    return send_for_thread


def trade_concurrently(send_for_thread, usernames, seed, targets=None):
    """THREADS x OPERATIONS_PER_THREAD random requests, all threads released together. send_for_thread()
    gives each thread its own send(target, user, method, path, body) -> (status, json), user being an
    index into usernames or None for the operator, and target one of `targets` picked at random for each
    request (None when there are none). Returns (every Sent, the shared memory)."""
    memory = Memory()
    kinds = list(OPERATIONS)
    weights = [OPERATIONS[kind][0] for kind in kinds]
    barrier = threading.Barrier(THREADS, timeout=WAIT_SECONDS)

    def run(thread):
        rng = random.Random(f"{seed}-{thread}")
        send = send_for_thread()
        sent = []
        barrier.wait()
        for _ in range(OPERATIONS_PER_THREAD):
            user = rng.randrange(len(usernames))
            target = rng.choice(targets) if targets else None
            kind, method, path, body = next_request(rng, rng.choices(kinds, weights)[0], user, memory, usernames)
            status, reply = send(target, None if kind == "deposit" else user, method, path, body)
            sent.append(Sent(kind, user, target, method, path, body, status, reply))
            learn(memory, sent[-1])
        return sent

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(run, thread) for thread in range(THREADS)]
        return [sent for future in futures for sent in future.result(timeout=WAIT_SECONDS * 2)], memory


def describe(sents):
    return [(s.kind, s.target, s.method, s.path, s.body, s.status, s.reply) for s in sents]


def assert_only_documented_replies(everything, seed):
    unexpected = [s for s in everything if s.status not in OPERATIONS[s.kind][1]]
    assert not unexpected, f"seed {seed}: undocumented replies, e.g. {describe(unexpected[:5])}"
    for s in everything:
        if s.status == 422:
            reason = REFUSAL_REASONS.get(s.kind, DEFAULT_REFUSAL_REASON)
            assert reason in s.reply["message"], f"seed {seed}: {describe([s])}"


def assert_every_kind_did_something(everything, seed):
    """The load exercised what it is meant to."""
    outcomes = Counter((s.kind, s.status) for s in everything)
    wanted = [("limit", 201), ("ioc", 201), ("fok", 201), ("market", 201), ("cancel", 200), ("amend", 200),
              ("execution", 201), ("unaffordable order", 422), ("deposit", 201)]  # fmt: skip
    missing = [outcome for outcome in wanted if not outcomes[outcome]]
    assert not missing, f"seed {seed}: nothing came of {missing}; outcomes {dict(outcomes)}"
    crossed = sum(
        any(trade["liquidity"] == "TAKER" for trade in s.reply["trades"])
        for s in everything
        if s.method == "POST" and s.path == "/orders" and s.status == 201
    )
    assert crossed >= 10, f"seed {seed}: only {crossed} orders crossed; outcomes {dict(outcomes)}"


def check_replies(everything, seed):
    """Print what came back, by kind and status, then check it was all documented and did what the load
    is meant to."""
    print("replies:", dict(sorted(Counter((s.kind, s.status) for s in everything).items())))
    assert_only_documented_replies(everything, seed)
    assert_every_kind_did_something(everything, seed)


# --- what the API and the ledger show afterwards -------------------------------------------------------


def external_effects(orders):
    """Per asset, what execution reports moved between the users and the venue."""
    moved = Counter()
    for order in orders:
        market = MARKET_BY_PAIR[order["pair"]]
        sign = 1 if order["side"] == "BUY" else -1
        for trade in order["trades"]:
            if trade["liquidity"] == "EXTERNAL":
                amount = Decimal(trade["executedAmount"])
                moved[market.base] += sign * amount
                moved[market.quote] -= sign * amount * Decimal(trade["executedPrice"])
    return moved


def open_orders_hold(orders):
    """Per asset, what the open orders hold: remaining x price for a BUY, remaining for a SELL."""
    held = Counter()
    for order in orders:
        if order["status"] in OPEN_STATUSES:
            market = MARKET_BY_PAIR[order["pair"]]
            remaining = Decimal(order["remainingAmount"])
            if order["side"] == "BUY":
                held[market.quote] += remaining * Decimal(order["price"])
            else:
                held[market.base] += remaining
    return held


def assert_api_agrees(accounts, starting, deposited, seed):
    """accounts: [(name, {asset: balance JSON}, [order JSON])] for every user. Nothing negative, held is
    what open orders hold, and the users' totals are deposits plus what the venue brought in."""
    totals, external = Counter(), Counter()
    for name, rows, orders in accounts:
        held = open_orders_hold(orders)
        for asset, row in rows.items():
            buckets = {bucket: Decimal(row[bucket]) for bucket in ("available", "held", "pending")}
            assert min(buckets.values()) >= 0, f"seed {seed}: {name} {asset} {row}"
            assert Decimal(row["total"]) == sum(buckets.values()), row
            assert buckets["held"] == held[asset], f"seed {seed}: {name} {asset} held {row}, open orders {held[asset]}"
            totals[asset] += Decimal(row["total"])
        external.update(external_effects(orders))
    for asset in sorted(set(totals) | set(starting)):
        expected = starting.get(asset, Decimal(0)) * len(accounts) + deposited[asset] + external[asset]
        assert totals[asset] == expected, f"seed {seed}: users hold {totals[asset]} {asset} in all, expected {expected}"


def assert_ledger_never_went_negative(entries, seed):
    """Each entry's balance_after follows from the one before it for the same bucket, and no user's is
    below zero."""
    assert entries, f"seed {seed}: the ledger is empty"
    running = defaultdict(Decimal)
    for account_id, asset, bucket, amount, balance_after in entries:
        key = (account_id, asset, bucket)
        running[key] += amount
        assert balance_after == running[key], f"seed {seed}: {key} says {balance_after}, entries add to {running[key]}"
        if not is_system_account(account_id):
            assert balance_after >= 0, f"seed {seed}: {key} went to {balance_after}"
