"""What each event carries: exactly the spec's fields, named as its Socket.IO event, stamped in UTC."""

from decimal import Decimal

import pytest


@pytest.fixture
def alice_socket(user, socket_client):
    return socket_client(user)


def test_order_created_carries_the_order_as_the_api_returned_it(
    user, alice_socket, orders_api, received, balance_updated, utc_timestamp
):
    response = orders_api.place(user, clientOrderId="payload-1")
    assert response.status_code == 201
    order = response.get_json()

    assert received(alice_socket) == [
        (
            "ORDER_CREATED",
            {"event": "ORDER_CREATED", "orderId": order["orderId"], "order": order, "timestamp": utc_timestamp},
        ),
        balance_updated("USD", available="98900", held="1100"),
    ]


def test_balance_updated_carries_each_bucket_of_the_asset_as_a_plain_decimal(
    user, alice_socket, place_order, filled, received, balances_of, utc_timestamp
):
    order = place_order(user)
    received(alice_socket)

    # 250 at 1.09990 costs 274.975 USD; the hold at the 1.10000 limit reserved 275, so 0.025 goes back.
    filled(user, order, "250", "1.09990")

    balance_events = [payload for name, payload in received(alice_socket) if name == "BALANCE_UPDATED"]
    assert balance_events == [
        {
            "event": "BALANCE_UPDATED",
            "asset": "USD",
            "available": "98900.025",
            "held": "825",
            "pending": "0",
            "total": "99725.025",
            "timestamp": utc_timestamp,
        },
        {
            "event": "BALANCE_UPDATED",
            "asset": "EUR",
            "available": "100250",
            "held": "0",
            "pending": "0",
            "total": "100250",
            "timestamp": utc_timestamp,
        },
    ]
    stored = balances_of(user)
    for payload in balance_events:
        assert {bucket: Decimal(payload[bucket]) for bucket in stored[payload["asset"]]} == stored[payload["asset"]]


def test_trade_added_carries_the_trade_and_the_orders_new_fill(
    user, alice_socket, place_order, filled, received, utc_timestamp
):
    order = place_order(user)
    received(alice_socket)

    result = filled(user, order, "250", "1.09990")

    name, payload = received(alice_socket)[0]
    assert name == "TRADE_ADDED"
    assert payload == {
        "event": "TRADE_ADDED",
        "orderId": order["orderId"],
        "trade": {
            "tradeId": result["trade"]["tradeId"],
            "pair": "EUR/USD",
            "side": "BUY",
            "liquidity": "EXTERNAL",
            "counterOrderId": None,
            "executedAmount": "250",
            "executedPrice": "1.09990",
            "executedAt": utc_timestamp,
            "settled": True,
            "settledAt": utc_timestamp,
        },
        "newStatus": "PARTIALLY_FILLED",
        "filledAmount": "250",
        "remainingAmount": "750",
        "timestamp": utc_timestamp,
    }
    assert payload["trade"] == result["trade"]


def test_trade_added_shows_amounts_on_the_instruments_lot_grid(
    user, alice_socket, place_order, filled, received
):
    order = place_order(user, pair="BTC/USD", amount="0.5000", price="65000.00")
    received(alice_socket)

    filled(user, order, "0.2", "65000")

    _name, payload = received(alice_socket)[0]
    assert (payload["trade"]["executedAmount"], payload["trade"]["executedPrice"]) == ("0.2000", "65000.00")
    assert (payload["filledAmount"], payload["remainingAmount"]) == ("0.2000", "0.3000")


def test_order_status_changed_names_the_old_and_new_status(
    user, alice_socket, place_order, filled, received, utc_timestamp
):
    order = place_order(user)
    received(alice_socket)

    filled(user, order, "250")

    assert received(alice_socket)[1] == (
        "ORDER_STATUS_CHANGED",
        {
            "event": "ORDER_STATUS_CHANGED",
            "orderId": order["orderId"],
            "oldStatus": "PENDING",
            "newStatus": "PARTIALLY_FILLED",
            "timestamp": utc_timestamp,
        },
    )


def test_every_event_is_sent_under_its_payloads_event_name_with_a_utc_timestamp(
    user, alice_socket, place_order, filled, orders_api, received, utc_timestamp
):
    first = place_order(user)
    filled(user, first, "250")
    filled(user, first, "750")
    second = place_order(user)
    assert orders_api.cancel(user, second).status_code == 200

    events = received(alice_socket)

    assert [name for name, _payload in events] == [
        *("ORDER_CREATED", "BALANCE_UPDATED"),
        *("TRADE_ADDED", "ORDER_STATUS_CHANGED", "BALANCE_UPDATED", "BALANCE_UPDATED"),
        *("TRADE_ADDED", "ORDER_STATUS_CHANGED", "BALANCE_UPDATED", "BALANCE_UPDATED"),
        *("ORDER_CREATED", "BALANCE_UPDATED"),
        *("ORDER_STATUS_CHANGED", "BALANCE_UPDATED"),
    ]
    for name, payload in events:
        assert payload["event"] == name
        assert payload["timestamp"] == utc_timestamp
