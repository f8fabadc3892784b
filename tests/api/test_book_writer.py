"""The books' writer batches what queues behind it into one commit, and a batch behaves exactly as its
commands would have one after the other: a refused command changes nothing and the others commit, a
clientOrderId sent twice makes one order, and a batch whose commit fails answers 503 to every command
and leaves nothing behind.

To make a batch on purpose, the first commit waits until the commands sent with it have queued behind
it; they then make up the writer's next batch. Every request is real, through the test client.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import event, text

from api_checks import UNKNOWN_ID, assert_error, fetch_order
from app_settings import ORDER_DEFAULTS
from concurrent_requests import order_request, trade_request
from orders_app.extensions import db
from orders_app.realtime.rooms import ORDERS_NAMESPACE
from orders_app.services import balances, book_writer
from test_book_change_log import Process
from test_reconcile import assert_clean

QUEUE_TIMEOUT = 30


@pytest.fixture
def writer_app(app):
    """The app whose writer the fixtures below hold and feed."""
    return app


@pytest.fixture
def writer(writer_app):
    """(the app's writers, the lane of EUR/USD's book)."""
    app = writer_app
    with app.app_context():
        writers = book_writer.writers()
        return writers, writers.lane(book_writer.lane_key("EUR/USD"))


class HeldCommit:
    def __init__(self):
        self.holding = threading.Event()  # the leader's commit is waiting
        self.released = threading.Event()  # ... and has gone through


@pytest.fixture
def hold_next_batch(writer_app, monkeypatch, writer):
    """hold_next_batch(queued, then_fail=False): the writer's next commit waits until `queued` more
    commands have queued behind it (they form the batch after it); with then_fail, that batch's commit
    fails as a lost database would."""
    with writer_app.app_context():
        dialect = db.engine.dialect
    real_commit = dialect.do_commit
    _, lane = writer

    def arm(queued, then_fail=False):
        commits = []
        held = HeldCommit()

        def commit(dbapi_connection):
            if not lane.leading:
                return real_commit(dbapi_connection)
            commits.append(None)
            if len(commits) == 1:
                held.holding.set()
                deadline = time.monotonic() + QUEUE_TIMEOUT
                while len(lane.queue) < queued and time.monotonic() < deadline:
                    time.sleep(0.005)
                real_commit(dbapi_connection)
                held.released.set()
                return None
            if len(commits) == 2 and then_fail:
                raise dialect.loaded_dbapi.OperationalError("injected: the database went away during COMMIT")
            return real_commit(dbapi_connection)

        monkeypatch.setattr(dialect, "do_commit", commit)
        return held

    return arm


@pytest.fixture
def send_behind(writer_app, writer):
    """send_behind(held, leader, followers): send `leader`, then, while its commit is held, each of
    `followers` in turn once the one before has queued, so that they make up the next batch in that
    order. Returns the responses, the leader's first."""
    _, lane = writer
    app = writer_app

    def send(held, leader, followers):
        with ThreadPoolExecutor(max_workers=1 + len(followers)) as pool:
            futures = [pool.submit(leader, app.test_client())]
            assert held.holding.wait(QUEUE_TIMEOUT), "the leader's commit never started"
            queued = 0
            for follower in followers:
                future = pool.submit(follower, app.test_client())
                futures.append(future)
                deadline = time.monotonic() + QUEUE_TIMEOUT
                # A request answered before it reaches the writer (a 404 found outside it) never queues.
                while len(lane.queue) <= queued and not future.done() and time.monotonic() < deadline:
                    time.sleep(0.002)
                queued = len(lane.queue)
            return [future.result(timeout=QUEUE_TIMEOUT) for future in futures]

    return send


def batches_of(writer):
    stats = writer[0].stats
    return stats.batches, stats.commands


def test_commands_that_queue_while_the_writer_commits_share_the_next_commit(
    client, hold_next_batch, send_behind, writer, user, other_user, book_levels
):
    batches, commands = batches_of(writer)
    held = hold_next_batch(queued=7)

    requests = [order_request(user, amount="10", price=f"1.0{index}000") for index in range(4)]
    requests += [order_request(other_user, side="SELL", amount="10", price=f"1.1{index}000") for index in range(4)]
    responses = send_behind(held, requests[0], requests[1:])

    assert [response.status_code for response in responses] == [201] * 8
    # One batch for the command that led, one for the seven that queued behind its commit.
    assert batches_of(writer) == (batches + 2, commands + 8)
    assert writer[0].stats.largest_batch == 7
    for request_user, response in zip([user] * 4 + [other_user] * 4, responses, strict=True):
        assert fetch_order(client, request_user, response.get_json()["orderId"]) == response.get_json()
    bids, asks = book_levels()
    assert len(bids) == 4 and len(asks) == 4


def test_a_refused_command_in_a_batch_changes_nothing_and_the_others_commit(
    client, runner, hold_next_batch, send_behind, writer, place_order, user, other_user, balances_of, socket_client
):
    resting = place_order(user, amount="100", price="1.09990")
    closed = place_order(user, amount="10", price="1.09000")
    assert client.delete(f"/orders/{closed['orderId']}", headers=user.headers).status_code == 200
    listener = socket_client(user)
    listener.get_received(ORDERS_NAMESPACE)
    held = hold_next_batch(queued=5)

    leader = order_request(other_user, side="SELL", amount="10", price="1.20000")
    crossing = order_request(other_user, side="SELL", amount="50", price="1.09990")
    unaffordable = order_request(user, amount="10000000", price="1.10000")
    cancel_closed = lambda c: c.delete(f"/orders/{closed['orderId']}", headers=user.headers)  # noqa: E731
    overfill = trade_request(user, resting["orderId"], "500", price="1.09990")
    resting_bid = order_request(user, amount="10", price="1.08000")
    responses = send_behind(held, leader, [crossing, unaffordable, cancel_closed, overfill, resting_bid])

    assert [response.status_code for response in responses] == [201, 201, 422, 409, 400, 201]
    assert_error(responses[2], 422, field="amount")
    assert_error(responses[4], 400, field="executedAmount")
    assert writer[0].stats.largest_batch == 5
    after = fetch_order(client, user, resting["orderId"])
    assert (after["status"], after["filledAmount"]) == ("PARTIALLY_FILLED", "50")
    # The refusals held nothing and published nothing: the user's USD holds exactly the two open bids.
    assert balances_of(user)["USD"]["held"] == Decimal("50") * Decimal("1.09990") + Decimal("10") * Decimal("1.08000")
    received = [message["args"][0]["event"] for message in listener.get_received(ORDERS_NAMESPACE)]
    assert sorted(set(received)) == ["BALANCE_UPDATED", "ORDER_CREATED", "ORDER_STATUS_CHANGED", "TRADE_ADDED"]
    assert received.count("ORDER_CREATED") == 1
    assert_clean(runner)


def test_one_client_order_id_twice_in_one_batch_makes_one_order(
    client, hold_next_batch, send_behind, writer, user, other_user, balances_of
):
    before = balances_of(user)["USD"]["available"]
    held = hold_next_batch(queued=2)

    leader = order_request(other_user, side="SELL", amount="10", price="1.20000")
    twice = order_request(user, amount="100", price="1.09000", clientOrderId="once-only")
    responses = send_behind(held, leader, [twice, twice])

    assert sorted(response.status_code for response in responses[1:]) == [200, 201]
    assert responses[1].get_json()["orderId"] == responses[2].get_json()["orderId"]
    listed = client.get("/orders", headers=user.headers).get_json()
    assert [order["clientOrderId"] for order in listed] == ["once-only"]
    assert before - balances_of(user)["USD"]["available"] == Decimal("109")


def test_a_batch_whose_commit_fails_answers_503_to_every_command_and_leaves_nothing(
    client, runner, hold_next_batch, send_behind, writer, place_order, post_order, user, other_user, book_levels, balances_of
):
    maker = place_order(other_user, side="SELL", amount="100", price="1.10000")
    before = balances_of(user), balances_of(other_user)
    held = hold_next_batch(queued=4, then_fail=True)

    leader = order_request(other_user, side="SELL", amount="10", price="1.20000")
    followers = [
        order_request(user, amount="40", price="1.10000"),
        order_request(user, amount="10", price="1.05000"),
        trade_request(other_user, maker["orderId"], "10", price="1.10000"),
        lambda c: c.delete(f"/orders/{maker['orderId']}", headers=other_user.headers),
    ]
    responses = send_behind(held, leader, followers)

    assert held.released.is_set()
    assert responses[0].status_code == 201
    for response in responses[1:]:
        body = assert_error(response, 503)
        assert "none of it took effect" in body["message"]
        assert response.headers["Retry-After"] == "1"
    assert client.get("/orders", headers=user.headers).get_json() == []
    assert fetch_order(client, other_user, maker["orderId"])["status"] == "PENDING"
    assert balances_of(user) == before[0]
    assert book_levels() == ([], [("1.10000", "100", 1), ("1.20000", "10", 1)])
    # The book was rebuilt from the database: the same order sent again trades with the maker once.
    retried = post_order(user, amount="40", price="1.10000")
    assert retried.status_code == 201
    assert [trade["counterOrderId"] for trade in retried.get_json()["trades"]] == [maker["orderId"]]
    assert_clean(runner)


def test_a_command_for_an_order_that_is_not_there_is_404_and_its_batch_commits(
    hold_next_batch, send_behind, writer, user, other_user, book_levels, db_kind
):
    # On PostgreSQL the order's pair picks its writer, so an unknown order is answered before any writer.
    held = hold_next_batch(queued=2 if db_kind == "sqlite" else 1)

    leader = order_request(other_user, side="SELL", amount="10", price="1.20000")
    missing = lambda c: c.delete(f"/orders/{UNKNOWN_ID}", headers=user.headers)  # noqa: E731
    bid = order_request(user, amount="10", price="1.05000")
    responses = send_behind(held, leader, [missing, bid])

    assert [response.status_code for response in responses] == [201, 404, 201]
    assert book_levels() == ([("1.05000", "10", 1)], [("1.20000", "10", 1)])


def test_an_order_requeued_late_in_a_batch_is_behind_the_orders_queued_before_it_in_every_process(
    app, make_app, client, hold_next_batch, send_behind, writer, user, other_user
):
    first, second = Process(app), Process(make_app())
    early = first.place(user, side="SELL", amount="300", price="1.10010")
    second.place(other_user, side="BUY", amount="10", price="1.09000")  # the second process caches the book
    held = hold_next_batch(queued=3)

    leader = order_request(other_user, side="SELL", amount="10", price="1.20000")
    path = f"/orders/{early['orderId']}"
    reduce_early = lambda c: c.put(path, json={"amount": "200"}, headers=user.headers)  # noqa: E731
    newer = order_request(other_user, side="SELL", amount="100", price="1.10010")
    grow_early = lambda c: c.put(path, json={"amount": "500"}, headers=user.headers)  # noqa: E731
    responses = send_behind(held, leader, [reduce_early, newer, grow_early])

    assert [response.status_code for response in responses] == [201, 200, 201, 200]
    with second.rebuilds() as rebuilds:
        second.place(other_user, side="BUY", amount="10", price="1.08000")
    assert rebuilds == []
    cached, stored = second.books()
    assert cached == stored
    at_price = [order_id for _, order_id, price, _ in cached[0] if price == Decimal("1.10010")]
    assert [str(order_id) for order_id in at_price] == [responses[2].get_json()["orderId"], early["orderId"]]


class DuringBatch:
    """Runs an action in another thread once a batch has read its balances and before it commits."""

    def __init__(self, trigger, wait):
        self.trigger = trigger  # what the batch's statement starts with when the action runs
        self.wait = wait  # whether the batch waits for the action (it must not, where the action waits for it)
        self.pending = []
        self.threads = []

    def add(self, action):
        self.pending.append(action)

    def finish(self):
        for thread in self.threads:
            thread.join(QUEUE_TIMEOUT)

    def on_statement(self, _connection, _cursor, statement, *_):
        if self.pending and self.trigger in statement:
            thread = threading.Thread(target=self.pending.pop())
            self.threads.append(thread)
            thread.start()
            if self.wait:
                thread.join(QUEUE_TIMEOUT)


@pytest.fixture
def during_batch(app, db_kind):
    """during_batch.add(action): run action() in another thread while the next batch runs. On PostgreSQL,
    just before the batch locks the balances it read without a lock, and to its end; on SQLite, where the
    batch holds the database lock throughout, as it starts to write (the action then waits for it)."""
    with app.app_context():
        engine = db.engine
    if db_kind == "postgresql":
        runner = DuringBatch("FOR UPDATE NOWAIT", wait=True)
    else:
        runner = DuringBatch("INSERT INTO orders", wait=False)
    event.listen(engine, "before_cursor_execute", runner.on_statement)
    yield runner
    runner.finish()
    event.remove(engine, "before_cursor_execute", runner.on_statement)


def assert_a_sell_fills_the_maker(client, place_order, writer, user, other_user, maker, *, retries):
    before = writer[0].stats.retries
    taker = place_order(user, side="SELL", amount="100", price="1.10000")
    assert taker["status"] == "FILLED"
    assert writer[0].stats.retries == before + retries
    assert fetch_order(client, other_user, maker["orderId"])["status"] == "FILLED"


def test_a_balance_another_writer_moves_during_a_batch_loses_neither_change(
    app, client, runner, place_order, during_batch, writer, user, other_user, balances_of, db_kind
):
    maker = place_order(other_user, side="BUY", amount="100", price="1.10000")
    start = balances_of(other_user)["EUR"]["available"]

    def deposit_to_the_maker():
        with app.app_context():
            balances.deposit(username=other_user.username, asset="EUR", amount=Decimal("5"))

    during_batch.add(deposit_to_the_maker)
    # PostgreSQL: the batch sees the balance moved and runs again on what was committed. SQLite: the
    # deposit waits for the batch's database lock and lands after it.
    retries = 1 if db_kind == "postgresql" else 0
    assert_a_sell_fills_the_maker(client, place_order, writer, user, other_user, maker, retries=retries)
    during_batch.finish()
    assert balances_of(other_user)["EUR"]["available"] == start + Decimal("5") + Decimal("100")
    assert_clean(runner)


def test_a_balance_another_transaction_holds_during_a_batch_is_waited_for_on_the_next_run(
    app, client, runner, place_order, during_batch, writer, user, other_user, db_kind
):
    if db_kind != "postgresql":
        pytest.skip("on SQLite a batch holds the database lock throughout: no other transaction can hold a balance")
    maker = place_order(other_user, side="BUY", amount="100", price="1.10000")
    locked = threading.Event()

    def hold_the_makers_balance_a_moment():
        def hold():
            with app.app_context(), db.engine.begin() as connection:
                connection.execute(
                    text("SELECT 1 FROM balances WHERE account_id = :id FOR UPDATE"), {"id": other_user.id}
                )
                locked.set()
                time.sleep(0.3)

        threading.Thread(target=hold).start()
        assert locked.wait(QUEUE_TIMEOUT)

    during_batch.add(hold_the_makers_balance_a_moment)
    assert_a_sell_fills_the_maker(client, place_order, writer, user, other_user, maker, retries=1)
    assert_clean(runner)


class TestWithTwoConnections:
    @pytest.fixture
    def writer_app(self, make_app):
        # Two connections in all, and a request that finds none fails fast rather than waits its turn.
        return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 1, "pool_timeout": 2})

    def test_requests_waiting_for_the_writer_hold_no_connection(
        self, writer_app, hold_next_batch, send_behind, user, other_user
    ):
        client = writer_app.test_client()
        resting = [
            client.post("/orders", json={**ORDER_DEFAULTS, "price": f"1.0{index}000"}, headers=user.headers)
            for index in range(6)
        ]
        held = hold_next_batch(queued=6)

        leader = order_request(other_user, side="SELL", amount="10", price="1.20000")
        cancels = [
            (lambda c, order_id=response.get_json()["orderId"]: c.delete(f"/orders/{order_id}", headers=user.headers))
            for response in resting
        ]
        responses = send_behind(held, leader, cancels)

        assert [response.status_code for response in responses] == [201] + [200] * 6
