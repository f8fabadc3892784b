"""Public market data: GET /orderbook, GET /trades and GET /trades/{id}, with no token."""

import json

import pytest

from api_checks import UNKNOWN_ID, assert_error, fill

ASK_PRICES = ["1.10010", "1.10020", "1.10030", "1.10040", "1.10050", "1.10060", "1.10070"]
BID_PRICES = ["1.09990", "1.09980", "1.09970", "1.09960", "1.09950", "1.09940", "1.09930"]


def levels(book_side):
    return [(level["price"], level["amount"], level["orderCount"]) for level in book_side]


def prices(book_side):
    return [level["price"] for level in book_side]


def without_timestamp(book):
    return {**book, "timestamp": None}


@pytest.fixture
def cross(place_order, user, other_user):
    """cross(amount, price) -> the taker's order after Bob buys `amount` from a resting sell of Alice's."""

    def trade(amount="100", price="1.10000"):
        place_order(user, side="SELL", amount=amount, price=price)
        taker = place_order(other_user, side="BUY", amount=amount, price=price)
        assert taker["status"] == "FILLED", taker
        return taker

    return trade


@pytest.fixture
def seven_levels_a_side(place_order, user):
    """Seven ask levels and seven bid levels, placed from the worst price inwards."""
    for ask, bid in zip(reversed(ASK_PRICES), reversed(BID_PRICES)):
        place_order(user, side="SELL", amount="100", price=ask)
        place_order(user, side="BUY", amount="100", price=bid)


@pytest.fixture
def sequence(order_book):
    return lambda pair="EUR/USD": order_book(pair)["sequence"]


def get_trades(client, **query):
    response = client.get("/trades", query_string={"pair": "EUR/USD", **query})
    assert response.status_code == 200, response.get_json()
    return response


# --- /orderbook ------------------------------------------------------------------------------


def test_empty_book_has_the_documented_shape(order_book, utc_timestamp):
    assert order_book() == {
        "pair": "EUR/USD",
        "bids": [],
        "asks": [],
        "lastTradePrice": None,
        "sequence": 0,
        "timestamp": utc_timestamp,
    }


def test_market_data_needs_no_token(client, cross):
    trade_id = cross()["trades"][0]["tradeId"]

    responses = [
        client.get("/orderbook", query_string={"pair": "EUR/USD"}),
        client.get("/trades", query_string={"pair": "EUR/USD"}),
        client.get(f"/trades/{trade_id}"),
    ]

    assert [response.status_code for response in responses] == [200, 200, 200]


def test_orders_at_one_price_are_aggregated_into_one_level_with_their_count(
    place_order, order_book, user, other_user
):
    place_order(user, side="BUY", amount="100", price="1.10000")
    place_order(other_user, side="BUY", amount="250", price="1.10000")
    place_order(user, side="BUY", amount="300", price="1.09990")

    assert levels(order_book()["bids"]) == [("1.10000", "350", 2), ("1.09990", "300", 1)]


def test_bids_are_highest_first_and_asks_lowest_first(order_book, seven_levels_a_side):
    book = order_book(depth=7)

    assert prices(book["bids"]) == BID_PRICES
    assert prices(book["asks"]) == ASK_PRICES


def test_depth_defaults_to_the_best_five_levels_a_side(order_book, seven_levels_a_side):
    book = order_book()

    assert (prices(book["bids"]), prices(book["asks"])) == (BID_PRICES[:5], ASK_PRICES[:5])


@pytest.mark.parametrize("depth, shown", [(1, 1), (6, 6), (100, 7)])
def test_depth_sets_the_number_of_levels_a_side(order_book, seven_levels_a_side, depth, shown):
    book = order_book(depth=depth)

    assert (prices(book["bids"]), prices(book["asks"])) == (BID_PRICES[:shown], ASK_PRICES[:shown])


@pytest.mark.parametrize("depth", [0, 101, -1, "abc"])
def test_depth_outside_1_to_100_is_422(client, depth):
    response = client.get("/orderbook", query_string={"pair": "EUR/USD", "depth": depth})

    assert_error(response, 422, field="depth", location="query")


@pytest.mark.parametrize("path", ["/orderbook", "/trades"])
def test_unknown_pair_is_422_naming_the_pair_query_parameter(client, path):
    assert_error(client.get(path, query_string={"pair": "XAU/EUR"}), 422, field="pair", location="query")


@pytest.mark.parametrize("path", ["/orderbook", "/trades"])
def test_missing_pair_is_422(client, path):
    assert_error(client.get(path), 422, field="pair", location="query")


def test_book_shows_prices_and_amounts_on_the_instruments_grid(place_order, order_book, user):
    place_order(user, pair="BTC/USD", side="SELL", amount="0.5", price="65000")

    assert levels(order_book("BTC/USD")["asks"]) == [("65000.00", "0.5000", 1)]


def test_each_pair_has_its_own_book(place_order, order_book, user):
    place_order(user, pair="GBP/USD", side="BUY", amount="100", price="1.25000")

    assert (order_book("EUR/USD")["bids"], levels(order_book("GBP/USD")["bids"])) == ([], [("1.25000", "100", 1)])


def test_last_trade_price_is_the_price_of_the_latest_trade(order_book, cross):
    cross(price="1.10000")
    cross(price="1.09990")

    assert order_book()["lastTradePrice"] == "1.09990"


# --- sequence --------------------------------------------------------------------------------


def test_order_that_rests_moves_the_sequence_by_one(place_order, sequence, user):
    before = sequence()

    place_order(user, side="BUY", amount="100", price="1.10000")

    assert sequence() == before + 1


def test_each_trade_moves_the_sequence_by_one(place_order, sequence, user, other_user):
    place_order(user, side="SELL", amount="100", price="1.10000")
    place_order(user, side="SELL", amount="100", price="1.10010")
    before = sequence()

    place_order(other_user, side="BUY", amount="200", price="1.10010")

    assert sequence() == before + 2


def test_taker_that_trades_then_rests_moves_the_sequence_per_trade_and_once_for_resting(
    place_order, sequence, user, other_user
):
    place_order(user, side="SELL", amount="100", price="1.10000")
    place_order(user, side="SELL", amount="100", price="1.10010")
    before = sequence()

    place_order(other_user, side="BUY", amount="300", price="1.10010")

    assert sequence() == before + 3


def test_cancelling_a_resting_order_moves_the_sequence_by_one(client, place_order, sequence, user):
    order = place_order(user, side="BUY", amount="100", price="1.10000")
    before = sequence()

    assert client.delete(f"/orders/{order['orderId']}", headers=user.headers).status_code == 200

    assert sequence() == before + 1


def test_self_trade_cancellation_moves_the_sequence_like_any_other_change(place_order, sequence, user, other_user):
    place_order(user, side="SELL", amount="100", price="1.10000")
    place_order(other_user, side="SELL", amount="100", price="1.10010")
    before = sequence()

    # One change for the user's own resting order cancelled, one for the trade with the other user.
    place_order(user, side="BUY", amount="100", price="1.10010")

    assert sequence() == before + 2


def test_execution_report_on_a_resting_order_moves_the_sequence_by_one(place_order, post_trade, sequence, user):
    order = place_order(user, side="BUY", amount="100", price="1.10000")
    before = sequence()

    fill(post_trade, user, order, "40")

    assert sequence() == before + 1


@pytest.mark.parametrize(
    "changes", [{"amount": "50"}, {"amount": "200"}, {"price": "1.09990"}], ids=["reduce", "increase", "reprice"]
)
def test_amend_that_does_not_trade_moves_the_sequence_by_one(client, place_order, sequence, user, changes):
    order = place_order(user, side="BUY", amount="100", price="1.10000")
    before = sequence()

    response = client.put(f"/orders/{order['orderId']}", json=changes, headers=user.headers)

    assert response.status_code == 200, response.get_json()
    assert sequence() == before + 1


@pytest.mark.parametrize(
    "fields, status",
    [
        ({"amount": "300", "price": "1.10010", "timeInForce": "FOK"}, 201),
        ({"amount": "100", "price": "1.09990", "timeInForce": "IOC"}, 201),
        ({"amount": "100", "price": "1.000001"}, 422),
    ],
    ids=["fok-expires", "ioc-meets-nothing", "refused"],
)
def test_order_that_leaves_the_book_as_it_was_leaves_the_sequence(
    post_order, place_order, order_book, user, other_user, fields, status
):
    place_order(user, side="SELL", amount="100", price="1.10000")
    before = order_book()

    assert post_order(other_user, side="BUY", **fields).status_code == status

    assert without_timestamp(order_book()) == without_timestamp(before)


def test_each_trade_carries_the_sequence_right_after_it(client, place_order, sequence, user, other_user):
    place_order(user, side="SELL", amount="100", price="1.10000")
    place_order(user, side="SELL", amount="100", price="1.10010")
    before = sequence()

    place_order(other_user, side="BUY", amount="200", price="1.10010")

    tape = get_trades(client).get_json()
    assert [trade["sequence"] for trade in tape] == [before + 2, before + 1]
    assert sequence() == before + 2


# --- /trades ---------------------------------------------------------------------------------


def test_trade_on_the_tape_has_exactly_the_public_fields(client, place_order, sequence, user, other_user):
    maker = place_order(user, side="SELL", amount="100", price="1.10000")
    taker = place_order(other_user, side="BUY", amount="100", price="1.10010")
    [trade] = taker["trades"]

    assert get_trades(client).get_json() == [
        {
            "tradeId": trade["tradeId"],
            "pair": "EUR/USD",
            "price": "1.10000",
            "amount": "100",
            "takerSide": "BUY",
            "buyOrderId": taker["orderId"],
            "sellOrderId": maker["orderId"],
            "sequence": sequence(),
            "executedAt": trade["executedAt"],
            # EUR/USD settles immediately: in the trade's own transaction.
            "settled": True,
            "settledAt": trade["executedAt"],
        }
    ]


def test_tape_names_the_sell_as_taker_when_a_sell_crosses(client, place_order, user, other_user):
    maker = place_order(user, side="BUY", amount="100", price="1.10000")
    taker = place_order(other_user, side="SELL", amount="100", price="1.10000")

    [trade] = get_trades(client).get_json()

    assert (trade["takerSide"], trade["buyOrderId"], trade["sellOrderId"]) == (
        "SELL",
        maker["orderId"],
        taker["orderId"],
    )


def test_tape_is_newest_first(client, cross):
    trade_ids = [cross(price=price)["trades"][0]["tradeId"] for price in ("1.10000", "1.10010", "1.10020")]

    assert [trade["tradeId"] for trade in get_trades(client).get_json()] == trade_ids[::-1]


def test_tape_is_paginated_newest_first(client, cross):
    trade_ids = [cross(amount=str(amount))["trades"][0]["tradeId"] for amount in (1, 2, 3, 4, 5)]

    response = get_trades(client, page=2, page_size=2)

    assert [trade["tradeId"] for trade in response.get_json()] == [trade_ids[2], trade_ids[1]]
    assert json.loads(response.headers["X-Pagination"]) == {
        "total": 5,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 2,
        "previous_page": 1,
        "next_page": 3,
    }


def test_tape_shows_only_the_requested_pair(client, place_order, cross, user, other_user):
    place_order(user, pair="GBP/USD", side="SELL", amount="100", price="1.25000")
    place_order(other_user, pair="GBP/USD", side="BUY", amount="100", price="1.25000")
    eur_trade = cross()["trades"][0]["tradeId"]

    assert [trade["tradeId"] for trade in get_trades(client).get_json()] == [eur_trade]


def test_execution_reports_are_not_on_the_tape(client, place_order, post_trade, user):
    order = place_order(user)
    reported = post_trade(user, order, "250", "1.10000").get_json()["trade"]

    assert get_trades(client).get_json() == []
    assert_error(client.get(f"/trades/{reported['tradeId']}"), 404)


def test_one_trade_is_the_same_as_on_the_tape(client, cross):
    trade_id = cross()["trades"][0]["tradeId"]

    response = client.get(f"/trades/{trade_id}")

    assert response.status_code == 200
    assert [response.get_json()] == get_trades(client).get_json()


@pytest.mark.parametrize("trade_id", [UNKNOWN_ID, "not-a-uuid"])
def test_unknown_or_malformed_trade_id_is_404(client, trade_id):
    assert_error(client.get(f"/trades/{trade_id}"), 404)
