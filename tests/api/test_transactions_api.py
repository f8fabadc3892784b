"""GET /transactions: the current user's ledger entries, newest first, paged and filtered."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from api_checks import assert_error, assert_utc_timestamp, assert_uuid

ENTRY_FIELDS = {
    "entryId",
    "movementId",
    "type",
    "asset",
    "bucket",
    "amount",
    "balanceAfter",
    "orderId",
    "tradeId",
    "createdAt",
}
# Registration deposits the starting balances one asset at a time, in asset order.
DEPOSITS_NEWEST_FIRST = [("USD", "100000"), ("JPY", "10000000"), ("GBP", "100000"), ("EUR", "100000"), ("BTC", "2")]


def transactions(client, user, **query):
    response = client.get("/transactions", query_string=query, headers=user.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def summary(entries):
    """(type, asset, bucket, amount, balanceAfter) of each entry, to compare a statement at a glance."""
    return [(e["type"], e["asset"], e["bucket"], e["amount"], e["balanceAfter"]) for e in entries]


def deposits(assets=DEPOSITS_NEWEST_FIRST):
    return [("DEPOSIT", asset, "AVAILABLE", amount, amount) for asset, amount in assets]


HOLD_1100_USD = [("HOLD", "USD", "HELD", "1100", "1100"), ("HOLD", "USD", "AVAILABLE", "-1100", "98900")]


# --- registration ---------------------------------------------------------------------------


def test_registration_deposits_every_starting_balance(client, user):
    entries = transactions(client, user)

    assert summary(entries) == deposits()
    for entry in entries:
        assert set(entry) == ENTRY_FIELDS
        assert isinstance(entry["entryId"], int)
        assert_uuid(entry["movementId"])
        assert entry["orderId"] is None
        assert entry["tradeId"] is None
        assert_utc_timestamp(entry["createdAt"])


def test_each_deposit_is_its_own_movement(client, user):
    entries = transactions(client, user)

    assert len({entry["movementId"] for entry in entries}) == len(DEPOSITS_NEWEST_FIRST)


def test_transactions_need_a_token(client):
    assert_error(client.get("/transactions"), 401)


# --- order and newest first -----------------------------------------------------------------


def test_entries_are_newest_first(client, place_order, user):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")

    entries = transactions(client, user)

    assert summary(entries) == HOLD_1100_USD + deposits()
    assert [e["orderId"] for e in entries[:2]] == [order["orderId"], order["orderId"]]
    assert entries[0]["movementId"] == entries[1]["movementId"]
    entry_ids = [entry["entryId"] for entry in entries]
    assert entry_ids == sorted(entry_ids, reverse=True)
    assert len(set(entry_ids)) == len(entry_ids)


def test_cancelling_adds_a_release_movement(client, place_order, user):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    client.delete(f"/orders/{order['orderId']}", headers=user.headers)

    entries = transactions(client, user, type="RELEASE")

    assert summary(entries) == [
        ("RELEASE", "USD", "AVAILABLE", "1100", "100000"),
        ("RELEASE", "USD", "HELD", "-1100", "0"),
    ]
    assert {entry["orderId"] for entry in entries} == {order["orderId"]}


def test_pages_are_cut_newest_first_with_pagination_header(client, place_order, user):
    place_order(user, side="BUY", amount="1000", price="1.10000")  # 2 entries on top of the 5 deposits
    everything = transactions(client, user)

    response = client.get("/transactions", query_string={"page": 2, "page_size": 2}, headers=user.headers)

    assert response.status_code == 200
    assert response.get_json() == everything[2:4]
    assert json.loads(response.headers["X-Pagination"]) == {
        "total": 7,
        "total_pages": 4,
        "first_page": 1,
        "last_page": 4,
        "page": 2,
        "previous_page": 1,
        "next_page": 3,
    }


# --- filters --------------------------------------------------------------------------------


def test_asset_filter_keeps_only_that_asset(client, place_order, user):
    place_order(user, side="BUY", amount="1000", price="1.10000")

    response = client.get("/transactions", query_string={"asset": "USD"}, headers=user.headers)

    assert summary(response.get_json()) == HOLD_1100_USD + deposits([("USD", "100000")])
    assert json.loads(response.headers["X-Pagination"])["total"] == 3


@pytest.mark.parametrize(
    "entry_type, expected",
    [
        ("DEPOSIT", deposits()),
        ("HOLD", HOLD_1100_USD),
        ("TRADE", []),
        ("SETTLEMENT", []),
    ],
)
def test_type_filter_keeps_only_that_type(client, place_order, user, entry_type, expected):
    place_order(user, side="BUY", amount="1000", price="1.10000")

    assert summary(transactions(client, user, type=entry_type)) == expected


def test_unknown_type_is_422_naming_type(client, user):
    response = client.get("/transactions", query_string={"type": "GIFT"}, headers=user.headers)

    assert_error(response, 422, field="type", location="query")


def test_from_is_inclusive_and_to_is_exclusive(client, place_order, user):
    place_order(user, side="BUY", amount="1000", price="1.10000")
    hold_time = transactions(client, user, type="HOLD")[0]["createdAt"]
    deposit_time = transactions(client, user, type="DEPOSIT")[0]["createdAt"]
    assert datetime.fromisoformat(deposit_time) < datetime.fromisoformat(hold_time)  # registration came first

    assert summary(transactions(client, user, **{"from": hold_time})) == HOLD_1100_USD
    assert summary(transactions(client, user, to=hold_time)) == deposits()
    assert transactions(client, user, **{"from": hold_time, "to": hold_time}) == []
    assert summary(transactions(client, user, **{"from": deposit_time, "to": hold_time})) == deposits()


def test_a_time_without_offset_is_utc(client, place_order, user):
    place_order(user, side="BUY", amount="1000", price="1.10000")
    hold_time = datetime.fromisoformat(transactions(client, user, type="HOLD")[0]["createdAt"])
    naive = hold_time.replace(tzinfo=None).isoformat()
    two_hours_east = hold_time.astimezone(timezone(timedelta(hours=2))).isoformat()

    assert summary(transactions(client, user, **{"from": naive})) == HOLD_1100_USD
    assert summary(transactions(client, user, **{"from": two_hours_east})) == HOLD_1100_USD


def test_a_window_in_the_future_is_empty(client, user):
    assert transactions(client, user, **{"from": "2999-01-01T00:00:00Z"}) == []


def test_from_after_to_is_422_naming_from(client, user):
    query = {"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"}

    response = client.get("/transactions", query_string=query, headers=user.headers)

    assert_error(response, 422, field="from", location="query")


@pytest.mark.parametrize("field", ["from", "to"])
def test_a_time_that_is_not_iso_8601_is_422(client, user, field):
    response = client.get("/transactions", query_string={field: "yesterday"}, headers=user.headers)

    assert_error(response, 422, field=field, location="query")


# --- trades ---------------------------------------------------------------------------------


def test_a_trades_entries_carry_the_order_and_the_trade(client, place_order, user, other_user):
    buy = place_order(user, side="BUY", amount="1000", price="1.10000")
    sell = place_order(other_user, side="SELL", amount="1000", price="1.10000")
    trade_id = sell["trades"][0]["tradeId"]

    bought = transactions(client, user, type="TRADE")
    sold = transactions(client, other_user, type="TRADE")

    assert summary(bought) == [
        ("TRADE", "EUR", "AVAILABLE", "1000", "101000"),
        ("TRADE", "USD", "HELD", "-1100", "0"),
    ]
    assert summary(sold) == [
        ("TRADE", "EUR", "HELD", "-1000", "0"),
        ("TRADE", "USD", "AVAILABLE", "1100", "101100"),
    ]
    assert {(e["orderId"], e["tradeId"]) for e in bought} == {(buy["orderId"], trade_id)}
    assert {(e["orderId"], e["tradeId"]) for e in sold} == {(sell["orderId"], trade_id)}
    assert len({e["movementId"] for e in bought + sold}) == 1  # one movement, both sides


def test_price_improvement_is_released_against_the_trade(client, place_order, user, other_user):
    place_order(other_user, side="SELL", amount="1000", price="1.09990")
    buy = place_order(user, side="BUY", amount="1000", price="1.10000")

    entries = transactions(client, user, asset="USD")

    # Held 1100; the trade at 1.09990 took 1000 x 1.09990 = 1099.9 from held; the 0.1 left went back.
    assert summary(entries) == [
        ("RELEASE", "USD", "AVAILABLE", "0.1", "98900.1"),
        ("RELEASE", "USD", "HELD", "-0.1", "0"),
        ("TRADE", "USD", "HELD", "-1099.9", "0.1"),
        *HOLD_1100_USD,
        *deposits([("USD", "100000")]),
    ]
    trade_id = buy["trades"][0]["tradeId"]
    assert {(e["orderId"], e["tradeId"]) for e in entries[:3]} == {(buy["orderId"], trade_id)}


def test_an_execution_report_posts_trade_entries_for_the_user_only(client, place_order, post_trade, user):
    order = place_order(user, side="BUY", amount="1000", price="1.10000")
    recorded = post_trade(user, order, "400", "1.10000").get_json()

    entries = transactions(client, user, type="TRADE")

    assert summary(entries) == [
        ("TRADE", "EUR", "AVAILABLE", "400", "100400"),
        ("TRADE", "USD", "HELD", "-440", "660"),
    ]
    assert {(e["orderId"], e["tradeId"]) for e in entries} == {(order["orderId"], recorded["trade"]["tradeId"])}


# --- isolation ------------------------------------------------------------------------------


def test_a_user_never_sees_another_users_entries(client, place_order, fund, user, other_user):
    mine = place_order(user, side="BUY", amount="1000", price="1.10000")
    place_order(other_user, side="SELL", amount="400", price="1.10000")
    place_order(other_user, side="SELL", amount="5", price="1.20000")
    fund(other_user, "GBP", "7")

    entries = transactions(client, user)

    assert {e["orderId"] for e in entries} == {None, mine["orderId"]}
    assert summary(entries) == [
        ("TRADE", "EUR", "AVAILABLE", "400", "100400"),
        ("TRADE", "USD", "HELD", "-440", "660"),
        *HOLD_1100_USD,
        *deposits(),
    ]
