"""`flask seed`: demo users with orders and trades, through the services; idempotent."""

import re
from decimal import Decimal

import pytest

from api_checks import total_traded

CREDENTIAL_LINE = re.compile(r"username:\s*(\S+)\s+password:\s*(\S+)")


def seed(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    return dict(CREDENTIAL_LINE.findall(result.output))


def orders_of(client, username, password):
    """Every order of the user (with trades), read through the API with the printed credentials."""
    login = client.post("/auth/login", json={"username": username, "password": password})
    assert login.status_code == 200, login.get_json()
    headers = {"Authorization": f"Bearer {login.get_json()['accessToken']}"}
    response = client.get("/orders", query_string={"page_size": 100}, headers=headers)
    assert response.status_code == 200
    return response.get_json()


def trade_count(orders):
    return sum(len(order["trades"]) for order in orders)


@pytest.fixture
def seeded(runner):
    return seed(runner)


def test_seed_prints_working_credentials_for_alice_and_bob(client, seeded):
    assert set(seeded) == {"alice", "bob"}
    for username, password in seeded.items():
        assert orders_of(client, username, password)


def test_seed_creates_orders_with_trades(client, seeded):
    orders = [order for username, password in seeded.items() for order in orders_of(client, username, password)]

    assert trade_count(orders) > 0


def test_seeded_orders_are_consistent_with_their_trades(client, seeded):
    for username, password in seeded.items():
        for order in orders_of(client, username, password):
            assert total_traded(order) == Decimal(order["filledAmount"]), order


def test_seeding_twice_creates_nothing_new(client, runner, seeded):
    before = {username: orders_of(client, username, password) for username, password in seeded.items()}

    again = seed(runner)

    assert again == seeded
    after = {username: orders_of(client, username, password) for username, password in again.items()}
    assert after == before
    assert sum(map(len, after.values())) == sum(map(len, before.values()))
    assert sum(map(trade_count, after.values())) == sum(map(trade_count, before.values()))
