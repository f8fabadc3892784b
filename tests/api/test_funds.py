"""Paper-trading funds: what orders hold, what trades move, and what cancels, expiries and amends give back.

Every expected balance is worked out by hand from the starting balances (100000 USD, 100000 EUR,
100000 GBP, 10000000 JPY, 2 BTC) and written out in full: available, held, pending, total.
"""

from decimal import Decimal

import pytest

from api_checks import assert_error, fetch_order, fill, money

STARTING = {"USD": "100000", "EUR": "100000", "GBP": "100000", "JPY": "10000000", "BTC": "2"}


def untouched(asset):
    return money(STARTING[asset], "0", "0", STARTING[asset])


def orders_of(client, user):
    response = client.get("/orders", headers=user.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def cancel(client, user, order):
    response = client.delete(f"/orders/{order['orderId']}", headers=user.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def amend(client, user, order, **changes):
    return client.put(f"/orders/{order['orderId']}", json=changes, headers=user.headers)


def executions(order):
    return [(trade["executedAmount"], trade["executedPrice"]) for trade in order["trades"]]


# --- starting balances -----------------------------------------------------------------------


def test_new_user_starts_with_the_starting_balances_all_available(balances_of, user):
    assert balances_of(user) == {asset: untouched(asset) for asset in STARTING}


def test_balances_endpoint_shows_each_asset_with_its_total(client, user):
    response = client.get("/balances/USD", headers=user.headers)

    assert response.status_code == 200
    assert response.get_json() == {
        "asset": "USD",
        "available": "100000",
        "held": "0",
        "pending": "0",
        "total": "100000",
    }


# --- holds -----------------------------------------------------------------------------------


def test_limit_buy_holds_amount_times_limit_price_of_the_quote_asset(client, place_order, balances_of, user):
    place_order(user, side="BUY", amount="1000", price="1.10000")

    # 1000 x 1.10000 = 1100 USD moves from available to held; EUR is not touched.
    balances = balances_of(user)
    assert balances["USD"] == money("98900", "1100", "0", "100000")
    assert balances["EUR"] == untouched("EUR")
    assert client.get("/balances/USD", headers=user.headers).get_json() == {
        "asset": "USD",
        "available": "98900",
        "held": "1100",
        "pending": "0",
        "total": "100000",
    }


def test_limit_sell_holds_the_amount_of_the_base_asset(place_order, balances_of, user):
    place_order(user, side="SELL", amount="1000", price="1.10000")

    balances = balances_of(user)
    assert balances["EUR"] == money("99000", "1000", "0", "100000")
    assert balances["USD"] == untouched("USD")


def test_hold_on_a_pair_with_fractional_lots_is_exact(place_order, balances_of, user):
    place_order(user, pair="BTC/USD", side="BUY", amount="0.0003", price="65000.01")
    place_order(user, pair="BTC/USD", side="SELL", amount="1.2345", price="70000.00")

    # 0.0003 x 65000.01 = 19.500003 USD; the SELL holds 1.2345 BTC.
    balances = balances_of(user)
    assert balances["USD"] == money("99980.499997", "19.500003", "0", "100000")
    assert balances["BTC"] == money("0.7655", "1.2345", "0", "2")


def test_each_open_order_holds_its_own_amount(place_order, balances_of, user):
    place_order(user, side="BUY", amount="1000", price="1.10000")
    place_order(user, pair="GBP/USD", side="BUY", amount="2000", price="1.25000")
    place_order(user, pair="USD/JPY", side="SELL", amount="3000", price="150.000")

    # 1100 + 2500 of USD for the two BUYs, and the USD/JPY SELL holds 3000 USD of base.
    balances = balances_of(user)
    assert balances["USD"] == money("93400", "6600", "0", "100000")
    assert balances["JPY"] == untouched("JPY")


def test_hold_is_recorded_in_the_ledger_against_the_order(client, place_order, user):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")

    entries = client.get("/transactions", query_string={"type": "HOLD"}, headers=user.headers).get_json()

    assert sorted((e["asset"], e["bucket"], e["amount"], e["balanceAfter"], e["orderId"]) for e in entries) == [
        ("USD", "AVAILABLE", "-1100", "98900", order["orderId"]),
        ("USD", "HELD", "1100", "1100", order["orderId"]),
    ]
    assert len({entry["movementId"] for entry in entries}) == 1


# --- insufficient funds ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "side, amount, price, asset, needed",
    [
        pytest.param("BUY", "100000", "1.10000", "USD", "110000", id="buy-needs-quote"),
        pytest.param("SELL", "100001", "1.10000", "EUR", "100001", id="sell-needs-base"),
    ],
)
def test_order_needing_more_than_available_is_422_and_nothing_is_stored(
    client, post_order, order_book, balances_of, user, side, amount, price, asset, needed
):
    before = balances_of(user)

    response = post_order(user, side=side, amount=amount, price=price)

    body = assert_error(response, 422, field="amount")
    assert asset in body["message"] and needed in body["message"] and "100000" in body["message"], body
    assert orders_of(client, user) == []
    assert balances_of(user) == before
    book = order_book()
    assert (book["bids"], book["asks"], book["sequence"]) == ([], [], 0)


def test_order_needing_exactly_what_is_available_is_accepted(place_order, balances_of, user):
    place_order(user, side="BUY", amount="100000", price="1.00000")

    assert balances_of(user)["USD"] == money("0", "100000", "0", "100000")


def test_funds_held_by_one_order_cannot_be_spent_by_the_next(client, place_order, post_order, balances_of, user):
    first = place_order(user, side="BUY", amount="90000", price="1.10000")  # holds 99000

    response = post_order(user, side="BUY", amount="1000", price="1.10000")  # needs 1100 of the 1000 left

    body = assert_error(response, 422, field="amount")
    assert "1100" in body["message"] and "1000" in body["message"], body
    assert [order["orderId"] for order in orders_of(client, user)] == [first["orderId"]]
    assert balances_of(user)["USD"] == money("1000", "99000", "0", "100000")


# --- trades ----------------------------------------------------------------------------------


def test_trade_moves_funds_between_buyer_and_seller_at_the_trade_price(place_order, balances_of, user, other_user):
    place_order(user, side="SELL", amount="1000", price="1.10000")

    place_order(other_user, side="BUY", amount="1000", price="1.10000")

    seller, buyer = balances_of(user), balances_of(other_user)
    assert seller["EUR"] == money("99000", "0", "0", "99000")
    assert seller["USD"] == money("101100", "0", "0", "101100")
    assert buyer["USD"] == money("98900", "0", "0", "98900")
    assert buyer["EUR"] == money("101000", "0", "0", "101000")


def test_buyer_gets_back_what_a_better_price_left_of_its_hold(place_order, balances_of, user, other_user):
    place_order(user, side="SELL", amount="1000", price="1.10000")

    taker = place_order(other_user, side="BUY", amount="1500", price="1.10050")

    assert executions(taker) == [("1000", "1.10000")]
    # Held 1500 x 1.10050 = 1650.75; paid 1000 x 1.10000 = 1100; released the unused
    # 1000 x 0.00050 = 0.5; the resting 500 still hold 500 x 1.10050 = 550.25.
    assert balances_of(other_user)["USD"] == money("98349.75", "550.25", "0", "98900")
    assert balances_of(other_user)["EUR"] == money("101000", "0", "0", "101000")


def test_selling_taker_receives_the_resting_buyers_higher_price(place_order, balances_of, user, other_user):
    place_order(user, side="BUY", amount="1000", price="1.10050")

    place_order(other_user, side="SELL", amount="1000", price="1.10000")

    # The maker's price: 1000 x 1.10050 = 1100.5, all of the maker's hold.
    assert balances_of(other_user)["USD"] == money("101100.5", "0", "0", "101100.5")
    assert balances_of(other_user)["EUR"] == money("99000", "0", "0", "99000")
    assert balances_of(user)["USD"] == money("98899.5", "0", "0", "98899.5")
    assert balances_of(user)["EUR"] == money("101000", "0", "0", "101000")


def test_sweep_over_several_levels_pays_each_fill_at_its_price_and_releases_the_rest(
    place_order, balances_of, user, other_user, carol
):
    place_order(user, side="SELL", amount="100", price="1.10000")
    place_order(carol, side="SELL", amount="200", price="1.10010")

    place_order(other_user, side="BUY", amount="300", price="1.10020")

    # Paid 100 x 1.10000 + 200 x 1.10010 = 110 + 220.02 = 330.02 of a 330.06 hold.
    assert balances_of(other_user)["USD"] == money("99669.98", "0", "0", "99669.98")
    assert balances_of(user)["USD"] == money("100110", "0", "0", "100110")
    assert balances_of(carol)["USD"] == money("100220.02", "0", "0", "100220.02")
    assert balances_of(carol)["EUR"] == money("99800", "0", "0", "99800")


# --- cancel and expiry -----------------------------------------------------------------------


def test_cancel_releases_the_whole_hold(client, place_order, balances_of, user):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")

    cancel(client, user, order)

    assert balances_of(user)["USD"] == untouched("USD")


def test_cancel_through_the_status_endpoint_releases_a_sells_hold(client, place_order, balances_of, user):
    order = place_order(user, side="SELL", amount="1000", price="1.10000")

    response = client.patch(f"/orders/{order['orderId']}/status", json={"status": "CANCELLED"}, headers=user.headers)

    assert response.status_code == 200, response.get_json()
    assert balances_of(user)["EUR"] == untouched("EUR")


def test_cancel_after_a_partial_fill_releases_only_the_unfilled_rest(
    client, place_order, balances_of, user, other_user
):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    place_order(other_user, side="SELL", amount="400", price="1.10000")
    # Paid 400 x 1.1 = 440 of the 1100 held; 600 x 1.1 = 660 still held.
    assert balances_of(user)["USD"] == money("98900", "660", "0", "99560")

    cancel(client, user, order)

    assert balances_of(user)["USD"] == money("99560", "0", "0", "99560")
    assert balances_of(user)["EUR"] == money("100400", "0", "0", "100400")


def test_ioc_remainder_expiry_releases_its_hold(place_order, balances_of, user, other_user):
    place_order(user, side="SELL", amount="100", price="1.10000")

    taker = place_order(other_user, side="BUY", amount="300", price="1.10010", timeInForce="IOC")

    assert (taker["status"], taker["filledAmount"]) == ("EXPIRED", "100")
    # Held 300 x 1.10010 = 330.03; paid 110; the rest, 220.03, is back.
    assert balances_of(other_user)["USD"] == money("99890", "0", "0", "99890")
    assert balances_of(other_user)["EUR"] == money("100100", "0", "0", "100100")


def test_ioc_sell_that_crosses_nothing_releases_its_hold(place_order, balances_of, user):
    taker = place_order(user, side="SELL", amount="500", price="1.10000", timeInForce="IOC")

    assert taker["status"] == "EXPIRED"
    assert balances_of(user)["EUR"] == untouched("EUR")


def test_fok_that_cannot_fill_releases_its_hold_and_leaves_the_makers_hold(
    place_order, balances_of, user, other_user
):
    place_order(user, side="SELL", amount="100", price="1.10000")

    taker = place_order(other_user, side="BUY", amount="200", price="1.10000", timeInForce="FOK")

    assert (taker["status"], taker["trades"]) == ("EXPIRED", [])
    assert balances_of(other_user)["USD"] == untouched("USD")
    assert balances_of(user)["EUR"] == money("99900", "100", "0", "100000")


def test_fok_that_fills_pays_only_the_trade_prices(place_order, balances_of, user, other_user):
    place_order(user, side="SELL", amount="100", price="1.10000")
    place_order(user, side="SELL", amount="100", price="1.10010")

    place_order(other_user, side="BUY", amount="200", price="1.10020", timeInForce="FOK")

    # 110 + 110.01 = 220.01 paid out of a 220.04 hold.
    assert balances_of(other_user)["USD"] == money("99779.99", "0", "0", "99779.99")


# --- market orders ---------------------------------------------------------------------------


def test_market_buy_fills_only_the_whole_lots_its_funds_cover_and_expires_the_rest(
    place_order, balances_of, book_levels, user, other_user, carol
):
    place_order(user, side="SELL", amount="50000", price="1.20000")
    place_order(carol, side="SELL", amount="100000", price="1.30000")

    taker = place_order(other_user, side="BUY", type="MARKET", amount="200000", price=None)

    # 50000 x 1.2 = 60000 leaves 40000 USD; 40000 / 1.3 = 30769.23..., so 30769 whole lots
    # costing 39999.7, and 0.3 USD stays available.
    assert executions(taker) == [("50000", "1.20000"), ("30769", "1.30000")]
    assert (taker["status"], taker["filledAmount"], taker["remainingAmount"]) == ("EXPIRED", "80769", "119231")
    assert balances_of(other_user)["USD"] == money("0.3", "0", "0", "0.3")
    assert balances_of(other_user)["EUR"] == money("180769", "0", "0", "180769")
    assert balances_of(carol)["EUR"] == money("0", "69231", "0", "69231")
    assert balances_of(carol)["USD"] == money("139999.7", "0", "0", "139999.7")
    assert balances_of(user)["USD"] == money("160000", "0", "0", "160000")
    assert book_levels() == ([], [("1.30000", "69231", 1)])


def test_market_buy_within_its_funds_fills_completely(place_order, balances_of, user, other_user):
    place_order(user, side="SELL", amount="100", price="1.10000")
    place_order(user, side="SELL", amount="100", price="1.10020")

    taker = place_order(other_user, side="BUY", type="MARKET", amount="150", price=None)

    assert (taker["status"], taker["filledAmount"]) == ("FILLED", "150")
    # 100 x 1.1 + 50 x 1.1002 = 110 + 55.01
    assert balances_of(other_user)["USD"] == money("99834.99", "0", "0", "99834.99")


def test_market_buy_with_nothing_available_is_422_and_not_stored(
    client, place_order, post_order, book_levels, balances_of, user, other_user
):
    place_order(other_user, side="SELL", amount="100", price="1.10000")
    everything = place_order(user, side="BUY", amount="100000", price="1.00000")

    response = post_order(user, side="BUY", type="MARKET", amount="1", price=None)

    body = assert_error(response, 422, field="amount")
    assert "USD" in body["message"], body
    assert [order["orderId"] for order in orders_of(client, user)] == [everything["orderId"]]
    assert balances_of(user)["USD"] == money("0", "100000", "0", "100000")
    assert book_levels() == ([("1.00000", "100000", 1)], [("1.10000", "100", 1)])


def test_market_sell_of_more_than_available_is_422_and_not_stored(
    client, place_order, post_order, book_levels, balances_of, user, other_user
):
    place_order(other_user, side="BUY", amount="100", price="1.10000")

    response = post_order(user, side="SELL", type="MARKET", amount="100001", price=None)

    body = assert_error(response, 422, field="amount")
    assert "EUR" in body["message"] and "100001" in body["message"], body
    assert orders_of(client, user) == []
    assert balances_of(user)["EUR"] == untouched("EUR")
    assert book_levels() == ([("1.10000", "100", 1)], [])


def test_market_sell_releases_what_the_book_could_not_take(place_order, balances_of, user, other_user):
    place_order(other_user, side="BUY", amount="100", price="1.10000")

    taker = place_order(user, side="SELL", type="MARKET", amount="300", price=None)

    assert (taker["status"], taker["filledAmount"]) == ("EXPIRED", "100")
    assert balances_of(user)["EUR"] == money("99900", "0", "0", "99900")
    assert balances_of(user)["USD"] == money("100110", "0", "0", "100110")


# --- amend -----------------------------------------------------------------------------------


def test_amend_that_needs_more_than_available_is_422_and_leaves_the_order_as_it_was(
    client, place_order, book_levels, balances_of, user, other_user
):
    first = place_order(user, side="BUY", amount="1000", price="1.10000")  # holds 1100
    place_order(user, side="BUY", amount="80000", price="1.10000")  # holds 88000; 10900 left

    response = amend(client, user, first, amount="11000")  # would hold 12100: 11000 more

    body = assert_error(response, 422, field="amount")
    assert "USD" in body["message"] and "11000" in body["message"] and "10900" in body["message"], body
    assert fetch_order(client, user, first["orderId"]) == first
    assert balances_of(user)["USD"] == money("10900", "89100", "0", "100000")
    assert book_levels() == ([("1.10000", "81000", 2)], [])
    # Still first in its queue: a seller meets it before the later order.
    taker = place_order(other_user, side="SELL", amount="1000", price="1.10000")
    assert [trade["counterOrderId"] for trade in taker["trades"]] == [first["orderId"]]


def test_amend_to_a_higher_price_than_the_funds_cover_is_422(client, place_order, balances_of, user):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    place_order(user, side="BUY", amount="80000", price="1.10000")

    # 1000 x 12.00001 = 12000.01 needs 10900.01 more than the 1100 held; 10900 is available.
    response = amend(client, user, order, price="12.00001")

    # The error names the input the user changed.
    assert_error(response, 422, field="price")
    assert fetch_order(client, user, order["orderId"]) == order
    assert balances_of(user)["USD"] == money("10900", "89100", "0", "100000")


def test_amend_needing_exactly_what_is_available_is_accepted(client, place_order, balances_of, user):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    place_order(user, side="BUY", amount="80000", price="1.10000")

    response = amend(client, user, order, price="12.00000")

    assert response.status_code == 200, response.get_json()
    assert balances_of(user)["USD"] == money("0", "100000", "0", "100000")


def test_amend_to_a_smaller_amount_releases_the_difference(client, place_order, balances_of, user):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")

    response = amend(client, user, order, amount="600")

    assert response.status_code == 200, response.get_json()
    assert balances_of(user)["USD"] == money("99340", "660", "0", "100000")


def test_amend_of_a_sells_amount_adjusts_its_base_hold(client, place_order, balances_of, user):
    order = place_order(user, side="SELL", amount="1000", price="1.10000")

    assert amend(client, user, order, amount="1500").status_code == 200
    assert balances_of(user)["EUR"] == money("98500", "1500", "0", "100000")
    assert amend(client, user, order, amount="200").status_code == 200
    assert balances_of(user)["EUR"] == money("99800", "200", "0", "100000")


@pytest.mark.parametrize(
    "new_price, available, held",
    [("1.20000", "98800", "1200"), ("1.05000", "98950", "1050")],
    ids=["price-up", "price-down"],
)
def test_amend_of_a_buys_price_holds_the_new_value(client, place_order, balances_of, user, new_price, available, held):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")

    response = amend(client, user, order, price=new_price)

    assert response.status_code == 200, response.get_json()
    assert balances_of(user)["USD"] == money(available, held, "0", "100000")


def test_amend_of_a_sells_price_keeps_its_hold(client, place_order, balances_of, user):
    order = place_order(user, side="SELL", amount="1000", price="1.10000")

    assert amend(client, user, order, price="1.30000").status_code == 200

    assert balances_of(user)["EUR"] == money("99000", "1000", "0", "100000")


def test_amend_of_a_partly_filled_order_holds_only_for_the_new_remainder(
    client, place_order, balances_of, user, other_user
):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    place_order(other_user, side="SELL", amount="400", price="1.10000")

    response = amend(client, user, order, amount="500")  # 100 left: 110 held instead of 660

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["remainingAmount"] == "100"
    assert balances_of(user)["USD"] == money("99450", "110", "0", "99560")


def test_amend_that_crosses_pays_the_makers_price_and_releases_the_rest(
    client, place_order, balances_of, user, other_user
):
    place_order(other_user, side="SELL", amount="1000", price="1.10000")
    order = place_order(user, side="BUY", amount="1000", price="1.00000")  # holds 1000

    response = amend(client, user, order, price="1.10010")  # holds 1100.1, then trades at 1.1

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "FILLED"
    assert balances_of(user)["USD"] == money("98900", "0", "0", "98900")
    assert balances_of(user)["EUR"] == money("101000", "0", "0", "101000")


# --- self-trade prevention -------------------------------------------------------------------


def test_self_trade_prevention_cancelling_the_makers_order_releases_its_hold(
    client, place_order, balances_of, user, other_user
):
    own = place_order(user, side="SELL", amount="100", price="1.10000")
    place_order(other_user, side="SELL", amount="100", price="1.10010")

    place_order(user, side="BUY", amount="100", price="1.10010")

    assert fetch_order(client, user, own["orderId"])["status"] == "CANCELLED"
    # The cancelled SELL's 100 EUR are back, and 100 more were bought for 100 x 1.1001 = 110.01.
    assert balances_of(user)["EUR"] == money("100100", "0", "0", "100100")
    assert balances_of(user)["USD"] == money("99889.99", "0", "0", "99889.99")


def test_expire_taker_releases_the_takers_hold_and_keeps_the_makers(place_order, balances_of, user):
    place_order(user, side="SELL", amount="100", price="1.10000")

    taker = place_order(user, side="BUY", amount="100", price="1.10000", selfTradePrevention="EXPIRE_TAKER")

    assert taker["status"] == "EXPIRED"
    assert balances_of(user)["USD"] == untouched("USD")
    assert balances_of(user)["EUR"] == money("99900", "100", "0", "100000")


def test_expire_both_releases_both_holds(place_order, balances_of, user):
    place_order(user, side="SELL", amount="100", price="1.10000")

    place_order(user, side="BUY", amount="100", price="1.10000", selfTradePrevention="EXPIRE_BOTH")

    assert balances_of(user)["USD"] == untouched("USD")
    assert balances_of(user)["EUR"] == untouched("EUR")


# --- execution reports against the venue -----------------------------------------------------


def test_execution_report_on_a_buy_pays_the_venue_from_the_hold(place_order, post_trade, balances_of, user):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")

    fill(post_trade, user, order, "250", "1.09990")

    # Paid 250 x 1.09990 = 274.975; released 250 x 0.0001 = 0.025; 750 x 1.1 = 825 still held.
    assert balances_of(user)["USD"] == money("98900.025", "825", "0", "99725.025")
    assert balances_of(user)["EUR"] == money("100250", "0", "0", "100250")


def test_execution_report_on_a_sell_delivers_the_base_to_the_venue(place_order, post_trade, balances_of, user):
    order = place_order(user, side="SELL", amount="1000", price="1.10000")

    fill(post_trade, user, order, "400", "1.10020")

    # Delivered 400 EUR out of the hold; received 400 x 1.1002 = 440.08 USD.
    assert balances_of(user)["EUR"] == money("99000", "600", "0", "99600")
    assert balances_of(user)["USD"] == money("100440.08", "0", "0", "100440.08")


def test_execution_report_that_fills_the_order_leaves_nothing_held(place_order, post_trade, balances_of, user):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")

    fill(post_trade, user, order, "600", "1.10000")
    fill(post_trade, user, order, "400", "1.09000")

    # 660 + 436 = 1096 paid; the 4 of price improvement came back.
    assert balances_of(user)["USD"] == money("98904", "0", "0", "98904")
    assert balances_of(user)["EUR"] == money("101000", "0", "0", "101000")


@pytest.mark.parametrize(
    "amount, price, status",
    [("751", "1.10000", 400), ("100", "1.10001", 422)],
    ids=["overshooting-amount", "price-beyond-the-limit"],
)
def test_refused_execution_report_changes_no_balance(
    client, place_order, post_trade, balances_of, user, amount, price, status
):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    order = fill(post_trade, user, order, "250", "1.10000")
    before = balances_of(user)
    assert before["USD"] == money("98900", "825", "0", "99725")

    assert_error(post_trade(user, order, amount, price), status)

    assert balances_of(user) == before
    assert fetch_order(client, user, order["orderId"]) == order


# --- money is conserved ----------------------------------------------------------------------


def test_sum_of_each_asset_across_users_stays_what_was_deposited(
    client, place_order, balances_of, fund, user, other_user, carol
):
    fund(carol, "USD", "50000")
    place_order(user, side="SELL", amount="1000", price="1.10000")
    place_order(carol, side="SELL", amount="500", price="1.10010")
    place_order(other_user, side="BUY", amount="1200", price="1.10020")
    place_order(carol, side="BUY", amount="300", price="1.09990")
    place_order(user, side="SELL", type="MARKET", amount="100", price=None)
    place_order(other_user, side="BUY", type="MARKET", amount="400", price=None)
    place_order(user, pair="BTC/USD", side="SELL", amount="0.5000", price="65000.00")
    place_order(carol, pair="BTC/USD", side="BUY", amount="0.3000", price="65010.00")
    place_order(other_user, pair="GBP/USD", side="SELL", amount="2000", price="1.25000", timeInForce="IOC")
    resting = place_order(carol, pair="USD/JPY", side="BUY", amount="1000", price="150.000")
    place_order(user, pair="USD/JPY", side="SELL", amount="400", price="149.990")
    assert amend(client, carol, resting, amount="700").status_code == 200
    bid = place_order(other_user, side="BUY", amount="900", price="1.05000")
    cancel(client, other_user, bid)

    everyone = [balances_of(someone) for someone in (user, other_user, carol)]
    totals = {asset: sum(balances[asset]["total"] for balances in everyone) for asset in STARTING}
    assert totals == {
        "USD": Decimal("350000"),
        "EUR": Decimal("300000"),
        "GBP": Decimal("300000"),
        "JPY": Decimal("30000000"),
        "BTC": Decimal("6"),
    }
    for balances in everyone:
        for asset, balance in balances.items():
            assert min(balance.values()) >= 0, (asset, balance)
            assert balance["total"] == balance["available"] + balance["held"] + balance["pending"], (asset, balance)


def test_reconcile_is_clean_after_holds_trades_amends_cancels_and_execution_reports(
    client, runner, place_order, post_trade, user, other_user
):
    maker = place_order(user, side="SELL", amount="1000", price="1.10000")
    place_order(other_user, side="BUY", amount="300", price="1.10010")
    reported = place_order(other_user, pair="GBP/USD", side="BUY", amount="500", price="1.25000")
    fill(post_trade, other_user, reported, "200", "1.24990")
    assert amend(client, user, maker, amount="800", price="1.10005").status_code == 200
    place_order(other_user, side="BUY", amount="100", price="1.10010", timeInForce="IOC")
    cancel(client, other_user, reported)

    result = runner.invoke(args=["reconcile"])

    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("Result: clean"), result.output
