"""Each user's stream carries that user's events only, to every socket the user has open."""


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
    assert len(names(alice_socket)) == 7


def test_isolation_holds_in_both_directions(user, other_user, socket_client, place_order, filled, orders_api, received):
    alice_socket = socket_client(user)
    bob_socket = socket_client(other_user)
    alice_order = place_order(user)
    bob_order = place_order(other_user)

    filled(other_user, bob_order, "250")
    filled(user, alice_order, "1000")

    assert {payload["orderId"] for _name, payload in received(alice_socket)} == {alice_order["orderId"]}
    assert {payload["orderId"] for _name, payload in received(bob_socket)} == {bob_order["orderId"]}


def test_every_socket_of_a_user_receives_the_users_events(
    user, socket_client, place_order, filled, orders_api, received
):
    first_tab = socket_client(user)
    second_tab = socket_client(user)

    _trade_through_a_lifecycle(user, place_order, filled, orders_api)

    events = received(first_tab)
    assert len(events) == 7
    assert received(second_tab) == events

