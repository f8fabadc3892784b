"""POST /orders, GET /orders, GET /orders/{id}, PATCH /orders/{id}/status."""

import json
import re
from decimal import Decimal

import pytest

from api_checks import (
    ORDER_FIELDS,
    UNKNOWN_ID,
    assert_error,
    assert_no_leak,
    assert_utc_timestamp,
    assert_uuid,
    fetch_order,
    fill,
    order_ids,
)

BTC = {"pair": "BTC/USD", "amount": "0.5000", "price": "65000.00"}


def post_raw_order(client, user, text):
    """POST /orders with a hand-written JSON body, so numbers reach the server exactly as typed."""
    return client.post("/orders", data=text, content_type="application/json", headers=user.headers)


def list_orders(client, user, **query):
    response = client.get("/orders", query_string=query, headers=user.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def cancel(client, user, order_id, status="CANCELLED"):
    return client.patch(f"/orders/{order_id}/status", json={"status": status}, headers=user.headers)


# --- create ---------------------------------------------------------------------------------


def test_new_order_is_201_pending_with_every_field(post_order, user):
    response = post_order(user, clientOrderId="my-order-1")

    assert response.status_code == 201
    order = response.get_json()
    assert set(order) == ORDER_FIELDS | {"timeInForce", "selfTradePrevention"}
    assert_uuid(order["orderId"])
    assert {key: value for key, value in order.items() if key not in {"orderId", "createdAt", "updatedAt"}} == {
        "clientOrderId": "my-order-1",
        "pair": "EUR/USD",
        "side": "BUY",
        "type": "LIMIT",
        "amount": "1000",
        "price": "1.10000",
        "filledAmount": "0",
        "remainingAmount": "1000",
        "averagePrice": None,
        "status": "PENDING",
        "timeInForce": "GTC",
        "selfTradePrevention": "EXPIRE_MAKER",
        "trades": [],
    }


def test_new_order_timestamps_are_utc_iso8601_and_equal(place_order, user):
    order = place_order(user)

    assert assert_utc_timestamp(order["createdAt"]) == assert_utc_timestamp(order["updatedAt"])


def test_client_order_id_is_null_when_not_given(place_order, user):
    assert place_order(user)["clientOrderId"] is None


def test_sell_order_is_accepted(place_order, user):
    assert place_order(user, side="SELL")["side"] == "SELL"


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"price": 1.1}, {"price": "1.10000"}),
        ({"price": "1.10000"}, {"price": "1.10000"}),
        ({"price": "1.1"}, {"price": "1.10000"}),
        ({"amount": 1000}, {"amount": "1000"}),
        ({"amount": "1000"}, {"amount": "1000"}),
        ({"amount": "1000.000"}, {"amount": "1000"}),
        ({"pair": "USD/JPY", "price": 150}, {"price": "150.000"}),
        ({**BTC, "amount": "0.5"}, {"amount": "0.5000", "price": "65000.00"}),
    ],
    ids=[
        "price-json-number",
        "price-string",
        "price-short-string",
        "amount-json-number",
        "amount-string",
        "amount-trailing-zeros",
        "jpy-integer-price",
        "btc-short-amount",
    ],
)
def test_decimals_are_accepted_as_numbers_or_strings_and_shown_on_the_instrument_grid(
    place_order, user, fields, expected
):
    order = place_order(user, **fields)

    assert {key: order[key] for key in expected} == expected


@pytest.mark.parametrize(
    "pair, amount, price, expected_amount, expected_price",
    [
        ("EUR/USD", "1000", "1.00001", "1000", "1.00001"),
        ("BTC/USD", "0.0003", "100.01", "0.0003", "100.01"),
        ("BTC/USD", "1234567890123.0001", "0.01", "1234567890123.0001", "0.01"),
        ("USD/JPY", "7", "150.001", "7", "150.001"),
        ("GBP/USD", "3", "0.00001", "3", "0.00001"),
    ],
)
def test_json_numbers_are_read_exactly_never_through_float(
    client, fund, balances_of, user, pair, amount, price, expected_amount, expected_price
):
    # Credited what the BUY holds on top of the starting balance, so that even the largest amount
    # here is never refused for want of funds.
    quote = pair.split("/")[1]
    exact_hold = Decimal(amount) * Decimal(price)
    fund(user, quote, exact_hold)
    # The body is written by hand: these values have no exact binary float, so a float
    # anywhere on the way would land them off the grid or change their digits.
    text = f'{{"pair": "{pair}", "side": "BUY", "type": "LIMIT", "amount": {amount}, "price": {price}}}'

    response = post_raw_order(client, user, text)

    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert (order["amount"], order["price"]) == (expected_amount, expected_price)
    assert balances_of(user)[quote]["held"] == exact_hold


def test_unknown_pair_is_422(post_order, user):
    assert_error(post_order(user, pair="XAU/EUR"), 422, field="pair")


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"price": "1.000001"}, "price"),
        ({"price": 1.000001}, "price"),
        ({"pair": "USD/JPY", "price": "150.0001"}, "price"),
        ({**BTC, "price": "65000.001"}, "price"),
        ({"amount": "1000.5"}, "amount"),
        ({"amount": 0.5}, "amount"),
        ({**BTC, "amount": "0.00005"}, "amount"),
    ],
    ids=[
        "eurusd-price-6dp",
        "eurusd-price-6dp-number",
        "usdjpy-price-4dp",
        "btc-price-3dp",
        "eurusd-half-lot",
        "eurusd-half-lot-number",
        "btc-half-lot",
    ],
)
def test_price_or_amount_off_the_instrument_grid_is_422_naming_the_field(post_order, user, fields, field):
    assert_error(post_order(user, **fields), 422, field=field)


def test_off_grid_error_names_the_tick_size_as_instruments_list_it(client, post_order, user):
    instruments = client.get("/instruments", headers=user.headers).get_json()
    tick = next(instrument["tickSize"] for instrument in instruments if instrument["symbol"] == "EUR/USD")

    body = assert_error(post_order(user, price="1.000001"), 422, field="price")

    assert re.search(rf"(?<![\d.]){re.escape(tick)}(?!\d)", body["errors"]["json"]["price"][0]), body


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"amount": 0}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-0"}, "amount"),
        ({"amount": -1000}, "amount"),
        ({"amount": "-1000"}, "amount"),
        ({"price": 0}, "price"),
        ({"price": "0.00000"}, "price"),
        ({"price": "-1.10000"}, "price"),
    ],
)
def test_zero_or_negative_amount_or_price_is_422(post_order, user, fields, field):
    assert_error(post_order(user, **fields), 422, field=field)


NOT_NUMBERS = ["NaN", "nan", "Infinity", "-Infinity", "inf", "abc", "", "1.1.1", True, [1.1], {"v": 1}]


@pytest.mark.parametrize("value", NOT_NUMBERS)
@pytest.mark.parametrize("field", ["amount", "price"])
def test_non_numeric_amount_or_price_is_422(post_order, user, field, value):
    assert_error(post_order(user, **{field: value}), 422, field=field)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_standard_json_number_literals_are_400(client, user, literal):
    text = f'{{"pair": "EUR/USD", "side": "BUY", "type": "LIMIT", "amount": 1000, "price": {literal}}}'

    assert_error(post_raw_order(client, user, text), 400)


@pytest.mark.parametrize("value", ["1e30", "1E+30", "100000000000000000000", "1e999999"])
@pytest.mark.parametrize("field", ["amount", "price"])
def test_huge_amount_or_price_string_is_422(post_order, user, field, value):
    assert_error(post_order(user, **{field: value}), 422, field=field)


@pytest.mark.parametrize("value", ["1e-30", "1E-999999", "0.0000000000000000000000000001"])
@pytest.mark.parametrize("field", ["amount", "price"])
def test_tiny_positive_amount_or_price_is_422(post_order, user, field, value):
    assert_error(post_order(user, **{field: value}), 422, field=field)


@pytest.mark.parametrize("number", ["1e30", "1e400", "1" + "0" * 30])
def test_huge_json_number_amount_is_422(client, user, number):
    text = f'{{"pair": "EUR/USD", "side": "BUY", "type": "LIMIT", "amount": {number}, "price": 1.10000}}'

    assert_error(post_raw_order(client, user, text), 422, field="amount")


@pytest.mark.parametrize("price", [{}, {"price": None}], ids=["omitted", "null"])
def test_limit_order_without_price_is_422(client, user, price):
    body = {"pair": "EUR/USD", "side": "BUY", "type": "LIMIT", "amount": "1000", **price}

    assert_error(client.post("/orders", json=body, headers=user.headers), 422, field="price")


def test_market_order_with_a_price_is_422(client, post_order, user):
    assert_error(post_order(user, type="MARKET", price="1.10000"), 422, field="price")
    assert list_orders(client, user) == []


def test_market_order_on_an_empty_book_is_201_expired_with_no_trades(post_order, user):
    response = post_order(user, type="MARKET", price=None)

    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert (order["type"], order["price"], order["status"]) == ("MARKET", None, "EXPIRED")
    assert (order["filledAmount"], order["remainingAmount"], order["trades"]) == ("0", "1000", [])


@pytest.mark.parametrize("field, value", [("side", "HOLD"), ("side", "buy"), ("type", "STOP"), ("pair", 42)])
def test_invalid_enum_or_type_is_422(post_order, user, field, value):
    assert_error(post_order(user, **{field: value}), 422, field=field)


@pytest.mark.parametrize("missing", ["pair", "side", "type", "amount"])
def test_missing_required_field_is_422(client, user, missing):
    body = {"pair": "EUR/USD", "side": "BUY", "type": "LIMIT", "amount": "1000", "price": "1.10000"}
    del body[missing]

    assert_error(client.post("/orders", json=body, headers=user.headers), 422, field=missing)


def test_unknown_field_in_body_is_422(post_order, user):
    assert_error(post_order(user, leverage="100"), 422, field="leverage")


def test_rejected_order_is_not_stored(client, post_order, user):
    post_order(user, price="1.000001")
    post_order(user, pair="XAU/EUR")

    assert list_orders(client, user) == []


# --- clientOrderId idempotency -------------------------------------------------------------


def test_repeated_client_order_id_with_same_body_returns_the_same_order_with_200(client, post_order, user):
    first = post_order(user, clientOrderId="abc-1")

    again = post_order(user, clientOrderId="abc-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert order_ids(list_orders(client, user)) == [first.get_json()["orderId"]]


def test_repeat_with_the_same_values_written_differently_is_the_same_request(post_order, user):
    first = post_order(user, clientOrderId="abc-1", amount="1000", price="1.10000").get_json()

    again = post_order(user, clientOrderId="abc-1", amount=1000, price=1.1)

    assert again.status_code == 200
    assert again.get_json()["orderId"] == first["orderId"]


@pytest.mark.parametrize(
    "change",
    [{"amount": "2000"}, {"price": "1.20000"}, {"side": "SELL"}, {"pair": "GBP/USD"}],
    ids=["amount", "price", "side", "pair"],
)
def test_same_client_order_id_with_a_different_body_is_409_and_creates_nothing(client, post_order, user, change):
    first = post_order(user, clientOrderId="abc-1").get_json()

    response = post_order(user, clientOrderId="abc-1", **change)

    assert_error(response, 409, field="clientOrderId")
    assert order_ids(list_orders(client, user)) == [first["orderId"]]


def test_repeat_after_a_fill_returns_the_order_as_it_is_now(post_order, post_trade, user):
    order = post_order(user, clientOrderId="abc-1").get_json()
    fill(post_trade, user, order, "250")

    again = post_order(user, clientOrderId="abc-1")

    assert again.status_code == 200
    assert (again.get_json()["filledAmount"], again.get_json()["status"]) == ("250", "PARTIALLY_FILLED")


def test_same_client_order_id_of_another_user_is_independent(client, post_order, user, other_user):
    mine = post_order(user, clientOrderId="abc-1").get_json()

    theirs = post_order(other_user, clientOrderId="abc-1")

    assert theirs.status_code == 201
    assert theirs.get_json()["orderId"] != mine["orderId"]
    assert order_ids(list_orders(client, user)) == [mine["orderId"]]


def test_client_order_id_of_64_allowed_characters_is_accepted(place_order, user):
    client_order_id = ("Ab9._:/-" * 8)[:64]

    assert place_order(user, clientOrderId=client_order_id)["clientOrderId"] == client_order_id


@pytest.mark.parametrize(
    "client_order_id",
    ["", "x" * 65, "has space", "semi;colon", "trailing-newline\n"],
    ids=["empty", "too-long", "space", "semicolon", "trailing-newline"],
)
def test_client_order_id_outside_its_documented_rule_is_422(post_order, user, client_order_id):
    assert_error(post_order(user, clientOrderId=client_order_id), 422, field="clientOrderId")


# --- list -----------------------------------------------------------------------------------


def test_list_shows_only_the_callers_orders(client, place_order, user, other_user):
    mine = place_order(user)
    place_order(other_user)

    assert order_ids(list_orders(client, user)) == [mine["orderId"]]


def test_list_is_newest_first(client, place_order, user):
    placed = [place_order(user, amount=str(amount))["orderId"] for amount in (100, 200, 300)]

    assert order_ids(list_orders(client, user)) == placed[::-1]


def test_list_items_are_full_order_json_with_trades(client, place_order, post_trade, user):
    order = place_order(user)
    fill(post_trade, user, order, "250")

    [listed] = list_orders(client, user)

    assert listed == fetch_order(client, user, order["orderId"])


@pytest.fixture
def assorted_orders(client, place_order, post_trade, user):
    """Four orders that differ in pair, side and status; the EUR/USD buy is below the sell, so they do not cross."""
    eur_buy = place_order(user, pair="EUR/USD", side="BUY", price="1.09000")
    gbp_sell = place_order(user, pair="GBP/USD", side="SELL", price="1.25000")
    eur_sell_filled = place_order(user, pair="EUR/USD", side="SELL", amount="100")
    fill(post_trade, user, eur_sell_filled, "100")
    jpy_buy_cancelled = place_order(user, pair="USD/JPY", side="BUY", price="150.000")
    assert cancel(client, user, jpy_buy_cancelled["orderId"]).status_code == 200
    return {
        "eur_buy": eur_buy["orderId"],
        "gbp_sell": gbp_sell["orderId"],
        "eur_sell_filled": eur_sell_filled["orderId"],
        "jpy_buy_cancelled": jpy_buy_cancelled["orderId"],
    }


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"status": "PENDING"}, ["gbp_sell", "eur_buy"]),
        ({"status": "FILLED"}, ["eur_sell_filled"]),
        ({"status": "CANCELLED"}, ["jpy_buy_cancelled"]),
        ({"status": "PARTIALLY_FILLED"}, []),
        ({"pair": "EUR/USD"}, ["eur_sell_filled", "eur_buy"]),
        ({"side": "SELL"}, ["eur_sell_filled", "gbp_sell"]),
        ({"side": "BUY"}, ["jpy_buy_cancelled", "eur_buy"]),
        ({"pair": "EUR/USD", "side": "SELL"}, ["eur_sell_filled"]),
        ({"pair": "EUR/USD", "status": "PENDING", "side": "BUY"}, ["eur_buy"]),
    ],
)
def test_list_filters_by_status_pair_and_side(client, user, assorted_orders, query, expected):
    listed = list_orders(client, user, **query)

    assert order_ids(listed) == [assorted_orders[name] for name in expected]


@pytest.mark.parametrize(
    "query, field",
    [({"status": "OPEN"}, "status"), ({"status": "pending"}, "status"), ({"side": "HOLD"}, "side")],
)
def test_invalid_filter_value_is_422(client, user, query, field):
    response = client.get("/orders", query_string=query, headers=user.headers)

    assert_error(response, 422, field=field, location="query")


def test_pages_are_cut_newest_first_with_pagination_header(client, place_order, user):
    placed = [place_order(user, amount=str(amount))["orderId"] for amount in (1, 2, 3, 4, 5)]

    response = client.get("/orders", query_string={"page": 2, "page_size": 2}, headers=user.headers)

    assert response.status_code == 200
    assert order_ids(response.get_json()) == [placed[2], placed[1]]
    assert json.loads(response.headers["X-Pagination"]) == {
        "total": 5,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 2,
        "previous_page": 1,
        "next_page": 3,
    }


def test_default_page_is_the_first_ten(client, place_order, user):
    placed = [place_order(user, amount=str(amount))["orderId"] for amount in range(1, 13)]

    response = client.get("/orders", headers=user.headers)

    assert order_ids(response.get_json()) == placed[::-1][:10]
    assert json.loads(response.headers["X-Pagination"])["total"] == 12


def test_pagination_total_counts_only_filtered_orders(client, user, assorted_orders):
    response = client.get("/orders", query_string={"side": "SELL", "page_size": 1}, headers=user.headers)

    assert len(response.get_json()) == 1
    assert json.loads(response.headers["X-Pagination"])["total"] == 2


@pytest.mark.parametrize(
    "query, field",
    [({"page": 0}, "page"), ({"page_size": 0}, "page_size"), ({"page": "abc"}, "page")],
)
def test_invalid_pagination_parameters_are_422(client, user, query, field):
    response = client.get("/orders", query_string=query, headers=user.headers)

    assert_error(response, 422, field=field, location="query")


# --- get one --------------------------------------------------------------------------------


def test_get_order_returns_what_was_created(client, place_order, user):
    order = place_order(user, clientOrderId="abc-1")

    assert fetch_order(client, user, order["orderId"]) == order


def test_get_order_lists_trades_oldest_first(client, place_order, post_trade, user):
    order = place_order(user)
    trade_ids = [
        post_trade(user, order, amount, price).get_json()["trade"]["tradeId"]
        for amount, price in (("300", "1.10000"), ("100", "1.09000"), ("200", "1.09500"))
    ]

    trades = fetch_order(client, user, order["orderId"])["trades"]

    assert [trade["tradeId"] for trade in trades] == trade_ids
    assert [trade["executedAmount"] for trade in trades] == ["300", "100", "200"]


@pytest.mark.parametrize("order_id", [UNKNOWN_ID, "not-a-uuid", "12345"])
def test_get_unknown_or_malformed_order_id_is_404(client, user, order_id):
    assert_error(client.get(f"/orders/{order_id}", headers=user.headers), 404)


def test_another_users_order_is_404_and_indistinguishable_from_a_missing_one(client, place_order, user, other_user):
    theirs = place_order(other_user)["orderId"]

    hidden = assert_error(client.get(f"/orders/{theirs}", headers=user.headers), 404)
    missing = assert_error(client.get(f"/orders/{UNKNOWN_ID}", headers=user.headers), 404)

    assert hidden["message"].replace(theirs, "<id>") == missing["message"].replace(UNKNOWN_ID, "<id>")


# --- cancel ---------------------------------------------------------------------------------


def test_cancelling_a_pending_order_is_200_cancelled(client, place_order, user):
    order = place_order(user)

    response = cancel(client, user, order["orderId"])

    assert response.status_code == 200
    cancelled = response.get_json()
    assert cancelled["status"] == "CANCELLED"
    assert assert_utc_timestamp(cancelled["updatedAt"]) >= assert_utc_timestamp(order["updatedAt"])
    assert fetch_order(client, user, order["orderId"]) == cancelled


def test_cancelling_a_partially_filled_order_keeps_its_fills(client, place_order, post_trade, user):
    order = place_order(user)
    filled = fill(post_trade, user, order, "250")

    response = cancel(client, user, order["orderId"])

    assert response.status_code == 200
    cancelled = response.get_json()
    assert cancelled["status"] == "CANCELLED"
    assert (cancelled["filledAmount"], cancelled["averagePrice"]) == ("250", "1.10000")
    assert cancelled["trades"] == filled["trades"]


@pytest.mark.parametrize("close", ["fill", "cancel"])
def test_cancelling_a_filled_or_cancelled_order_is_409_and_changes_nothing(
    client, place_order, post_trade, user, close
):
    order = place_order(user)
    if close == "fill":
        fill(post_trade, user, order, "1000")
    else:
        assert cancel(client, user, order["orderId"]).status_code == 200
    before = fetch_order(client, user, order["orderId"])

    assert_error(cancel(client, user, order["orderId"]), 409)
    assert fetch_order(client, user, order["orderId"]) == before


@pytest.mark.parametrize("status", ["FILLED", "PENDING", "PARTIALLY_FILLED", "REJECTED", "nonsense", "cancelled", ""])
def test_setting_any_status_but_cancelled_is_422_and_changes_nothing(client, place_order, user, status):
    order = place_order(user)

    assert_error(cancel(client, user, order["orderId"], status=status), 422, field="status")
    assert fetch_order(client, user, order["orderId"]) == order


def test_status_change_without_status_is_422(client, place_order, user):
    order = place_order(user)

    response = client.patch(f"/orders/{order['orderId']}/status", json={}, headers=user.headers)

    assert_error(response, 422, field="status")


def test_cancelling_another_users_order_is_404_and_leaves_it_open(client, place_order, user, other_user):
    theirs = place_order(other_user)

    assert_error(cancel(client, user, theirs["orderId"]), 404)
    assert fetch_order(client, other_user, theirs["orderId"]) == theirs


@pytest.mark.parametrize("order_id", [UNKNOWN_ID, "not-a-uuid"])
def test_cancelling_unknown_or_malformed_order_id_is_404(client, user, order_id):
    assert_error(cancel(client, user, order_id), 404)


def test_no_order_response_leaks_internals(client, post_order, user):
    for response in (post_order(user, price="abc"), post_order(user, pair="XAU/EUR"), post_order(user, amount="1e30")):
        assert_no_leak(response)
