"""POST /orders/{id}/trades: execution reports move an order's fill, average price and status."""

import pytest

from api_checks import (
    TRADE_FIELDS,
    UNKNOWN_ID,
    assert_error,
    assert_utc_timestamp,
    assert_uuid,
    fetch_order,
    fill,
    total_traded,
)


@pytest.fixture
def order(place_order, user):
    """The spec's simulation order: BUY EUR/USD 1000 at 1.10000."""
    return place_order(user, pair="EUR/USD", side="BUY", amount="1000", price="1.10000")


@pytest.fixture
def order_750_filled(post_trade, user, order):
    fill(post_trade, user, order, "250")
    return fill(post_trade, user, order, "500")


# --- the simulation, one step per test -----------------------------------------------------


def test_execution_report_returns_201_with_the_trade_and_the_updated_order(post_trade, user, order):
    response = post_trade(user, order, "250", "1.10000")

    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"trade", "order"}
    trade, updated = body["trade"], body["order"]
    assert set(trade) == TRADE_FIELDS | {"pair", "side", "liquidity", "counterOrderId"}
    assert_uuid(trade["tradeId"])
    assert (trade["executedAmount"], trade["executedPrice"]) == ("250", "1.10000")
    # A report from outside the book has no counter order here.
    assert (trade["pair"], trade["side"], trade["liquidity"], trade["counterOrderId"]) == (
        "EUR/USD",
        "BUY",
        "EXTERNAL",
        None,
    )
    assert updated["orderId"] == order["orderId"]
    assert updated["trades"] == [trade]


def test_first_partial_fill_moves_pending_to_partially_filled(post_trade, user, order):
    updated = fill(post_trade, user, order, "250")

    assert updated["status"] == "PARTIALLY_FILLED"
    assert (updated["filledAmount"], updated["remainingAmount"]) == ("250", "750")


def test_partial_fills_accumulate(client, user, order_750_filled):
    current = fetch_order(client, user, order_750_filled["orderId"])

    assert current["status"] == "PARTIALLY_FILLED"
    assert (current["filledAmount"], current["remainingAmount"]) == ("750", "250")
    assert [trade["executedAmount"] for trade in current["trades"]] == ["250", "500"]


def test_trade_that_would_overshoot_amount_is_400_and_changes_nothing(client, post_trade, user, order_750_filled):
    before = fetch_order(client, user, order_750_filled["orderId"])

    response = post_trade(user, order_750_filled, "300", "1.10000")

    assert_error(response, 400, field="executedAmount")
    assert fetch_order(client, user, order_750_filled["orderId"]) == before


def test_fill_of_exactly_the_remaining_amount_marks_the_order_filled(post_trade, user, order_750_filled):
    updated = fill(post_trade, user, order_750_filled, "250")

    assert (updated["status"], updated["filledAmount"], updated["remainingAmount"]) == ("FILLED", "1000", "0")
    assert total_traded(updated) == 1000


def test_single_fill_of_the_whole_amount_goes_straight_to_filled(post_trade, user, order):
    assert fill(post_trade, user, order, "1000")["status"] == "FILLED"


def test_trade_timestamp_is_utc_and_becomes_the_orders_updated_at(client, post_trade, user, order):
    body = post_trade(user, order, "250", "1.10000").get_json()

    executed_at = assert_utc_timestamp(body["trade"]["executedAt"])

    assert assert_utc_timestamp(body["order"]["updatedAt"]) == executed_at
    assert executed_at >= assert_utc_timestamp(order["createdAt"])
    assert fetch_order(client, user, order["orderId"])["createdAt"] == order["createdAt"]


# --- average price --------------------------------------------------------------------------


def test_average_price_after_one_fill_is_that_fills_price(post_trade, user, order):
    assert fill(post_trade, user, order, "250", "1.09000")["averagePrice"] == "1.09000"


def test_average_price_is_volume_weighted(post_trade, user, order):
    fill(post_trade, user, order, "250", "1.10000")

    updated = fill(post_trade, user, order, "750", "1.09000")

    # (250 x 1.10000 + 750 x 1.09000) / 1000; a plain mean of the two prices would be 1.09500.
    assert updated["averagePrice"] == "1.09250"


def test_average_price_off_the_tick_grid_is_shown_with_extra_places(place_order, post_trade, user):
    order = place_order(user, amount="3", price="1.10001")
    fill(post_trade, user, order, "1", "1.10000")

    updated = fill(post_trade, user, order, "2", "1.10001")

    # 3.30002 / 3 = 1.100006666..., rounded to the tick's 5 places plus 8 more.
    assert updated["averagePrice"] == "1.1000066666667"


def test_btc_fills_keep_exact_amounts_and_average(place_order, post_trade, user):
    order = place_order(user, pair="BTC/USD", amount="0.0010", price="65000.00")
    fill(post_trade, user, order, "0.0003", "64000.00")

    updated = fill(post_trade, user, order, "0.0001", "65000.00")

    assert (updated["filledAmount"], updated["remainingAmount"]) == ("0.0004", "0.0006")
    assert updated["averagePrice"] == "64250.00"


def test_execution_report_numbers_are_read_exactly_from_json_numbers(client, place_order, user):
    order = place_order(user, pair="BTC/USD", amount="0.0010", price="65000.00")

    response = client.post(
        f"/orders/{order['orderId']}/trades",
        data='{"executedAmount": 0.0003, "executedPrice": 64999.99}',
        content_type="application/json",
        headers=user.headers,
    )

    assert response.status_code == 201, response.get_json()
    trade = response.get_json()["trade"]
    assert (trade["executedAmount"], trade["executedPrice"]) == ("0.0003", "64999.99")


def test_order_whose_value_reaches_1e20_is_refused_up_front(client, post_order, user):
    # Amount and price are each within range, but amount x price (1.1e20) is more than the
    # order's value can be accounted in; refusing the order beats failing on its first fill.
    response = post_order(user, amount="99999999999999999999", price="1.10000")

    assert_error(response, 422, field="amount")
    assert client.get("/orders", headers=user.headers).get_json() == []


def test_sell_fill_far_above_its_limit_that_would_reach_1e20_is_refused(
    client, place_order, post_trade, fund, balances_of, user
):
    # A SELL may fill above its limit, so its filled value can outgrow what the order was checked for.
    fund(user, "EUR", "90000000000000000000")  # what the sell holds
    sell = place_order(user, side="SELL", amount="90000000000000000000", price="1.00000")
    balances_before = balances_of(user)

    assert_error(post_trade(user, sell, "90000000000000000000", "2.00000"), 422, field="executedPrice")
    assert fetch_order(client, user, sell["orderId"]) == sell
    assert balances_of(user) == balances_before


# --- limit price ----------------------------------------------------------------------------


def test_buy_fill_above_the_limit_is_422_naming_executed_price(client, post_trade, user, order):
    assert_error(post_trade(user, order, "250", "1.10001"), 422, field="executedPrice")
    assert fetch_order(client, user, order["orderId"]) == order


def test_sell_fill_below_the_limit_is_422_naming_executed_price(client, place_order, post_trade, user):
    sell = place_order(user, side="SELL", price="1.10000")

    assert_error(post_trade(user, sell, "250", "1.09999"), 422, field="executedPrice")
    assert fetch_order(client, user, sell["orderId"]) == sell


@pytest.mark.parametrize(
    "side, price", [("BUY", "1.09000"), ("BUY", "1.10000"), ("SELL", "1.11000"), ("SELL", "1.10000")]
)
def test_fill_at_or_better_than_the_limit_is_accepted(place_order, post_trade, user, side, price):
    limit_order = place_order(user, side=side, price="1.10000")

    assert fill(post_trade, user, limit_order, "250", price)["trades"][0]["executedPrice"] == price


# --- closed orders --------------------------------------------------------------------------


def test_trade_on_a_filled_order_is_409_and_changes_nothing(client, post_trade, user, order):
    fill(post_trade, user, order, "1000")
    before = fetch_order(client, user, order["orderId"])

    assert_error(post_trade(user, order, "1", "1.10000"), 409)
    assert fetch_order(client, user, order["orderId"]) == before


@pytest.mark.parametrize("fill_first", [False, True], ids=["pending", "partially-filled"])
def test_trade_on_a_cancelled_order_is_409_and_changes_nothing(client, post_trade, user, order, fill_first):
    if fill_first:
        fill(post_trade, user, order, "250")
    cancelled = client.patch(f"/orders/{order['orderId']}/status", json={"status": "CANCELLED"}, headers=user.headers)
    assert cancelled.status_code == 200
    before = fetch_order(client, user, order["orderId"])

    assert_error(post_trade(user, order, "250", "1.10000"), 409)
    assert fetch_order(client, user, order["orderId"]) == before


# --- invalid reports ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, price, field",
    [
        ("250.5", "1.10000", "executedAmount"),
        (0.5, "1.10000", "executedAmount"),
        ("250", "1.000001", "executedPrice"),
        ("250", 1.099999, "executedPrice"),
        ("0", "1.10000", "executedAmount"),
        (0, "1.10000", "executedAmount"),
        ("-250", "1.10000", "executedAmount"),
        ("250", "0", "executedPrice"),
        ("250", "-1.10000", "executedPrice"),
        ("NaN", "1.10000", "executedAmount"),
        ("250", "Infinity", "executedPrice"),
        ("abc", "1.10000", "executedAmount"),
        ("1e30", "1.10000", "executedAmount"),
        ("250", "1e30", "executedPrice"),
    ],
)
def test_invalid_executed_amount_or_price_is_422_and_changes_nothing(
    client, post_trade, user, order, amount, price, field
):
    assert_error(post_trade(user, order, amount, price), 422, field=field)
    assert fetch_order(client, user, order["orderId"]) == order


def test_btc_fill_off_the_lot_grid_is_422(place_order, post_trade, user):
    btc = place_order(user, pair="BTC/USD", amount="0.0010", price="65000.00")

    assert_error(post_trade(user, btc, "0.00005", "65000.00"), 422, field="executedAmount")


@pytest.mark.parametrize("missing", ["executedAmount", "executedPrice"])
def test_report_without_a_required_field_is_422(client, user, order, missing):
    body = {"executedAmount": "250", "executedPrice": "1.10000"}
    del body[missing]

    response = client.post(f"/orders/{order['orderId']}/trades", json=body, headers=user.headers)

    assert_error(response, 422, field=missing)


def test_report_with_an_unknown_field_is_422(client, user, order):
    body = {"executedAmount": "250", "executedPrice": "1.10000", "fee": "1"}

    response = client.post(f"/orders/{order['orderId']}/trades", json=body, headers=user.headers)

    assert_error(response, 422, field="fee")


# --- ownership ------------------------------------------------------------------------------


def test_report_on_another_users_order_is_404_and_records_nothing(client, post_trade, user, other_user, order):
    assert_error(post_trade(other_user, order, "250", "1.10000"), 404)
    assert fetch_order(client, user, order["orderId"]) == order


@pytest.mark.parametrize("order_id", [UNKNOWN_ID, "not-a-uuid"])
def test_report_on_unknown_or_malformed_order_id_is_404(post_trade, user, order_id):
    assert_error(post_trade(user, order_id, "250", "1.10000"), 404)
