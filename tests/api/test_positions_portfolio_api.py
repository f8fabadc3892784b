"""GET /positions (average-cost positions per pair from the user's fills) and GET /portfolio
(balance totals valued in one asset at last trade prices)."""

import pytest

from api_checks import assert_error


def positions(client, user):
    response = client.get("/positions", headers=user.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def portfolio(client, user, **query):
    response = client.get("/portfolio", query_string=query, headers=user.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def trade(place_order):
    """trade(buyer, seller, amount, price, pair=...): the seller rests, the buyer crosses; one trade at `price`."""

    def match(buyer, seller, amount, price, pair="EUR/USD"):
        place_order(seller, pair=pair, side="SELL", amount=amount, price=price)
        bought = place_order(buyer, pair=pair, side="BUY", amount=amount, price=price)
        assert bought["status"] == "FILLED", bought

    return match


def position(pair, net, average, realized, unrealized, last):
    return {
        "pair": pair,
        "netAmount": net,
        "averageEntryPrice": average,
        "realizedPnl": realized,
        "unrealizedPnl": unrealized,
        "lastPrice": last,
    }


def unpriced(asset, amount):
    return {
        "asset": asset,
        "amount": amount,
        "marketPrice": None,
        "marketValue": None,
        "priceSource": None,
        "priced": False,
    }


def priced(asset, amount, price, value, source):
    return {
        "asset": asset,
        "amount": amount,
        "marketPrice": price,
        "marketValue": value,
        "priceSource": source,
        "priced": True,
    }


# --- positions ------------------------------------------------------------------------------


def test_a_new_user_has_no_positions(client, user):
    assert positions(client, user) == []


@pytest.mark.parametrize("path", ["/positions", "/portfolio"])
def test_positions_and_portfolio_need_a_token(client, path):
    assert_error(client.get(path), 401)


def test_buying_twice_then_selling_part_realizes_on_the_part_sold(client, trade, user, other_user, carol):
    trade(user, other_user, "1000", "1.10000")
    trade(user, other_user, "500", "1.10030")
    trade(other_user, user, "600", "1.10050")
    trade(carol, other_user, "1", "1.10100")  # someone else's trade moves the last price

    # Cost 1000 x 1.1 + 500 x 1.1003 = 1650.15 for 1500: average 1.1001.
    # Selling 600 at 1.1005 realizes 600 x (1.1005 - 1.1001) = 0.24 and leaves 900 at 1.1001,
    # worth 900 x (1.101 - 1.1001) = 0.81 more at the last price.
    assert positions(client, user) == [position("EUR/USD", "900", "1.10010", "0.24", "0.81", "1.101")]


def test_an_average_that_does_not_terminate_shows_eight_places_past_the_tick(client, trade, user, other_user):
    trade(user, other_user, "1000", "1.10000")
    trade(user, other_user, "2000", "1.10001")

    # (1100 + 2200.02) / 3000 = 1.10000666..., to 5 + 8 places; 3000 x 1.10001 - 3300.02 = 0.01.
    assert positions(client, user) == [position("EUR/USD", "3000", "1.1000066666667", "0", "0.01", "1.10001")]


def test_selling_first_opens_a_short_that_gains_when_the_price_falls(client, trade, user, other_user, carol):
    trade(other_user, user, "1000", "1.10000")
    trade(other_user, carol, "1", "1.09900")

    # Short 1000 at 1.1, marked at 1.099: -1000 x (1.099 - 1.1) = 1.
    assert positions(client, user) == [position("EUR/USD", "-1000", "1.10000", "0", "1", "1.099")]


def test_each_side_of_a_trade_sees_its_own_position(client, trade, user, other_user):
    trade(user, other_user, "1000", "1.10000")

    assert positions(client, user) == [position("EUR/USD", "1000", "1.10000", "0", "0", "1.1")]
    assert positions(client, other_user) == [position("EUR/USD", "-1000", "1.10000", "0", "0", "1.1")]


def test_a_closed_position_is_listed_flat_with_what_it_realized(client, trade, user, other_user):
    trade(user, other_user, "1000", "1.10000")
    trade(other_user, user, "1000", "1.10020")

    # 1000 x (1.1002 - 1.1) = 0.2 realized; nothing open, so no average and nothing unrealized.
    assert positions(client, user) == [position("EUR/USD", "0", None, "0.2", "0", "1.1002")]


def test_net_amount_is_shown_in_the_instruments_amount_places(client, trade, user, other_user):
    trade(user, other_user, "0.5", "65000", pair="BTC/USD")

    assert positions(client, user) == [position("BTC/USD", "0.5000", "65000.00", "0", "0", "65000")]


def test_a_pair_never_traded_is_not_listed(client, place_order, trade, user, other_user):
    trade(user, other_user, "1000", "1.10000")
    place_order(user, pair="GBP/USD", side="BUY", amount="1000", price="1.25000")  # rests, never fills

    assert [row["pair"] for row in positions(client, user)] == ["EUR/USD"]


def test_positions_are_sorted_by_pair(client, trade, user, other_user):
    trade(user, other_user, "1000", "1.25000", pair="GBP/USD")
    trade(user, other_user, "1", "150.000", pair="USD/JPY")
    trade(user, other_user, "1000", "1.10000", pair="EUR/USD")

    assert [row["pair"] for row in positions(client, user)] == ["EUR/USD", "GBP/USD", "USD/JPY"]


def test_execution_report_fills_count_and_without_a_last_price_unrealized_is_null(
    client, place_order, post_trade, user
):
    order = place_order(user, pair="GBP/USD", side="BUY", amount="1000", price="1.10000")
    assert post_trade(user, order, "400", "1.10000").status_code == 201
    assert post_trade(user, order, "600", "1.09980").status_code == 201

    # (400 x 1.1 + 600 x 1.0998) / 1000 = (440 + 659.88) / 1000 = 1.09988. Reports set no last price.
    assert positions(client, user) == [position("GBP/USD", "1000", "1.09988", "0", None, None)]


def test_matched_and_reported_fills_make_one_position(client, place_order, post_trade, user, other_user):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    place_order(other_user, side="SELL", amount="400", price="1.10000")
    assert post_trade(user, order, "600", "1.09990").status_code == 201

    # (440 + 659.94) / 1000 = 1.09994; marked at the matched 1.1: 1100 - 1099.94 = 0.06.
    assert positions(client, user) == [position("EUR/USD", "1000", "1.09994", "0", "0.06", "1.1")]


def test_a_user_never_sees_other_users_positions(client, trade, user, other_user, carol):
    trade(other_user, carol, "1000", "1.10000")
    trade(carol, other_user, "1", "65000", pair="BTC/USD")

    assert positions(client, user) == []


# --- portfolio ------------------------------------------------------------------------------


@pytest.fixture
def priced_market(trade, other_user, carol):
    """Last prices EUR/USD 1.10000 and USD/JPY 150.000, traded between other users; GBP/USD and BTC/USD never traded."""
    trade(other_user, carol, "1", "1.10000")
    trade(other_user, carol, "1", "150.000", pair="USD/JPY")


def test_portfolio_values_in_usd_through_direct_and_inverse_pairs(client, priced_market, user):
    assert portfolio(client, user) == {
        "valuationAsset": "USD",
        "holdings": [
            unpriced("BTC", "2"),
            priced("EUR", "100000", "1.1", "110000", "EUR/USD"),
            unpriced("GBP", "100000"),
            # 1 / 150 and 10000000 / 150 to 18 places, half to even.
            priced("JPY", "10000000", "0.006666666666666667", "66666.666666666666666667", "USD/JPY"),
            priced("USD", "100000", "1", "100000", "USD"),
        ],
        # 110000 + 66666.666666666666666667 + 100000
        "totalValue": "276666.666666666666666667",
        "unpricedAssets": ["BTC", "GBP"],
    }


def test_valuation_asset_can_be_chosen_per_request(client, priced_market, user):
    assert portfolio(client, user, valuationAsset="EUR") == {
        "valuationAsset": "EUR",
        "holdings": [
            unpriced("BTC", "2"),
            priced("EUR", "100000", "1", "100000", "EUR"),
            unpriced("GBP", "100000"),
            unpriced("JPY", "10000000"),  # no EUR/JPY pair, and no pricing through a third asset
            # 1 / 1.1 = 0.90909..., 100000 / 1.1 = 90909.0909..., each to 18 places.
            priced("USD", "100000", "0.909090909090909091", "90909.090909090909090909", "EUR/USD"),
        ],
        "totalValue": "190909.090909090909090909",
        "unpricedAssets": ["BTC", "GBP", "JPY"],
    }


def test_without_any_last_price_only_the_valuation_asset_is_priced(client, user):
    body = portfolio(client, user)

    assert body["holdings"] == [
        unpriced("BTC", "2"),
        unpriced("EUR", "100000"),
        unpriced("GBP", "100000"),
        unpriced("JPY", "10000000"),
        priced("USD", "100000", "1", "100000", "USD"),
    ]
    assert body["totalValue"] == "100000"
    assert body["unpricedAssets"] == ["BTC", "EUR", "GBP", "JPY"]


def test_unknown_valuation_asset_is_422_naming_it(client, user):
    response = client.get("/portfolio", query_string={"valuationAsset": "XYZ"}, headers=user.headers)

    assert_error(response, 422, field="valuationAsset", location="query")


def test_the_valuation_asset_setting_is_the_default(app, client, user):
    app.config["VALUATION_ASSET"] = "EUR"

    assert portfolio(client, user)["valuationAsset"] == "EUR"


def test_amount_is_the_balance_total_including_what_orders_hold(client, place_order, trade, user, other_user):
    trade(user, other_user, "1000", "1.10000")
    place_order(user, side="BUY", amount="500", price="1.00000")  # holds 500 USD, still the user's

    body = portfolio(client, user)

    # EUR 101000 x 1.1 = 111100; USD 100000 - 1100 paid = 98900, of which 500 is held.
    assert body["holdings"][1] == priced("EUR", "101000", "1.1", "111100", "EUR/USD")
    assert body["holdings"][4] == priced("USD", "98900", "1", "98900", "USD")
    assert body["totalValue"] == "210000"


def test_an_asset_with_a_zero_total_is_left_out(client, fund, trade, user, other_user):
    fund(other_user, "USD", "30000")  # 130000 USD to pay with
    trade(other_user, user, "2", "65000", pair="BTC/USD")  # the user sells all 2 BTC for 130000 USD

    body = portfolio(client, user)

    assert [holding["asset"] for holding in body["holdings"]] == ["EUR", "GBP", "JPY", "USD"]
    assert body["holdings"][3] == priced("USD", "230000", "1", "230000", "USD")
    assert body["unpricedAssets"] == ["EUR", "GBP", "JPY"]
