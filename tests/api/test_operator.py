"""The operator role: crediting funds with POST /admin/deposits, and granting the role with `flask create-operator`."""

import re
from decimal import Decimal

import pytest

from api_checks import assert_error, assert_uuid

CHOSEN_PASSWORD = "operator chosen passphrase"
REGISTERED_LINE = re.compile(r"^Registered (\S+)\.\nGenerated password \(the whole next line, shown only now\):\n(.+)$", re.MULTILINE)


@pytest.fixture
def deposit(client):
    """deposit(caller, **body) -> the raw response of POST /admin/deposits."""

    def post(caller, **body):
        return client.post("/admin/deposits", json=body, headers=caller.headers)

    return post


def balance_json(client, user, asset):
    response = client.get(f"/balances/{asset}", headers=user.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def login(client, username, password):
    response = client.post("/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['accessToken']}"}


# --- deposits --------------------------------------------------------------------------------


def test_operator_deposit_credits_available_and_returns_the_new_balance(client, deposit, operator, user):
    response = deposit(operator, username="alice", asset="USD", amount="5000")

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert_uuid(body["depositId"])
    assert body == {
        "depositId": body["depositId"],
        "username": "alice",
        "asset": "USD",
        "amount": "5000",
        "balance": {"asset": "USD", "available": "105000", "held": "0", "pending": "0", "total": "105000"},
    }
    assert balance_json(client, user, "USD") == body["balance"]


def test_deposit_is_a_ledger_movement_in_the_users_transactions(client, deposit, operator, user):
    deposit_id = deposit(operator, username="alice", asset="EUR", amount="250.5").get_json()["depositId"]

    entries = client.get("/transactions", query_string={"type": "DEPOSIT", "asset": "EUR"}, headers=user.headers)

    newest = entries.get_json()[0]
    assert (newest["movementId"], newest["type"], newest["bucket"], newest["amount"], newest["balanceAfter"]) == (
        deposit_id,
        "DEPOSIT",
        "AVAILABLE",
        "250.5",
        "100250.5",
    )


def test_deposit_accepts_a_json_number_and_fractions_of_an_asset(deposit, balances_of, operator, user):
    response = deposit(operator, username="alice", asset="BTC", amount=0.00000001)

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["amount"] == "0.00000001"
    assert balances_of(user)["BTC"]["available"] == Decimal("2.00000001")


def test_deposit_leaves_held_and_pending_as_they_were(client, deposit, place_order, operator, user):
    place_order(user, side="BUY", amount="1000", price="1.10000")  # holds 1100 USD

    body = deposit(operator, username="alice", asset="USD", amount="400").get_json()

    assert body["balance"] == {"asset": "USD", "available": "99300", "held": "1100", "pending": "0", "total": "100400"}


def test_deposit_credits_the_named_user_not_the_operator(deposit, balances_of, operator, user):
    before = balances_of(operator)

    deposit(operator, username="alice", asset="GBP", amount="10")

    assert balances_of(operator) == before
    assert balances_of(user)["GBP"]["available"] == Decimal("100010")


def test_operator_may_credit_themselves(deposit, balances_of, operator):
    assert deposit(operator, username="olivia", asset="JPY", amount="1").status_code == 201
    assert balances_of(operator)["JPY"]["total"] == Decimal("10000001")


def test_non_operator_deposit_is_403_and_credits_nothing(deposit, balances_of, user, other_user):
    before = balances_of(other_user)

    for caller, username in ((user, "bob"), (other_user, "bob")):
        assert_error(deposit(caller, username=username, asset="USD", amount="5000"), 403)

    assert balances_of(other_user) == before


def test_deposit_to_an_unknown_user_is_404(deposit, operator):
    body = assert_error(deposit(operator, username="nobody", asset="USD", amount="5000"), 404)
    assert "nobody" in body["message"]


def test_deposit_of_an_unknown_asset_is_422_and_credits_nothing(deposit, balances_of, operator, user):
    before = balances_of(user)

    assert_error(deposit(operator, username="alice", asset="DOGE", amount="5000"), 422, field="asset")

    assert balances_of(user) == before


@pytest.mark.parametrize(
    "amount",
    ["0", "-5", 0, -1, "abc", "NaN", "Infinity", "0.0000000000000000001", "100000000000000000000"],
    ids=["zero", "negative", "zero-number", "negative-number", "not-a-number", "nan", "infinity",
         "too-many-places", "too-large"],
)
def test_deposit_of_an_amount_that_is_not_a_positive_finite_number_is_422(
    deposit, balances_of, operator, user, amount
):
    before = balances_of(user)

    assert_error(deposit(operator, username="alice", asset="USD", amount=amount), 422, field="amount")

    assert balances_of(user) == before


def test_deposits_that_would_take_any_balance_to_1e20_are_422_and_credit_nothing(
    deposit, balances_of, operator, user, other_user
):
    # Each deposit is also debited from the system's DEPOSITS account, so the bound holds for the
    # total deposited of an asset, not only for one user's balance: both must fit the ledger's columns.
    assert deposit(operator, username=user.username, asset="USD", amount="90000000000000000000").status_code == 201
    before = balances_of(other_user)

    response = deposit(operator, username=other_user.username, asset="USD", amount="9999999999999999999")

    assert_error(response, 422, field="amount")
    assert "100000000000000000000" in response.get_json()["message"]
    assert balances_of(other_user) == before


@pytest.mark.parametrize("missing", ["username", "asset", "amount"])
def test_deposit_missing_a_field_is_422(deposit, operator, user, missing):
    body = {key: value for key, value in {"username": "alice", "asset": "USD", "amount": "1"}.items() if key != missing}

    assert_error(deposit(operator, **body), 422, field=missing)


def test_deposit_without_a_token_is_401(client, balances_of, user):
    before = balances_of(user)

    response = client.post("/admin/deposits", json={"username": "alice", "asset": "USD", "amount": "5000"})

    assert_error(response, 401)
    assert balances_of(user) == before


# --- flask create-operator -------------------------------------------------------------------


def test_create_operator_grants_the_role_to_an_existing_user_without_a_new_login(runner, deposit, user):
    assert_error(deposit(user, username="alice", asset="USD", amount="1"), 403)

    result = runner.invoke(args=["create-operator", "alice"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "alice is an operator."
    # The same access token, issued before the role was granted, now carries it.
    assert deposit(user, username="alice", asset="USD", amount="1").status_code == 201


def test_create_operator_registers_a_missing_user_with_a_printed_password(client, runner, balances_of):
    result = runner.invoke(args=["create-operator", "dave"])

    assert result.exit_code == 0, result.output
    [(username, password)] = REGISTERED_LINE.findall(result.output)
    assert username == "dave"
    assert result.output.rstrip().endswith("dave is an operator.")
    headers = login(client, "dave", password)
    response = client.post("/admin/deposits", json={"username": "dave", "asset": "BTC", "amount": "1"}, headers=headers)
    assert response.status_code == 201, response.get_json()
    # A new operator is funded like every new user.
    assert response.get_json()["balance"]["total"] == "3"
    assert client.get("/balances/USD", headers=headers).get_json()["total"] == "100000"


def test_create_operator_with_a_given_password_uses_it_and_does_not_print_it(client, runner):
    result = runner.invoke(args=["create-operator", "erin", "--password", CHOSEN_PASSWORD])

    assert result.exit_code == 0, result.output
    assert CHOSEN_PASSWORD not in result.output
    assert "Registered erin." in result.output
    headers = login(client, "erin", CHOSEN_PASSWORD)
    response = client.post("/admin/deposits", json={"username": "erin", "asset": "USD", "amount": "1"}, headers=headers)
    assert response.status_code == 201, response.get_json()


def test_create_operator_twice_keeps_the_role_and_registers_no_one(runner, deposit, user):
    for _ in range(2):
        result = runner.invoke(args=["create-operator", "alice"])
        assert result.exit_code == 0, result.output
        assert "Registered" not in result.output

    assert deposit(user, username="alice", asset="USD", amount="1").status_code == 201


def test_granting_one_user_the_role_leaves_others_without_it(runner, deposit, user, other_user):
    assert runner.invoke(args=["create-operator", "alice"]).exit_code == 0

    assert_error(deposit(other_user, username="bob", asset="USD", amount="1"), 403)


def test_operator_is_still_a_user_who_can_trade(place_order, balances_of, operator):
    place_order(operator, side="BUY", amount="1000", price="1.10000")

    assert balances_of(operator)["USD"]["held"] == Decimal("1100")
