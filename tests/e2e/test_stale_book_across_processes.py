"""An execution report handled by one server process must move the pair's sequence, so that another
process holding the book in its cache sees the change and rebuilds, whatever either cache held.

Server A caches the book with a resting order; server B, whose own cache is stale or empty, records
an execution report for that order. A must then show the book without the filled amount and match a
new crossing order against what really rests, never against the filled order.
"""

import pytest

ROUNDS = 6


@pytest.fixture
def servers(start_server):
    return start_server("A"), start_server("B")


def levels(http, side):
    response = http.get("/orderbook?pair=EUR/USD&depth=100")
    assert response.status_code == 200, response.text
    return [(level["price"], level["amount"]) for level in response.json()[side]]


def test_a_fill_recorded_on_one_process_leaves_no_phantom_liquidity_on_another(servers, http_as, new_user_token):
    a_url, b_url = (server.url for server in servers)
    maker, taker = new_user_token(a_url), new_user_token(a_url)
    maker_on_a, maker_on_b = http_as(a_url, maker), http_as(b_url, maker)
    taker_on_a = http_as(a_url, taker)

    for round_number in range(ROUNDS):
        levels(maker_on_b, "asks")  # B caches the book as it stands now, so that the order below leaves it stale
        placed = maker_on_a.place(side="SELL", amount="100", price="1.10000")
        assert placed.status_code == 201, placed.text
        assert levels(maker_on_a, "asks") == [("1.10000", "100")]  # A caches the book with the order in it

        filled = maker_on_b.fill(placed.json()["orderId"], "100")
        assert filled.status_code == 201, filled.text
        assert filled.json()["order"]["status"] == "FILLED"

        assert levels(maker_on_a, "asks") == [], f"round {round_number}: A still shows the filled order"
        crossing = taker_on_a.place(side="BUY", amount="100", price="1.10000", timeInForce="IOC")
        assert crossing.status_code == 201, f"round {round_number}: {crossing.text}"
        assert (crossing.json()["status"], crossing.json()["trades"]) == ("EXPIRED", [])


def test_a_partial_fill_recorded_on_one_process_shrinks_the_book_on_another(servers, http_as, new_user_token):
    a_url, b_url = (server.url for server in servers)
    maker = new_user_token(a_url)
    maker_on_a, maker_on_b = http_as(a_url, maker), http_as(b_url, maker)

    levels(maker_on_b, "bids")
    placed = maker_on_a.place(side="BUY", amount="100", price="1.09990")
    assert placed.status_code == 201, placed.text
    assert levels(maker_on_a, "bids") == [("1.09990", "100")]

    filled = maker_on_b.fill(placed.json()["orderId"], "40", "1.09990")
    assert filled.status_code == 201, filled.text

    assert levels(maker_on_a, "bids") == [("1.09990", "60")]
    assert levels(maker_on_b, "bids") == [("1.09990", "60")]
