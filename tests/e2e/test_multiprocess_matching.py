"""Two server processes on one database, many concurrent crossing orders sent to both: the result is
exactly what one process matching the same orders one after another would have produced.

The servers run `python wsgi.py` (eventlet) on the test's database: PostgreSQL with `--db postgresql`,
the SQLite file otherwise. Client threads send a fixed random stream of LIMIT orders from several users
(GTC, some IOC, both sides, prices on a small grid around a mid so that many cross, random amounts) to
the two servers alternately. Afterwards everything is read back through the HTTP API and checked.

How the replay learns the order in which the servers processed the orders
-------------------------------------------------------------------------
Matching is serialised per pair, and every change to the pair's book takes the next value of the pair's
`sequence`: each trade (the public tape shows it), each order that comes to rest (stored as the order's
`priority`, which the API does not show, so the test reads `orders.priority` with a read-only query on
the database the servers share), and each order cancelled by self-trade prevention. One order is
processed in one transaction, so its changes hold consecutive sequences, and its position in the
processing order is the smallest sequence it caused: its first trade as TAKER if it took liquidity,
otherwise its priority.

An order without such a sequence changed nothing in the book, and replaying it anywhere would change
nothing either, provided it could not have cancelled a resting order of its own user without trading:
that would hold a sequence no order can be tied to. So GTC orders use the default self-trade prevention
(EXPIRE_MAKER: every GTC order either trades or rests, so every one has a position), and IOC orders use
EXPIRE_TAKER (an IOC that does not trade leaves the book untouched). The test checks that the sequences
add up: trades + orders that rested + orders cancelled by self-trade prevention = how far the pair's
sequence moved.

The replay feeds the orders with a position, in that order, through a fresh orders_app.engine.OrderBook
and must reproduce every trade (maker, taker, price, amount, in tape order: which also shows that makers
were taken best price first and oldest first within a price), every order's final status and filled
amount, and the servers' /orderbook level by level. A book read while the orders go in must be the
replayed book at the sequence it carries: the replay after the orders whose position is not above it.
"""

import random
import threading
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import pytest
import requests
from sqlalchemy import create_engine, text

from orders_app.domain.enums import OrderType, SelfTradePrevention, Side, TimeInForce
from orders_app.engine import OrderBook, Taker, TakerOutcome

PAIR = "EUR/USD"
TICK = Decimal("0.00001")  # EUR/USD's tick and lot, as the default instruments define them
LOT = Decimal("1")
MID = Decimal("1.10000")
# How many ticks past the mid towards the other side an order is priced: with these, about 40% of the
# orders trade on arrival, self-trade prevention cancels a few dozen, and a few dozen are left resting.
PRICE_OFFSETS = range(-4, 5)
MAX_AMOUNT = 1000
IOC_SHARE = 0.2
USERS = 6
ORDERS = 480
WATCHED_ORDERS = 240
RESTART_ORDERS = 120
CLIENT_THREADS = 16
PAGE_SIZE = 100
MAX_DEPTH = 100


@pytest.fixture
def servers(start_server):
    return start_server("A"), start_server("B")


@pytest.fixture
def traders(servers, new_user_token):
    """The users' tokens; one JWT secret serves both servers."""
    return [new_user_token(servers[0].url) for _ in range(USERS)]


@dataclass(frozen=True)
class Intent:
    """One order of the stream: which user sends it, and what it asks for."""

    user: int
    side: str
    price: str
    amount: str
    time_in_force: str

    def body(self):
        body = {"pair": PAIR, "side": self.side, "type": "LIMIT", "price": self.price, "amount": self.amount}
        if self.time_in_force == "IOC":
            body.update(timeInForce="IOC", selfTradePrevention="EXPIRE_TAKER")  # see the module docstring
        return body


def order_stream(count, seed):
    rng = random.Random(seed)

    def intent():
        side = rng.choice(("BUY", "SELL"))
        towards_other_side = rng.choice(PRICE_OFFSETS) * TICK
        price = MID + towards_other_side if side == "BUY" else MID - towards_other_side
        return Intent(
            user=rng.randrange(USERS),
            side=side,
            price=str(price),
            amount=str(rng.randint(1, MAX_AMOUNT)),
            time_in_force="IOC" if rng.random() < IOC_SHARE else "GTC",
        )

    return [intent() for _ in range(count)]


def place_concurrently(servers, tokens, intents, http_as):
    """POST every intent from CLIENT_THREADS threads, the i-th to servers[i % 2]; returns the 201 bodies."""
    local = threading.local()  # a requests.Session is not shared between threads

    def connection(url, token):
        opened = local.__dict__.setdefault("opened", {})
        if (url, token) not in opened:
            opened[url, token] = http_as(url, token)
        return opened[url, token]

    def place(numbered):
        index, intent = numbered
        server = servers[index % len(servers)]
        return connection(server.url, tokens[intent.user]).post("/orders", intent.body())

    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        responses = list(pool.map(place, enumerate(intents)))
    refused = [(response.status_code, response.text) for response in responses if response.status_code != 201]
    assert not refused, f"{len(refused)} orders were not accepted, e.g. {refused[:3]}"
    return [response.json() for response in responses]


def order_book(http):
    """GET /orderbook with every level, without the timestamp (which differs from one call to the next)."""
    response = http.get(f"/orderbook?pair={PAIR}&depth={MAX_DEPTH}")
    assert response.status_code == 200, response.text
    book = response.json()
    del book["timestamp"]
    return book


@dataclass
class Outcome:
    """What the servers report after the load: every order (with "user" added), the tape, the book,
    and each order's priority from the database."""

    orders: dict
    tape: dict
    book: dict
    priorities: dict


def read_outcome(server, tokens, http_as, database_url):
    orders = {}
    for user, token in enumerate(tokens):
        for order in http_as(server.url, token).every_page(f"/orders?pair={PAIR}", PAGE_SIZE):
            orders[order["orderId"]] = {**order, "user": user}
    public = http_as(server.url)
    tape = {trade["tradeId"]: trade for trade in public.every_page(f"/trades?pair={PAIR}", PAGE_SIZE)}
    return Outcome(orders, tape, order_book(public), read_priorities(database_url))


def read_priorities(database_url):
    """orders.priority by order id: read-only, from the database the servers share."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, priority FROM orders WHERE pair = :pair"), {"pair": PAIR})
            return {str(uuid.UUID(str(order_id))): priority for order_id, priority in rows}
    finally:
        engine.dispose()


class BookWatcher:
    """Reads GET /orderbook from each server in turn, over and over until stopped, keeping every response."""

    def __init__(self, servers, http_as):
        self.readers = [http_as(server.url) for server in servers]
        self.responses = []
        self.failure = None  # what stopped the watching early, reported by snapshots()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch)

    def _watch(self):
        try:
            while not self._stopped.is_set():
                for reader in self.readers:
                    self.responses.append(reader.get(f"/orderbook?pair={PAIR}&depth={MAX_DEPTH}"))
        except requests.RequestException as error:
            self.failure = error

    def __enter__(self):
        if self.readers:
            self._thread.start()
        return self

    def __exit__(self, *_exception):
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def snapshots(self):
        assert self.failure is None, f"GET /orderbook failed during the load: {self.failure}"
        assert all(response.status_code == 200 for response in self.responses), self.responses
        return [response.json() for response in self.responses]


@dataclass
class Load:
    outcome: Outcome  # as server A reports it; server B must report the same
    placed: list  # the 201 bodies
    book_before: dict
    snapshots: list  # with watch: GET /orderbook from both servers while the orders went in


@pytest.fixture
def loaded(servers, traders, http_as, database_url):
    """load(count, seed, watch=False) -> Load: the orders placed from many threads through both servers, and
    what the servers report; with watch, also the books they served meanwhile."""

    def load(count, seed, watch=False):
        # The sequence is not assumed to start at 0: on PostgreSQL the instruments rows outlive a test.
        book_before = order_book(http_as(servers[0].url))
        assert (book_before["bids"], book_before["asks"]) == ([], []), "the test's database should start empty"
        with BookWatcher(servers if watch else (), http_as) as watcher:
            placed = place_concurrently(servers, traders, order_stream(count, seed), http_as)
        outcome, seen_by_b = (read_outcome(server, traders, http_as, database_url) for server in servers)
        assert outcome == seen_by_b, "the two servers report different orders, trades or books"
        return Load(outcome, placed, book_before, watcher.snapshots())

    return load


# --- what must hold whatever the processing order was -------------------------------------------------


def assert_fills_add_up(orders):
    for order in orders.values():
        filled, amount = Decimal(order["filledAmount"]), Decimal(order["amount"])
        assert filled == sum((Decimal(t["executedAmount"]) for t in order["trades"]), Decimal(0)), order
        assert filled <= amount, order
        assert Decimal(order["remainingAmount"]) == amount - filled, order


def assert_acknowledged_orders_were_committed(placed, orders):
    """What a 201 said is still there: the order, and every trade it listed, in the same order."""
    for acknowledged in placed:
        final = orders[acknowledged["orderId"]]
        listed = [trade["tradeId"] for trade in acknowledged["trades"]]
        assert [trade["tradeId"] for trade in final["trades"]][: len(listed)] == listed
        if acknowledged["timeInForce"] == "IOC":
            assert (final["status"], final["filledAmount"]) == (acknowledged["status"], acknowledged["filledAmount"])


def assert_each_trade_links_a_buy_and_a_sell_at_the_makers_price(orders, tape):
    sightings = defaultdict(list)
    for order in orders.values():
        for trade in order["trades"]:
            sightings[trade["tradeId"]].append((order, trade))
    assert sightings.keys() == tape.keys(), "the tape and the orders' trades differ"
    for trade_id, seen in sightings.items():
        assert len(seen) == 2, (trade_id, seen)
        by_liquidity = {trade["liquidity"]: (order, trade) for order, trade in seen}
        assert by_liquidity.keys() == {"MAKER", "TAKER"}, (trade_id, seen)
        (maker, maker_view), (taker, taker_view) = by_liquidity["MAKER"], by_liquidity["TAKER"]
        assert {maker["side"], taker["side"]} == {"BUY", "SELL"}, (trade_id, seen)
        assert (maker_view["counterOrderId"], taker_view["counterOrderId"]) == (taker["orderId"], maker["orderId"])
        assert maker_view["executedPrice"] == taker_view["executedPrice"] == maker["price"], (trade_id, seen)
        assert maker_view["executedAmount"] == taker_view["executedAmount"], (trade_id, seen)
        public = tape[trade_id]
        buy, sell = (maker, taker) if maker["side"] == "BUY" else (taker, maker)
        assert (public["buyOrderId"], public["sellOrderId"], public["takerSide"]) == (
            buy["orderId"],
            sell["orderId"],
            taker["side"],
        )
        assert (public["price"], public["amount"]) == (maker["price"], maker_view["executedAmount"])


def assert_not_crossed(book):
    if book["bids"] and book["asks"]:
        assert Decimal(book["bids"][0]["price"]) < Decimal(book["asks"][0]["price"]), book


# --- the single-process replay -------------------------------------------------------------------------


def processing_positions(orders, tape, priorities):
    """order id -> the smallest sequence the order caused, for every order that changed the book."""
    positions = {}
    for order_id, order in orders.items():
        caused = [tape[t["tradeId"]]["sequence"] for t in order["trades"] if t["liquidity"] == "TAKER"]
        if priorities[order_id] is not None:
            caused.append(priorities[order_id])
        if caused:
            positions[order_id] = min(caused)
    return positions


@dataclass
class Replay:
    book: OrderBook
    fills: list
    statuses: dict  # order id -> (status, filled amount)
    depth_at: dict  # sequence -> (bids, asks) of the book at that sequence, for the sequences asked for


def replay(orders, positions, checkpoints=()):
    book = OrderBook(PAIR)
    fills, cancelled, outcomes, depth_at = [], set(), {}, {}
    pending = sorted(set(checkpoints), reverse=True)
    for order_id in sorted(positions, key=positions.get):
        while pending and pending[-1] < positions[order_id]:
            depth_at[pending.pop()] = book.depth(MAX_DEPTH)
        order = orders[order_id]
        result = book.submit(
            Taker(
                order_id=order_id,
                user_id=order["user"],
                side=Side(order["side"]),
                type=OrderType.LIMIT,
                price=Decimal(order["price"]),
                amount=Decimal(order["amount"]),
                time_in_force=TimeInForce(order["timeInForce"]),
                self_trade_prevention=SelfTradePrevention(order["selfTradePrevention"]),
            )
        )
        fills += result.fills
        cancelled |= {maker.order_id for maker in result.cancelled_makers}
        outcomes[order_id] = result.outcome

    filled = Counter()
    for fill in fills:
        filled[fill.maker_order_id] += fill.amount
        filled[fill.taker_order_id] += fill.amount

    def status(order_id):
        if order_id in book:
            return "PARTIALLY_FILLED" if filled[order_id] else "PENDING"
        if order_id in cancelled:
            return "CANCELLED"
        # An order without a position changed nothing: it can only be an IOC that met nothing to trade.
        if outcomes.get(order_id, TakerOutcome.EXPIRED) is TakerOutcome.EXPIRED:
            return "EXPIRED"
        return "FILLED"

    depth_at.update((sequence, book.depth(MAX_DEPTH)) for sequence in pending)
    return Replay(book, fills, {order_id: (status(order_id), filled[order_id]) for order_id in orders}, depth_at)


def trades_in_tape_order(tape):
    """(maker order id, taker order id, price, amount) for each trade, as the servers made them."""
    made = []
    for trade in sorted(tape.values(), key=lambda trade: trade["sequence"]):
        taker, maker = (
            (trade["buyOrderId"], trade["sellOrderId"])
            if trade["takerSide"] == "BUY"
            else (trade["sellOrderId"], trade["buyOrderId"])
        )
        made.append((maker, taker, Decimal(trade["price"]), Decimal(trade["amount"])))
    return made


def levels(side):
    return [
        {"price": str(price.quantize(TICK)), "amount": str(amount.quantize(LOT)), "orderCount": count}
        for price, amount, count in side
    ]


def last_trade_price_at(sequence, tape, book_before):
    traded = [trade for trade in tape.values() if trade["sequence"] <= sequence]
    return max(traded, key=lambda trade: trade["sequence"])["price"] if traded else book_before["lastTradePrice"]


def replayed(load):
    """The replay of a load's orders in the order the servers processed them, after checking that this
    order accounts for every change the pair's sequence counted."""
    outcome, orders = load.outcome, load.outcome.orders
    positions = processing_positions(orders, outcome.tape, outcome.priorities)
    assert all(
        (order["timeInForce"], order["status"], order["trades"]) == ("IOC", "EXPIRED", [])
        for order_id, order in orders.items()
        if order_id not in positions
    ), "only an IOC that did not trade may leave no trace in the sequence"
    assert len(set(positions.values())) == len(positions), "two orders claim the same place in the sequence"
    cancelled = sum(order["status"] == "CANCELLED" for order in orders.values())
    rested = sum(priority is not None for priority in outcome.priorities.values())
    assert outcome.book["sequence"] - load.book_before["sequence"] == len(outcome.tape) + rested + cancelled
    return replay(orders, positions, checkpoints=[book["sequence"] for book in (*load.snapshots, outcome.book)])


def assert_is_the_book_at_its_sequence(book, expected, load):
    bids, asks = expected.depth_at[book["sequence"]]
    assert (book["bids"], book["asks"], book["lastTradePrice"]) == (
        levels(bids),
        levels(asks),
        last_trade_price_at(book["sequence"], load.outcome.tape, load.book_before),
    ), f"the book served with sequence {book['sequence']}"


# --- the tests -------------------------------------------------------------------------------------------


def test_orders_sent_concurrently_to_two_servers_are_matched_as_one_process_would(loaded):
    load = loaded(ORDERS, seed=1)
    outcome = load.outcome
    trading = sum(bool(order["trades"]) for order in outcome.orders.values())
    assert len(outcome.orders) == ORDERS and trading > ORDERS // 4, "the stream should cross often"

    assert_fills_add_up(outcome.orders)
    assert_acknowledged_orders_were_committed(load.placed, outcome.orders)
    assert_each_trade_links_a_buy_and_a_sell_at_the_makers_price(outcome.orders, outcome.tape)
    assert_not_crossed(outcome.book)
    expected = replayed(load)
    assert trades_in_tape_order(outcome.tape) == [
        (fill.maker_order_id, fill.taker_order_id, fill.price, fill.amount) for fill in expected.fills
    ]
    assert {
        order_id: (order["status"], Decimal(order["filledAmount"])) for order_id, order in outcome.orders.items()
    } == expected.statuses
    assert_is_the_book_at_its_sequence(outcome.book, expected, load)


def test_books_served_while_both_servers_match_show_the_book_at_the_sequence_they_carry(loaded):
    load = loaded(WATCHED_ORDERS, seed=3, watch=True)
    assert len({book["sequence"] for book in load.snapshots}) > 10, "the books should be read while they change"

    expected = replayed(load)
    for book in load.snapshots:
        assert_is_the_book_at_its_sequence(book, expected, load)


def test_a_restarted_server_serves_and_matches_the_book_the_other_server_has(servers, loaded, http_as, new_user_token):
    outcome = loaded(RESTART_ORDERS, seed=2).outcome
    assert outcome.book["asks"], "the restart should have a book to rebuild"
    restarted, other = servers[1], servers[0]

    restarted.restart()
    assert order_book(http_as(restarted.url)) == order_book(http_as(other.url)) == outcome.book

    # A user with nothing in the book (so no self-trade prevention) takes the best ask level on the restarted
    # server: it trades against the rebuilt book, and the other server sees the change.
    best_ask = outcome.book["asks"][0]
    taker = http_as(restarted.url, new_user_token(restarted.url))
    taken = taker.place(side="BUY", price=best_ask["price"], amount=best_ask["amount"], timeInForce="IOC")
    assert taken.status_code == 201, taken.text
    assert (taken.json()["status"], len(taken.json()["trades"])) == ("FILLED", best_ask["orderCount"])
    after = order_book(http_as(other.url))
    assert after == order_book(http_as(restarted.url))
    assert (after["asks"], after["sequence"]) == (
        outcome.book["asks"][1:],
        outcome.book["sequence"] + best_ask["orderCount"],
    )
