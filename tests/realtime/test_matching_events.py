"""Private events of matching, amend and cancel: each owner hears about its own orders, in the order things happened.

Every user starts with 100000 USD and 100000 EUR. A BUY holds amount x limit of USD, a SELL holds its
amount of EUR; a trade pays out of those holds at the maker's price, and a buyer gets back what its
hold reserved above that price. A change's BALANCE_UPDATED events follow its order and trade events,
one per asset of that owner it changed, the first changed first.
"""

from types import SimpleNamespace

import pytest


@pytest.fixture
def story(received, balance_line):
    """story(sio) -> each event since the previous read as (name, orderId) or, for a status change,
    (name, orderId, oldStatus, newStatus), or for a balance ("BALANCE_UPDATED", asset, available, held)."""

    def line(name, payload):
        if name == "ORDER_STATUS_CHANGED":
            return name, payload["orderId"], payload["oldStatus"], payload["newStatus"]
        if name == "BALANCE_UPDATED":
            return balance_line(payload)
        return name, payload["orderId"]

    return lambda sio: [line(name, payload) for name, payload in received(sio)]


def amend(client, user, order, **changes):
    return client.put(f"/orders/{order['orderId']}", json=changes, headers=user.headers)


def trade_ids(trade_added_payloads):
    return [payload["trade"]["tradeId"] for payload in trade_added_payloads]


# --- crosses ---------------------------------------------------------------------------------


def test_cross_tells_the_maker_and_the_taker_each_about_their_own_order_only(
    place_order, user, other_user, sockets, drain, story
):
    maker = place_order(user, side="SELL", amount="100", price="1.10000")
    drain()

    taker = place_order(other_user, side="BUY", amount="100", price="1.10000")

    assert story(sockets.alice) == [
        ("TRADE_ADDED", maker["orderId"]),
        ("ORDER_STATUS_CHANGED", maker["orderId"], "PENDING", "FILLED"),
        ("BALANCE_UPDATED", "USD", "100110", "0"),
        ("BALANCE_UPDATED", "EUR", "99900", "0"),
    ]
    assert story(sockets.bob) == [
        ("ORDER_CREATED", taker["orderId"]),
        ("TRADE_ADDED", taker["orderId"]),
        ("ORDER_STATUS_CHANGED", taker["orderId"], "PENDING", "FILLED"),
        ("BALANCE_UPDATED", "USD", "99890", "0"),
        ("BALANCE_UPDATED", "EUR", "100100", "0"),
    ]
    assert story(sockets.carol) == []


@pytest.mark.parametrize("owner", ["maker", "taker"])
def test_trade_added_carries_the_trade_exactly_as_that_owners_order_shows_it(
    client, place_order, user, other_user, sockets, drain, received, utc_timestamp, owner
):
    maker = place_order(user, side="SELL", amount="100", price="1.10000")
    drain()
    taker = place_order(other_user, side="BUY", amount="300", price="1.10000")
    order, who, sio = (maker, user, sockets.alice) if owner == "maker" else (taker, other_user, sockets.bob)
    shown = client.get(f"/orders/{order['orderId']}", headers=who.headers).get_json()

    [payload] = [payload for name, payload in received(sio) if name == "TRADE_ADDED"]

    assert payload == {
        "event": "TRADE_ADDED",
        "orderId": order["orderId"],
        "trade": shown["trades"][0],
        "newStatus": shown["status"],
        "filledAmount": "100",
        "remainingAmount": shown["remainingAmount"],
        "timestamp": utc_timestamp,
    }


def test_sweep_tells_every_owner_in_the_order_the_trades_happened(
    place_order, user, other_user, carol, sockets, drain, story, received, balance_line
):
    first = place_order(user, side="SELL", amount="100", price="1.10000")
    second = place_order(carol, side="SELL", amount="100", price="1.10000")
    third = place_order(user, side="SELL", amount="100", price="1.10010")
    drain()

    taker = place_order(other_user, side="BUY", amount="250", price="1.10010")

    # Alice sold 100 at 1.10000 and 50 at 1.10010 (55.005 USD); 50 of her third order still holds EUR.
    assert story(sockets.alice) == [
        ("TRADE_ADDED", first["orderId"]),
        ("ORDER_STATUS_CHANGED", first["orderId"], "PENDING", "FILLED"),
        ("TRADE_ADDED", third["orderId"]),
        ("ORDER_STATUS_CHANGED", third["orderId"], "PENDING", "PARTIALLY_FILLED"),
        ("BALANCE_UPDATED", "USD", "100165.005", "0"),
        ("BALANCE_UPDATED", "EUR", "99800", "50"),
    ]
    assert story(sockets.carol) == [
        ("TRADE_ADDED", second["orderId"]),
        ("ORDER_STATUS_CHANGED", second["orderId"], "PENDING", "FILLED"),
        ("BALANCE_UPDATED", "USD", "100110", "0"),
        ("BALANCE_UPDATED", "EUR", "99900", "0"),
    ]
    bob_events = received(sockets.bob)
    assert [name for name, _ in bob_events] == [
        "ORDER_CREATED",
        "TRADE_ADDED",
        "ORDER_STATUS_CHANGED",
        "TRADE_ADDED",
        "TRADE_ADDED",
        "ORDER_STATUS_CHANGED",
        "BALANCE_UPDATED",
        "BALANCE_UPDATED",
    ]
    # Bob paid 110 + 110 + 55.005; what his 1.10010 hold reserved above the two 1.10000 fills came back.
    assert [balance_line(payload) for name, payload in bob_events if name == "BALANCE_UPDATED"] == [
        ("BALANCE_UPDATED", "USD", "99724.995", "0"),
        ("BALANCE_UPDATED", "EUR", "100250", "0"),
    ]
    assert trade_ids(payload for name, payload in bob_events if name == "TRADE_ADDED") == [
        trade["tradeId"] for trade in taker["trades"]
    ]
    assert [payload["filledAmount"] for name, payload in bob_events if name == "TRADE_ADDED"] == ["100", "200", "250"]


def test_self_trade_cancellation_tells_the_owner_before_the_fills(
    place_order, user, other_user, sockets, drain, story
):
    own = place_order(user, side="SELL", amount="100", price="1.10000")
    theirs = place_order(other_user, side="SELL", amount="100", price="1.10010")
    drain()

    taker = place_order(user, side="BUY", amount="100", price="1.10010")

    # USD changed first (the taker's hold), then EUR (the cancelled maker's 100 released, then 100 bought).
    assert story(sockets.alice) == [
        ("ORDER_CREATED", taker["orderId"]),
        ("ORDER_STATUS_CHANGED", own["orderId"], "PENDING", "CANCELLED"),
        ("TRADE_ADDED", taker["orderId"]),
        ("ORDER_STATUS_CHANGED", taker["orderId"], "PENDING", "FILLED"),
        ("BALANCE_UPDATED", "USD", "99889.99", "0"),
        ("BALANCE_UPDATED", "EUR", "100100", "0"),
    ]
    assert story(sockets.bob) == [
        ("TRADE_ADDED", theirs["orderId"]),
        ("ORDER_STATUS_CHANGED", theirs["orderId"], "PENDING", "FILLED"),
        ("BALANCE_UPDATED", "USD", "100110.01", "0"),
        ("BALANCE_UPDATED", "EUR", "99900", "0"),
    ]


def test_expire_taker_tells_the_owner_only_that_the_incoming_order_expired(place_order, user, sockets, drain, story):
    place_order(user, side="SELL", amount="100", price="1.10000")
    drain()

    taker = place_order(user, side="BUY", amount="100", price="1.10000", selfTradePrevention="EXPIRE_TAKER")

    # The taker's hold went on and came straight off again: USD is where it was, so no balance event.
    assert story(sockets.alice) == [
        ("ORDER_CREATED", taker["orderId"]),
        ("ORDER_STATUS_CHANGED", taker["orderId"], "PENDING", "EXPIRED"),
    ]


def test_ioc_remainder_expires_after_its_fills(place_order, user, other_user, sockets, drain, story):
    maker = place_order(user, side="SELL", amount="100", price="1.10000")
    drain()

    taker = place_order(other_user, side="BUY", amount="300", price="1.10000", timeInForce="IOC")

    # Bob paid 110 for the 100 filled; the hold for the expired 200 was released.
    assert story(sockets.bob) == [
        ("ORDER_CREATED", taker["orderId"]),
        ("TRADE_ADDED", taker["orderId"]),
        ("ORDER_STATUS_CHANGED", taker["orderId"], "PENDING", "PARTIALLY_FILLED"),
        ("ORDER_STATUS_CHANGED", taker["orderId"], "PARTIALLY_FILLED", "EXPIRED"),
        ("BALANCE_UPDATED", "USD", "99890", "0"),
        ("BALANCE_UPDATED", "EUR", "100100", "0"),
    ]
    assert story(sockets.alice) == [
        ("TRADE_ADDED", maker["orderId"]),
        ("ORDER_STATUS_CHANGED", maker["orderId"], "PENDING", "FILLED"),
        ("BALANCE_UPDATED", "USD", "100110", "0"),
        ("BALANCE_UPDATED", "EUR", "99900", "0"),
    ]


def test_fok_that_cannot_fill_tells_only_its_owner_that_it_expired(
    place_order, user, other_user, sockets, drain, story
):
    place_order(user, side="SELL", amount="100", price="1.10000")
    drain()

    taker = place_order(other_user, side="BUY", amount="300", price="1.10000", timeInForce="FOK")

    # Held and released in the same transaction: the balance did not change, so no balance event.
    assert story(sockets.bob) == [
        ("ORDER_CREATED", taker["orderId"]),
        ("ORDER_STATUS_CHANGED", taker["orderId"], "PENDING", "EXPIRED"),
    ]
    assert story(sockets.alice) == []


# --- amend and cancel ------------------------------------------------------------------------


def test_amend_sends_order_updated_with_the_new_price_amount_and_remaining(
    client, place_order, filled, user, sockets, received, drain, balance_updated, utc_timestamp
):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    filled(user, order, "250")
    drain()

    assert amend(client, user, order, price="1.0999", amount=800).status_code == 200

    assert received(sockets.alice) == [
        (
            "ORDER_UPDATED",
            {
                "event": "ORDER_UPDATED",
                "orderId": order["orderId"],
                "price": "1.09990",
                "amount": "800",
                "remainingAmount": "550",
                "timestamp": utc_timestamp,
            },
        ),
        # The 550 left now holds 550 x 1.0999 = 604.945 instead of 750 x 1.1 = 825.
        balance_updated("USD", available="99120.055", held="604.945"),
    ]


def test_amend_that_crosses_sends_order_updated_before_the_trades_it_causes(
    client, place_order, user, other_user, sockets, drain, story
):
    bid = place_order(other_user, side="BUY", amount="100", price="1.09990")
    ask = place_order(user, side="SELL", amount="100", price="1.10000")
    drain()

    assert amend(client, user, ask, price="1.09990").status_code == 200

    assert story(sockets.alice) == [
        ("ORDER_UPDATED", ask["orderId"]),
        ("TRADE_ADDED", ask["orderId"]),
        ("ORDER_STATUS_CHANGED", ask["orderId"], "PENDING", "FILLED"),
        ("BALANCE_UPDATED", "USD", "100109.99", "0"),
        ("BALANCE_UPDATED", "EUR", "99900", "0"),
    ]
    assert story(sockets.bob) == [
        ("TRADE_ADDED", bid["orderId"]),
        ("ORDER_STATUS_CHANGED", bid["orderId"], "PENDING", "FILLED"),
        ("BALANCE_UPDATED", "USD", "99890.01", "0"),
        ("BALANCE_UPDATED", "EUR", "100100", "0"),
    ]


def test_amend_down_to_the_filled_amount_sends_order_updated_then_filled(
    client, place_order, filled, user, sockets, drain, story
):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    filled(user, order, "250")
    drain()

    assert amend(client, user, order, amount="250").status_code == 200

    # The 250 filled cost 275 USD; nothing is left to fill, so the other 825 held comes back.
    assert story(sockets.alice) == [
        ("ORDER_UPDATED", order["orderId"]),
        ("ORDER_STATUS_CHANGED", order["orderId"], "PARTIALLY_FILLED", "FILLED"),
        ("BALANCE_UPDATED", "USD", "99725", "0"),
    ]


def test_amend_to_the_values_the_order_already_has_sends_nothing(client, place_order, user, sockets, drain, story):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    drain()

    assert amend(client, user, order, amount="1000").status_code == 200

    assert story(sockets.alice) == []


def test_delete_sends_status_changed_to_cancelled(client, place_order, user, sockets, drain, story):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    drain()

    assert client.delete(f"/orders/{order['orderId']}", headers=user.headers).status_code == 200

    assert story(sockets.alice) == [
        ("ORDER_STATUS_CHANGED", order["orderId"], "PENDING", "CANCELLED"),
        ("BALANCE_UPDATED", "USD", "100000", "0"),
    ]


# --- refused requests ------------------------------------------------------------------------


# Each case sets up through `t` and returns (expected status, the request that must emit nothing).
def _amend_below_filled(t):
    order = t.place(t.alice, side="SELL", amount="300", price="1.10000")
    t.place(t.bob, side="BUY", amount="200", price="1.10000")
    return 409, lambda: amend(t.client, t.alice, order, amount="100")


def _amend_off_grid(t):
    order = t.place(t.alice, side="SELL", amount="300", price="1.10000")
    return 422, lambda: amend(t.client, t.alice, order, price="1.000001")


def _amend_without_changes(t):
    order = t.place(t.alice, side="SELL", amount="300", price="1.10000")
    return 422, lambda: amend(t.client, t.alice, order)


def _amend_of_a_closed_order(t):
    order = t.place(t.alice, side="SELL", amount="100", price="1.10000")
    t.place(t.bob, side="BUY", amount="100", price="1.10000")
    return 409, lambda: amend(t.client, t.alice, order, amount="50")


def _amend_of_another_users_order(t):
    order = t.place(t.bob, side="SELL", amount="100", price="1.10000")
    return 404, lambda: amend(t.client, t.alice, order, price="1.09990")


def _delete_of_a_closed_order(t):
    order = t.place(t.alice, side="SELL", amount="100", price="1.10000")
    t.place(t.bob, side="BUY", amount="100", price="1.10000")
    return 409, lambda: t.client.delete(f"/orders/{order['orderId']}", headers=t.alice.headers)


def _delete_of_another_users_order(t):
    order = t.place(t.bob, side="SELL", amount="100", price="1.10000")
    return 404, lambda: t.client.delete(f"/orders/{order['orderId']}", headers=t.alice.headers)


def _market_order_with_a_price(t):
    t.place(t.bob, side="SELL", amount="100", price="1.10000")
    return 422, lambda: t.post(t.alice, type="MARKET", amount="100", price="1.10000")


def _crossing_order_off_the_grid(t):
    t.place(t.bob, side="SELL", amount="100", price="1.10000")
    return 422, lambda: t.post(t.alice, amount="100.5", price="1.10000")


@pytest.mark.parametrize(
    "case",
    [
        _amend_below_filled,
        _amend_off_grid,
        _amend_without_changes,
        _amend_of_a_closed_order,
        _amend_of_another_users_order,
        _delete_of_a_closed_order,
        _delete_of_another_users_order,
        _market_order_with_a_price,
        _crossing_order_off_the_grid,
    ],
    ids=lambda case: case.__name__.lstrip("_").replace("_", " "),
)
def test_refused_request_emits_nothing_to_anyone(
    client, post_order, place_order, user, other_user, sockets, drain, received, case
):
    t = SimpleNamespace(client=client, post=post_order, place=place_order, alice=user, bob=other_user)
    status, request = case(t)
    drain()

    assert request().status_code == status
    assert [received(sio) for sio in vars(sockets).values()] == [[], [], []]
