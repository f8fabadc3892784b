"""Which events each change produces, and in what order a client sees them.

Alice buys 1000 EUR/USD at 1.10000 out of her starting 100000 USD and 100000 EUR: the order holds
1100 USD, and each fill at 1.10000 pays 1.1 USD per EUR out of that hold. A change's BALANCE_UPDATED
events come after its order and trade events, one per asset it changed, the first changed first.
"""

import pytest


@pytest.fixture
def alice_socket(user, socket_client):
    return socket_client(user)


@pytest.fixture
def status_changes(received, balance_line):
    """status_changes(sio) -> [(name, oldStatus, newStatus), ("BALANCE_UPDATED", asset, available, held)
    or (name,)] since the previous read."""

    def line(name, payload):
        if name == "ORDER_STATUS_CHANGED":
            return name, payload["oldStatus"], payload["newStatus"]
        if name == "BALANCE_UPDATED":
            return balance_line(payload)
        return (name,)

    return lambda sio: [line(name, payload) for name, payload in received(sio)]


def test_placing_an_order_emits_order_created_then_the_hold_on_its_quote_asset(
    user, alice_socket, place_order, status_changes
):
    place_order(user)

    assert status_changes(alice_socket) == [("ORDER_CREATED",), ("BALANCE_UPDATED", "USD", "98900", "1100")]


def test_first_partial_fill_emits_trade_added_then_pending_to_partially_filled(
    user, alice_socket, place_order, filled, status_changes
):
    order = place_order(user)
    status_changes(alice_socket)

    filled(user, order, "250")

    assert status_changes(alice_socket) == [
        ("TRADE_ADDED",),
        ("ORDER_STATUS_CHANGED", "PENDING", "PARTIALLY_FILLED"),
        ("BALANCE_UPDATED", "USD", "98900", "825"),
        ("BALANCE_UPDATED", "EUR", "100250", "0"),
    ]


def test_second_partial_fill_emits_trade_added_and_no_status_change(
    user, alice_socket, place_order, filled, status_changes
):
    order = place_order(user)
    filled(user, order, "250")
    status_changes(alice_socket)

    filled(user, order, "500")

    assert status_changes(alice_socket) == [
        ("TRADE_ADDED",),
        ("BALANCE_UPDATED", "USD", "98900", "275"),
        ("BALANCE_UPDATED", "EUR", "100750", "0"),
    ]


def test_final_fill_emits_trade_added_then_partially_filled_to_filled(
    user, alice_socket, place_order, filled, status_changes
):
    order = place_order(user)
    filled(user, order, "250")
    status_changes(alice_socket)

    filled(user, order, "750")

    assert status_changes(alice_socket) == [
        ("TRADE_ADDED",),
        ("ORDER_STATUS_CHANGED", "PARTIALLY_FILLED", "FILLED"),
        ("BALANCE_UPDATED", "USD", "98900", "0"),
        ("BALANCE_UPDATED", "EUR", "101000", "0"),
    ]


def test_fill_of_the_whole_amount_emits_trade_added_then_pending_to_filled(
    user, alice_socket, place_order, filled, status_changes
):
    order = place_order(user)
    status_changes(alice_socket)

    filled(user, order, "1000")

    assert status_changes(alice_socket) == [
        ("TRADE_ADDED",),
        ("ORDER_STATUS_CHANGED", "PENDING", "FILLED"),
        ("BALANCE_UPDATED", "USD", "98900", "0"),
        ("BALANCE_UPDATED", "EUR", "101000", "0"),
    ]


def test_cancelling_a_pending_order_emits_pending_to_cancelled(
    user, alice_socket, place_order, orders_api, status_changes
):
    order = place_order(user)
    status_changes(alice_socket)

    assert orders_api.cancel(user, order).status_code == 200

    assert status_changes(alice_socket) == [
        ("ORDER_STATUS_CHANGED", "PENDING", "CANCELLED"),
        ("BALANCE_UPDATED", "USD", "100000", "0"),
    ]


def test_cancelling_a_partially_filled_order_emits_partially_filled_to_cancelled(
    user, alice_socket, place_order, filled, orders_api, status_changes
):
    order = place_order(user)
    filled(user, order, "250")
    status_changes(alice_socket)

    assert orders_api.cancel(user, order).status_code == 200

    # The 250 filled cost 275 USD; cancelling gives the other 825 held back.
    assert status_changes(alice_socket) == [
        ("ORDER_STATUS_CHANGED", "PARTIALLY_FILLED", "CANCELLED"),
        ("BALANCE_UPDATED", "USD", "99725", "0"),
    ]


def test_each_event_names_the_order_it_belongs_to(user, alice_socket, place_order, filled, received):
    first = place_order(user)
    second = place_order(user)
    filled(user, second, "250")
    filled(user, first, "1000")

    # A balance belongs to the user, not to an order: BALANCE_UPDATED names its asset instead.
    assert [
        (name, payload["asset"] if name == "BALANCE_UPDATED" else payload["orderId"])
        for name, payload in received(alice_socket)
    ] == [
        ("ORDER_CREATED", first["orderId"]),
        ("BALANCE_UPDATED", "USD"),
        ("ORDER_CREATED", second["orderId"]),
        ("BALANCE_UPDATED", "USD"),
        ("TRADE_ADDED", second["orderId"]),
        ("ORDER_STATUS_CHANGED", second["orderId"]),
        ("BALANCE_UPDATED", "USD"),
        ("BALANCE_UPDATED", "EUR"),
        ("TRADE_ADDED", first["orderId"]),
        ("ORDER_STATUS_CHANGED", first["orderId"]),
        ("BALANCE_UPDATED", "USD"),
        ("BALANCE_UPDATED", "EUR"),
    ]
