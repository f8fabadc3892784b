"""Socket.IO test-client helpers: read what a socket received, drive orders over HTTP."""

from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import pytest

from orders_app.extensions import socketio
from orders_app.realtime.rooms import MARKET_NAMESPACE, ORDERS_NAMESPACE


PRIVATE_EVENTS = {"ORDER_CREATED", "TRADE_ADDED", "ORDER_STATUS_CHANGED", "ORDER_UPDATED", "BALANCE_UPDATED"}


@pytest.fixture
def received():
    """received(sio) -> [(event name, payload), ...] delivered since the previous call.

    Every private event must carry the account's next eventSeq: exactly one more than the event before
    it on that socket, or than the SNAPSHOT it started from. Once that is checked, the payload is
    returned without its eventSeq, so tests compare the rest of it whole."""
    last_seq = {}

    def read(sio):
        events = []
        for packet in sio.get_received(ORDERS_NAMESPACE):
            assert len(packet["args"]) == 1, packet
            name, payload = packet["name"], dict(packet["args"][0])
            if name in PRIVATE_EVENTS:
                seq = payload.pop("eventSeq")
                previous = last_seq.get(id(sio), getattr(sio, "snapshot", {}).get("eventSeq"))
                assert previous is None or seq == previous + 1, (name, seq, previous)
                last_seq[id(sio)] = seq
            events.append((name, payload))
        return events

    return read


@pytest.fixture
def balance_updated(utc_timestamp):
    """balance_updated("USD", available="98900", held="1100") -> the (name, payload) a BALANCE_UPDATED must be."""

    def expected(asset, *, available, held="0", pending="0"):
        total = Decimal(available) + Decimal(held) + Decimal(pending)
        payload = {
            "event": "BALANCE_UPDATED",
            "asset": asset,
            "available": available,
            "held": held,
            "pending": pending,
            "total": f"{total.normalize():f}",
            "timestamp": utc_timestamp,
        }
        return "BALANCE_UPDATED", payload

    return expected


@pytest.fixture
def balance_line(balance_updated):
    """balance_line(payload) -> ("BALANCE_UPDATED", asset, available, held), once the payload is checked whole.

    The instruments these tests trade settle at once, so pending is always 0 and total is available + held.
    """

    def summarise(payload):
        asset, available, held = payload["asset"], payload["available"], payload["held"]
        assert ("BALANCE_UPDATED", payload) == balance_updated(asset, available=available, held=held)
        return "BALANCE_UPDATED", asset, available, held

    return summarise


@pytest.fixture
def names(received):
    """names(sio) -> the event names delivered since the previous call, in order."""
    return lambda sio: [name for name, _payload in received(sio)]


@dataclass
class OrdersApi:
    """The order endpoints as a user calls them; each returns the raw response."""

    client: object
    post_order: object
    post_trade: object

    def place(self, user, **fields):
        return self.post_order(user, **fields)

    def fill(self, user, order, amount, price="1.10000"):
        return self.post_trade(user, order, amount, price)

    def set_status(self, user, order, status):
        return self.client.patch(f"/orders/{order['orderId']}/status", json={"status": status}, headers=user.headers)

    def cancel(self, user, order):
        return self.set_status(user, order, "CANCELLED")

    def list(self, user):
        return self.client.get("/orders", headers=user.headers)


@pytest.fixture
def orders_api(client, post_order, post_trade):
    return OrdersApi(client, post_order, post_trade)


@pytest.fixture
def filled(orders_api):
    """filled(user, order, amount, price?) -> the 201 body of a fill that must succeed."""

    def fill(user, order, amount, price="1.10000"):
        response = orders_api.fill(user, order, amount, price)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return fill


@pytest.fixture
def sockets(user, other_user, carol, socket_client):
    """One /orders socket per user, so an event sent to the wrong owner shows up too."""
    return SimpleNamespace(alice=socket_client(user), bob=socket_client(other_user), carol=socket_client(carol))


@pytest.fixture
def drain(received, sockets):
    """Forget what every socket has received so far."""

    def forget():
        for sio in vars(sockets).values():
            received(sio)

    return forget


@pytest.fixture
def market_socket(app, client):
    """market_socket() -> a Socket.IO test client on /market (no token needed). Closed after the test,
    so its subscriptions never outlive it."""
    opened = []

    def connect():
        sio = socketio.test_client(app, namespace=MARKET_NAMESPACE, flask_test_client=client)
        opened.append(sio)
        return sio

    yield connect
    for sio in opened:
        if sio.is_connected(MARKET_NAMESPACE):
            sio.disconnect(namespace=MARKET_NAMESPACE)
