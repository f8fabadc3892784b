"""PUT /orders/{id} amends price and amount; DELETE /orders/{id} cancels, as PATCH .../status does."""

import pytest

from api_checks import UNKNOWN_ID, assert_error, assert_utc_timestamp, fetch_order, fill


def amend(client, user, order, **changes):
    return client.put(f"/orders/{order['orderId']}", json=changes, headers=user.headers)


def amended(client, user, order, **changes):
    """Amend, asserting 200; returns the order JSON."""
    response = amend(client, user, order, **changes)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def delete(client, user, order_id):
    return client.delete(f"/orders/{order_id}", headers=user.headers)


def counter_orders(order):
    return [trade["counterOrderId"] for trade in order["trades"]]


@pytest.fixture
def partly_filled_sell(place_order, user, other_user):
    """Alice's SELL 300 at 1.10000, 200 of it bought by Bob."""
    sell = place_order(user, side="SELL", amount="300", price="1.10000")
    place_order(other_user, side="BUY", amount="200", price="1.10000")
    return sell


# --- queue priority --------------------------------------------------------------------------


def test_reducing_the_amount_keeps_queue_priority(client, place_order, book_levels, user, other_user, carol):
    first = place_order(user, side="SELL", amount="300", price="1.10000")
    later = place_order(carol, side="SELL", amount="100", price="1.10000")

    reduced = amended(client, user, first, amount="200")
    taker = place_order(other_user, side="BUY", amount="100", price="1.10000")

    assert (reduced["amount"], reduced["remainingAmount"], reduced["status"]) == ("200", "200", "PENDING")
    assert counter_orders(taker) == [first["orderId"]]
    assert fetch_order(client, carol, later["orderId"]) == later
    assert book_levels() == ([], [("1.10000", "200", 2)])


def test_increasing_the_amount_loses_queue_priority(client, place_order, book_levels, user, other_user, carol):
    first = place_order(user, side="SELL", amount="100", price="1.10000")
    later = place_order(carol, side="SELL", amount="100", price="1.10000")

    increased = amended(client, user, first, amount="200")
    taker = place_order(other_user, side="BUY", amount="100", price="1.10000")

    assert (increased["amount"], increased["remainingAmount"]) == ("200", "200")
    assert counter_orders(taker) == [later["orderId"]]
    assert book_levels() == ([], [("1.10000", "200", 1)])


def test_changing_the_price_loses_queue_priority_at_the_new_level(
    client, place_order, book_levels, user, other_user, carol
):
    moved = place_order(user, side="SELL", amount="100", price="1.10010")
    already_there = place_order(carol, side="SELL", amount="100", price="1.10000")

    amended(client, user, moved, price="1.10000")
    taker = place_order(other_user, side="BUY", amount="100", price="1.10000")

    assert counter_orders(taker) == [already_there["orderId"]]
    assert book_levels() == ([], [("1.10000", "100", 1)])


def test_new_price_that_crosses_matches_at_once_with_the_amended_order_as_taker(
    client, place_order, book_levels, user, other_user
):
    bid = place_order(other_user, side="BUY", amount="100", price="1.09990")
    ask = place_order(user, side="SELL", amount="300", price="1.10000")

    crossed = amended(client, user, ask, price="1.09990")

    assert (crossed["price"], crossed["status"], crossed["filledAmount"], crossed["remainingAmount"]) == (
        "1.09990",
        "PARTIALLY_FILLED",
        "100",
        "200",
    )
    [trade] = crossed["trades"]
    assert (trade["liquidity"], trade["counterOrderId"], trade["executedPrice"]) == (
        "TAKER",
        bid["orderId"],
        "1.09990",
    )
    maker = fetch_order(client, other_user, bid["orderId"])
    assert (maker["status"], maker["trades"][0]["liquidity"]) == ("FILLED", "MAKER")
    assert book_levels() == ([], [("1.09990", "200", 1)])


def test_reducing_a_partly_filled_order_keeps_what_is_filled(client, book_levels, user, partly_filled_sell):
    reduced = amended(client, user, partly_filled_sell, amount="250")

    assert (reduced["amount"], reduced["filledAmount"], reduced["remainingAmount"], reduced["status"]) == (
        "250",
        "200",
        "50",
        "PARTIALLY_FILLED",
    )
    assert book_levels() == ([], [("1.10000", "50", 1)])


def test_increasing_a_partly_filled_order_keeps_what_is_filled_and_rests_the_new_remainder(
    client, book_levels, user, partly_filled_sell
):
    increased = amended(client, user, partly_filled_sell, amount="400")

    assert (increased["amount"], increased["filledAmount"], increased["remainingAmount"], increased["status"]) == (
        "400",
        "200",
        "200",
        "PARTIALLY_FILLED",
    )
    assert book_levels() == ([], [("1.10000", "200", 1)])


def test_amount_equal_to_what_is_filled_marks_the_order_filled_and_takes_it_off_the_book(
    client, book_levels, user, partly_filled_sell
):
    closed = amended(client, user, partly_filled_sell, amount="200")

    assert (closed["status"], closed["amount"], closed["filledAmount"], closed["remainingAmount"]) == (
        "FILLED",
        "200",
        "200",
        "0",
    )
    assert book_levels() == ([], [])


def test_amount_equal_to_what_is_filled_with_a_new_price_also_marks_the_order_filled(
    client, book_levels, balances_of, user, partly_filled_sell
):
    closed = amended(client, user, partly_filled_sell, amount="200", price="1.10050")

    assert (closed["status"], closed["filledAmount"], closed["remainingAmount"]) == ("FILLED", "200", "0")
    assert book_levels() == ([], [])
    assert balances_of(user)["EUR"]["held"] == 0


def test_amend_with_the_values_the_order_already_has_is_200_and_changes_nothing(
    client, place_order, order_book, user
):
    order = place_order(user, side="SELL", amount="300", price="1.10000")
    book_before = order_book()

    response = amend(client, user, order, amount="300", price="1.1")

    assert response.status_code == 200
    assert response.get_json() == order
    assert fetch_order(client, user, order["orderId"]) == order
    assert {**order_book(), "timestamp": None} == {**book_before, "timestamp": None}


def test_amend_moves_updated_at_and_keeps_created_at(client, place_order, user):
    order = place_order(user, side="SELL", amount="300", price="1.10000")

    changed = amended(client, user, order, amount="200")

    assert changed["createdAt"] == order["createdAt"]
    assert assert_utc_timestamp(changed["updatedAt"]) >= assert_utc_timestamp(order["updatedAt"])


# --- refused amends --------------------------------------------------------------------------


def test_amount_below_what_is_filled_is_409_and_changes_nothing(client, order_book, user, partly_filled_sell):
    before = fetch_order(client, user, partly_filled_sell["orderId"])
    book_before = order_book()

    assert_error(amend(client, user, partly_filled_sell, amount="100"), 409, field="amount")
    assert fetch_order(client, user, partly_filled_sell["orderId"]) == before
    assert {**order_book(), "timestamp": None} == {**book_before, "timestamp": None}


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"price": "1.000001"}, "price"),
        ({"amount": "100.5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"price": "-1.10000"}, "price"),
        ({"price": "abc"}, "price"),
        ({"amount": "1e30"}, "amount"),
        ({"price": "1.10010", "amount": "100.5"}, "amount"),
    ],
    ids=["price-off-tick", "amount-off-lot", "zero-amount", "negative-price", "not-a-number", "huge", "one-bad-field"],
)
def test_invalid_amend_is_422_naming_the_field_and_changes_nothing(
    client, place_order, order_book, user, changes, field
):
    order = place_order(user, side="SELL", amount="300", price="1.10000")
    book_before = order_book()

    assert_error(amend(client, user, order, **changes), 422, field=field)
    assert fetch_order(client, user, order["orderId"]) == order
    assert {**order_book(), "timestamp": None} == {**book_before, "timestamp": None}


def test_amend_with_an_empty_body_is_422(client, place_order, user):
    order = place_order(user)

    assert_error(amend(client, user, order), 422)
    assert fetch_order(client, user, order["orderId"]) == order


@pytest.mark.parametrize("field", ["status", "side", "pair"])
def test_amend_of_anything_but_price_and_amount_is_422(client, place_order, user, field):
    order = place_order(user)

    assert_error(amend(client, user, order, **{field: "SELL"}), 422, field=field)
    assert fetch_order(client, user, order["orderId"]) == order


@pytest.mark.parametrize("close", ["cancel", "report", "match"])
def test_amending_a_closed_order_is_409_and_changes_nothing(
    client, place_order, post_trade, user, other_user, close
):
    order = place_order(user, side="SELL", amount="100", price="1.10000")
    if close == "cancel":
        assert delete(client, user, order["orderId"]).status_code == 200
    elif close == "report":
        fill(post_trade, user, order, "100")
    else:
        place_order(other_user, side="BUY", amount="100", price="1.10000")
    before = fetch_order(client, user, order["orderId"])

    assert_error(amend(client, user, order, amount="50"), 409)
    assert fetch_order(client, user, order["orderId"]) == before


def test_amending_another_users_order_is_404_and_leaves_it_alone(client, place_order, book_levels, user, other_user):
    theirs = place_order(other_user, side="SELL", amount="100", price="1.10000")

    assert_error(amend(client, user, theirs, amount="50"), 404)
    assert fetch_order(client, other_user, theirs["orderId"]) == theirs
    assert book_levels() == ([], [("1.10000", "100", 1)])


@pytest.mark.parametrize("order_id", [UNKNOWN_ID, "not-a-uuid"])
def test_amending_an_unknown_or_malformed_order_id_is_404(client, user, order_id):
    assert_error(client.put(f"/orders/{order_id}", json={"amount": "50"}, headers=user.headers), 404)


# --- DELETE ----------------------------------------------------------------------------------


def test_delete_cancels_an_open_order_and_takes_it_off_the_book(client, place_order, book_levels, user):
    order = place_order(user, side="SELL", amount="100", price="1.10000")

    response = delete(client, user, order["orderId"])

    assert response.status_code == 200
    cancelled = response.get_json()
    assert (cancelled["status"], cancelled["filledAmount"], cancelled["remainingAmount"]) == ("CANCELLED", "0", "100")
    assert fetch_order(client, user, order["orderId"]) == cancelled
    assert book_levels() == ([], [])


def test_delete_of_a_partly_filled_order_keeps_its_fills(client, book_levels, user, partly_filled_sell):
    before = fetch_order(client, user, partly_filled_sell["orderId"])

    cancelled = delete(client, user, partly_filled_sell["orderId"]).get_json()

    assert (cancelled["status"], cancelled["filledAmount"], cancelled["averagePrice"]) == (
        "CANCELLED",
        "200",
        "1.10000",
    )
    assert cancelled["trades"] == before["trades"]
    assert book_levels() == ([], [])


def test_delete_and_patch_status_cancel_the_same_way(client, place_order, user):
    by_delete = place_order(user, side="SELL", amount="100", price="1.10000")
    by_patch = place_order(user, side="SELL", amount="100", price="1.10000")

    deleted = delete(client, user, by_delete["orderId"]).get_json()
    patched = client.patch(
        f"/orders/{by_patch['orderId']}/status", json={"status": "CANCELLED"}, headers=user.headers
    ).get_json()

    ignored = {"orderId", "createdAt", "updatedAt"}
    assert {k: v for k, v in deleted.items() if k not in ignored} == {
        k: v for k, v in patched.items() if k not in ignored
    }


def test_cancel_by_patch_status_also_takes_the_order_off_the_book(client, place_order, book_levels, user):
    order = place_order(user, side="BUY", amount="100", price="1.10000")

    response = client.patch(f"/orders/{order['orderId']}/status", json={"status": "CANCELLED"}, headers=user.headers)

    assert response.status_code == 200
    assert book_levels() == ([], [])


@pytest.mark.parametrize("close", ["cancel", "match"])
def test_delete_of_a_closed_order_is_409_and_changes_nothing(client, place_order, user, other_user, close):
    order = place_order(user, side="SELL", amount="100", price="1.10000")
    if close == "cancel":
        assert delete(client, user, order["orderId"]).status_code == 200
    else:
        place_order(other_user, side="BUY", amount="100", price="1.10000")
    before = fetch_order(client, user, order["orderId"])

    assert_error(delete(client, user, order["orderId"]), 409)
    assert fetch_order(client, user, order["orderId"]) == before


def test_delete_of_another_users_order_is_404_and_leaves_it_in_the_book(
    client, place_order, book_levels, user, other_user
):
    theirs = place_order(other_user, side="SELL", amount="100", price="1.10000")

    assert_error(delete(client, user, theirs["orderId"]), 404)
    assert fetch_order(client, other_user, theirs["orderId"]) == theirs
    assert book_levels() == ([], [("1.10000", "100", 1)])


@pytest.mark.parametrize("order_id", [UNKNOWN_ID, "not-a-uuid"])
def test_delete_of_an_unknown_or_malformed_order_id_is_404(client, user, order_id):
    assert_error(delete(client, user, order_id), 404)
