"""Two processes on one pair: a process whose cached book is behind catches up from the pair's change log
(services/books.py) to exactly the book a rebuild from the open orders gives, without rebuilding, unless
the log no longer reaches back to its cache."""

import copy
import random
import uuid
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import event

from orders_app.domain.enums import OrderType, SelfTradePrevention, Side, TimeInForce
from orders_app.engine import Taker
from orders_app.extensions import db
from orders_app.services import books

from app_settings import ORDER_DEFAULTS

PAIR = "EUR/USD"
# The statement books.load_book runs: every open order of the pair, joined to its instrument.
REBUILD_SQL = "FROM instruments LEFT OUTER JOIN orders"


class Process:
    """One app standing for one server process: its own books, its own database engine."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.statements = []
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._record)

    def _record(self, _connection, _cursor, statement, *_):
        self.statements.append(statement)

    @contextmanager
    def rebuilds(self):
        """Yields a list that, once the block ends, holds one entry per rebuild of a book from the open orders."""
        start = len(self.statements)
        found = []
        yield found
        found.extend(s for s in self.statements[start:] if REBUILD_SQL in s)

    def place(self, user, **fields):
        body = {**ORDER_DEFAULTS, **fields}
        body = {key: value for key, value in body.items() if value is not None}
        response = self.client.post("/orders", json=body, headers=user.headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def books(self):
        """(this process's cached book of the pair in priority order, the same rebuilt from the database)."""
        with self.app.app_context():
            cached = books.registry().cached(PAIR)
            stored = books.load_book(db.session, PAIR)
            db.session.rollback()
            mine = None if cached is None else (priority_order(cached.book), cached.sequence)
            return mine, (priority_order(stored.book), stored.sequence)


def priority_order(book):
    """Every resting order of `book` as (side, order id, price, remaining), each side in the order it would
    trade: read by sweeping a copy of the book with a market order nothing limits."""
    book = copy.deepcopy(book)
    swept = []
    for taker_side, resting_side in ((Side.SELL, Side.BUY), (Side.BUY, Side.SELL)):
        taker = Taker(
            order_id=uuid.uuid4(),
            user_id=uuid.uuid4(),
            side=taker_side,
            type=OrderType.MARKET,
            price=None,
            amount=Decimal("1e15"),
            time_in_force=TimeInForce.IOC,
            self_trade_prevention=SelfTradePrevention.EXPIRE_MAKER,
        )
        swept += [(resting_side, fill.maker_order_id, fill.price, fill.amount) for fill in book.submit(taker).fills]
    return swept


@pytest.fixture
def processes(app, make_app):
    """processes(**settings) -> two Processes on the test's database."""

    def make(**settings):
        return Process(make_app(**settings) if settings else app), Process(make_app(**settings))

    return make


def assert_current(process):
    cached, stored = process.books()
    assert cached == stored


def test_a_process_behind_catches_up_from_the_log_without_rebuilding(processes, user, other_user):
    first, second = processes()
    resting = first.place(user, side="SELL", amount="300", price="1.10010")
    first.place(user, side="SELL", amount="200", price="1.10020")

    filling = second.place(other_user, side="BUY", amount="100", price="1.10010")  # second rebuilds: no cache yet
    second.place(other_user, side="BUY", amount="500", price="1.09990")
    assert filling["status"] == "FILLED"

    with first.rebuilds() as writer_rebuilds:
        newer = first.place(user, side="SELL", amount="400", price="1.10010")
    assert writer_rebuilds == []
    assert_current(first)
    (cached, _), _ = first.books()
    # The partly filled order kept its place ahead of the newer order at its price.
    assert [(order_id, remaining) for _, order_id, price, remaining in cached if price == Decimal("1.10010")] == [
        (uuid.UUID(resting["orderId"]), Decimal("200")),
        (uuid.UUID(newer["orderId"]), Decimal("400")),
    ]

    second.place(other_user, side="BUY", amount="100", price="1.09980")
    with first.rebuilds() as reader_rebuilds:
        depth = first.client.get("/orderbook", query_string={"pair": PAIR}).get_json()
    assert reader_rebuilds == []
    assert [level["price"] for level in depth["bids"]] == ["1.09990", "1.09980"]
    assert_current(first)


def test_a_process_further_behind_than_the_log_rebuilds_the_book(processes, user, other_user):
    first, second = processes(BOOK_CHANGE_LOG_RETENTION=3)
    first.place(user, side="SELL", amount="300", price="1.10010")
    for price in ("1.09990", "1.09980", "1.09970", "1.09960", "1.09950"):
        second.place(other_user, side="BUY", amount="100", price=price)

    with first.rebuilds() as rebuilds:
        first.place(user, side="SELL", amount="100", price="1.09990")

    assert len(rebuilds) == 1
    assert_current(first)


def random_step(rng, process, traders, open_orders):
    """One random change to the pair through `process`: a new order (some cross, some are MARKET), or an amend,
    cancel or execution report of a random open order. Returns (the order's JSON after it, its owner)."""
    trader = rng.choice(traders)
    mine = [order for order, owner in open_orders.values() if owner is trader]
    action = rng.choice(["place", "place", "place", "market", "amend", "cancel", "execution"] if mine else ["place"])
    price = f"1.{10000 + rng.randint(-4, 4) * 5:05d}"
    amount = str(100 * rng.randint(1, 5))
    client, headers = process.client, trader.headers
    if action == "place":
        return process.place(trader, side=rng.choice(["BUY", "SELL"]), amount=amount, price=price), trader
    if action == "market":
        side = rng.choice(["BUY", "SELL"])
        return process.place(trader, side=side, type="MARKET", amount=amount, price=None), trader
    order = rng.choice(mine)
    if action == "amend":
        smaller = Decimal(order["filledAmount"]) + max(Decimal(order["remainingAmount"]) - 100, 1)  # keeps its place
        larger = Decimal(order["amount"]) + 100
        changes = rng.choice([{"price": price}, {"amount": str(smaller)}, {"amount": str(larger)}])
        response = client.put(f"/orders/{order['orderId']}", json=changes, headers=headers)
    elif action == "cancel":
        response = client.delete(f"/orders/{order['orderId']}", headers=headers)
    else:
        executed = str(rng.randint(1, int(Decimal(order["remainingAmount"]))))
        report = {"executedAmount": executed, "executedPrice": order["price"]}
        response = client.post(f"/orders/{order['orderId']}/trades", json=report, headers=headers)
        assert response.status_code == 201, response.get_json()
        return client.get(f"/orders/{order['orderId']}", headers=headers).get_json(), trader
    assert response.status_code == 200, response.get_json()
    return response.get_json(), trader


@pytest.mark.parametrize("seed", range(4))
def test_books_caught_up_from_the_log_equal_the_books_rebuilt_from_the_orders(
    processes, user, other_user, make_user, seed
):
    rng = random.Random(seed)
    both = processes()
    traders = [user, other_user, make_user()]
    open_orders = {}
    for _ in range(40):
        process = rng.choice(both)
        had_cache = process.books()[0] is not None
        with process.rebuilds() as rebuilds:
            changed, owner = random_step(rng, process, traders, open_orders)
        open_orders[changed["orderId"]] = (changed, owner)
        # The step may have filled makers too: read every order it could have touched again.
        for order_id, (order, owner) in list(open_orders.items()):
            current = process.client.get(f"/orders/{order_id}", headers=owner.headers).get_json()
            if current["status"] in ("PENDING", "PARTIALLY_FILLED") and current["type"] == "LIMIT":
                open_orders[order_id] = (current, owner)
            else:
                del open_orders[order_id]
        if had_cache:
            assert rebuilds == [], changed
        cached, stored = process.books()
        assert cached is None or cached == stored
    for process in both:
        assert process.client.get("/orderbook", query_string={"pair": PAIR}).status_code == 200
        assert_current(process)
