"""The public /market namespace: subscribe and unsubscribe, BOOK_SNAPSHOT, TRADE, the periodic snapshot."""

import time

import pytest

from orders_app.extensions import socketio
from orders_app.realtime import namespaces
from orders_app.realtime.rooms import MARKET_NAMESPACE

# Bounded wait for the real once-a-second ticker.
TICKER_WAIT_SECONDS = 3


def market_events(sio):
    """[(event name, payload), ...] the client received on /market since the previous call."""
    events = []
    for packet in sio.get_received(MARKET_NAMESPACE):
        assert len(packet["args"]) == 1, packet
        events.append((packet["name"], packet["args"][0]))
    return events


def subscribe(sio, data):
    return sio.emit("subscribe", data, namespace=MARKET_NAMESPACE, callback=True)


def unsubscribe(sio, data):
    return sio.emit("unsubscribe", data, namespace=MARKET_NAMESPACE, callback=True)


def as_snapshot(book, timestamp):
    """The BOOK_SNAPSHOT payload that carries `book`, the REST order book."""
    return {**book, "event": "BOOK_SNAPSHOT", "timestamp": timestamp}


@pytest.fixture
def quiet_ticker(monkeypatch):
    """Keep the snapshot ticker asleep through the test, so periodic snapshots come only from the
    test's own send_changed_snapshots() calls and never depend on timing."""
    monkeypatch.setattr(namespaces, "SNAPSHOT_INTERVAL_SECONDS", 3600)


@pytest.fixture
def market_client(market_socket, quiet_ticker):
    """market_socket, for tests that must see no snapshot they did not ask for."""
    return market_socket


@pytest.fixture
def subscriber(market_client):
    """A /market client subscribed to EUR/USD, with the ack and the first snapshot already read."""
    sio = market_client()
    assert subscribe(sio, {"pair": "EUR/USD"})["ok"] is True
    market_events(sio)
    return sio


@pytest.fixture
def send_changed_snapshots(app):
    """Run one tick of the snapshot ticker now."""
    namespace = socketio.server.namespace_handlers[MARKET_NAMESPACE]

    def tick():
        with app.app_context():
            namespace.send_changed_snapshots()

    return tick


@pytest.fixture
def cross(place_order, user, other_user):
    """cross(pair, amount, price) -> Bob's order after it buys from a resting sell of Alice's."""

    def trade(pair="EUR/USD", amount="100", price="1.10000"):
        place_order(user, pair=pair, side="SELL", amount=amount, price=price)
        return place_order(other_user, pair=pair, side="BUY", amount=amount, price=price)

    return trade


def test_market_namespace_needs_no_token(market_client):
    assert market_client().is_connected(MARKET_NAMESPACE)


def test_subscribe_acks_with_the_sequence_and_sends_the_top_five_levels_at_once(
    market_client, place_order, order_book, user, utc_timestamp
):
    for price in ("1.10010", "1.10020", "1.10030", "1.10040", "1.10050", "1.10060"):
        place_order(user, side="SELL", amount="100", price=price)
    place_order(user, side="BUY", amount="300", price="1.09990")
    book = order_book()
    sio = market_client()

    ack = subscribe(sio, {"pair": "EUR/USD"})

    assert ack == {"ok": True, "pair": "EUR/USD", "sequence": book["sequence"]}
    assert market_events(sio) == [("BOOK_SNAPSHOT", as_snapshot(book, utc_timestamp))]
    assert len(book["asks"]) == 5


@pytest.mark.parametrize("data", [{"pair": "XAU/EUR"}, {}, "EUR/USD"], ids=["unknown-pair", "no-pair", "not-an-object"])
def test_subscribing_to_an_unknown_pair_is_refused_in_the_ack_without_a_snapshot(market_client, cross, data):
    sio = market_client()

    ack = subscribe(sio, data)
    cross()

    assert (set(ack), ack["ok"]) == ({"ok", "message"}, False)
    assert isinstance(ack["message"], str) and ack["message"]
    assert market_events(sio) == []


def test_every_trade_is_sent_as_trade_with_its_sequence_in_the_order_it_happened(
    client, subscriber, place_order, user, other_user, utc_timestamp
):
    place_order(user, side="SELL", amount="100", price="1.10000")
    place_order(user, side="SELL", amount="100", price="1.10010")

    place_order(other_user, side="BUY", amount="200", price="1.10010")

    tape = client.get("/trades", query_string={"pair": "EUR/USD"}).get_json()
    assert market_events(subscriber) == [
        ("TRADE", {**trade, "event": "TRADE", "timestamp": utc_timestamp}) for trade in reversed(tape)
    ]
    assert tape[0]["sequence"] == tape[1]["sequence"] + 1


def test_changes_without_trades_send_nothing_until_the_next_snapshot(client, subscriber, place_order, user):
    order = place_order(user, side="SELL", amount="100", price="1.10000")
    assert client.put(f"/orders/{order['orderId']}", json={"amount": "50"}, headers=user.headers).status_code == 200
    assert client.delete(f"/orders/{order['orderId']}", headers=user.headers).status_code == 200

    assert market_events(subscriber) == []


def test_trades_of_other_pairs_are_not_sent(subscriber, cross):
    cross(pair="GBP/USD", price="1.25000")

    assert market_events(subscriber) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "MARKET", "price": "1.10000"},
        {"price": "1.000001"},
        {"timeInForce": "GTD"},
    ],
    ids=["market-with-price", "off-grid", "unknown-time-in-force"],
)
def test_refused_order_sends_nothing_to_market_subscribers(
    subscriber, place_order, post_order, user, other_user, fields
):
    place_order(user, side="SELL", amount="100", price="1.10000")

    assert post_order(other_user, side="BUY", amount="100", **fields).status_code == 422
    assert market_events(subscriber) == []


def test_unsubscribe_acks_and_stops_trade_events(subscriber, cross):
    ack = unsubscribe(subscriber, {"pair": "EUR/USD"})
    cross()

    assert ack == {"ok": True, "pair": "EUR/USD"}
    assert market_events(subscriber) == []


def test_each_subscriber_gets_every_trade(market_client, subscriber, cross):
    second = market_client()
    assert subscribe(second, {"pair": "EUR/USD"})["ok"] is True
    market_events(second)

    cross()

    assert [name for name, _ in market_events(subscriber)] == ["TRADE"]
    assert [name for name, _ in market_events(second)] == ["TRADE"]


# --- the periodic snapshot -------------------------------------------------------------------


def test_periodic_snapshot_follows_a_change_to_the_book_once(
    subscriber, send_changed_snapshots, place_order, order_book, user, utc_timestamp
):
    place_order(user, side="BUY", amount="100", price="1.09990")

    send_changed_snapshots()
    after_change = market_events(subscriber)
    send_changed_snapshots()

    assert after_change == [("BOOK_SNAPSHOT", as_snapshot(order_book(), utc_timestamp))]
    assert market_events(subscriber) == []


def test_periodic_snapshot_does_not_repeat_the_one_sent_on_subscribe(subscriber, send_changed_snapshots):
    send_changed_snapshots()

    assert market_events(subscriber) == []


def test_periodic_snapshot_carries_each_new_sequence(subscriber, send_changed_snapshots, place_order, user):
    sequences = []
    for price in ("1.09990", "1.09980"):
        place_order(user, side="BUY", amount="100", price=price)
        send_changed_snapshots()
        sequences += [payload["sequence"] for _name, payload in market_events(subscriber)]

    assert len(sequences) == 2 and sequences[1] == sequences[0] + 1


def test_no_periodic_snapshot_after_unsubscribe(subscriber, send_changed_snapshots, place_order, user):
    unsubscribe(subscriber, {"pair": "EUR/USD"})
    place_order(user, side="BUY", amount="100", price="1.09990")

    send_changed_snapshots()

    assert market_events(subscriber) == []


def test_ticker_sends_a_snapshot_of_the_changed_book_within_seconds(
    market_socket, place_order, order_book, user, utc_timestamp
):
    sio = market_socket()
    assert subscribe(sio, {"pair": "EUR/USD"})["ok"] is True
    market_events(sio)
    place_order(user, side="BUY", amount="100", price="1.09990")
    book = order_book()

    snapshots = []
    deadline = time.monotonic() + TICKER_WAIT_SECONDS
    while time.monotonic() < deadline and not any(s["sequence"] == book["sequence"] for s in snapshots):
        time.sleep(0.05)
        snapshots += [payload for name, payload in market_events(sio) if name == "BOOK_SNAPSHOT"]

    assert as_snapshot(book, utc_timestamp) in snapshots
