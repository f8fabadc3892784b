"""A client keeps an exact local book from BOOK_DELTA and one GET /orderbook, following the documented recipe
(README "Keeping a local order book", HLD.md section 9), while several users trade at random from threads."""

import threading
import time
from decimal import Decimal

import pytest
from trading_load import MARKETS, replayable_seed, senders_through_the_test_client, trade_concurrently

from orders_app.extensions import db, socketio
from orders_app.services import market_feed
from orders_app.realtime.rooms import MARKET_NAMESPACE

PAIRS = [market.pair for market in MARKETS]
WAIT_SECONDS = 120


class Resync(Exception):
    """The deltas do not continue the local book: the recipe starts again from a new snapshot."""


class LocalBook:
    """The recipe: start from a snapshot, drop the deltas it already includes, check that the first one
    applied straddles its sequence and that each next one starts where the one before ended, apply."""

    def __init__(self, snapshot):
        self.sequence = snapshot["sequence"]
        self.sides = {
            side: {Decimal(level["price"]): Decimal(level["amount"]) for level in snapshot[side]}
            for side in ("bids", "asks")
        }
        self.applied = self.dropped = 0

    def apply(self, delta):
        if delta["lastSequence"] <= self.sequence:
            self.dropped += 1  # the snapshot already includes it
            return
        if self.applied == 0:
            if not delta["firstSequence"] <= self.sequence + 1 <= delta["lastSequence"]:
                raise Resync(f"first delta {delta['firstSequence']}..{delta['lastSequence']} after {self.sequence}")
        elif delta["firstSequence"] != self.sequence + 1:
            raise Resync(f"gap: delta {delta['firstSequence']}..{delta['lastSequence']} after {self.sequence}")
        for side in ("bids", "asks"):
            for price, amount in delta[side]:
                if Decimal(amount) == 0:
                    self.sides[side].pop(Decimal(price), None)
                else:
                    self.sides[side][Decimal(price)] = Decimal(amount)
        self.sequence = delta["lastSequence"]
        self.applied += 1

    def levels(self, side):
        return sorted(self.sides[side].items(), reverse=side == "bids")


def book_as_levels(book):
    return {side: [(Decimal(level["price"]), Decimal(level["amount"])) for level in book[side]] for side in ("bids", "asks")}


def market_events(sio):
    return [(packet["name"], packet["args"][0]) for packet in sio.get_received(MARKET_NAMESPACE)]


@pytest.fixture
def book_subscriber(market_socket):
    """book_subscriber(*pairs) -> a /market test client subscribed to the pairs' BOOK_DELTA channel."""

    def connect(*pairs):
        sio = market_socket()
        for pair in pairs:
            ack = sio.emit("subscribe", {"pair": pair, "channels": ["book"]}, namespace=MARKET_NAMESPACE, callback=True)
            assert ack["ok"] is True and ack["channels"] == ["book"], ack
        return sio

    return connect


def full_book(client, pair):
    response = client.get("/orderbook", query_string={"pair": pair, "depth": 100})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def rest_far_asks(client, owner, operator):
    """One ask per pair at twice its mid, larger than every trader's money could buy: no limit order of the
    load reaches it and no MARKET BUY can take it all, so each book ends with something to compare."""
    for market in MARKETS:
        amount = market.unaffordable
        deposit = {"username": owner.username, "asset": market.base, "amount": str(amount)}
        response = client.post("/admin/deposits", json=deposit, headers=operator.headers)
        assert response.status_code == 201, response.get_json()
        ask = {"pair": market.pair, "side": "SELL", "type": "LIMIT", "amount": str(amount), "price": str(market.mid * 2)}
        response = client.post("/orders", json=ask, headers=owner.headers)
        assert response.status_code == 201 and response.get_json()["status"] == "PENDING", response.get_json()


def test_a_client_following_the_recipe_under_random_concurrent_trading_ends_with_the_servers_full_book(
    app, client, make_user, operator, book_subscriber
):
    seed = replayable_seed()
    users = [make_user() for _ in range(6)]
    from_the_start = book_subscriber(*PAIRS)  # subscribed before anything happened: every delta from sequence 1
    recipe_client = book_subscriber(*PAIRS)  # takes its snapshot in the middle of the trading
    rest_far_asks(client, make_user(), operator)

    send_for_thread = senders_through_the_test_client(app, users, operator)

    outcome = {}
    trading = threading.Thread(
        target=lambda: outcome.update(result=trade_concurrently(send_for_thread, [u.username for u in users], seed))
    )
    trading.start()
    # Step 2 of the recipe, while the deltas keep coming (the test client buffers them, as step 1 says).
    deadline = time.monotonic() + WAIT_SECONDS
    while full_book(client, "EUR/USD")["sequence"] < 30 and trading.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    snapshots = {pair: full_book(client, pair) for pair in PAIRS}
    trading.join(WAIT_SECONDS * 2)
    assert not trading.is_alive() and "result" in outcome, f"seed {seed}: the trading did not finish"

    deltas = {"recipe": market_events(recipe_client), "from the start": market_events(from_the_start)}
    for pair in PAIRS:
        final = full_book(client, pair)
        empty = {"sequence": 0, "bids": [], "asks": []}
        for name, start in (("recipe", snapshots[pair]), ("from the start", empty)):
            local = LocalBook(start)
            for event, delta in deltas[name]:
                assert event == "BOOK_DELTA", (seed, event)
                if delta["pair"] == pair:
                    local.apply(delta)
            assert local.sequence == final["sequence"], (seed, name, pair)
            if name == "recipe" and pair == "EUR/USD":
                assert local.dropped and local.applied, f"seed {seed}: the snapshot did not fall amid the deltas"
            assert {side: local.levels(side) for side in ("bids", "asks")} == book_as_levels(final), (seed, name, pair)
        assert final["sequence"] > snapshots[pair]["sequence"], f"seed {seed}: nothing happened after the snapshot"
        assert len(final["bids"]) + len(final["asks"]) > 0, f"seed {seed}: {pair} ended empty"
    assert snapshots["EUR/USD"]["sequence"] > 0, f"seed {seed}: the snapshot was taken before any change"


def test_deltas_chain_from_sequence_one_with_exactly_the_levels_each_commit_changed(
    client, book_subscriber, place_order, user, other_user
):
    sio = book_subscriber("EUR/USD")
    resting = place_order(user, side="SELL", amount="100", price="1.10010")
    place_order(user, side="SELL", amount="50", price="1.10010")
    place_order(user, side="SELL", amount="70", price="1.10020")
    place_order(other_user, side="BUY", amount="120", price="1.10000")
    # Sweeps the first level (150) and 30 of the second, then rests nothing: it is filled.
    place_order(other_user, side="BUY", amount="180", price="1.10020")
    assert client.delete(f"/orders/{resting['orderId']}", headers=user.headers).status_code == 409  # filled

    deltas = [payload for _name, payload in market_events(sio)]

    assert [(d["firstSequence"], d["lastSequence"]) for d in deltas] == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 7)]
    assert [(d["bids"], d["asks"]) for d in deltas] == [
        ([], [["1.10010", "100"]]),
        ([], [["1.10010", "150"]]),
        ([], [["1.10020", "70"]]),
        ([["1.10000", "120"]], []),
        ([], [["1.10010", "0"], ["1.10020", "40"]]),
    ]
    assert full_book(client, "EUR/USD")["sequence"] == 7


def test_an_amend_and_a_cancel_send_the_levels_they_moved(client, book_subscriber, place_order, user):
    order = place_order(user, side="BUY", amount="100", price="1.09990")
    sio = book_subscriber("EUR/USD")

    assert client.put(f"/orders/{order['orderId']}", json={"amount": "60"}, headers=user.headers).status_code == 200
    assert client.put(f"/orders/{order['orderId']}", json={"price": "1.09980"}, headers=user.headers).status_code == 200
    assert client.delete(f"/orders/{order['orderId']}", headers=user.headers).status_code == 200

    deltas = [payload for _name, payload in market_events(sio)]
    assert [(d["firstSequence"], d["lastSequence"], d["bids"], d["asks"]) for d in deltas] == [
        (2, 2, [["1.09990", "60"]], []),
        (3, 3, [["1.09990", "0"], ["1.09980", "60"]], []),
        (4, 4, [["1.09980", "0"]], []),
    ]
    assert deltas[0]["event"] == "BOOK_DELTA" and deltas[0]["pair"] == "EUR/USD"


def test_a_refused_order_sends_no_delta(book_subscriber, post_order, user):
    sio = book_subscriber("EUR/USD")

    assert post_order(user, side="BUY", amount="100", price="1.000001").status_code == 422

    assert market_events(sio) == []


def test_deltas_go_only_to_subscribers_of_the_book_channel_of_their_pair(app, client, book_subscriber, place_order, user):
    other_pair = book_subscriber("GBP/USD")
    legacy = socketio.test_client(app, namespace=MARKET_NAMESPACE, flask_test_client=client)
    legacy.emit("subscribe", {"pair": "EUR/USD"}, namespace=MARKET_NAMESPACE, callback=True)
    market_events(legacy)

    place_order(user, side="BUY", amount="100", price="1.09990")

    assert market_events(other_pair) == []
    assert market_events(legacy) == []  # subscribe without channels keeps its snapshots-and-trades meaning
    legacy.disconnect(namespace=MARKET_NAMESPACE)


def test_a_subscription_naming_an_unknown_channel_is_refused(app, client):
    sio = socketio.test_client(app, namespace=MARKET_NAMESPACE, flask_test_client=client)

    ack = sio.emit("subscribe", {"pair": "EUR/USD", "channels": ["book", "gossip"]}, namespace=MARKET_NAMESPACE, callback=True)

    assert ack["ok"] is False and "channels" in ack["message"]
    sio.disconnect(namespace=MARKET_NAMESPACE)


def test_a_commit_that_fails_sends_no_delta_and_the_next_one_continues_the_chain(
    app, client, book_subscriber, place_order, post_order, user, other_user, monkeypatch
):
    place_order(other_user, side="SELL", amount="100", price="1.10000")
    sio = book_subscriber("EUR/USD", "BTC/USD")
    with app.app_context():
        dialect = db.engine.dialect
    real_commit = dialect.do_commit

    def failing(_dbapi_connection):
        raise dialect.loaded_dbapi.OperationalError("injected: the database went away during COMMIT")

    monkeypatch.setattr(dialect, "do_commit", failing)
    assert post_order(user, side="BUY", amount="100", price="1.10000").status_code == 503
    monkeypatch.setattr(dialect, "do_commit", real_commit)
    assert market_events(sio) == []

    place_order(user, side="BUY", amount="40", price="1.10000")

    ((_, delta),) = market_events(sio)
    assert (delta["firstSequence"], delta["lastSequence"], delta["asks"]) == (2, 2, [["1.10000", "60"]])


def test_a_fault_in_the_market_data_costs_the_order_nothing_and_shows_as_a_gap(
    client, book_subscriber, place_order, user, monkeypatch
):
    sio = book_subscriber("EUR/USD")

    def broken(*_args):
        raise RuntimeError("injected: a fault while building the market events")

    monkeypatch.setattr(market_feed, "_collect", broken)
    order = place_order(user, side="BUY", amount="100", price="1.09990")
    monkeypatch.undo()
    place_order(user, side="BUY", amount="100", price="1.09980")

    assert order["status"] == "PENDING"
    ((_, delta),) = market_events(sio)
    assert delta["firstSequence"] == 2  # sequence 1 was never sent: a client resynchronises
    assert full_book(client, "EUR/USD")["bids"][0]["price"] == "1.09990"
