"""BALANCE_UPDATED on /orders: the owner's new balance, one event per asset a change moved, after the
change's order and trade events; never to anyone else, and nothing for a refused request.

Every user starts with 100000 USD and 100000 EUR; the expected amounts are worked out by hand.
"""


import pytest


@pytest.fixture
def balance_event(utc_timestamp):
    """The (name, payload) a BALANCE_UPDATED must be, every amount given by hand."""

    def expected(asset, available, held, pending, total):
        return (
            "BALANCE_UPDATED",
            {
                "event": "BALANCE_UPDATED",
                "asset": asset,
                "available": available,
                "held": held,
                "pending": pending,
                "total": total,
                "timestamp": utc_timestamp,
            },
        )

    return expected


def split(events):
    """(the other events' names, {asset: BALANCE_UPDATED event}), checking the balance events come last
    and name each asset once."""
    names = [name for name, _payload in events]
    first_balance = names.index("BALANCE_UPDATED") if "BALANCE_UPDATED" in names else len(names)
    assert "BALANCE_UPDATED" not in names[:first_balance] and set(names[first_balance:]) <= {"BALANCE_UPDATED"}, names
    balances = {payload["asset"]: (name, payload) for name, payload in events[first_balance:]}
    assert len(balances) == len(events) - first_balance, events
    return names[:first_balance], balances


# --- holds -----------------------------------------------------------------------------------


def test_limit_buy_sends_its_quote_balance_right_after_order_created(
    user, sockets, orders_api, received, balance_event, utc_timestamp
):
    response = orders_api.place(user, side="BUY", amount="1000", price="1.10000")
    assert response.status_code == 201
    order = response.get_json()

    assert received(sockets.alice) == [
        (
            "ORDER_CREATED",
            {"event": "ORDER_CREATED", "orderId": order["orderId"], "order": order, "timestamp": utc_timestamp},
        ),
        balance_event("USD", "98900", "1100", "0", "100000"),
    ]


def test_limit_sell_sends_its_base_balance(user, sockets, place_order, received, balance_event):
    place_order(user, side="SELL", amount="1000", price="1.10000")

    events = received(sockets.alice)

    assert [name for name, _ in events] == ["ORDER_CREATED", "BALANCE_UPDATED"]
    assert events[1] == balance_event("EUR", "99000", "1000", "0", "100000")


def test_balance_event_shows_fractions_exactly(user, sockets, place_order, received, balance_event):
    place_order(user, pair="BTC/USD", side="BUY", amount="0.0003", price="65000.01")

    # 0.0003 x 65000.01 = 19.500003
    assert received(sockets.alice)[-1] == balance_event("USD", "99980.499997", "19.500003", "0", "100000")


def test_hold_is_sent_to_no_other_user(user, sockets, place_order, received):
    place_order(user, side="BUY", amount="1000", price="1.10000")

    assert received(sockets.bob) == []
    assert received(sockets.carol) == []


# --- trades ----------------------------------------------------------------------------------


def test_cross_sends_each_user_their_own_balances_after_their_order_events(
    user, other_user, sockets, drain, place_order, received, balance_event
):
    place_order(user, side="SELL", amount="1000", price="1.10000")
    drain()

    place_order(other_user, side="BUY", amount="1000", price="1.10050")

    maker_events, maker_balances = split(received(sockets.alice))
    assert maker_events == ["TRADE_ADDED", "ORDER_STATUS_CHANGED"]
    assert maker_balances == {
        "USD": balance_event("USD", "101100", "0", "0", "101100"),
        "EUR": balance_event("EUR", "99000", "0", "0", "99000"),
    }
    # The taker's USD moved twice (hold, then the trade paid 1100 of the 1100.5 held and released 0.5):
    # one event, with where it ended.
    taker_events, taker_balances = split(received(sockets.bob))
    assert taker_events == ["ORDER_CREATED", "TRADE_ADDED", "ORDER_STATUS_CHANGED"]
    assert taker_balances == {
        "USD": balance_event("USD", "98900", "0", "0", "98900"),
        "EUR": balance_event("EUR", "101000", "0", "0", "101000"),
    }
    assert received(sockets.carol) == []


def test_maker_cancelled_by_self_trade_prevention_gets_its_release_in_the_takers_events(
    user, other_user, sockets, drain, place_order, received, balance_event
):
    place_order(user, side="SELL", amount="100", price="1.10000")
    place_order(other_user, side="SELL", amount="100", price="1.10010")
    drain()

    place_order(user, side="BUY", amount="100", price="1.10010")

    events, balances = split(received(sockets.alice))
    # The taker is created, the maker cancelled, then the taker trades and fills.
    assert events == ["ORDER_CREATED", "ORDER_STATUS_CHANGED", "TRADE_ADDED", "ORDER_STATUS_CHANGED"]
    # The cancelled SELL's 100 EUR are back and 100 more were bought for 110.01 USD.
    assert balances == {
        "EUR": balance_event("EUR", "100100", "0", "0", "100100"),
        "USD": balance_event("USD", "99889.99", "0", "0", "99889.99"),
    }


def test_execution_report_sends_both_assets_after_the_trade_events(
    user, sockets, place_order, filled, received, balance_event
):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    received(sockets.alice)

    filled(user, order, "250", "1.09990")

    events, balances = split(received(sockets.alice))
    assert events == ["TRADE_ADDED", "ORDER_STATUS_CHANGED"]
    # Paid 274.975, released 0.025 of price improvement; 750 x 1.1 = 825 still held.
    assert balances == {
        "USD": balance_event("USD", "98900.025", "825", "0", "99725.025"),
        "EUR": balance_event("EUR", "100250", "0", "0", "100250"),
    }


# --- cancel and amend ------------------------------------------------------------------------


def test_cancel_sends_the_released_balance_after_the_status_change(
    user, sockets, place_order, orders_api, received, balance_event, utc_timestamp
):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    received(sockets.alice)

    assert orders_api.cancel(user, order).status_code == 200

    assert received(sockets.alice) == [
        (
            "ORDER_STATUS_CHANGED",
            {
                "event": "ORDER_STATUS_CHANGED",
                "orderId": order["orderId"],
                "oldStatus": "PENDING",
                "newStatus": "CANCELLED",
                "timestamp": utc_timestamp,
            },
        ),
        balance_event("USD", "100000", "0", "0", "100000"),
    ]


def test_amend_down_sends_the_released_balance_after_order_updated(
    client, user, sockets, place_order, received, balance_event
):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    received(sockets.alice)

    response = client.put(f"/orders/{order['orderId']}", json={"amount": "600"}, headers=user.headers)

    assert response.status_code == 200, response.get_json()
    events = received(sockets.alice)
    assert [name for name, _ in events] == ["ORDER_UPDATED", "BALANCE_UPDATED"]
    assert events[1] == balance_event("USD", "99340", "660", "0", "100000")


def test_amend_that_moves_no_money_sends_no_balance_event(client, user, sockets, place_order, names):
    order = place_order(user, side="SELL", amount="1000", price="1.10000")
    names(sockets.alice)

    response = client.put(f"/orders/{order['orderId']}", json={"price": "1.20000"}, headers=user.headers)

    assert response.status_code == 200, response.get_json()
    assert names(sockets.alice) == ["ORDER_UPDATED"]


# --- refused requests ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"side": "BUY", "amount": "100000", "price": "1.10000"}, id="limit-buy"),
        pytest.param({"side": "SELL", "amount": "100001", "price": "1.10000"}, id="limit-sell"),
        pytest.param({"side": "SELL", "type": "MARKET", "amount": "100001", "price": None}, id="market-sell"),
    ],
)
def test_order_refused_for_insufficient_funds_sends_no_event_to_anyone(user, sockets, orders_api, received, fields):
    response = orders_api.place(user, **fields)

    assert response.status_code == 422, response.get_json()
    for sio in vars(sockets).values():
        assert received(sio) == []


def test_market_buy_with_nothing_available_sends_no_event(user, sockets, place_order, orders_api, received):
    place_order(user, side="BUY", amount="100000", price="1.00000")
    received(sockets.alice)

    response = orders_api.place(user, side="BUY", type="MARKET", amount="1", price=None)

    assert response.status_code == 422, response.get_json()
    assert received(sockets.alice) == []


def test_amend_refused_for_insufficient_funds_sends_no_event(client, user, sockets, place_order, received):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    place_order(user, side="BUY", amount="80000", price="1.10000")
    received(sockets.alice)

    response = client.put(f"/orders/{order['orderId']}", json={"amount": "11000"}, headers=user.headers)

    assert response.status_code == 422, response.get_json()
    assert received(sockets.alice) == []


# --- deposits --------------------------------------------------------------------------------


def test_operator_deposit_sends_a_balance_update_to_the_credited_user_only(
    client, user, operator, sockets, socket_client, received, balance_event
):
    operator_socket = socket_client(operator)

    response = client.post(
        "/admin/deposits", json={"username": "alice", "asset": "USD", "amount": "5000"}, headers=operator.headers
    )

    assert response.status_code == 201, response.get_json()
    assert received(sockets.alice) == [balance_event("USD", "105000", "0", "0", "105000")]
    assert received(operator_socket) == []
    assert received(sockets.bob) == []


def test_refused_deposit_sends_no_event(client, user, sockets, received):
    response = client.post(
        "/admin/deposits", json={"username": "alice", "asset": "USD", "amount": "5000"}, headers=user.headers
    )

    assert response.status_code == 403, response.get_json()
    assert received(sockets.alice) == []
