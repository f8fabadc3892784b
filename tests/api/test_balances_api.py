"""GET /balances and GET /balances/{asset}: the current user's money, bucket by bucket."""

from decimal import Decimal

import pytest

from api_checks import assert_error

STARTING = {"BTC": "2", "EUR": "100000", "GBP": "100000", "JPY": "10000000", "USD": "100000"}


def balances(client, user):
    response = client.get("/balances", headers=user.headers)
    assert response.status_code == 200, response.get_json()
    return {row["asset"]: row for row in response.get_json()}


def balance(client, user, asset):
    response = client.get(f"/balances/{asset}", headers=user.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def money(asset, available, held="0", pending="0", total=None):
    """A balance as the API shows it; total defaults to available + held + pending, worked out here."""
    if total is None:
        total = str(Decimal(available) + Decimal(held) + Decimal(pending))
    return {"asset": asset, "available": available, "held": held, "pending": pending, "total": total}


# --- reading --------------------------------------------------------------------------------


def test_a_new_user_sees_the_starting_balance_of_every_asset_sorted(client, user):
    response = client.get("/balances", headers=user.headers)

    assert response.status_code == 200
    assert response.get_json() == [money(asset, amount) for asset, amount in STARTING.items()]


def test_one_asset_is_a_single_object_with_every_bucket_as_a_string(client, user):
    assert balance(client, user, "USD") == {
        "asset": "USD",
        "available": "100000",
        "held": "0",
        "pending": "0",
        "total": "100000",
    }


def test_unknown_asset_is_404_in_the_common_error_shape(client, user):
    assert_error(client.get("/balances/XYZ", headers=user.headers), 404)


@pytest.mark.parametrize("path", ["/balances", "/balances/USD"])
def test_balances_need_a_token(client, path):
    assert_error(client.get(path), 401)


def test_an_operator_deposit_adds_to_available(client, fund, user):
    fund(user, "USD", "250.25")

    assert balance(client, user, "USD") == money("USD", "100250.25")


def test_the_api_shows_what_the_database_holds(client, balances_of, place_order, user):
    place_order(user, amount="1000", price="1.10000")

    stored = balances_of(user)
    shown = balances(client, user)

    assert set(shown) == set(stored)
    for asset, row in shown.items():
        assert {bucket: Decimal(row[bucket]) for bucket in ("available", "held", "pending", "total")} == stored[asset]


# --- holds ----------------------------------------------------------------------------------


def test_a_limit_buy_holds_amount_times_price_of_the_quote_asset(client, place_order, user):
    place_order(user, side="BUY", amount="1000", price="1.10000")

    # 1000 x 1.10000 = 1100 USD moves from available to held; the total is unchanged.
    assert balance(client, user, "USD") == money("USD", "98900", held="1100", total="100000")
    assert balance(client, user, "EUR") == money("EUR", "100000")


def test_a_limit_sell_holds_the_amount_of_the_base_asset(client, place_order, user):
    place_order(user, side="SELL", amount="1000", price="1.10000")

    assert balance(client, user, "EUR") == money("EUR", "99000", held="1000", total="100000")
    assert balance(client, user, "USD") == money("USD", "100000")


def test_cancelling_releases_the_whole_hold(client, place_order, user):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")

    assert client.delete(f"/orders/{order['orderId']}", headers=user.headers).status_code == 200

    assert balance(client, user, "USD") == money("USD", "100000")


def test_cancelling_a_partly_filled_buy_releases_only_what_is_left(client, place_order, user, other_user):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    place_order(other_user, side="SELL", amount="400", price="1.10000")

    # 400 filled at 1.10000 cost 440 USD; 600 x 1.10000 = 660 stays held.
    assert balance(client, user, "USD") == money("USD", "98900", held="660", total="99560")

    client.delete(f"/orders/{order['orderId']}", headers=user.headers)

    assert balance(client, user, "USD") == money("USD", "99560")
    assert balance(client, user, "EUR") == money("EUR", "100400")


# --- trades ---------------------------------------------------------------------------------


def test_a_crossing_sell_pays_the_buyer_in_base_and_the_seller_in_quote(client, place_order, user, other_user):
    place_order(user, side="BUY", amount="1000", price="1.10000")
    place_order(other_user, side="SELL", amount="1000", price="1.10000")

    assert balance(client, user, "EUR") == money("EUR", "101000")
    assert balance(client, user, "USD") == money("USD", "98900")
    assert balance(client, other_user, "EUR") == money("EUR", "99000")
    assert balance(client, other_user, "USD") == money("USD", "101100")


def test_a_buy_filled_below_its_limit_gets_the_difference_back(client, place_order, user, other_user):
    place_order(other_user, side="SELL", amount="1000", price="1.09990")
    place_order(user, side="BUY", amount="1000", price="1.10000")

    # Held 1000 x 1.10000 = 1100, paid 1000 x 1.09990 = 1099.9: the 0.1 goes back to available.
    assert balance(client, user, "USD") == money("USD", "98900.1")
    assert balance(client, user, "EUR") == money("EUR", "101000")
    assert balance(client, other_user, "USD") == money("USD", "101099.9")
    assert balance(client, other_user, "EUR") == money("EUR", "99000")


def test_an_execution_report_fills_against_the_venue(client, place_order, post_trade, user):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")

    assert post_trade(user, order, "400", "1.10000").status_code == 201

    assert balance(client, user, "USD") == money("USD", "98900", held="660", total="99560")
    assert balance(client, user, "EUR") == money("EUR", "100400")


# --- isolation ------------------------------------------------------------------------------


def test_a_user_never_sees_another_users_balances(client, place_order, fund, user, other_user):
    place_order(other_user, side="BUY", amount="1000", price="1.10000")
    fund(other_user, "EUR", "5")

    assert balances(client, user) == {asset: money(asset, amount) for asset, amount in STARTING.items()}
    assert balance(client, user, "USD") == money("USD", "100000")
