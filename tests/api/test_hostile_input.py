"""Input an attacker or a careless client sends: every answer is a 4xx in the common shape, nothing is
written, and no value that could give money away or break a later read gets through.

The suite runs on SQLite and on PostgreSQL; the NUL cases are the ones PostgreSQL alone would have
failed on.
"""

import uuid
from decimal import Decimal

import pytest

from api_checks import assert_error, fetch_order
from orders_app.domain.decimals import parse_decimal
from orders_app.domain.enums import OrderStatus, Side
from orders_app.domain.errors import InvalidInput
from orders_app.domain.orders import apply_fill

# Each is refused by the one decimal grammar: ASCII digits, an optional fraction and exponent.
NOT_DECIMALS = [
    "1_000",
    "١٠٠٠",  # Arabic-Indic digits
    "１０００",  # fullwidth digits
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "sNaN",
    " 1000",
    "1000 ",
    "1,000",
    "0x10",
    ".5",
    "5.",
    "1e",
    "1e-999999999",
    "1E-1000100",
    "1e1000",
    "",
    "1" * 65,
]
# Numbers JSON itself allows, whose size or exponent no column can hold.
OUT_OF_RANGE_NUMBERS = ["1e-999999999", "1E-1000100", "1e400", "1" + "0" * 30, "0.0000000000000000001"]


def raw_json(client, method, path, text, user=None):
    headers = {"Content-Type": "application/json", **(user.headers if user else {})}
    return client.open(path, method=method, data=text, headers=headers)


def nothing_traded(client, user):
    return [order for order in client.get("/orders", headers=user.headers).get_json() if order["trades"]]


# --- decimals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", NOT_DECIMALS)
@pytest.mark.parametrize("field", ["amount", "price"])
def test_order_decimal_off_the_grammar_is_422_and_stores_nothing(client, post_order, user, field, text):
    response = post_order(user, **{field: text})

    assert_error(response, 422, field)
    assert client.get("/orders", headers=user.headers).get_json() == []


@pytest.mark.parametrize("number", OUT_OF_RANGE_NUMBERS)
@pytest.mark.parametrize("field", ["executedAmount", "executedPrice"])
def test_execution_report_with_an_underflowing_or_huge_number_is_422_and_trades_nothing(
    client, place_order, balances_of, user, field, number
):
    order = place_order(user)
    before = balances_of(user)
    body = {"executedAmount": "100", "executedPrice": "1.10000"}
    text = "{" + ", ".join(f'"{key}": {number if key == field else value}' for key, value in body.items()) + "}"

    response = raw_json(client, "POST", f"/orders/{order['orderId']}/trades", text, user)

    assert_error(response, 422, field)
    assert fetch_order(client, user, order["orderId"])["trades"] == []
    assert balances_of(user) == before


@pytest.mark.parametrize("text", ["1e-999999999", "0e5", "0", "0.000", "-0.00001"])
def test_no_trade_at_price_zero_from_a_string_either(client, place_order, post_trade, balances_of, user, text):
    order = place_order(user, pair="BTC/USD", amount="1.0000", price="100.00")
    before = balances_of(user)

    response = post_trade(user, order, "1.0000", text)

    assert_error(response, 422, "executedPrice")
    assert balances_of(user) == before


def test_positions_stay_readable_after_hostile_execution_reports(client, place_order, post_trade, user):
    order = place_order(user)
    for text in ["1e-999999999", "0"]:
        post_trade(user, order, text, "1.10000")
        post_trade(user, order, "100", text)

    response = client.get("/positions", headers=user.headers)

    assert response.status_code == 200, response.get_json()
    assert response.get_json() == []


@pytest.mark.parametrize("amount", ["1E-1000100", "1e-19", "1e30"])
def test_operator_deposit_of_an_amount_no_column_holds_is_422_and_credits_nothing(
    client, operator, balances_of, user, amount
):
    before = balances_of(user)

    response = raw_json(
        client, "POST", "/admin/deposits", f'{{"username": "{user.username}", "asset": "USD", "amount": {amount}}}', operator
    )

    assert_error(response, 422, "amount")
    assert balances_of(user) == before


@pytest.mark.parametrize("text", ["1_000", "NaN", "１０００"])
def test_operator_deposit_off_the_grammar_is_422(client, operator, user, text):
    response = client.post(
        "/admin/deposits", json={"username": user.username, "asset": "USD", "amount": text}, headers=operator.headers
    )

    assert_error(response, 422, "amount")


@pytest.mark.parametrize("text", ["1.25", "1.25e3", "1E+3", "+5", "1000.000000"])
def test_the_grammar_takes_plain_and_exponent_forms(text):
    assert parse_decimal(text) == Decimal(text)


def test_an_order_accepts_an_exponent_form_on_the_grid(place_order, user):
    order = place_order(user, amount="1e3", price="1.1e0")

    assert (order["amount"], order["price"]) == ("1000", "1.10000")


@pytest.mark.parametrize("amount, price", [(Decimal(0), Decimal("1.1")), (Decimal(1), Decimal(0)), (Decimal(-1), Decimal(1))])
def test_a_fill_that_moves_nothing_or_gives_value_away_is_refused_by_the_rules(amount, price):
    with pytest.raises(InvalidInput):
        apply_fill(
            side=Side.BUY,
            status=OrderStatus.PENDING,
            amount=Decimal(10),
            filled_amount=Decimal(0),
            filled_quote=Decimal(0),
            limit_price=None,
            fill_amount=amount,
            fill_price=price,
        )


# --- NUL characters ------------------------------------------------------------------------------


def test_login_with_a_nul_in_the_username_is_422(client):
    response = client.post("/auth/login", json={"username": "a\u0000", "password": "whatever password"})

    assert_error(response, 422, "username")


def test_register_with_a_nul_is_422_and_creates_nobody(client):
    response = client.post("/auth/register", json={"username": "eve\u0000", "password": "long enough password"})

    assert_error(response, 422, "username")


def test_order_with_a_nul_in_the_pair_or_client_order_id_is_422(client, post_order, user):
    assert_error(post_order(user, pair="EUR/USD\u0000"), 422, "pair")
    assert_error(post_order(user, clientOrderId="id\u0000"), 422, "clientOrderId")
    assert client.get("/orders", headers=user.headers).get_json() == []


def test_a_nul_hidden_in_a_nested_value_is_422(client, post_order, user):
    response = raw_json(client, "POST", "/orders", '{"pair": "EUR/USD", "extra": {"a": ["\\u0000"]}}', user)

    assert_error(response, 422, "extra")


@pytest.mark.parametrize(
    "path, query, field",
    [
        ("/orders", {"pair": "EUR/USD\u0000"}, "pair"),
        ("/transactions", {"asset": "USD\u0000"}, "asset"),
        ("/trades", {"pair": "\u0000"}, "pair"),
        ("/orderbook", {"pair": "EUR/USD\u0000"}, "pair"),
        ("/portfolio", {"valuationAsset": "US\u0000D"}, "valuationAsset"),
    ],
)
def test_query_filter_with_a_nul_is_422(client, user, path, query, field):
    response = client.get(path, query_string=query, headers=user.headers)

    assert_error(response, 422, field, location="query")


def test_balance_of_an_asset_named_with_a_nul_is_404(client, user):
    response = client.get("/balances/%00", headers=user.headers)

    assert_error(response, 404)


def test_deposit_to_a_username_with_a_nul_is_422(client, operator):
    response = client.post(
        "/admin/deposits", json={"username": "alice\u0000", "asset": "USD", "amount": "1"}, headers=operator.headers
    )

    assert_error(response, 422, "username")


# --- nesting, paging, dates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, needs_token",
    [
        ("POST", "/auth/login", False),
        ("POST", "/auth/register", False),
        ("POST", "/orders", True),
        ("POST", "/admin/deposits", True),
    ],
)
@pytest.mark.parametrize("text", ["[" * 30_000, '{"a":' * 10_000], ids=["arrays", "objects"])
def test_deeply_nested_json_is_400_in_the_error_shape(client, user, method, path, needs_token, text):
    # Both well under the 64 KiB body limit, and far deeper than the JSON parser recurses.
    response = raw_json(client, method, path, text, user if needs_token else None)

    assert_error(response, 400)


def test_a_body_that_is_not_utf8_is_400(client):
    response = client.post("/auth/login", data=b'{"username": "\xff"}', content_type="application/json")

    assert_error(response, 400)


@pytest.mark.parametrize("path", ["/orders", "/transactions", "/trades?pair=EUR/USD"])
@pytest.mark.parametrize("query", ["page=1000000000000000000", "page=1000001", "page_size=1000000000000000000", "page_size=0"])
def test_a_page_or_page_size_out_of_bounds_is_422(client, user, path, query):
    separator = "&" if "?" in path else "?"

    response = client.get(f"{path}{separator}{query}", headers=user.headers)

    assert_error(response, 422, query.split("=")[0], location="query")


def test_the_last_allowed_page_answers_200_and_empty(client, user):
    response = client.get("/orders?page=1000000", headers=user.headers)

    assert (response.status_code, response.get_json()) == (200, [])


@pytest.mark.parametrize(
    "name, moment",
    [("from", "0001-01-01T00:00:00+05:00"), ("to", "9999-12-31T23:59:59-05:00"), ("from", "9999-12-31T23:00:00-01:00")],
)
def test_a_time_whose_utc_form_leaves_the_calendar_is_422(client, user, name, moment):
    response = client.get("/transactions", query_string={name: moment}, headers=user.headers)

    assert_error(response, 422, name, location="query")


def test_times_at_the_ends_of_the_calendar_in_utc_are_fine(client, user):
    response = client.get(
        "/transactions",
        query_string={"from": "0001-01-01T00:00:00+00:00", "to": "9999-12-31T23:59:59Z"},
        headers=user.headers,
    )

    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()) > 0  # the starting deposits


def test_an_unknown_order_id_still_answers_404_not_a_nul_error(client, user):
    response = client.get(f"/orders/{uuid.uuid4()}", headers=user.headers)

    assert_error(response, 404)
