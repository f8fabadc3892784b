"""Each user's stream carries that user's events only, to every socket the user has open."""


# What _trade_through_a_lifecycle sends its user: each change's order events, then its balance events.
LIFECYCLE_EVENTS = [
    *("ORDER_CREATED", "BALANCE_UPDATED"),
    *("TRADE_ADDED", "ORDER_STATUS_CHANGED", "BALANCE_UPDATED", "BALANCE_UPDATED"),
    *("TRADE_ADDED", "ORDER_STATUS_CHANGED", "BALANCE_UPDATED", "BALANCE_UPDATED"),
    *("ORDER_CREATED", "BALANCE_UPDATED"),
    *("ORDER_STATUS_CHANGED", "BALANCE_UPDATED"),
]


def _trade_through_a_lifecycle(user, place_order, filled, orders_api):
    """Create, fill and cancel orders so that every kind of event is emitted for `user`."""
    order = place_order(user)
    filled(user, order, "250")
    filled(user, order, "750")
    assert orders_api.cancel(user, place_order(user)).status_code == 200


def test_a_user_never_receives_another_users_events(
    user, other_user, socket_client, place_order, filled, orders_api, names
):
    alice_socket = socket_client(user)
    bob_socket = socket_client(other_user)

    _trade_through_a_lifecycle(user, place_order, filled, orders_api)

    assert names(bob_socket) == []
    assert names(alice_socket) == LIFECYCLE_EVENTS


def test_isolation_holds_in_both_directions(
    user, other_user, socket_client, place_order, filled, orders_api, received, balance_line
):
    alice_socket = socket_client(user)
    bob_socket = socket_client(other_user)
    alice_order = place_order(user)
    bob_order = place_order(other_user)

    filled(other_user, bob_order, "250")
    filled(user, alice_order, "1000")

    def story(sio):
        return [
            balance_line(payload) if name == "BALANCE_UPDATED" else (name, payload["orderId"])
            for name, payload in received(sio)
        ]

    # Both start from the same balances and place the same order; only the fills differ, so each
    # balance below can only be its receiver's own: Alice's order filled whole, Bob's by 250.
    assert story(alice_socket) == [
        ("ORDER_CREATED", alice_order["orderId"]),
        ("BALANCE_UPDATED", "USD", "98900", "1100"),
        ("TRADE_ADDED", alice_order["orderId"]),
        ("ORDER_STATUS_CHANGED", alice_order["orderId"]),
        ("BALANCE_UPDATED", "USD", "98900", "0"),
        ("BALANCE_UPDATED", "EUR", "101000", "0"),
    ]
    assert story(bob_socket) == [
        ("ORDER_CREATED", bob_order["orderId"]),
        ("BALANCE_UPDATED", "USD", "98900", "1100"),
        ("TRADE_ADDED", bob_order["orderId"]),
        ("ORDER_STATUS_CHANGED", bob_order["orderId"]),
        ("BALANCE_UPDATED", "USD", "98900", "825"),
        ("BALANCE_UPDATED", "EUR", "100250", "0"),
    ]


def test_every_socket_of_a_user_receives_the_users_events(
    user, socket_client, place_order, filled, orders_api, received
):
    first_tab = socket_client(user)
    second_tab = socket_client(user)

    _trade_through_a_lifecycle(user, place_order, filled, orders_api)

    events = received(first_tab)
    assert [name for name, _payload in events] == LIFECYCLE_EVENTS
    assert received(second_tab) == events

