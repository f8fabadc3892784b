"""Real concurrent requests: threads, each with its own test client, released together."""

from decimal import Decimal

from api_checks import fetch_order, total_traded
from concurrent_requests import cancel_request, order_request, send_together, statuses, trade_request

def assert_consistent(order):
    """Fill, remainder and status agree with the trades the order holds."""
    filled = Decimal(order["filledAmount"])
    assert total_traded(order) == filled
    assert filled <= Decimal(order["amount"])
    assert Decimal(order["remainingAmount"]) == Decimal(order["amount"]) - filled
    if order["status"] == "FILLED":
        assert filled == Decimal(order["amount"])
    if order["status"] == "PENDING":
        assert order["trades"] == []


def test_concurrent_fills_never_overshoot_the_amount(app, client, place_order, user):
    order_id = place_order(user, amount="1000")["orderId"]

    responses = send_together(app, [trade_request(user, order_id, "150") for _ in range(10)])

    assert statuses(responses) == {201: 6, 400: 4}
    final = fetch_order(client, user, order_id)
    assert (final["filledAmount"], final["remainingAmount"], final["status"]) == ("900", "100", "PARTIALLY_FILLED")
    assert len(final["trades"]) == 6
    assert_consistent(final)


def test_concurrent_fills_stop_at_filled_and_later_ones_see_a_closed_order(app, client, place_order, user):
    order_id = place_order(user, amount="1000")["orderId"]

    responses = send_together(app, [trade_request(user, order_id, "250") for _ in range(8)])

    assert statuses(responses) == {201: 4, 409: 4}
    final = fetch_order(client, user, order_id)
    assert (final["filledAmount"], final["status"]) == ("1000", "FILLED")
    assert_consistent(final)


def test_each_successful_concurrent_fill_reports_a_distinct_running_total(app, place_order, user):
    order_id = place_order(user, amount="1000")["orderId"]

    responses = send_together(app, [trade_request(user, order_id, "100") for _ in range(10)])

    assert statuses(responses) == {201: 10}
    running_totals = sorted(int(response.get_json()["order"]["filledAmount"]) for response in responses)
    assert running_totals == list(range(100, 1001, 100))


def test_concurrent_creates_with_one_client_order_id_make_exactly_one_order(app, client, user):
    create = order_request(user, clientOrderId="race-1")

    responses = send_together(app, [create] * 8)

    assert statuses(responses) == {201: 1, 200: 7}
    assert len({response.get_json()["orderId"] for response in responses}) == 1
    listed = client.get("/orders", headers=user.headers).get_json()
    assert [order["orderId"] for order in listed] == [responses[0].get_json()["orderId"]]


def test_cancel_racing_fills_leaves_a_cancelled_order_holding_exactly_the_fills_that_won(
    app, client, place_order, user
):
    order_id = place_order(user, amount="1000")["orderId"]
    fills = [trade_request(user, order_id, "150") for _ in range(7)]

    responses = send_together(app, [cancel_request(user, order_id), *fills])

    cancel_response, fill_responses = responses[0], responses[1:]
    assert cancel_response.status_code == 200
    final = fetch_order(client, user, order_id)
    assert final["status"] == "CANCELLED"
    won = [response for response in fill_responses if response.status_code == 201]
    assert {response.status_code for response in fill_responses} <= {201, 400, 409}
    assert sorted(trade["tradeId"] for trade in final["trades"]) == sorted(
        response.get_json()["trade"]["tradeId"] for response in won
    )
    assert_consistent(final)


def test_cancel_racing_a_full_fill_lets_exactly_one_win(app, client, place_order, user):
    order_ids = [place_order(user, amount="1000")["orderId"] for _ in range(5)]
    requests = []
    for order_id in order_ids:
        requests += [cancel_request(user, order_id), trade_request(user, order_id, "1000")]

    responses = send_together(app, requests)

    for index, order_id in enumerate(order_ids):
        cancelled, filled = responses[2 * index], responses[2 * index + 1]
        final = fetch_order(client, user, order_id)
        assert_consistent(final)
        if cancelled.status_code == 200:
            assert (filled.status_code, final["status"], final["trades"]) == (409, "CANCELLED", [])
        else:
            assert (cancelled.status_code, filled.status_code, final["status"]) == (409, 201, "FILLED")


def test_concurrent_registrations_of_one_username_create_one_account(app):
    body = {"username": "racer", "password": "correct horse battery"}

    def register(request_client):
        return request_client.post("/auth/register", json=body)

    responses = send_together(app, [register] * 8)

    assert statuses(responses) == {201: 1, 409: 7}
