"""Matching: orders on one pair cross at the maker's price, best price first, oldest first within a price."""

from decimal import Decimal

import pytest

from api_checks import assert_error, fetch_order, fill

# (maker side, taker side, the better price for the taker, a worse one that still crosses it),
# so each priority rule runs once against the asks and once against the bids.
BOTH_SIDES = [
    pytest.param(("SELL", "BUY", "1.10000", "1.10010"), id="asks"),
    pytest.param(("BUY", "SELL", "1.10010", "1.10000"), id="bids"),
]


def counter_orders(order):
    """The orders `order` traded with, in the order the trades happened."""
    return [trade["counterOrderId"] for trade in order["trades"]]


def executions(order):
    return [(trade["executedAmount"], trade["executedPrice"]) for trade in order["trades"]]


def progress(order):
    return order["status"], order["filledAmount"], order["remainingAmount"]


@pytest.fixture
def restart(make_app):
    """restart() -> a client of a new app on the same database whose process holds no books yet,
    as after a server restart."""

    def start_again():
        return make_app().test_client()

    return start_again


# --- price-time priority ---------------------------------------------------------------------


@pytest.mark.parametrize("sides", BOTH_SIDES)
def test_better_priced_resting_order_fills_first_even_when_it_came_later(
    client, place_order, book_levels, user, other_user, sides
):
    maker_side, taker_side, better, worse = sides
    worse_maker = place_order(user, side=maker_side, amount="100", price=worse)
    better_maker = place_order(user, side=maker_side, amount="100", price=better)

    taker = place_order(other_user, side=taker_side, amount="100", price=worse)

    assert counter_orders(taker) == [better_maker["orderId"]]
    resting = [(worse, "100", 1)]
    assert book_levels() == ((resting, []) if maker_side == "BUY" else ([], resting))
    assert fetch_order(client, user, worse_maker["orderId"]) == worse_maker


@pytest.mark.parametrize("sides", BOTH_SIDES)
def test_earlier_order_fills_first_at_the_same_price(client, place_order, user, other_user, carol, sides):
    maker_side, taker_side, price, _worse = sides
    first = place_order(user, side=maker_side, amount="100", price=price)
    second = place_order(carol, side=maker_side, amount="100", price=price)

    taker = place_order(other_user, side=taker_side, amount="150", price=price)

    assert counter_orders(taker) == [first["orderId"], second["orderId"]]
    assert progress(fetch_order(client, user, first["orderId"])) == ("FILLED", "100", "0")
    assert progress(fetch_order(client, carol, second["orderId"])) == ("PARTIALLY_FILLED", "50", "50")


@pytest.mark.parametrize("sides", BOTH_SIDES)
def test_trade_executes_at_the_makers_price_not_the_takers_limit(
    client, place_order, order_book, user, other_user, sides
):
    maker_side, taker_side, maker_price, taker_limit = sides
    maker = place_order(user, side=maker_side, amount="100", price=maker_price)

    taker = place_order(other_user, side=taker_side, amount="100", price=taker_limit)

    assert executions(taker) == [("100", maker_price)]
    assert (taker["averagePrice"], fetch_order(client, user, maker["orderId"])["averagePrice"]) == (
        maker_price,
        maker_price,
    )
    assert order_book()["lastTradePrice"] == maker_price


def test_one_taker_sweeps_several_levels_and_orders_until_its_limit(
    client, place_order, book_levels, user, other_user, carol
):
    first = place_order(user, side="SELL", amount="100", price="1.10000")
    second = place_order(carol, side="SELL", amount="200", price="1.10000")
    third = place_order(user, side="SELL", amount="300", price="1.10010")
    beyond_limit = place_order(carol, side="SELL", amount="400", price="1.10020")

    taker = place_order(other_user, side="BUY", amount="500", price="1.10010")

    assert counter_orders(taker) == [first["orderId"], second["orderId"], third["orderId"]]
    assert executions(taker) == [("100", "1.10000"), ("200", "1.10000"), ("200", "1.10010")]
    assert progress(taker) == ("FILLED", "500", "0")
    assert progress(fetch_order(client, user, first["orderId"])) == ("FILLED", "100", "0")
    assert progress(fetch_order(client, carol, second["orderId"])) == ("FILLED", "200", "0")
    assert progress(fetch_order(client, user, third["orderId"])) == ("PARTIALLY_FILLED", "200", "100")
    assert progress(fetch_order(client, carol, beyond_limit["orderId"])) == ("PENDING", "0", "400")
    assert book_levels() == ([], [("1.10010", "100", 1), ("1.10020", "400", 1)])


def test_average_price_is_volume_weighted_over_the_sweep(place_order, user, other_user):
    place_order(user, side="SELL", amount="100", price="1.10000")
    place_order(user, side="SELL", amount="200", price="1.10010")

    taker = place_order(other_user, side="BUY", amount="300", price="1.10010")

    # (100 x 1.10000 + 200 x 1.10010) / 300 = 1.1000666..., shown to the tick's places plus eight.
    assert taker["averagePrice"] == "1.1000666666667"


def test_both_orders_show_the_same_trade_each_from_its_own_side(client, place_order, user, other_user):
    maker = place_order(user, side="SELL", amount="100", price="1.10000")

    taker = place_order(other_user, side="BUY", amount="100", price="1.10000")

    [taker_view] = taker["trades"]
    [maker_view] = fetch_order(client, user, maker["orderId"])["trades"]
    shared = {
        "tradeId": taker_view["tradeId"],
        "pair": "EUR/USD",
        "executedAmount": "100",
        "executedPrice": "1.10000",
        "executedAt": taker_view["executedAt"],
        "settled": True,
        "settledAt": taker_view["executedAt"],  # EUR/USD settles in the trade's own transaction
    }
    assert maker_view == {**shared, "side": "SELL", "liquidity": "MAKER", "counterOrderId": taker["orderId"]}
    assert taker_view == {**shared, "side": "BUY", "liquidity": "TAKER", "counterOrderId": maker["orderId"]}


def test_taker_that_fills_a_maker_partly_leaves_the_rest_of_the_maker_in_the_book(
    client, place_order, book_levels, user, other_user
):
    maker = place_order(user, side="BUY", amount="1000", price="1.10000")

    taker = place_order(other_user, side="SELL", amount="250", price="1.10000")

    assert progress(taker) == ("FILLED", "250", "0")
    assert progress(fetch_order(client, user, maker["orderId"])) == ("PARTIALLY_FILLED", "250", "750")
    assert book_levels() == ([("1.10000", "750", 1)], [])


# --- time in force ---------------------------------------------------------------------------


def test_gtc_remainder_rests_in_the_book_at_its_limit(client, place_order, book_levels, user, other_user):
    place_order(user, side="SELL", amount="100", price="1.10000")

    taker = place_order(other_user, side="BUY", amount="300", price="1.10010")

    assert (taker["timeInForce"], *progress(taker)) == ("GTC", "PARTIALLY_FILLED", "100", "200")
    assert book_levels() == ([("1.10010", "200", 1)], [])
    assert fetch_order(client, other_user, taker["orderId"]) == taker


def test_ioc_remainder_expires_keeping_its_fills(place_order, book_levels, user, other_user):
    maker = place_order(user, side="SELL", amount="100", price="1.10000")

    taker = place_order(other_user, side="BUY", amount="300", price="1.10010", timeInForce="IOC")

    assert (taker["timeInForce"], *progress(taker)) == ("IOC", "EXPIRED", "100", "200")
    assert counter_orders(taker) == [maker["orderId"]]
    assert book_levels() == ([], [])


def test_ioc_that_crosses_nothing_expires_without_resting(place_order, book_levels, user, other_user):
    place_order(user, side="SELL", amount="100", price="1.10010")

    taker = place_order(other_user, side="BUY", amount="100", price="1.10000", timeInForce="IOC")

    assert (progress(taker), taker["trades"]) == (("EXPIRED", "0", "100"), [])
    assert book_levels() == ([], [("1.10010", "100", 1)])


@pytest.mark.parametrize(
    "amount, limit",
    [("300", "1.10010"), ("200", "1.10000")],
    ids=["book-too-thin", "enough-only-beyond-the-limit"],
)
def test_fok_that_cannot_fill_completely_expires_with_no_trades_and_leaves_the_book(
    client, place_order, order_book, user, other_user, amount, limit
):
    makers = [
        place_order(user, side="SELL", amount="100", price="1.10000"),
        place_order(user, side="SELL", amount="100", price="1.10010"),
    ]
    book_before = order_book()

    taker = place_order(other_user, side="BUY", amount=amount, price=limit, timeInForce="FOK")

    assert (taker["timeInForce"], *progress(taker), taker["trades"]) == ("FOK", "EXPIRED", "0", amount, [])
    assert {**order_book(), "timestamp": None} == {**book_before, "timestamp": None}
    assert [fetch_order(client, user, maker["orderId"]) for maker in makers] == makers


def test_fok_that_can_fill_completely_is_filled_at_once(place_order, book_levels, user, other_user):
    place_order(user, side="SELL", amount="100", price="1.10000")
    place_order(user, side="SELL", amount="100", price="1.10010")

    taker = place_order(other_user, side="BUY", amount="200", price="1.10010", timeInForce="FOK")

    assert progress(taker) == ("FILLED", "200", "0")
    assert executions(taker) == [("100", "1.10000"), ("100", "1.10010")]
    assert book_levels() == ([], [])


# --- market orders ---------------------------------------------------------------------------


def test_market_buy_takes_the_best_asks_until_filled(place_order, book_levels, user, other_user):
    place_order(user, side="SELL", amount="100", price="1.10020")
    place_order(user, side="SELL", amount="100", price="1.10000")

    taker = place_order(other_user, side="BUY", type="MARKET", amount="150", price=None)

    assert (taker["price"], taker["timeInForce"], *progress(taker)) == (None, "IOC", "FILLED", "150", "0")
    assert executions(taker) == [("100", "1.10000"), ("50", "1.10020")]
    # (100 x 1.10000 + 50 x 1.10020) / 150
    assert taker["averagePrice"] == "1.1000666666667"
    assert book_levels() == ([], [("1.10020", "50", 1)])


def test_market_sell_takes_the_best_bids_and_expires_when_the_book_runs_out(
    place_order, book_levels, user, other_user
):
    place_order(user, side="BUY", amount="100", price="1.09990")
    place_order(user, side="BUY", amount="100", price="1.10000")

    taker = place_order(other_user, side="SELL", type="MARKET", amount="300", price=None)

    assert progress(taker) == ("EXPIRED", "200", "100")
    assert executions(taker) == [("100", "1.10000"), ("100", "1.09990")]
    assert book_levels() == ([], [])


def test_market_fok_that_the_book_cannot_fill_completely_expires_with_no_trades(
    place_order, book_levels, balances_of, user, other_user
):
    place_order(user, side="SELL", amount="100", price="1.10000")
    before = balances_of(other_user)

    taker = place_order(other_user, side="BUY", type="MARKET", amount="150", price=None, timeInForce="FOK")

    assert (taker["timeInForce"], *progress(taker)) == ("FOK", "EXPIRED", "0", "150")
    assert taker["trades"] == []
    assert book_levels() == ([], [("1.10000", "100", 1)])
    assert balances_of(other_user) == before


def test_market_fok_that_the_book_can_fill_fills_completely(place_order, book_levels, user, other_user):
    place_order(user, side="BUY", amount="100", price="1.10000")
    place_order(user, side="BUY", amount="100", price="1.09990")

    taker = place_order(other_user, side="SELL", type="MARKET", amount="150", price=None, timeInForce="FOK")

    assert progress(taker) == ("FILLED", "150", "0")
    assert executions(taker) == [("100", "1.10000"), ("50", "1.09990")]
    assert book_levels() == ([("1.09990", "50", 1)], [])


def test_market_buy_fok_beyond_the_available_funds_expires_with_no_trades(
    place_order, book_levels, balances_of, user, other_user
):
    place_order(user, side="SELL", amount="100000", price="1.10000")
    # Bob has 100,000 USD: 100,000 EUR at 1.10000 costs 110,000.

    taker = place_order(other_user, side="BUY", type="MARKET", amount="100000", price=None, timeInForce="FOK")

    assert (progress(taker), taker["trades"]) == (("EXPIRED", "0", "100000"), [])
    assert balances_of(other_user)["USD"]["available"] == 100000
    assert book_levels() == ([], [("1.10000", "100000", 1)])


def test_market_order_defaults_to_ioc(place_order, user):
    taker = place_order(user, side="SELL", type="MARKET", amount="10", price=None)

    assert (taker["timeInForce"], taker["status"]) == ("IOC", "EXPIRED")


def test_market_gtc_is_422_and_stores_nothing(client, post_order, user):
    response = post_order(user, type="MARKET", price=None, timeInForce="GTC")

    body = assert_error(response, 422, "timeInForce")
    assert "IOC" in body["errors"]["json"]["timeInForce"][0]
    assert client.get("/orders", headers=user.headers).get_json() == []


# --- self-trade prevention -------------------------------------------------------------------


def test_self_trade_prevention_defaults_to_cancelling_the_users_resting_order_and_matching_on(
    client, place_order, book_levels, user, other_user
):
    own = place_order(user, side="SELL", amount="100", price="1.10000")
    theirs = place_order(other_user, side="SELL", amount="100", price="1.10010")

    taker = place_order(user, side="BUY", amount="100", price="1.10010")

    assert taker["selfTradePrevention"] == "EXPIRE_MAKER"
    assert progress(taker) == ("FILLED", "100", "0")
    assert counter_orders(taker) == [theirs["orderId"]]
    cancelled = fetch_order(client, user, own["orderId"])
    assert (progress(cancelled), cancelled["trades"]) == (("CANCELLED", "0", "100"), [])
    assert book_levels() == ([], [])


def test_expire_taker_expires_the_incoming_order_and_leaves_the_resting_one(
    client, place_order, book_levels, user
):
    own = place_order(user, side="SELL", amount="100", price="1.10000")

    taker = place_order(user, side="BUY", amount="100", price="1.10000", selfTradePrevention="EXPIRE_TAKER")

    assert (taker["selfTradePrevention"], *progress(taker), taker["trades"]) == (
        "EXPIRE_TAKER",
        "EXPIRED",
        "0",
        "100",
        [],
    )
    assert fetch_order(client, user, own["orderId"]) == own
    assert book_levels() == ([], [("1.10000", "100", 1)])


def test_expire_taker_keeps_the_fills_made_before_meeting_the_users_own_order(
    place_order, book_levels, user, other_user
):
    theirs = place_order(other_user, side="SELL", amount="100", price="1.10000")
    place_order(user, side="SELL", amount="100", price="1.10010")

    taker = place_order(user, side="BUY", amount="300", price="1.10010", selfTradePrevention="EXPIRE_TAKER")

    assert progress(taker) == ("EXPIRED", "100", "200")
    assert counter_orders(taker) == [theirs["orderId"]]
    assert book_levels() == ([], [("1.10010", "100", 1)])


def test_expire_both_cancels_the_resting_order_and_expires_the_incoming_one(client, place_order, book_levels, user):
    own = place_order(user, side="SELL", amount="100", price="1.10000")

    taker = place_order(user, side="BUY", amount="100", price="1.10000", selfTradePrevention="EXPIRE_BOTH")

    assert (progress(taker), taker["trades"]) == (("EXPIRED", "0", "100"), [])
    assert progress(fetch_order(client, user, own["orderId"])) == ("CANCELLED", "0", "100")
    assert book_levels() == ([], [])


@pytest.mark.parametrize(
    "field, value", [("selfTradePrevention", "DECREMENT_AND_CANCEL"), ("timeInForce", "GTD"), ("timeInForce", "gtc")]
)
def test_unknown_time_in_force_or_self_trade_prevention_is_422(client, post_order, user, field, value):
    assert_error(post_order(user, **{field: value}), 422, field=field)
    assert client.get("/orders", headers=user.headers).get_json() == []


# --- execution reports and the book ----------------------------------------------------------


def test_execution_report_on_a_resting_order_takes_its_fill_out_of_the_book(
    place_order, post_trade, book_levels, user
):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")

    fill(post_trade, user, order, "250")

    assert book_levels() == ([("1.10000", "750", 1)], [])


def test_fully_reported_order_leaves_the_book(place_order, post_trade, book_levels, user):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")

    fill(post_trade, user, order, "1000")

    assert book_levels() == ([], [])


def test_crossing_order_gets_only_what_execution_reports_left(
    place_order, post_trade, book_levels, user, other_user
):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    fill(post_trade, user, order, "250")

    taker = place_order(other_user, side="SELL", amount="1000", price="1.10000")

    assert executions(taker) == [("750", "1.10000")]
    assert book_levels() == ([], [("1.10000", "250", 1)])


# --- a failed match --------------------------------------------------------------------------


def test_order_whose_fills_would_overflow_its_value_is_refused_and_the_book_is_left_as_it_was(
    client, post_order, place_order, post_trade, order_book, fund, balances_of, user, other_user, carol
):
    # Each bid is within range (4.5e19 x 2 = 9e19) and so is the sell at its own limit, but filling
    # the sell at the bids' price would give it a value of 1.8e20, past what an order can hold.
    # Each bid holds 9e19 USD, so each has an owner of its own (a balance stays below 1e20 too), and
    # the two 9e19 come from different places, as no one account may pay out 1.8e20 either: Alice's
    # is deposited, Carol's is what an execution report of a sale at 100000 paid her.
    fund(user, "USD", "90000000000000000000")
    fund(carol, "EUR", "900000000000000")
    sale = place_order(carol, side="SELL", amount="900000000000000", price="100000.00000")
    fill(post_trade, carol, sale, "900000000000000", "100000.00000")
    assert balances_of(carol)["USD"]["available"] == Decimal("90000000000000100000")
    fund(other_user, "EUR", "90000000000000000000")  # the sell is refused for its value, not for want of EUR
    bidders = (user, carol)
    bids = [place_order(bidder, side="BUY", amount="45000000000000000000", price="2.00000") for bidder in bidders]
    book_before = order_book()
    seller_balances = balances_of(other_user)

    response = post_order(other_user, side="SELL", amount="90000000000000000000", price="1.00000")

    assert response.status_code == 422, response.get_json()
    assert "filled value" in response.get_json()["message"]
    assert {**order_book(), "timestamp": None} == {**book_before, "timestamp": None}
    assert [fetch_order(client, bidder, bid["orderId"]) for bidder, bid in zip(bidders, bids)] == bids
    assert client.get("/orders", headers=other_user.headers).get_json() == []
    assert balances_of(other_user) == seller_balances
    follow_up = place_order(other_user, side="SELL", amount="100", price="2.00000")
    assert counter_orders(follow_up) == [bids[0]["orderId"]]


# --- restart ---------------------------------------------------------------------------------


def test_restarted_server_shows_the_same_order_book(place_order, post_trade, order_book, restart, user, other_user):
    place_order(user, side="SELL", amount="100", price="1.10010")
    reported = place_order(user, side="SELL", amount="200", price="1.10010")
    place_order(user, side="SELL", amount="300", price="1.10020")
    place_order(other_user, side="BUY", amount="400", price="1.09990")
    place_order(other_user, side="BUY", amount="50", price="1.10010")
    fill(post_trade, user, reported, "20", "1.10010")
    before = order_book(depth=100)

    after = restart().get("/orderbook", query_string={"pair": "EUR/USD", "depth": 100}).get_json()

    assert {**after, "timestamp": None} == {**before, "timestamp": None}
    assert before["asks"] == [
        {"price": "1.10010", "amount": "230", "orderCount": 2},
        {"price": "1.10020", "amount": "300", "orderCount": 1},
    ]


def test_restarted_server_matches_the_same_resting_orders_in_the_same_priority(
    client, place_order, restart, user, other_user, carol
):
    first = place_order(user, side="SELL", amount="100", price="1.10000")
    second = place_order(carol, side="SELL", amount="100", price="1.10000")
    third = place_order(user, side="SELL", amount="100", price="1.10000")
    # A larger amount sends `first` to the back; a smaller one keeps `third` where it is.
    assert client.put(f"/orders/{first['orderId']}", json={"amount": "150"}, headers=user.headers).status_code == 200
    assert client.put(f"/orders/{third['orderId']}", json={"amount": "50"}, headers=user.headers).status_code == 200

    restarted = restart()
    response = restarted.post(
        "/orders",
        json={"pair": "EUR/USD", "side": "BUY", "type": "LIMIT", "amount": "200", "price": "1.10000"},
        headers=other_user.headers,
    )

    assert response.status_code == 201, response.get_json()
    taker = response.get_json()
    assert counter_orders(taker) == [second["orderId"], third["orderId"], first["orderId"]]
    assert executions(taker) == [("100", "1.10000"), ("50", "1.10000"), ("50", "1.10000")]


# --- clientOrderId ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change", [{"timeInForce": "IOC"}, {"selfTradePrevention": "EXPIRE_TAKER"}], ids=["time-in-force", "stp"]
)
def test_same_client_order_id_with_different_matching_terms_is_409_and_creates_nothing(
    client, post_order, user, change
):
    first = post_order(user, clientOrderId="abc-1").get_json()

    response = post_order(user, clientOrderId="abc-1", **change)

    assert_error(response, 409, field="clientOrderId")
    assert [order["orderId"] for order in client.get("/orders", headers=user.headers).get_json()] == [
        first["orderId"]
    ]
