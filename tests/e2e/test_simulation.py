"""The spec's simulation against the real server: HTTP for the commands, Socket.IO for the events."""

import pytest


@pytest.fixture
def trader(server, new_user_token, http_as, listen):
    token = new_user_token(server.url)
    return http_as(server.url, token), listen(server.url, token)


def test_order_lifecycle_over_http_and_socketio(trader, utc_timestamp):
    http, stream = trader

    def expect_event(name, **fields):
        assert stream.next() == (name, {"event": name, "orderId": order_id, **fields, "timestamp": utc_timestamp})

    def expect_balance(asset, available, held, total):
        assert stream.next() == (
            "BALANCE_UPDATED",
            {
                "event": "BALANCE_UPDATED",
                "asset": asset,
                "available": available,
                "held": held,
                "pending": "0",
                "total": total,
                "timestamp": utc_timestamp,
            },
        )

    def fill(amount, status_code):
        response = http.fill(order_id, amount)
        assert response.status_code == status_code, response.text
        return response.json()

    created = http.place(pair="EUR/USD", side="BUY", type="LIMIT", amount="1000", price="1.10000")
    assert created.status_code == 201, created.text
    order = created.json()
    order_id = order["orderId"]
    assert (order["status"], order["filledAmount"], order["remainingAmount"]) == ("PENDING", "0", "1000")
    expect_event("ORDER_CREATED", order=order)
    # The new user's 100000 USD: 1000 x 1.10000 is held for the order.
    expect_balance("USD", available="98900", held="1100", total="100000")

    first = fill("250", 201)
    expect_event(
        "TRADE_ADDED", trade=first["trade"], newStatus="PARTIALLY_FILLED", filledAmount="250", remainingAmount="750"
    )
    expect_event("ORDER_STATUS_CHANGED", oldStatus="PENDING", newStatus="PARTIALLY_FILLED")
    expect_balance("USD", available="98900", held="825", total="99725")
    expect_balance("EUR", available="100250", held="0", total="100250")

    second = fill("500", 201)
    expect_event(
        "TRADE_ADDED", trade=second["trade"], newStatus="PARTIALLY_FILLED", filledAmount="750", remainingAmount="250"
    )
    expect_balance("USD", available="98900", held="275", total="99175")
    expect_balance("EUR", available="100750", held="0", total="100750")
    partially_filled = http.order(order_id).json()
    assert (partially_filled["status"], partially_filled["filledAmount"]) == ("PARTIALLY_FILLED", "750")

    fill("300", 400)
    assert http.order(order_id).json() == partially_filled

    # Events on one connection arrive in order: the next one being the last fill's proves the 400 sent none.
    last = fill("250", 201)
    expect_event("TRADE_ADDED", trade=last["trade"], newStatus="FILLED", filledAmount="1000", remainingAmount="0")
    expect_event("ORDER_STATUS_CHANGED", oldStatus="PARTIALLY_FILLED", newStatus="FILLED")
    expect_balance("USD", available="98900", held="0", total="98900")
    expect_balance("EUR", available="101000", held="0", total="101000")
    stream.assert_quiet()

    final = http.order(order_id).json()
    assert (final["status"], final["filledAmount"], final["remainingAmount"]) == ("FILLED", "1000", "0")
    assert final["averagePrice"] == "1.10000"
    assert [trade["executedAmount"] for trade in final["trades"]] == ["250", "500", "250"]
    assert [trade["tradeId"] for trade in final["trades"]] == [
        first["trade"]["tradeId"],
        second["trade"]["tradeId"],
        last["trade"]["tradeId"],
    ]
