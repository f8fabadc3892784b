"""When the database refuses a commit, the client gets 503 in the common error shape, nothing of the change
is visible or published, and the process's order book is the database's again: the next order matches as
if the failed one had never been sent."""

import pytest

from api_checks import assert_error, fetch_order
from orders_app.realtime.rooms import ORDERS_NAMESPACE


def test_a_crossing_order_whose_commit_fails_is_503_and_changes_nothing(
    client, place_order, post_order, book_levels, balances_of, socket_client, user, other_user, failing_commits
):
    maker = place_order(other_user, side="SELL", amount="100", price="1.10000")
    before = balances_of(user), balances_of(other_user), book_levels()
    listener = socket_client(user)
    listener.get_received(ORDERS_NAMESPACE)

    failing_commits(True)
    response = post_order(user, side="BUY", amount="100", price="1.10000", clientOrderId="retry-me")
    failing_commits(False)

    body = assert_error(response, 503)
    assert "none of it took effect" in body["message"]
    assert response.headers["Retry-After"] == "1"
    assert client.get("/orders", headers=user.headers).get_json() == []
    assert fetch_order(client, other_user, maker["orderId"])["status"] == "PENDING"
    assert (balances_of(user), balances_of(other_user), book_levels()) == before
    assert listener.get_received(ORDERS_NAMESPACE) == []


def test_the_same_order_sent_again_after_a_failed_commit_trades_once(
    client, place_order, post_order, book_levels, user, other_user, failing_commits
):
    maker = place_order(other_user, side="SELL", amount="100", price="1.10000")
    failing_commits(True)
    assert post_order(user, side="BUY", amount="100", price="1.10000", clientOrderId="retry-me").status_code == 503
    failing_commits(False)

    retried = post_order(user, side="BUY", amount="100", price="1.10000", clientOrderId="retry-me")

    assert retried.status_code == 201, retried.get_json()
    assert [trade["counterOrderId"] for trade in retried.get_json()["trades"]] == [maker["orderId"]]
    assert book_levels() == ([], [])


@pytest.mark.parametrize("action", ["amend", "cancel", "execution report"])
def test_a_change_to_a_resting_order_whose_commit_fails_leaves_it_as_it_was(
    client, place_order, book_levels, user, failing_commits, action
):
    order = place_order(user, side="BUY", amount="100", price="1.09990")
    path = f"/orders/{order['orderId']}"
    send = {
        "amend": lambda: client.put(path, json={"amount": "50"}, headers=user.headers),
        "cancel": lambda: client.delete(path, headers=user.headers),
        "execution report": lambda: client.post(
            f"{path}/trades", json={"executedAmount": "40", "executedPrice": "1.09990"}, headers=user.headers
        ),
    }[action]

    failing_commits(True)
    response = send()
    failing_commits(False)

    assert_error(response, 503)
    stored = fetch_order(client, user, order["orderId"])
    assert (stored["status"], stored["amount"], stored["filledAmount"]) == ("PENDING", "100", "0")
    assert book_levels() == ([("1.09990", "100", 1)], [])
