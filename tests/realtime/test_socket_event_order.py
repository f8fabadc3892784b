"""Which events each change produces, and in what order a client sees them."""

import pytest


@pytest.fixture
def alice_socket(user, socket_client):
    return socket_client(user)


@pytest.fixture
def status_changes(received):
    """status_changes(sio) -> [(name, oldStatus, newStatus) or (name,)] since the previous read."""

    def read(sio):
        return [
            (name, payload["oldStatus"], payload["newStatus"]) if name == "ORDER_STATUS_CHANGED" else (name,)
            for name, payload in received(sio)
        ]

    return read


def test_placing_an_order_emits_order_created_only(user, alice_socket, place_order, names):
    place_order(user)

    assert names(alice_socket) == ["ORDER_CREATED"]


def test_first_partial_fill_emits_trade_added_then_pending_to_partially_filled(
    user, alice_socket, place_order, filled, status_changes
):
    order = place_order(user)
    status_changes(alice_socket)

    filled(user, order, "250")

    assert status_changes(alice_socket) == [
        ("TRADE_ADDED",),
        ("ORDER_STATUS_CHANGED", "PENDING", "PARTIALLY_FILLED"),
    ]


def test_second_partial_fill_emits_trade_added_only(user, alice_socket, place_order, filled, names):
    order = place_order(user)
    filled(user, order, "250")
    names(alice_socket)

    filled(user, order, "500")

    assert names(alice_socket) == ["TRADE_ADDED"]


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
    ]


def test_fill_of_the_whole_amount_emits_trade_added_then_pending_to_filled(
    user, alice_socket, place_order, filled, status_changes
):
    order = place_order(user)
    status_changes(alice_socket)

    filled(user, order, "1000")

    assert status_changes(alice_socket) == [("TRADE_ADDED",), ("ORDER_STATUS_CHANGED", "PENDING", "FILLED")]


def test_cancelling_a_pending_order_emits_pending_to_cancelled(
    user, alice_socket, place_order, orders_api, status_changes
):
    order = place_order(user)
    status_changes(alice_socket)

    assert orders_api.cancel(user, order).status_code == 200

    assert status_changes(alice_socket) == [("ORDER_STATUS_CHANGED", "PENDING", "CANCELLED")]


def test_cancelling_a_partially_filled_order_emits_partially_filled_to_cancelled(
    user, alice_socket, place_order, filled, orders_api, status_changes
):
    order = place_order(user)
    filled(user, order, "250")
    status_changes(alice_socket)

    assert orders_api.cancel(user, order).status_code == 200

    assert status_changes(alice_socket) == [("ORDER_STATUS_CHANGED", "PARTIALLY_FILLED", "CANCELLED")]


def test_each_event_names_the_order_it_belongs_to(user, alice_socket, place_order, filled, received):
    first = place_order(user)
    second = place_order(user)
    filled(user, second, "250")
    filled(user, first, "1000")

    assert [(name, payload["orderId"]) for name, payload in received(alice_socket)] == [
        ("ORDER_CREATED", first["orderId"]),
        ("ORDER_CREATED", second["orderId"]),
        ("TRADE_ADDED", second["orderId"]),
        ("ORDER_STATUS_CHANGED", second["orderId"]),
        ("TRADE_ADDED", first["orderId"]),
        ("ORDER_STATUS_CHANGED", first["orderId"]),
    ]
