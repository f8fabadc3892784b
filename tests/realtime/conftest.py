"""Socket.IO test-client helpers: read what a socket received, drive orders over HTTP."""

from dataclasses import dataclass

import pytest

from orders_app.realtime.rooms import ORDERS_NAMESPACE


@pytest.fixture
def received():
    """received(sio) -> [(event name, payload), ...] delivered since the previous call."""

    def read(sio):
        events = []
        for packet in sio.get_received(ORDERS_NAMESPACE):
            assert len(packet["args"]) == 1, packet
            events.append((packet["name"], packet["args"][0]))
        return events

    return read


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
