"""Deferred settlement: a pair's trades credit proceeds as pending until an operator or `flask settle` settles them.

XAU/USD and XAG/USD are configured with "settlement": "DEFERRED" and created by `flask init-db`, the
way a deployment would get them; EUR/USD stays immediate. Every expected balance is worked out by hand.
"""


import pytest
from sqlalchemy import create_engine, text

from api_checks import UNKNOWN_ID, assert_error, fetch_order, fill, money

from orders_app.config import DEFAULT_INSTRUMENTS

DEFERRED_INSTRUMENTS = [
    {"symbol": "XAU/USD", "base": "XAU", "quote": "USD", "tickSize": "0.01", "lotSize": "1", "minAmount": "1",
     "settlement": "DEFERRED"},
    {"symbol": "XAG/USD", "base": "XAG", "quote": "USD", "tickSize": "0.001", "lotSize": "1", "minAmount": "1",
     "settlement": "DEFERRED"},
]


@pytest.fixture(autouse=True)
def deferred_pairs(make_app, db_kind, database_url):
    configured = make_app(INSTRUMENTS=[*DEFAULT_INSTRUMENTS, *DEFERRED_INSTRUMENTS])
    result = configured.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "XAU/USD" in result.output and "XAG/USD" in result.output, result.output
    yield
    if db_kind == "postgresql":
        # Instruments outlive a test on PostgreSQL, where only the data tables are emptied: remove these
        # two again, or every later test would see their assets and pairs.
        engine = create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text("TRUNCATE ledger_entries, balances, trades, orders RESTART IDENTITY CASCADE"))
            connection.execute(text("DELETE FROM instruments WHERE symbol IN ('XAU/USD', 'XAG/USD')"))
        engine.dispose()


@pytest.fixture
def gold_trade(place_order, fund, user, other_user):
    """alice sells 10 XAU to bob at 2000.00; returns the trade's id."""
    fund(user, "XAU", "10")
    place_order(user, pair="XAU/USD", side="SELL", amount="10", price="2000.00")
    taker = place_order(other_user, pair="XAU/USD", side="BUY", amount="10", price="2000.00")
    [trade] = taker["trades"]
    return trade["tradeId"]


def settle(client, user, trade_id):
    return client.post(f"/trades/{trade_id}/settle", headers=user.headers)


def public_trade(client, trade_id):
    response = client.get(f"/trades/{trade_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def settlement_of(trade):
    return trade["settled"], trade["settledAt"]


def orders_of(client, user):
    return client.get("/orders", headers=user.headers).get_json()


def settlements_in_orders(client, *owners):
    """settlement_of each trade of each owner's orders, owner by owner."""
    return [[settlement_of(trade) for order in orders_of(client, owner) for trade in order["trades"]] for owner in owners]


# --- pending proceeds ------------------------------------------------------------------------


def test_deferred_trade_credits_each_sides_proceeds_as_pending(balances_of, gold_trade, user, other_user):
    seller, buyer = balances_of(user), balances_of(other_user)
    # The seller's 10 XAU left its hold; its 10 x 2000 = 20000 USD wait as pending.
    assert seller["XAU"] == money("0", "0", "0", "0")
    assert seller["USD"] == money("100000", "0", "20000", "120000")
    # The buyer paid 20000 USD out of its hold at once; the 10 XAU wait as pending.
    assert buyer["USD"] == money("80000", "0", "0", "80000")
    assert buyer["XAU"] == money("0", "0", "10", "10")


def test_balances_endpoint_shows_pending_within_the_total(client, gold_trade, user):
    assert client.get("/balances/USD", headers=user.headers).get_json() == {
        "asset": "USD",
        "available": "100000",
        "held": "0",
        "pending": "20000",
        "total": "120000",
    }


def test_deferred_trade_is_unsettled_in_both_orders(client, gold_trade, user, other_user):
    for owner in (user, other_user):
        [order] = orders_of(client, owner)
        [trade] = order["trades"]
        assert (trade["tradeId"], *settlement_of(trade)) == (gold_trade, False, None)


def test_deferred_trade_is_unsettled_on_the_trade_tape(client, gold_trade):
    assert settlement_of(public_trade(client, gold_trade)) == (False, None)


def test_pending_base_cannot_be_sold(client, post_order, balances_of, gold_trade, other_user):
    orders_before = orders_of(client, other_user)
    balances_before = balances_of(other_user)

    response = post_order(other_user, pair="XAU/USD", side="SELL", amount="1", price="2000.00")

    body = assert_error(response, 422, field="amount")
    assert "XAU" in body["message"], body
    assert orders_of(client, other_user) == orders_before
    assert balances_of(other_user) == balances_before


def test_pending_quote_cannot_be_spent(client, post_order, balances_of, gold_trade, user):
    orders_before = orders_of(client, user)

    # 51 x 2000 = 102000: within the 120000 total, beyond the 100000 available.
    response = post_order(user, pair="XAU/USD", side="BUY", amount="51", price="2000.00")

    body = assert_error(response, 422, field="amount")
    assert "USD" in body["message"] and "102000" in body["message"], body
    assert orders_of(client, user) == orders_before
    assert balances_of(user)["USD"] == money("100000", "0", "20000", "120000")


def test_partly_filled_deferred_sell_keeps_holding_its_unfilled_rest(
    place_order, fund, balances_of, user, other_user
):
    fund(user, "XAU", "10")
    place_order(user, pair="XAU/USD", side="SELL", amount="10", price="2000.00")

    place_order(other_user, pair="XAU/USD", side="BUY", amount="4", price="2000.50")

    assert balances_of(user)["XAU"] == money("0", "6", "0", "6")
    assert balances_of(user)["USD"] == money("100000", "0", "8000", "108000")
    # Held 4 x 2000.50 = 8002, paid 8000, the 2 of price improvement back in available.
    assert balances_of(other_user)["USD"] == money("92000", "0", "0", "92000")
    assert balances_of(other_user)["XAU"] == money("0", "0", "4", "4")


# --- settling through the API ----------------------------------------------------------------


def test_operator_settles_a_trade_and_pending_becomes_available(
    client, balances_of, gold_trade, operator, user, other_user, utc_timestamp
):
    unsettled = public_trade(client, gold_trade)

    response = settle(client, operator, gold_trade)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body == {**unsettled, "settled": True, "settledAt": utc_timestamp}
    assert body["settledAt"] >= body["executedAt"]
    assert balances_of(user)["USD"] == money("120000", "0", "0", "120000")
    assert balances_of(user)["XAU"] == money("0", "0", "0", "0")
    assert balances_of(other_user)["XAU"] == money("10", "0", "0", "10")
    assert balances_of(other_user)["USD"] == money("80000", "0", "0", "80000")


def test_settled_trade_shows_settled_in_both_orders(client, gold_trade, operator, user, other_user):
    settled_at = settle(client, operator, gold_trade).get_json()["settledAt"]

    assert settlements_in_orders(client, user, other_user) == [[(True, settled_at)], [(True, settled_at)]]


def test_settled_trade_shows_settled_on_the_trade_tape(client, gold_trade, operator):
    settled_at = settle(client, operator, gold_trade).get_json()["settledAt"]

    assert settlement_of(public_trade(client, gold_trade)) == (True, settled_at)


def test_settled_proceeds_can_be_spent(client, place_order, balances_of, gold_trade, operator, other_user):
    settle(client, operator, gold_trade)

    place_order(other_user, pair="XAU/USD", side="SELL", amount="10", price="2100.00")

    assert balances_of(other_user)["XAU"] == money("0", "10", "0", "10")


def test_settling_a_settled_trade_is_409_and_credits_nothing_twice(
    client, balances_of, gold_trade, operator, user, other_user
):
    first = settle(client, operator, gold_trade).get_json()
    after_first = (balances_of(user), balances_of(other_user))

    body = assert_error(settle(client, operator, gold_trade), 409)

    assert gold_trade in body["message"], body
    assert (balances_of(user), balances_of(other_user)) == after_first
    assert settlements_in_orders(client, user) == [[(True, first["settledAt"])]]


def test_settling_an_unknown_trade_is_404(client, operator):
    assert_error(settle(client, operator, UNKNOWN_ID), 404)


def test_non_operator_cannot_settle_and_the_trade_stays_pending(client, balances_of, gold_trade, user, other_user):
    before = (balances_of(user), balances_of(other_user))

    for caller in (user, other_user):
        assert_error(settle(client, caller, gold_trade), 403)

    assert settlements_in_orders(client, user, other_user) == [[(False, None)], [(False, None)]]
    assert (balances_of(user), balances_of(other_user)) == before


def test_settling_without_a_token_is_401(client, gold_trade, user):
    assert_error(client.post(f"/trades/{gold_trade}/settle"), 401)
    assert settlements_in_orders(client, user) == [[(False, None)]]


def test_immediate_trade_cannot_be_settled_again(client, place_order, operator, user, other_user):
    place_order(user, side="SELL", amount="100", price="1.10000")
    [trade] = place_order(other_user, side="BUY", amount="100", price="1.10000")["trades"]

    assert_error(settle(client, operator, trade["tradeId"]), 409)


# --- execution reports on a deferred pair ----------------------------------------------------


def test_deferred_execution_report_on_a_buy_credits_the_base_as_pending_until_settled(
    client, place_order, post_trade, balances_of, operator, user
):
    order = place_order(user, pair="XAU/USD", side="BUY", amount="5", price="2000.00")

    response = post_trade(user, order, "5", "1999.00")

    assert response.status_code == 201, response.get_json()
    trade = response.get_json()["trade"]
    assert settlement_of(trade) == (False, None)
    # Held 10000, paid 5 x 1999 = 9995 to the venue, 5 released.
    assert balances_of(user)["USD"] == money("90005", "0", "0", "90005")
    assert balances_of(user)["XAU"] == money("0", "0", "5", "5")

    assert settle(client, operator, trade["tradeId"]).status_code == 200

    assert balances_of(user)["XAU"] == money("5", "0", "0", "5")
    assert balances_of(user)["USD"] == money("90005", "0", "0", "90005")
    [settled] = fetch_order(client, user, order["orderId"])["trades"]
    assert settled["settled"] is True


def test_deferred_execution_report_on_a_sell_credits_the_quote_as_pending_until_settled(
    client, place_order, post_trade, fund, balances_of, operator, user
):
    fund(user, "XAU", "10")
    order = place_order(user, pair="XAU/USD", side="SELL", amount="10", price="2000.00")

    trade = fill(post_trade, user, order, "10", "2000.50")["trades"][0]

    assert balances_of(user)["XAU"] == money("0", "0", "0", "0")
    assert balances_of(user)["USD"] == money("100000", "0", "20005", "120005")
    assert settle(client, operator, trade["tradeId"]).status_code == 200
    assert balances_of(user)["USD"] == money("120005", "0", "0", "120005")


# --- flask settle ----------------------------------------------------------------------------


def test_settle_command_settles_every_pending_trade_and_prints_how_many(
    client, runner, place_order, fund, balances_of, user, other_user, carol
):
    fund(user, "XAU", "10")
    place_order(user, pair="XAU/USD", side="SELL", amount="10", price="2000.00")
    first = place_order(other_user, pair="XAU/USD", side="BUY", amount="4", price="2000.00")
    second = place_order(carol, pair="XAU/USD", side="BUY", amount="3", price="2001.00")
    place_order(user, side="SELL", amount="100", price="1.10000")
    place_order(other_user, side="BUY", amount="100", price="1.10000")  # immediate: settled already
    # 4 x 2000 + 3 x 2000 = 14000 pending; 100 x 1.1 = 110 available from EUR/USD.
    assert balances_of(user)["USD"] == money("100110", "0", "14000", "114110")
    assert runner.invoke(args=["reconcile"]).exit_code == 0

    result = runner.invoke(args=["settle"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Settled 2 trade(s)."
    assert balances_of(user)["USD"] == money("114110", "0", "0", "114110")
    assert balances_of(user)["XAU"] == money("0", "3", "0", "3")
    assert balances_of(other_user)["XAU"] == money("4", "0", "0", "4")
    assert balances_of(carol)["XAU"] == money("3", "0", "0", "3")
    assert balances_of(carol)["USD"] == money("94000", "0", "0", "94000")
    for owner, taker in ((other_user, first), (carol, second)):
        assert [trade["settled"] for trade in fetch_order(client, owner, taker["orderId"])["trades"]] == [True]
    again = runner.invoke(args=["settle"])
    assert (again.exit_code, again.output.strip()) == (0, "Settled 0 trade(s).")
    reconciled = runner.invoke(args=["reconcile"])
    assert reconciled.exit_code == 0, reconciled.output


def test_settle_command_with_a_pair_settles_only_that_pairs_trades(
    client, runner, place_order, fund, balances_of, user, other_user
):
    fund(user, "XAU", "10")
    fund(user, "XAG", "100")
    place_order(user, pair="XAU/USD", side="SELL", amount="1", price="2000.00")
    gold = place_order(other_user, pair="XAU/USD", side="BUY", amount="1", price="2000.00")
    place_order(user, pair="XAG/USD", side="SELL", amount="100", price="25.125")
    silver = place_order(other_user, pair="XAG/USD", side="BUY", amount="100", price="25.125")

    result = runner.invoke(args=["settle", "--pair", "XAG/USD"])

    assert (result.exit_code, result.output.strip()) == (0, "Settled 1 trade(s).")
    assert fetch_order(client, other_user, silver["orderId"])["trades"][0]["settled"] is True
    assert settlement_of(fetch_order(client, other_user, gold["orderId"])["trades"][0]) == (False, None)
    # 100 x 25.125 = 2512.5 settled; 2000 still pending.
    assert balances_of(user)["USD"] == money("102512.5", "0", "2000", "104512.5")
    assert balances_of(other_user)["XAG"] == money("100", "0", "0", "100")
    assert balances_of(other_user)["XAU"] == money("0", "0", "1", "1")
    nothing = runner.invoke(args=["settle", "--pair", "EUR/USD"])
    assert (nothing.exit_code, nothing.output.strip()) == (0, "Settled 0 trade(s).")


# --- immediate instruments -------------------------------------------------------------------


def test_immediate_trade_is_settled_when_executed(client, place_order, balances_of, user, other_user):
    maker = place_order(user, side="SELL", amount="100", price="1.10000")
    taker = place_order(other_user, side="BUY", amount="100", price="1.10000")

    [trade] = taker["trades"]
    assert settlement_of(trade) == (True, trade["executedAt"])
    [maker_view] = fetch_order(client, user, maker["orderId"])["trades"]
    assert settlement_of(maker_view) == (True, maker_view["executedAt"])
    assert balances_of(user)["USD"]["pending"] == 0
    assert balances_of(other_user)["EUR"]["pending"] == 0


def test_immediate_trade_is_settled_on_the_trade_tape(client, place_order, user, other_user):
    place_order(user, side="SELL", amount="100", price="1.10000")
    [trade] = place_order(other_user, side="BUY", amount="100", price="1.10000")["trades"]

    tape = public_trade(client, trade["tradeId"])

    assert settlement_of(tape) == (True, tape["executedAt"])


def test_immediate_execution_report_is_settled_when_recorded(place_order, post_trade, user):
    order = place_order(user, side="BUY", amount="100", price="1.10000")

    trade = post_trade(user, order, "100", "1.10000").get_json()["trade"]

    assert settlement_of(trade) == (True, trade["executedAt"])
